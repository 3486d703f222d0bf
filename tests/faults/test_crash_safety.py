"""SIGKILL at many points of a sync: after each kill another sync finishes the job, and at the
end every paper is in the log exactly once, the log parses, the database passes its integrity
check and agrees with the log, and git holds only clean commits of the log."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import time
import zlib
from datetime import timedelta
from pathlib import Path

import forks
import gfm
import pytest
from conftest import SEED_LOG, git, run_cli, snn_entries, utc_now, write_config
from fakes import FakeArxiv, FakeTranslator, slow_zh

KILLS = 24
DELAYS = (0.0, 0.03, 0.1, 0.2)  # seconds after the moment: 3 moments x 4 delays x 2


def warm_up(config: Path) -> None:
    """Everything a sync imports, imported here before the forks (each would import it again:
    about 1.5 s a fork): a dry run sets up the database and the translator."""
    assert run_cli("sync", "--config", str(config), "--dry-run").returncode in (0, 3)


def test_sync_killed_at_24_points_loses_and_doubles_nothing(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path
) -> None:
    fake_translator.translate = slow_zh(0.08)
    now = utc_now()
    corpus = snn_entries(KILLS * 2, now - timedelta(hours=1))
    config = write_config(tmp_path / "config.toml", arxiv_url=fake_arxiv.url,
                          translator_url=fake_translator.base + "/m",
                          log_path=log_repo / "README.md",
                          translate__concurrency=1)  # fmt: skip
    argv = ["sync", "--config", str(config)]
    warm_up(config)
    head = git(log_repo, "rev-parse", "HEAD").strip()
    for kill in range(KILLS):
        fake_arxiv.entries = corpus[: 2 * (kill + 1)]  # two new papers announced each round
        # Each kill waits for a moment the fakes can see (arXiv asked; the first or second
        # translation asked for), then a little longer: the kills spread over fetch, store,
        # translate, write and commit however fast or loaded the machine is.
        translated = len(fake_translator.requests)
        server, seen = [
            (fake_arxiv, len(fake_arxiv.requests)),
            (fake_translator, translated),
            (fake_translator, translated + 1),
        ][kill % 3]
        # A fork of this process, whose imports are done, runs the sync: a new interpreter
        # per kill spent most of the test's time importing (the moments are the fakes').
        process = forks.start(argv)
        deadline = time.monotonic() + 60
        while len(server.requests) <= seen and process.is_alive():
            assert time.monotonic() < deadline, "the sync never got there"
            time.sleep(0.005)
        time.sleep(DELAYS[(kill // 3) % len(DELAYS)])
        process.kill()
        process.join()

    final = run_cli(*argv)
    assert final.returncode == 0, final.stderr

    text = (log_repo / "README.md").read_bytes().decode("utf-8", errors="surrogateescape")
    assert text.endswith(SEED_LOG.read_bytes().decode("utf-8", errors="surrogateescape")[-2000:])
    items, _ = gfm.read(text)
    ids = [i.links[0].href.rsplit("/abs/", 1)[1] for i in items if i.links]
    assert len(ids) == len(set(ids)), "a paper was written twice"
    assert {e.arxiv_id for e in corpus} <= set(ids), "a paper was lost"

    db = sqlite3.connect(tmp_path / "data" / "feed.sqlite3")
    assert db.execute("pragma integrity_check").fetchone() == ("ok",)
    states = dict(db.execute("select arxiv_id, state from topic_papers"))
    assert set(states) == {e.arxiv_id for e in corpus}
    assert set(states.values()) == {"committed"}
    crashed = db.execute("select count(*) from sync_runs where outcome = 'crashed'").fetchone()[0]
    assert crashed >= KILLS // 2, f"only {crashed} of {KILLS} kills landed inside a sync"

    assert git(log_repo, "status", "--porcelain").strip() == ""
    for sha in git(log_repo, "rev-list", f"{head}..HEAD").split():
        assert git(log_repo, "show", "--name-only", "--format=", sha).split() == ["README.md"]


def _killed_inside_a_hook(
    tmp_path: Path,
    fake_arxiv: FakeArxiv,
    fake_translator: FakeTranslator,
    log_repo: Path,
    hook_name: str,
    timeout: float,
) -> tuple[Path, Path]:
    """A sync SIGKILLed while git waits on a hook that takes its time: git and the hook are
    left running, without the process that started them. Returns the config and the remote."""
    now = utc_now()
    fake_arxiv.entries = snn_entries(3, now - timedelta(hours=1))
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    git(log_repo, "remote", "add", "origin", str(remote))
    started = tmp_path / "hook-started"
    hook = log_repo / ".git" / "hooks" / hook_name
    # Slow only the first time: the sync that is killed.
    hook.write_text(
        f"#!/bin/sh\n[ -e '{started}' ] && exit 0\ntouch '{started}'\n"
        f"exec sleep {_hook_sleep(log_repo)}\n"
    )
    hook.chmod(0o755)
    config = write_config(tmp_path / "config.toml", arxiv_url=fake_arxiv.url,
                          translator_url=fake_translator.base + "/m",
                          log_path=log_repo / "README.md", git__push=True,
                          git__timeout_seconds=timeout)  # fmt: skip
    # A fork of this process, whose imports are done (a new interpreter would import first).
    process = forks.start(["sync", "--config", str(config)])
    deadline = time.monotonic() + 60
    while not started.exists():
        assert process.is_alive() and time.monotonic() < deadline, "git never ran the hook"
        time.sleep(0.01)
    process.kill()  # SIGKILL
    process.join()
    return config, remote


def _all_committed_and_pushed(tmp_path: Path, log_repo: Path, remote: Path) -> None:
    assert not list((log_repo / ".git").glob("*.lock"))
    assert git(log_repo, "status", "--porcelain").strip() == ""
    head = git(log_repo, "rev-parse", "HEAD").strip()
    assert git(remote, "rev-parse", "HEAD").strip() == head
    db = sqlite3.connect(tmp_path / "data" / "feed.sqlite3")
    states = dict(db.execute("select arxiv_id, state from topic_papers"))
    assert set(states.values()) == {"committed"}
    assert {sha for (sha,) in db.execute("select commit_sha from topic_papers")} <= {head, None}


def _hook_sleep(log_repo: Path) -> str:
    """How long the hook sleeps: about 30 s, told apart from other tests' hooks."""
    return f"30.{zlib.crc32(str(log_repo).encode()) % 10**6:06d}"


