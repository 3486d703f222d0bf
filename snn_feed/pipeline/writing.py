"""The write stage: translated papers become entries of the log, under their month, in the
log's own format, in one atomic write. A paper the log already holds is never written twice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from snn_feed.config import LogSettings
from snn_feed.journal import logfile
from snn_feed.journal.logparse import pads_months
from snn_feed.journal.render import render_entry
from snn_feed.pipeline.authors import watched_authors
from snn_feed.pipeline.guard import LogGuard
from snn_feed.pipeline.reconcile import log_texts, presence_in
from snn_feed.pipeline.venues import venue_of
from snn_feed.records import LogEntry
from snn_feed.store import PaperState, Store, StoredPaper, Summary


def entry_order(row: StoredPaper) -> tuple[int, str]:
    """Within a month, higher score first, then arXiv id (oldest first): stable across runs."""
    return (-row.score, row.arxiv_id)


def month_of(row: StoredPaper, today: datetime, zone: ZoneInfo) -> tuple[int, int]:
    """A backfilled paper goes under the month it was first published; any other under the
    month it is logged in."""
    moment = row.published.astimezone(zone) if row.origin == "backfill" else today
    return moment.year, moment.month


@dataclass(frozen=True)
class Layout:
    """How this log's new entries look: its style (`pipeline/styles.py`) and the options of the
    bilingual style."""

    style: str = "hover"
    checkbox: bool = False
    max_authors: int = 3
    watch: Sequence[str] = ()
    """The watched authors' names (`[score.authors]`), marked where they appear."""


def entry(row: StoredPaper, layout: Layout = Layout(), summary: Summary | None = None) -> LogEntry:
    venue = venue_of(row.comment, row.journal_ref)
    return LogEntry(
        arxiv_id=row.arxiv_id,
        score=row.score,
        first_author=row.authors[0] if row.authors else "",
        title=row.title,
        abstract_zh=row.abstract_zh or "",
        code_url=row.code_url,
        title_zh=row.title_zh or "",
        abstract=row.abstract,
        authors=tuple(row.authors),
        published=row.published.astimezone(UTC).date(),  # arXiv dates its papers in UTC
        comment=row.comment,
        venue=venue.label() if venue else None,
        watched=frozenset(watched_authors(row.authors, layout.watch)),
        tldr=summary.tldr if summary else "",
        points=summary.points if summary else (),
    )


def write(
    store: Store,
    log_path: Path,
    settings: LogSettings,
    guard: LogGuard,
    today: datetime,
    layout: Layout = Layout(),
) -> int:
    """Write the translated papers in `layout`; return how many entries were added. `today` is
    in the log's time zone."""
    rows = store.papers.in_state(PaperState.TRANSLATED)
    if not rows:
        return 0
    text = logfile.read_log(log_path)
    texts = log_texts(log_path, text)
    presence = presence_in(texts, store)
    already = [r.arxiv_id for r in rows if presence.holds(r.arxiv_id, r.title)]
    if already:
        # Written by a run that stopped before recording it, or by hand: never twice.
        store.papers.mark_written(already, None, str(log_path))
    todo = sorted((r for r in rows if not presence.holds(r.arxiv_id, r.title)), key=entry_order)
    if not todo:
        return 0
    guard.check()
    nl = logfile.newline_of(text) if text else "\n"
    months: dict[tuple[int, int], list[StoredPaper]] = {}
    for row in todo:
        months.setdefault(month_of(row, today, ZoneInfo(settings.timezone)), []).append(row)
    # A new month's heading as the log writes its months (the archives count: they hold the
    # older months, where a log's style shows).
    padded = pads_months(texts)
    # Summaries made in time show in the entry (the bilingual style); one made later never
    # changes it: the log is append-only.
    summaries = store.summaries.of([r.arxiv_id for r in todo])
    updated = text
    for (year, month), group in sorted(months.items(), reverse=True):
        entries = [
            render_entry(entry(r, layout, summaries.get(r.arxiv_id)), nl, layout.style,
                         checkbox=layout.checkbox, max_authors=layout.max_authors)
            for r in group
        ]  # fmt: skip
        updated = logfile.insert_entries(
            updated, year, month, entries, intro=settings.intro, padded=padded
        )
    guard.replace(updated)
    for (year, month), group in months.items():
        store.papers.mark_written([r.arxiv_id for r in group], f"{year}.{month:02d}", str(log_path))
    return len(todo)
