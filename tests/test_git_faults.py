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


def test_the_clone_is_brought_up_to_date_before_writing_so_the_push_goes_through(
    env: Env,
) -> None:
    # Another clone pushed an edit at the very place new entries go: written onto the stale
    # clone they could not be rebased; written after catching up, they go on top of it.
    remote = remote_with_a_newer_commit(env, add_a_month_by_hand)
    result = env.sync(git__push=True)
    assert result.returncode == 0, result.stderr
    assert git(remote, "rev-parse", "HEAD").strip() == env.head()
    pushed = git(remote, "show", "HEAD:README.md")
    assert "- written by hand" in pushed
    assert all(pushed.count(f"arxiv.org/abs/{p.arxiv_id}") == 1 for p in env.papers)
    assert git(env.repo, "log", "--format=%s", "-2").splitlines()[1] == "other side"


def test_a_push_that_cannot_rebase_keeps_the_commit_locally(env: Env) -> None:
    remote = remote_with_a_newer_commit(env, add_a_month_by_hand)
    # A commit of our clone's own, not pushed, at the same place: no rebase can combine them.
    log = env.log
    text = log.read_bytes().decode("utf-8", errors="surrogateescape")
    at = text.index("## 2020.11")
    log.write_bytes((text[:at] + "## 2099.02\n\n- mine\n\n" + text[at:]).encode(
        "utf-8", errors="surrogateescape"))  # fmt: skip
    git(env.repo, "commit", "--quiet", "-am", "mine")
    result = env.sync(git__push=True)
    assert result.returncode == 1
    assert "kept locally" in result.stderr
    assert git(env.repo, "log", "-1", "--format=%s").strip().endswith("new papers")
    assert git(env.repo, "status", "--porcelain").strip() == ""
    assert git(remote, "log", "-1", "--format=%s").strip() == "other side"


def hook(repo: Path, name: str, body: str) -> Path:
    """A hook of a repository (a shell script, as a person would write one)."""
    hooks = repo / "hooks" if (repo / "HEAD").exists() else repo / ".git" / "hooks"
    path = hooks / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def hanging_hook(repo: Path, name: str, tmp: Path) -> Path:
    """A hook that writes its pid, then never returns (for as long as a test lasts)."""
    pid = tmp / f"{name}.pid"
    hook(repo, name, f"echo $$ > '{pid}'\nexec sleep 60\n")
    return pid


def running(pid: int) -> bool:
    """Whether a process is alive (a zombie, dead and waiting to be reaped, is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def bare_remote(env: Env, name: str = "remote.git") -> Path:
    remote = env.tmp / name
    git(env.tmp, "init", "--quiet", "--bare", str(remote))
    return remote


def test_a_hook_that_never_returns_is_ended_with_git_and_leaves_no_lock(env: Env) -> None:
    pid = hanging_hook(env.repo, "pre-commit", env.tmp)
    result = env.sync(git__timeout_seconds=2)
    assert result.returncode == 1
    assert "no answer within 2 s" in result.stderr
    assert not running(int(pid.read_text())), "the hook outlived its deadline"
    assert not (env.repo / ".git" / "index.lock").exists()

    (env.repo / ".git" / "hooks" / "pre-commit").unlink()
    result = env.sync(git__timeout_seconds=2)
    assert result.returncode == 0, result.stderr
    assert git(env.repo, "status", "--porcelain").strip() == ""
    assert git(env.repo, "log", "-1", "--format=%s").strip().endswith("new papers")


def test_a_push_that_times_out_leaves_no_git_process_and_is_pushed_next_time(env: Env) -> None:
    remote = bare_remote(env)
    git(env.repo, "remote", "add", "origin", str(remote))
    pid = hanging_hook(env.repo, "pre-push", env.tmp)
    result = env.sync(git__push=True, git__timeout_seconds=2)
    assert result.returncode == 1
    assert "git push: no answer within 2 s" in result.stderr
    assert not running(int(pid.read_text())), "the push's hook outlived its deadline"

    (env.repo / ".git" / "hooks" / "pre-push").unlink()
    result = env.sync(git__push=True)
    assert result.returncode == 0, result.stderr
    assert "new 0" in result.stdout
    assert git(remote, "rev-parse", "HEAD").strip() == env.head()


def test_a_lock_file_no_snn_feed_holds_is_named_with_the_fix(env: Env) -> None:
    lock = env.repo / ".git" / "index.lock"
    lock.write_text("")
    before = env.log.read_bytes()
    result = env.sync()
    assert result.returncode == 1
    assert f"the log repository holds the lock file {lock}" in result.stderr
    assert f"delete {lock}, then sync again" in result.stderr
    assert env.log.read_bytes() == before, "the log was written although it cannot be committed"


def closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("remote", "reason"),
    [
        ("{tmp}/no-such-remote.git", "does not appear to be a git repository"),
        ("http://127.0.0.1:{port}/log.git", "Couldn't connect to server"),
    ],
)
def test_an_unreachable_remote_is_reported_in_gits_own_words(
    env: Env, remote: str, reason: str
) -> None:
    url = remote.format(tmp=env.tmp, port=closed_port())
    result = env.sync(git__push=True, git__remote=url)
    assert result.returncode == 1
    assert reason in result.stderr
    assert "rebase" not in result.stderr
    assert "the commit is kept locally, and the next sync pushes it" in result.stderr
    assert git(env.repo, "log", "-1", "--format=%s").strip().endswith("new papers")


def test_a_remote_refusing_the_credentials_says_so_and_not_the_password(env: Env) -> None:
    from fakes import FakeGitHost
    from fakes import running as serving

    with serving(FakeGitHost()) as host:
        url = host.base.replace("http://", "http://snn:hunter2@") + "/log.git"
        result = env.sync(git__push=True, git__remote=url)
    assert result.returncode == 1
    assert "Authentication failed" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout
    assert "rebase" not in result.stderr


def test_a_push_refused_by_the_remotes_hook_says_what_the_hook_said(env: Env) -> None:
    remote = bare_remote(env)
    hook(remote, "pre-receive", "echo 'pushes are frozen until Monday' >&2\nexit 1\n")
    result = env.sync(git__push=True, git__remote=str(remote))
    assert result.returncode == 1
    assert "pre-receive hook declined" in result.stderr
    assert "pushes are frozen until Monday" in result.stderr
    assert "rebase" not in result.stderr


def test_a_commit_that_could_not_be_pushed_is_pushed_when_nothing_is_new(env: Env) -> None:
    remote = env.tmp / "remote.git"  # not there yet: the first push cannot reach it
    assert env.sync(git__push=True, git__remote=str(remote)).returncode == 1
    committed = env.head()
    bare_remote(env)
    result = env.sync(git__push=True, git__remote=str(remote))
    assert result.returncode == 0, result.stderr
    assert "new 0" in result.stdout
    assert git(remote, "rev-parse", "HEAD").strip() == committed == env.head()


def test_after_a_rebase_the_commit_printed_and_recorded_is_the_one_on_the_branch(
    env: Env,
) -> None:
    import sqlite3

    remote_with_a_newer_commit(env, add_notes)
    result = env.sync(git__push=True)
    assert result.returncode == 0, result.stderr
    head = env.head()
    assert f"committed {head[:10]}" in result.stdout
    db = sqlite3.connect(env.tmp / "data" / "feed.sqlite3")
    assert {sha for (sha,) in db.execute("select commit_sha from topic_papers")} == {head}
    assert db.execute("select commit_sha from sync_runs").fetchall() == [(head,)]
