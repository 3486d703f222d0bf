"""`sync --dry-run`: what a sync would add to the log, by the rule the sync itself follows.

Papers waiting or recorded elsewhere, and new ones in the window, that the log does not hold
and that score at least `[feed] min_score`. Nothing is stored or written; the feed is read
unconditionally (a dry run must not depend on what the last real sync saw)."""

from __future__ import annotations

from datetime import date

from snn_feed.errors import FetchError
from snn_feed.pipeline import fetching
from snn_feed.pipeline.context import Seams
from snn_feed.pipeline.reconcile import WAITING, plan_reconcile, read_presence
from snn_feed.pipeline.selection import Scored
from snn_feed.pipeline.writing import entry
from snn_feed.records import SyncSummary
from snn_feed.store import PaperState


def dry_run(seams: Seams, since_day: date | None, source: str) -> tuple[SyncSummary, list[str]]:
    """(the counts, one line per paper that would be added)."""
    settings, store = seams.settings, seams.store
    since, until = fetching.window(store, settings.arxiv.lookback_days, seams.zone, seams.clock(),
                                   since_day)  # fmt: skip
    presence = read_presence(seams.log_path, store)
    placements = store.papers.placements()
    requeued, _, _ = plan_reconcile(placements, presence, str(seams.log_path))
    waiting = {p.arxiv_id for p in placements if p.state in WAITING} | set(requeued)
    lines = [
        f"[{row.score}] {row.arxiv_id} {entry(row).first_author}: {row.title}"
        for row in (store.reports.papers(ids=sorted(waiting)) if waiting else [])
        if not presence.holds(row.arxiv_id, row.title)
    ]
    pick = seams.selection()
    topic = settings.topic
    summary = SyncSummary()
    candidates: list[Scored] = []
    # A source that fails is reported in the summary's messages; what the other found is
    # still listed, as the sync would still add it.
    if source in ("rss", "both") and seams.rss is not None:
        try:
            announced = fetching.read_announcements(seams.rss, store, settings.rss.categories,
                                                    [seams.lane(presence)],
                                                    conditional=False)  # fmt: skip
            summary.found += len(announced.fresh)
            candidates += [Scored(f.paper, f.scores[topic], f.code_url) for f in announced.fresh]
        except FetchError as err:
            summary.messages.append(str(err))
    if source in ("api", "both"):
        search = fetching.search_window(seams.client, settings.feed, since, until)
        try:
            candidates += list(pick.on_topic(search))
        except FetchError as err:
            summary.messages.append(str(err))
        summary.found += search.found
    seen: set[str] = set()
    min_score = settings.feed.min_score
    for paper, score, _ in candidates:
        if paper.arxiv_id in seen or presence.holds(paper.arxiv_id, paper.title):
            continue
        seen.add(paper.arxiv_id)
        stored = store.papers.get(paper.arxiv_id)
        if stored is None:
            if score < min_score:
                continue
        elif not (
            stored.state == PaperState.SKIPPED and paper.version > stored.version
            and score >= min_score
        ):  # fmt: skip
            continue  # stored already: listed above if it is waiting
        summary.new += 1
        lines.append(f"[{score}] {paper.arxiv_id} {paper.first_author}: {paper.title}")
    return summary, lines
