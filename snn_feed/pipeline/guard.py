"""The log is someone's file: snn-feed writes it only when it holds what snn-feed last left
there (or what git last committed), and records what it wrote so the next run can tell."""

from __future__ import annotations

import hashlib
from pathlib import Path

from snn_feed.errors import GitError
from snn_feed.journal import logfile
from snn_feed.journal.gitrepo import GitRepo
from snn_feed.store import Store


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LogGuard:
    """Writes to one log, refused while it holds an edit snn-feed did not make."""

    def __init__(self, store: Store, git: GitRepo | None, log_path: Path) -> None:
        self.store, self.git, self.log_path = store, git, log_path

    def is_ours(self) -> bool:
        """The log equals its last commit, or holds exactly the bytes snn-feed last wrote.
        Anything else is someone's uncommitted edit, which must not be swept into a commit."""
        if self.git is None or not self.log_path.exists() or not self.git.changed(self.log_path):
            return True
        expected = self.store.log_hashes.expected(str(self.log_path))
        return expected == sha256(self.log_path.read_bytes())

    def check(self) -> None:
        if not self.is_ours():
            raise GitError(
                f"the log {self.log_path} has uncommitted changes that snn-feed did not make: "
                "commit or stash them, then sync again (papers wait until then)"
            )

    def replace(self, text: str) -> None:
        """Write the whole log atomically, remembering its hash first (a crash between the two
        leaves a log that is still recognised as ours)."""
        data = text.encode("utf-8", errors="surrogateescape")
        self.store.log_hashes.expect(str(self.log_path), sha256(data))
        logfile.write_atomic(self.log_path, text)
