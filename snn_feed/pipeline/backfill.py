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

from snn_feed.pipeline import committing, fetching, writing
from snn_feed.pipeline.context import Seams
from snn_feed.pipeline.fetching import Fetched
from snn_feed.pipeline.reconcile import read_presence
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
    """Runs a backfill over the seams of a command: the sync's stages, month by month."""

    def __init__(self, seams: Seams, progress: Progress | None = None) -> None:
        self.seams = seams
        self.store = seams.store
        self.progress = progress or (lambda *args: None)
        settings = seams.settings
        feed = settings.feed
        query = "|".join([*feed.keywords, "-", *feed.exclude, "-", *feed.categories])
        self.query_hash = hashlib.sha256(query.encode()).hexdigest()[:16]
        self.translating = seams.translating()
        self.guard = seams.guard()

    def run(
        self, start: date, end: date, *, commit_every: str = "backfill", commit: bool = True
    ) -> SyncSummary:
        seams, summary = self.seams, SyncSummary()
        if commit:
            committing.prepare_repository(seams.git, seams.log_path)
            committing.catch_up(seams.store, seams.git, seams.settings.git)
        windows = month_windows(start, end, seams.zone)
        for done, (low, high) in enumerate(windows, 1):
            fetched = self._window(low, high)
            summary.found += fetched.found
            summary.new += fetched.new
            # Each month is translated and written before the next is fetched, so memory holds
            # one month of papers, and a stop loses at most the month in progress.
            translated = self.translating.run()
            summary.translated += translated.translated
            summary.messages += translated.failures
            seams.safe_point()
            summary.written += writing.write(
                self.store,
                seams.log_path,
                seams.settings.log,
                self.guard,
                seams.today(),
                seams.layout(),
            )
            label = low.astimezone(seams.zone).strftime("%Y-%m")
            self.progress(label, done, len(windows), summary.found)
            if commit and commit_every == "month":
                self._commit(summary, f"backfill {label}: {{count}} {{papers}}")
        if commit:
            span = f"{start.isoformat()}..{end.isoformat()}"
            self._commit(summary, f"backfill {span}: {{count}} {{papers}}")
        summary.pending = self.store.papers.count_unwritten()
        return summary

    def _commit(self, summary: SyncSummary, message: str) -> None:
        seams = self.seams
        if seams.git is None:
            return
        sha = committing.commit(self.store, seams.git, seams.settings.git, seams.log_path,
                                self.guard, seams.today().date(), message)  # fmt: skip
        summary.commit = sha or summary.commit

    def _window(self, low: datetime, high: datetime) -> Fetched:
        if self.store.windows.done(self.query_hash, low, high):
            log.info("already fetched: %s .. %s", low, high)
            return Fetched()
        try:
            fetched = self._fetch(low, high)
        except WindowTooLarge:
            middle = low + (high - low) / 2
            return self._window(low, middle) + self._window(middle + timedelta(minutes=1), high)
        # arXiv now and then answers a query that has results with an empty first page that
        # claims none; an empty window is asked again on the next run rather than trusted.
        if fetched.found:
            self.store.windows.mark_done(self.query_hash, low, high, fetched.found)
        return fetched

    def _fetch(self, low: datetime, high: datetime) -> Fetched:
        seams = self.seams
        client = seams.client
        log.info("backfill window %s .. %s", low, high)
        checked = False

        def guard() -> None:
            nonlocal checked
            if not checked and search.total is not None:
                checked = True
                if search.total > SPLIT_ABOVE and high - low > timedelta(hours=2):
                    raise WindowTooLarge

        search = fetching.search_window(client, seams.settings.feed, low, high, guard)
        presence = read_presence(seams.log_path, self.store)
        new = 0
        for page_new in fetching.store_window(
            self.store, search, [seams.lane(presence)],
            page_size=client.page_size, origin="backfill", safe_point=seams.safe_point,
        ):  # fmt: skip
            new += page_new
        return Fetched(search.found, new)
