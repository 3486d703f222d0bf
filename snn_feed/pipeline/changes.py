"""Several files of a log changed as one step (an archive moves months out of the log into
archive files; a restore moves them back): recorded whole before the first write, then written
one file at a time and committed together.

A file can be replaced atomically, a set of files cannot. So the step's new contents go into
the store first, in the same transaction as the log's new hash; then each file is written (or
removed) atomically, the files are committed, and the record is cleared. A run killed anywhere
in between leaves the record, and the next command finishes the step from it: every file is
either as it was or as the step makes it, never a mix that a rerun would read as a new log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from snn_feed.errors import LogFileError
from snn_feed.journal import logfile
from snn_feed.journal.gitrepo import GitRepo
from snn_feed.pipeline.guard import sha256
from snn_feed.store import PendingChange, Store


@dataclass(frozen=True)
class Change:
    """What one file becomes: `text`, or removed when None."""

    path: Path
    text: str | None


def _sha_of(path: Path) -> str | None:
    try:
        return sha256(path.read_bytes())
    except FileNotFoundError:
        return None


def _encoded(text: str | None) -> bytes | None:
    return None if text is None else text.encode("utf-8", errors="surrogateescape")


def make(
    store: Store, log_path: Path, git: GitRepo | None, message: str, changes: Sequence[Change]
) -> None:
    """Change the files, in the order given, and commit them in one commit `message`."""
    pending = [PendingChange(str(c.path), _sha_of(c.path), _encoded(c.text)) for c in changes]
    log = next((p for p in pending if p.path == str(log_path)), None)
    if log is None or log.data is None:
        raise ValueError("a step that changes a log's files rewrites the log itself")
    store.pending.record(str(log_path), message, pending, sha256(log.data))
    finish(store, log_path, git)


def finish(store: Store, log_path: Path, git: GitRepo | None) -> str | None:
    """Finish the step a killed run began on this log, if any; its commit message."""
    recorded = store.pending.pending(str(log_path))
    if recorded is None:
        return None
    message, pending = recorded
    for change in pending:
        _apply(change, message)
    for change in pending:
        folder = Path(change.path).parent
        # A restore that removed the last archive file leaves the log's folder as it was.
        gone = change.data is None and folder != log_path.parent and folder.is_dir()
        if gone and not any(folder.iterdir()):
            folder.rmdir()
    paths = [Path(c.path) for c in pending]
    if git is not None and git.changed(*paths):
        git.commit_files(paths, message)
    store.pending.done(str(log_path))
    return message


def _apply(change: PendingChange, message: str) -> None:
    """Bring one file to what the step makes it; a file already there is left alone."""
    path = Path(change.path)
    logfile.remove_stale_temps(path)
    now = _sha_of(path)
    if now == (None if change.data is None else sha256(change.data)):
        return
    if now != change.before_sha256:
        raise LogFileError(
            f"cannot finish the interrupted step {message!r}: {path} changed after it began; "
            "put the file back as it was (git checkout -- FILE), then run snn-feed again"
        )
    if change.data is None:
        path.unlink()
    else:
        logfile.write_atomic(path, change.data, what="the file")
