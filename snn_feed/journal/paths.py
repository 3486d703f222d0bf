"""Where snn-feed may write: inside the log's repository, never through a link out of it.

The log repository is often a clone of something others can change. A symlink committed there
(`README.md -> ~/.ssh/authorized_keys`, `archive -> /etc`) would make every sync write outside
it, so each path snn-feed writes in the repository is checked after resolving links. Pure path
logic, no git: it holds with `[git] commit = false` too.
"""

from __future__ import annotations

import os
from pathlib import Path

from snn_feed.errors import ConfigError


def repository_root(folder: Path) -> Path | None:
    """The nearest folder at or above `folder` holding `.git` (a folder, or a worktree file)."""
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def safe_log_path(configured: Path) -> Path:
    """The file the log is written to: `configured` with links followed, refused when that
    leaves the repository `configured` lies in, or lands inside a `.git` folder.

    A link from outside a repository into it (a log path in the user's home pointing at the
    clone) is the user's own choice and is followed."""
    return safe_config_path(configured, "[log] path")


def safe_config_path(configured: Path, key: str) -> Path:
    """A file the config (`key`) tells snn-feed to write, with links followed: refused when
    that leaves the repository `configured` lies in, or lands inside a `.git` folder."""
    lexical = Path(os.path.abspath(configured))
    target = lexical.resolve()
    if ".git" in target.parts:
        raise ConfigError(f"config: {key} {configured} lies inside a .git folder")
    root = repository_root(lexical.parent)
    if root is not None and not _inside(target, root.resolve()):
        raise ConfigError(
            f"config: {key} {configured} leads out of its repository {root} "
            f"(through a link to {target}); refusing to write there"
        )
    return target


def check_inside(path: Path, log_path: Path) -> Path:
    """`path` (a file snn-feed is about to write beside the log, such as an archive) with
    links followed, refused when that leaves the log's repository (or, without one, the log's
    folder)."""
    root = (repository_root(log_path.parent) or log_path.parent).resolve()
    target = path.resolve()
    if not _inside(target, root):
        raise ConfigError(
            f"refusing to write {path}: it leads out of the log repository {root} "
            f"(through a link to {target})"
        )
    if ".git" in target.relative_to(root).parts:
        raise ConfigError(f"refusing to write {path}: it lies inside a .git folder")
    return target
