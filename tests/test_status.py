"""`snn-feed status`: what it reports and when it says the feed is unhealthy."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import git, run_cli

from snn_feed.config import load_settings
from snn_feed.records import Paper
from snn_feed.store import Store, open_store
from snn_feed.store.tables import SyncRun

pytestmark = pytest.mark.clock  # reads the wall clock: CI runs it at hard instants too


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "db.sqlite3"}"\n')
    return path


@pytest.fixture
def store(config: Path) -> Store:
    return open_store(load_settings(config, environ={}).database_url)


def add_run(store: Store, outcome: str, hours_ago: float, **counts: object) -> None:
    finished = datetime.now(UTC) - timedelta(hours=hours_ago)
    with store.session() as s, s.begin():
        s.add(SyncRun(command="sync", started_at=finished - timedelta(seconds=30),
                      finished_at=finished, outcome=outcome, **counts))  # fmt: skip


def status(config: Path, *args: str):
    return run_cli("status", "--config", str(config), *args)


def test_never_run_is_unhealthy(config: Path) -> None:
    result = status(config)
    assert result.returncode == 1
    assert "no successful sync yet" in result.stdout
    assert "last run: never" in result.stdout
    assert not (config.parent / "db.sqlite3").exists(), "status must not create the database"


def test_a_recent_success_is_healthy_and_reported(config: Path, store: Store) -> None:
    now = datetime.now(UTC)
    paper = Paper("2611.00001", 1, "T", ["A"], "Spiking.", ["cs.NE"], "cs.NE", now, now)
    store.papers.add([(paper, 3, None), (replace(paper, arxiv_id="2611.00002"), 3, None)])
    store.papers.save_translation("2611.00001", "译文", "google")
    store.papers.mark_written(["2611.00001"], "2026.11", "/logs/README.md")
    add_run(store, "done", 2, found=7, new=2, translated=1, written=1, pending=1,
            commit_sha="0123456789abcdef")  # fmt: skip

    result = status(config)
    assert result.returncode == 0, result.stdout
    assert "health: ok" in result.stdout
    assert "done (found 7, new 2, translated 1, written 1, pending 1)" in result.stdout
    assert "papers: 2 stored, 1 written, 1 pending translation" in result.stdout
    assert "last commit: 0123456789" in result.stdout

    data = json.loads(status(config, "--json").stdout)
    assert data["healthy"] is True
    assert data["papers"] == {"stored": 2, "written": 1, "pending_translation": 1,
                              "pending_write": 0, "below_min_score": 0}  # fmt: skip
    assert datetime.fromisoformat(data["next_run"]) > datetime.now(UTC)


def test_a_failed_last_run_is_unhealthy(config: Path, store: Store) -> None:
    add_run(store, "done", 30)
    add_run(store, "failed", 1, error="arXiv: HTTP 503 (gave up after 4 attempts)")
    result = status(config)
    assert result.returncode == 1
    assert "problem: last run failed: arXiv: HTTP 503" in result.stdout


def test_an_old_success_is_overdue(config: Path, store: Store) -> None:
    add_run(store, "done", 100)
    result = status(config)
    assert result.returncode == 1
    assert "last successful sync was 100 h ago (limit 80 h)" in result.stdout
    assert run_cli("status", "--config", str(config),
                   env={"SNN_FEED_STATUS__MAX_AGE_HOURS": "120"}).returncode == 0  # fmt: skip


def test_days_of_announcements_without_any_paper_is_a_warning(config: Path, store: Store) -> None:
    for day in range(5):
        add_run(store, "done", 24 * day + 1, found=0)
    result = status(config, "--json")
    data = json.loads(result.stdout)
    assert result.returncode == 0
    assert data["warnings"] and "query that matches nothing" in data["warnings"][0]

    add_run(store, "done", 0.5, found=3)
    assert json.loads(status(config, "--json").stdout)["warnings"] == []


def test_a_run_that_died_is_reported_once_the_next_start_notices(
    config: Path, store: Store
) -> None:
    add_run(store, "done", hours_ago=30)
    with store.session() as s, s.begin():  # killed mid-run: never finished
        s.add(SyncRun(command="sync", started_at=datetime.now(UTC) - timedelta(hours=2),
                      outcome="running"))  # fmt: skip
    assert status(config).returncode == 0  # it may still be running
    store.runs.close_crashed()  # what the next start does first
    result = status(config)
    assert result.returncode == 1
    assert "problem: last run crashed: the process ended without finishing" in result.stdout


def test_status_closes_the_database_it_opened(config: Path, store: Store) -> None:
    # A health check runs every 30 s: each run closes its connection, so SQLite checkpoints
    # and leaves no -wal/-shm files behind it (db.sqlite3.lock is the migrations' lock file).
    add_run(store, "done", 2)
    store.engine.dispose()
    database_files = lambda: sorted(p.name for p in config.parent.glob("db.sqlite3*"))  # noqa: E731
    assert database_files() == ["db.sqlite3", "db.sqlite3.lock"]
    result = status(config)
    assert result.returncode == 0, result.stdout
    assert database_files() == ["db.sqlite3", "db.sqlite3.lock"]


def test_commits_not_on_the_remote_are_shown_and_fail_status_when_old(
    tmp_path: Path, log_repo: Path
) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    git(log_repo, "remote", "add", "origin", str(remote))
    git(log_repo, "push", "--quiet", "origin", "HEAD")
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "db.sqlite3"}"\n'
                      f'[log]\npath = "{log_repo / "README.md"}"\n[git]\npush = true\n'
                      "[status]\nmax_age_hours = 26\n")  # fmt: skip
    add_run(open_store(load_settings(config, environ={}).database_url), "done", 1)

    def commit(hours_ago: float) -> str:
        when = int((datetime.now(UTC) - timedelta(hours=hours_ago)).timestamp())
        env_date = {"GIT_COMMITTER_DATE": f"{when} +0000"}
        with (log_repo / "README.md").open("a") as f:
            f.write("\n")
        subprocess.run(["git", "-c", "user.name=O", "-c", "user.email=o@example.org", "commit",
                        "--quiet", "-am", "by hand"], cwd=log_repo, check=True,
                       env={**os.environ, **env_date})  # fmt: skip
        return git(log_repo, "rev-parse", "HEAD").strip()

    fresh = commit(2)
    result = status(config)
    assert result.returncode == 0, result.stdout
    assert f"not on the remote yet: {fresh[:10]}" in result.stdout

    git(log_repo, "reset", "--quiet", "--hard", "HEAD~1")
    old = commit(30)
    result = status(config)
    assert result.returncode == 1
    assert f"not on the remote yet: {old[:10]}" in result.stdout
    assert "problem: 1 commit not on the remote yet, the oldest made 30 h ago" in result.stdout
    data = json.loads(status(config, "--json").stdout)
    assert [c["sha"] for c in data["unpushed"]] == [old]