def _hook_processes(log_repo: Path) -> list[int]:
    """Processes still running the sleep of this test's hook (a zombie does not count)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            cmdline = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if text.rsplit(")", 1)[1].split()[0] != "Z" and cmdline[:2] == [
            b"sleep",
            _hook_sleep(log_repo).encode(),
        ]:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.parametrize("hook_name", ["pre-commit", "pre-push"])
def test_a_sync_killed_inside_a_git_hook_is_finished_by_the_next_past_the_deadline(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path,
    hook_name: str,
) -> None:  # fmt: skip
    config, remote = _killed_inside_a_hook(tmp_path, fake_arxiv, fake_translator, log_repo,
                                           hook_name, timeout=2)  # fmt: skip
    before = set(_hook_processes(log_repo))
    assert before, "the hook should outlive the killed sync"
    time.sleep(2.2)  # the leftover is now past [git] timeout_seconds: the next sync ends it
    result = run_cli("sync", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert not before & set(_hook_processes(log_repo)), "the leftover git hook still runs"
    _all_committed_and_pushed(tmp_path, log_repo, remote)


def test_a_sync_killed_inside_a_git_hook_names_the_leftover_then_clears_its_lock(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path
) -> None:
    config, remote = _killed_inside_a_hook(tmp_path, fake_arxiv, fake_translator, log_repo,
                                           "pre-commit", timeout=60)  # fmt: skip
    result = run_cli("sync", "--config", str(config))
    assert result.returncode == 1
    assert "git commit (process group" in result.stderr and "still runs" in result.stderr
    match = re.search(r"end it with `kill -- -(\d+)`", result.stderr)
    assert match, result.stderr
    assert (log_repo / ".git" / "index.lock").exists()
    # What the message says to do; SIGKILL gives git no chance to remove its lock file.
    os.killpg(int(match[1]), signal.SIGKILL)
    deadline = time.monotonic() + 10
    while _hook_processes(log_repo):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    result = run_cli("sync", "--config", str(config))
    assert result.returncode == 0, result.stderr
    _all_committed_and_pushed(tmp_path, log_repo, remote)
