"""Git in awkward states: refuse clearly, or recover within bounds; never lose the commit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git
from test_cli import Env


@pytest.fixture
def env(tmp_path, fake_arxiv, fake_translator, log_repo) -> Env:
    from conftest import snn_entries, utc_now

    papers = snn_entries(3, utc_now())
    fake_arxiv.entries = list(papers)
    return Env(tmp_path, fake_arxiv, fake_translator, log_repo, papers)


def test_a_detached_head_is_refused_before_anything_is_written(env: Env) -> None:
    git(env.repo, "checkout", "--quiet", "--detach")
    before = env.log.read_bytes()
    result = env.sync()
    assert result.returncode == 1
    assert "detached HEAD" in result.stderr
    assert env.log.read_bytes() == before


@pytest.mark.parametrize("marker", ["rebase-merge", "MERGE_HEAD"])
def test_a_repository_mid_rebase_or_merge_is_refused(env: Env, marker: str) -> None:
    path = env.repo / ".git" / marker
    path.mkdir() if marker == "rebase-merge" else path.write_text(env.head())
    before = env.log.read_bytes()
    result = env.sync()
    assert result.returncode == 1
    assert "in the middle of" in result.stderr
    assert env.log.read_bytes() == before


def remote_with_a_newer_commit(env: Env, edit: Callable[[Path], str]) -> Path:
    """A bare remote that moved on since our clone: someone pushed a commit made by `edit`
    (which changes files in their clone and returns the path to add)."""
    remote = env.tmp / "remote.git"
    git(env.tmp, "init", "--quiet", "--bare", str(remote))
    git(env.repo, "remote", "add", "origin", str(remote))
    branch = git(env.repo, "symbolic-ref", "--short", "HEAD").strip()
    git(env.repo, "push", "--quiet", "origin", branch)
    other = env.tmp / "other"
    git(env.tmp, "clone", "--quiet", str(remote), str(other))
    git(other, "add", edit(other))
    git(other, "commit", "--quiet", "-m", "other side")
    git(other, "push", "--quiet", "origin", branch)
    return remote


def add_notes(clone: Path) -> str:
    (clone / "notes.txt").write_text("notes\n")
    return "notes.txt"


def add_a_month_by_hand(clone: Path) -> str:
    """Edits the very place where snn-feed puts a new month: the two cannot be combined."""
    log = clone / "README.md"
    text = log.read_bytes().decode("utf-8", errors="surrogateescape")
    at = text.index("## 2020.11")
    log.write_bytes((text[:at] + "## 2099.01\n\n- written by hand\n\n" + text[at:]).encode(
        "utf-8", errors="surrogateescape"))  # fmt: skip
    return "README.md"


def test_a_rejected_push_is_rebased_and_pushed_again(env: Env) -> None:
    remote = remote_with_a_newer_commit(env, add_notes)
    result = env.sync(git__push=True)
    assert result.returncode == 0, result.stderr
    assert git(remote, "rev-parse", "HEAD").strip() == env.head()
    subjects = git(env.repo, "log", "--format=%s", "-2").splitlines()
    assert subjects[0].endswith("new papers") and subjects[1] == "other side"


def test_a_push_that_cannot_rebase_keeps_the_commit_locally(env: Env) -> None:
    remote = remote_with_a_newer_commit(env, add_a_month_by_hand)
    result = env.sync(git__push=True)
    assert result.returncode == 1
    assert "kept locally" in result.stderr
    assert git(env.repo, "log", "-1", "--format=%s").strip().endswith("new papers")
    assert git(env.repo, "status", "--porcelain").strip() == ""
    assert git(remote, "log", "-1", "--format=%s").strip() == "other side"
