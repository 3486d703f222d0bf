"""The site's files on disk: rendered from the database (`pages.render_site`), then each
written only when its bytes differ from the file there, atomically (temp file, fsync, rename),
and the pages of months that are gone removed. A page is never torn, and a rebuild with nothing
new writes nothing, so a site kept in git or synced to a server changes only where the log did.

No lock is taken: the database is read in one transaction and each file is replaced whole, so
a build beside a sync is at worst one sync old.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from snn_feed.errors import LogFileError, SiteError
from snn_feed.journal import logfile
from snn_feed.journal.paths import safe_config_path
from snn_feed.site.model import months_of
from snn_feed.site.pages import STATIC, render_site, version

if TYPE_CHECKING:
    from snn_feed.config import Settings
    from snn_feed.store import Store

_MONTH_FILES = {
    "": re.compile(r"(?:[0-9]{4}-[0-9]{2}|undated)\.html"),
    "search": re.compile(r"(?:[0-9]{4}-[0-9]{2}|undated)\.json"),
}
"""The files a month has, by folder (its page, its search data): those of a month no longer
in the log are removed; no other file in the site's folder is ever touched."""


@dataclass
class BuildReport:
    folder: Path
    written: list[str] = field(default_factory=list)
    """Files written (new or changed), relative to the folder."""
    removed: list[str] = field(default_factory=list)
    """Files of months no longer in the log, removed."""
    unchanged: int = 0
    papers: int = 0
    months: int = 0

    def line(self) -> str:
        return (
            f"{self.papers} papers in {self.months} months; {len(self.written)} files written, "
            f"{len(self.removed)} removed, {self.unchanged} unchanged in {self.folder}"
        )


def static_files() -> dict[str, bytes]:
    """The style sheet and the script, from the package."""
    folder = resources.files("snn_feed.site") / "static"
    return {name: (folder / name).read_bytes() for name in STATIC}


def build_site(store: Store, folder: Path, title: str) -> BuildReport:
    """Render the site of everything in the log and write what changed to `folder`."""
    papers, entries = store.reports.everything_logged()
    months = months_of(papers, entries, store.summaries.of([p.arxiv_id for p in papers]))
    static = static_files()
    files = render_site(months, title, {name: version(data) for name, data in static.items()})
    files.update({f"static/{name}": data for name, data in static.items()})
    report = write_changed(folder, files)
    report.papers = sum(len(m.papers) for m in months)
    report.months = len(months)
    return report


def write_changed(folder: Path, files: dict[str, bytes]) -> BuildReport:
    """Write each of `files` whose bytes differ from the file there; remove the month files
    `files` no longer has."""
    report = BuildReport(folder)
    try:
        for name, data in sorted(files.items()):
            path = folder / name
            if _same(path, data):
                report.unchanged += 1
                continue
            logfile.write_atomic(path, data, what="the site's page")
            report.written.append(name)
        for sub, pattern in _MONTH_FILES.items():
            where = folder / sub
            for path in sorted(where.iterdir()) if where.is_dir() else ():
                name = path.relative_to(folder).as_posix()
                if pattern.fullmatch(path.name) and name not in files and path.is_file():
                    path.unlink()
                    report.removed.append(name)
    except (LogFileError, OSError) as err:
        why = str(err) if isinstance(err, LogFileError) else f"{err.strerror or err}"
        raise SiteError(f"site: {why} (in {folder}; the other pages are as they were)") from err
    return report


def _same(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except FileNotFoundError:
        return False


def configured_site(settings: Settings) -> Path | None:
    """`[site] dir` with links followed (None when unset); refused when a link leads it out of
    the repository it lies in, as for the log and the feed."""
    path = settings.site_path
    return None if path is None else safe_config_path(path, "[site] dir")


def rebuild(settings: Settings, store: Store) -> BuildReport | None:
    """Rebuild the site at `[site] dir` (after a sync); None when no site is configured."""
    folder = configured_site(settings)
    if folder is None:
        return None
    return build_site(store, folder, settings.site.title)
