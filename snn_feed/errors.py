"""One exception tree for everything a user may need to act on.

Each error carries the exit status the CLI turns it into, so the CLI never has to guess what
a failure means; and its message is a single line that names what to fix.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """Exit statuses that cron jobs and health checks can chain on."""

    DONE = 0  # new papers written, or nothing new
    FAILED = 1
    USAGE = 2  # bad usage or configuration
    PARTIAL = 3  # some papers still pending (e.g. translation failed)
    BUSY = 4  # another sync holds the lock


class SnnFeedError(Exception):
    """Root of snn-feed's errors; `str(err)` is the one line shown to the user."""

    exit_status: ExitStatus = ExitStatus.FAILED


class ConfigError(SnnFeedError):
    """The configuration file or an environment override is invalid."""

    exit_status = ExitStatus.USAGE


class BusyError(SnnFeedError):
    """Another snn-feed process holds the sync lock."""

    exit_status = ExitStatus.BUSY


class FetchError(SnnFeedError):
    """arXiv could not be queried, after the bounded retries."""

    def __init__(self, message: str, *, url: str = "", attempts: int = 0) -> None:
        super().__init__(message)
        self.url = url
        """The request that failed last."""
        self.attempts = attempts
        """How many requests were made for that page, retries included."""


class FeedFormatError(FetchError):
    """arXiv answered, but not with an announcement feed we can read (malformed XML, not RSS 2.0,
    no announcement date)."""


class TranslationError(SnnFeedError):
    """A translation engine failed; the paper stays pending and is retried on the next run."""

    def __init__(self, message: str, *, engine: str, status: int | None = None) -> None:
        super().__init__(message)
        self.engine = engine
        """Which engine failed."""
        self.status = status
        """HTTP status code, when the engine answered at all."""


class DatabaseError(SnnFeedError):
    """The database cannot be used as it is (a full disk, a read-only file system, a damaged
    file, a newer schema, a missing table); the message says what to do, without SQL."""

    def __init__(self, message: str, *, where: str = "") -> None:
        super().__init__(message)
        self.where = where
        """The database: its file, or its URL without the password."""


class LogFileError(SnnFeedError):
    """The Markdown log cannot be read or written; the old file is left intact."""


class ExportError(SnnFeedError):
    """The Atom feed cannot be written; an existing feed file is left intact."""


class SiteError(SnnFeedError):
    """The static site cannot be written; every page already there is left as it was."""


class GitError(SnnFeedError):
    """A git command failed; the log file is written but not committed."""


class PushError(GitError):
    """The log was committed but could not be pushed; the next sync pushes it."""


class Interrupted(SnnFeedError):
    """A stop was requested (SIGTERM/SIGINT); the sync stopped at a safe point."""
