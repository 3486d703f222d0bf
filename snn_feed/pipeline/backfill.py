"""`snn-feed backfill`: fill in past months, politely, resumably.

The range is cut into calendar-month windows of submission dates (arXiv serves at most 30,000
results per query and asks that large queries be narrowed; a window reporting more than
`SPLIT_ABOVE` results is halved until it fits). A window is recorded once all its papers are
stored, so a stopped backfill skips it when run again. Papers go under the month they were
first published, among the existing months in date order.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from snn_feed.pipeline.sync import Syncer
from snn_feed.records import SyncSummary

log = logging.getLogger(__name__)

SPLIT_ABOVE = 10_000
"""Results above which a window is halved (arXiv's hard limit is 30,000 per query)."""

Progress = Callable[[str, int, int, int], None]
"""Called after each window: (window label, windows done, windows in all, papers found)."""


class WindowTooLarge(Exception):
    """Internal: the window reports more results than one query should fetch."""


def month_windows(start: date, end: date, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """[start, end] as calendar-month windows in `zone`, oldest first, in UTC."""
    windows = []
    cursor = start
    while cursor <= end:
        next_month = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
        last = min(end, next_month - timedelta(days=1))
        low = datetime.combine(cursor, time(0), zone).astimezone(UTC)
        high = datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(UTC)
        windows.append((low, high - timedelta(minutes=1)))
        cursor = next_month
    return windows


class Backfiller:
    """Runs a backfill with the seams of a `Syncer`."""

    def __init__(self, syncer: Syncer, progress: Progress | None = None) -> None:
        self.syncer = syncer
        self.store = syncer.store
        self.progress = progress or (lambda *args: None)
        feed = syncer.settings.feed
        query = "|".join([*feed.keywords, "-", *feed.exclude, "-", *feed.categories])
        self.query_hash = hashlib.sha256(query.encode()).hexdigest()[:16]

    def run(
        self, start: date, end: date, *, commit_every: str = "backfill", commit: bool = True
    ) -> SyncSummary:
        summary = SyncSummary()
        if commit:
            self.syncer.prepare_repository()
        windows = month_windows(start, end, self.syncer.zone)
        for done, (low, high) in enumerate(windows, 1):
            self._window(low, high, summary)
            # Each month is translated and written before the next is fetched, so memory holds
            # one month of papers, and a stop loses at most the month in progress.
            self.syncer.translate(summary)
            self.syncer.write(summary)
            label = low.astimezone(self.syncer.zone).strftime("%Y-%m")
            self.progress(label, done, len(windows), summary.found)
            if commit and commit_every == "month":
                self.syncer.commit(summary, message=f"backfill {label}: {{count}} papers")
        if commit:
            span = f"{start.isoformat()}..{end.isoformat()}"
            self.syncer.commit(summary, message=f"backfill {span}: {{count}} papers")
        summary.pending = self.store.count_unwritten()
        return summary

    def _window(self, low: datetime, high: datetime, summary: SyncSummary) -> None:
        if self.store.window_done(self.query_hash, low, high):
            log.info("already fetched: %s .. %s", low, high)
            return
        found_before = summary.found
        try:
            self._fetch(low, high, summary)
        except WindowTooLarge:
            summary.found = found_before
            middle = low + (high - low) / 2
            self._window(low, middle, summary)
            self._window(middle + timedelta(minutes=1), high, summary)
            return
        found = summary.found - found_before
        # arXiv now and then answers a query that has results with an empty first page that
        # claims none; an empty window is asked again on the next run rather than trusted.
        if found:
            self.store.mark_window_done(self.query_hash, low, high, found)

    def _fetch(self, low: datetime, high: datetime, summary: SyncSummary) -> None:
        client = self.syncer.client
        client.last_total = None
        log.info("backfill window %s .. %s", low, high)
        checked = False

        def guard() -> None:
            nonlocal checked
            if not checked and client.last_total is not None:
                checked = True
                if client.last_total > SPLIT_ABOVE and high - low > timedelta(hours=2):
                    raise WindowTooLarge

        self.syncer.fetch(low, high, summary, origin="backfill", on_page=guard)
