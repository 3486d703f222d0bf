"""`[log] keep_months` and `snn-feed archive`: months after the newest few move into
archive/YYYY.md, in a commit of their own, and can be put back. Both are one step over several
files (`pipeline/changes.py`): a run killed in the middle is finished by the next one."""

from __future__ import annotations

from pathlib import Path

from snn_feed.journal import archive, logfile
from snn_feed.journal.gitrepo import GitRepo
from snn_feed.journal.paths import check_inside
from snn_feed.pipeline import changes
from snn_feed.pipeline.guard import LogGuard
from snn_feed.pipeline.reconcile import archive_dir
from snn_feed.store import Store


def _archives(log_path: Path) -> dict[int, str]:
    return {
        int(path.stem): logfile.read_log(check_inside(path, log_path))
        for path in archive_dir(log_path).glob("*.md")
        if path.stem.isdigit()
    }


def archive_old_months(
    store: Store, log_path: Path, keep_months: int, guard: LogGuard, git: GitRepo | None
) -> list[int]:
    """Move months after the newest `keep_months`; return the years whose archive changed.

    An archive a killed run began is finished first, so its months are moved once."""
    changes.finish(store, log_path, git)
    text = logfile.read_log(log_path)
    updated, archives, years = archive.archive(text, keep_months, _archives(log_path))
    if not years:
        return []
    guard.check()
    paths = [check_inside(archive_dir(log_path) / f"{year}.md", log_path) for year in years]
    # The archive files first, the shortened log last: every month is in a file on disk at
    # every moment, even to someone who reads the files and not the store's record.
    steps = [changes.Change(path, archives[year]) for year, path in zip(years, paths, strict=True)]
    shown = ", ".join(str(y) for y in years)
    changes.make(store, log_path, git, f"archive: older months to {shown}",
                 [*steps, changes.Change(log_path, updated)])  # fmt: skip
    return years


def restore_archive(
    store: Store, log_path: Path, guard: LogGuard, git: GitRepo | None
) -> list[int]:
    """Put every archived month back into the log, and remove the archive files.

    A restore (or an archive) a killed run began is finished first."""
    changes.finish(store, log_path, git)
    archives = _archives(log_path)
    if not archives:
        return []
    guard.check()
    restored = archive.restore(logfile.read_log(log_path), archives)
    # The whole log first, then the archive files go: every month stays in a file on disk.
    gone = [changes.Change(archive_dir(log_path) / f"{year}.md", None) for year in sorted(archives)]
    changes.make(store, log_path, git, "archive: months restored to the log",
                 [changes.Change(log_path, restored), *gone])  # fmt: skip
    return sorted(archives)
