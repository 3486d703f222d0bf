"""What the configured log holds, and making the recorded state of papers agree with it before
anything is translated."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from snn_feed.journal import logfile
from snn_feed.journal.presence import Presence
from snn_feed.store import PaperState, Placement, Store

log = logging.getLogger(__name__)

WAITING = (PaperState.FETCHED, PaperState.TRANSLATED)
"""States of papers not yet in any log."""


def archive_dir(log_path: Path) -> Path:
    return log_path.parent / "archive"


def log_texts(log_path: Path, text: str | None = None) -> list[str]:
    """The texts of the log: its file (`text`, if already read), then its archives."""
    texts = [logfile.read_log(log_path) if text is None else text]
    texts += [logfile.read_log(path) for path in sorted(archive_dir(log_path).glob("*.md"))]
    return texts


def read_presence(log_path: Path, store: Store, text: str | None = None) -> Presence:
    """What the log holds now: the entries of its file (`text`, if already read) and its
    archives, and the entries imported from it. Read once per stage."""
    return presence_in(log_texts(log_path, text), store)


def presence_in(texts: list[str], store: Store) -> Presence:
    """What the log made of `texts` (`log_texts`) holds, with the entries imported from it."""
    return Presence.of(texts, store.imported.ids(), store.imported.unresolved_titles())


def plan_reconcile(
    placements: Iterable[Placement], presence: Presence, log_path: str
) -> tuple[list[str], list[str], list[str]]:
    """(papers to write again, waiting papers the log already holds, papers recorded in
    another log file that this one holds as well): see `reconcile`. Papers recorded before
    logs were told apart (no log) count as this log's."""
    requeue, present, moved = [], [], []
    for p in placements:
        held = presence.holds(p.arxiv_id, p.title)
        if p.state in WAITING:
            if held:
                present.append(p.arxiv_id)
        elif not held:
            requeue.append(p.arxiv_id)
        elif (p.log_path or log_path) != log_path:
            moved.append(p.arxiv_id)
    return requeue, present, moved


def reconcile(store: Store, presence: Presence, log_path: str) -> None:
    """A paper recorded as written to another log, or to this one, that this log does not
    hold goes back in line for it; a waiting paper the log already holds (an entry written by
    hand, or by a run that died before recording it) is written. A paper recorded in another
    log file that this one holds too (another host's clone of the same remote, whose entries
    this clone has pulled) stays as it is, now recorded in this file."""
    store.papers.claim_unplaced(log_path)
    requeue, present, moved = plan_reconcile(store.papers.placements(), presence, log_path)
    if requeue:
        log.info("%d papers recorded in another log, or no longer in this one: "
                 "writing them to %s", len(requeue), log_path)  # fmt: skip
    store.papers.requeue(requeue)
    store.papers.mark_written(present, None, log_path)
    store.papers.relocate(moved, log_path)
