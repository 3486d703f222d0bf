"""`[log] keep_months` and `snn-feed archive`: months after the newest few move into
archive/YYYY.md, in a commit of their own, and can be put back."""

from __future__ import annotations

from pathlib import Path

from snn_feed.journal import archive, logfile
from snn_feed.journal.gitrepo import GitRepo
from snn_feed.journal.paths import check_inside
from snn_feed.pipeline.guard import LogGuard
from snn_feed.pipeline.reconcile import archive_dir


def _archives(log_path: Path) -> dict[int, str]:
    return {
        int(path.stem): logfile.read_log(check_inside(path, log_path))
        for path in archive_dir(log_path).glob("*.md")
        if path.stem.isdigit()
    }


def archive_old_months(
    log_path: Path, keep_months: int, guard: LogGuard, git: GitRepo | None
) -> list[int]:
    """Move months after the newest `keep_months`; return the years whose archive changed."""
    text = logfile.read_log(log_path)
    updated, archives, years = archive.archive(text, keep_months, _archives(log_path))
    if not years:
        return []
    guard.check()
    paths = [check_inside(archive_dir(log_path) / f"{year}.md", log_path) for year in years]
    for year, path in zip(years, paths, strict=True):
        logfile.write_atomic(path, archives[year])
    guard.replace(updated)
    if git is not None:
        shown = ", ".join(str(y) for y in years)
        git.commit_files([log_path, *paths], f"archive: older months to {shown}")
    return years


def restore_archive(log_path: Path, guard: LogGuard, git: GitRepo | None) -> list[int]:
    """Put every archived month back into the log, and remove the archive files."""
    archives = _archives(log_path)
    if not archives:
        return []
    guard.check()
    guard.replace(archive.restore(logfile.read_log(log_path), archives))
    paths = [archive_dir(log_path) / f"{year}.md" for year in sorted(archives)]
    for path in paths:
        path.unlink()
    folder = archive_dir(log_path)
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()  # nothing archived any more: leave the log's folder as it was
    if git is not None:
        git.commit_files([log_path, *paths], "archive: months restored to the log")
    return sorted(archives)
