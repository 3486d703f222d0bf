"""`snn-feed retranslate`: chosen papers translated again, by the translate stage's rules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from snn_feed.pipeline.context import Seams
from snn_feed.store import PaperState


def retranslate(
    seams: Seams, ids: Sequence[str], since: datetime | None, *, force: bool = False
) -> tuple[int, int, list[str]]:
    """(translated again, papers chosen, error lines). Papers held back by `[feed] min_score`
    are never logged, so `since` leaves them out; ids name papers exactly."""
    rows = seams.store.reports.papers(ids=list(ids), since=since)
    if since is not None:
        rows = [r for r in rows if r.state != PaperState.SKIPPED]
    done, errors = seams.translating().again(rows, force=force)
    return done, len(rows), errors
