"""`snn-feed serve` as a process: catch-up, schedule, retries, the shared lock, and SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import forks
import gfm
import pytest
from conftest import git, run_cli, snn_entries, utc_now, write_config
from fakes import FakeArxiv, FakeEntry, FakeTranslator, Reply, fake_zh, slow_zh
from filelock import FileLock

from snn_feed.config import load_settings
from snn_feed.service.scheduler import Service
from snn_feed.store import open_store
from snn_feed.store.tables import SyncRun

pytestmark = pytest.mark.clock  # reads the wall clock: CI runs it at hard instants too


def far_from_now() -> str:
    """A daily crontab line (UTC) for 12 hours from now: whatever the instant the suite runs
    at, no scheduled run falls inside a test, and the catch-up is the only run."""
    at = utc_now() + timedelta(hours=12)
    return f"{at.minute} {at.hour} * * *"


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or predicate}")


@pytest.fixture
def setup(tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path):
    fake_arxiv.entries = snn_entries(4, utc_now())

    def config(**extra: Any) -> Path:
        extra.setdefault("schedule__cron", far_from_now())
        extra.setdefault("schedule__timezone", "UTC")
        extra.setdefault("schedule__stop_timeout_seconds", 20)
        return write_config(
            tmp_path / "config.toml", arxiv_url=fake_arxiv.url,
            translator_url=fake_translator.base + "/m", log_path=log_repo / "README.md", **extra,
        )  # fmt: skip

    return config


@contextmanager
def serving(config: Path, *args: str) -> Iterator[BaseProcess]:
    """`snn-feed serve` in a process of its own: a fork of this one, whose imports are done
    (a new interpreter spends about 1.5 s importing snn-feed first), its stderr in a file."""
    out = config.parent / f"serve-{time.monotonic_ns()}"
    process = forks.start(["serve", "--config", str(config), *args], out)
    process.log = out.with_suffix(".stderr")  # type: ignore[attr-defined]
    try:
        yield process
    finally:
        if process.is_alive():
            process.kill()
            process.join()


def stop(process: BaseProcess, timeout: float = 25.0) -> int | None:
    """SIGTERM, as a service manager stops the service; its exit status (None: still running
    after `timeout`)."""
    os.kill(process.pid, signal.SIGTERM)  # type: ignore[arg-type]
    process.join(timeout)
    return process.exitcode


def service_log(process: BaseProcess) -> str:
    """What the service wrote to stderr (complete once it has ended)."""
    return Path(process.log).read_text()  # type: ignore[attr-defined]


def commits_since_seed(repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "HEAD")) - 1


def logged(repo: Path) -> list[str]:
    items, _ = gfm.read((repo / "README.md").read_text())
    return [i.links[0].href.rsplit("/abs/", 1)[1] for i in items if i.links]


def db(tmp: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp / "data" / "feed.sqlite3")


def assert_consistent(tmp: Path, repo: Path) -> None:
    """No run left running; the log and the database agree; nothing logged twice."""
    ids = logged(repo)
    assert len(ids) == len(set(ids)), "a paper was logged twice"
    conn = db(tmp)
    assert conn.execute("select count(*) from sync_runs where outcome='running'").fetchone()[0] == 0
    marked = {r[0] for r in conn.execute("select arxiv_id from topic_papers where state in "
                                         "('written', 'committed')")}  # fmt: skip
    assert marked <= set(ids)
    stored = {r[0] for r in conn.execute("select arxiv_id from papers")}
    assert stored & set(ids) == marked
    assert git(repo, "status", "--porcelain").strip() == ""


def test_serve_catches_up_on_start_then_syncs_on_schedule(
    setup, tmp_path: Path, fake_arxiv: FakeArxiv, log_repo: Path
) -> None:
    config = setup(schedule__cron="*/2 * * * * *")
    first = [e.arxiv_id for e in fake_arxiv.entries]
    with serving(config) as service:
        wait_for(lambda: set(first) <= set(logged(log_repo)), what="the catch-up run")
        wait_for(lambda: commits_since_seed(log_repo) == 1, what="its commit")
        late = FakeEntry("2611.99999", "Spiking neural networks, announced later",
                         "Spiking neural networks arrive late.", ["Late Author"],
                         utc_now() - timedelta(minutes=1))  # fmt: skip
        fake_arxiv.entries.append(late)
        wait_for(lambda: late.arxiv_id in logged(log_repo), what="a scheduled run")
        wait_for(lambda: commits_since_seed(log_repo) == 2, what="its commit")
        assert stop(service) == 0
    text = service_log(service)
    assert "sync done: found" in text and "Traceback" not in text
    assert_consistent(tmp_path, log_repo)


def test_sigterm_during_a_run_stops_safely_and_the_next_start_finishes(
    setup, tmp_path: Path, fake_translator: FakeTranslator, log_repo: Path, fake_arxiv: FakeArxiv
) -> None:
    # Slow enough that the stop lands mid-translation on a busy machine too (12 papers, 4 at a
    # time: 6 s of translating, where 0.8 s a paper left 2.4 s, once not enough in CI).
    fake_translator.translate = slow_zh(2.0)
    config = setup()
    before = (log_repo / "README.md").read_bytes()
    with serving(config) as service:
        wait_for(lambda: len(fake_translator.requests) >= 1, what="translation to start")
        assert stop(service) == 0
    assert (log_repo / "README.md").read_bytes() == before
    outcomes = [r[0] for r in db(tmp_path).execute("select outcome from sync_runs")]
    assert outcomes == ["interrupted"]
    assert_consistent(tmp_path, log_repo)

    fake_translator.translate = fake_zh
    with serving(config) as service:
        wait_for(lambda: set(e.arxiv_id for e in fake_arxiv.entries) <= set(logged(log_repo)),
                 what="the next start to finish the job")  # fmt: skip
        wait_for(lambda: commits_since_seed(log_repo) == 1, what="the commit")
        assert stop(service) == 0
    assert_consistent(tmp_path, log_repo)


def test_a_cron_sync_during_a_service_run_gets_busy_and_nothing_doubles(
    setup, tmp_path: Path, fake_translator: FakeTranslator, log_repo: Path, fake_arxiv: FakeArxiv
) -> None:
    # The service's run holds the lock on its first translation until the cron run has
    # ended: however slow this machine starts a process, the two overlap.
    cron_done = threading.Event()

    def held_until_cron_ends(text: str) -> str:
        cron_done.wait(50)
        return fake_zh(text)

    fake_translator.translate = held_until_cron_ends
    config = setup(translate__concurrency=1, translate__timeout_seconds=60.0)
    with serving(config) as service:
        wait_for(lambda: len(fake_translator.requests) >= 1, what="the service's run")
        cron = run_cli("sync", "--config", str(config))
        cron_done.set()
        assert cron.returncode == 4, cron.stderr
        assert "another sync is running" in cron.stderr
        wait_for(lambda: commits_since_seed(log_repo) == 1, what="the service's commit")
        # The run ends (and lets go of the lock) a moment after its commit.
        finished = (
            "select count(*) from sync_runs where finished_at is not null and outcome = 'done'"
        )
        wait_for(lambda: db(tmp_path).execute(finished).fetchone()[0] >= 1,
                 what="the service's run to end")  # fmt: skip
        with FileLock(str(tmp_path / "data" / "sync.lock"), timeout=30):
            pass  # and its lock is free again
        again = run_cli("sync", "--config", str(config))
        assert again.returncode == 0 and "written 0" in again.stdout
        assert stop(service) == 0
    assert sorted(set(logged(log_repo)) & {e.arxiv_id for e in fake_arxiv.entries}) == sorted(
        e.arxiv_id for e in fake_arxiv.entries
    )
    assert_consistent(tmp_path, log_repo)


def test_a_failed_run_is_retried_with_backoff_and_the_service_lives_on(
    setup, tmp_path: Path, fake_arxiv: FakeArxiv, log_repo: Path
) -> None:
    fake_arxiv.script = [Reply(503, b"down")] * 2  # arxiv retries=1: the first run fails
    config = setup(schedule__retries=2, schedule__retry_minutes=0.02)
    with serving(config) as service:
        wait_for(lambda: commits_since_seed(log_repo) == 1, what="the retried run")
        assert service.is_alive()
        assert stop(service) == 0
    outcomes = [r[0] for r in db(tmp_path).execute("select outcome from sync_runs order by id")]
    assert outcomes == ["failed", "done"]
    text = service_log(service)
    assert "sync failed: arXiv: HTTP 503" in text and "trying again at" in text


def test_json_log_lines_for_collectors(setup, log_repo: Path) -> None:
    config = setup()
    with serving(config, "--log-format", "json") as service:
        wait_for(lambda: commits_since_seed(log_repo) == 1, what="the catch-up run")
        assert stop(service) == 0
    records = [json.loads(line) for line in service_log(service).splitlines() if line.strip()]
    runs = [r for r in records if r.get("event") == "sync"]
    assert len(runs) == 1 and runs[0]["status"] == 0
    assert runs[0]["message"].startswith("sync done: found 4, new 4")


def test_sigterm_while_arxiv_retries_ends_the_backoff_and_records_the_run(
    setup, tmp_path: Path, fake_arxiv: FakeArxiv, log_repo: Path
) -> None:
    # A backoff of a minute is longer than the service may take to stop (5 s here): without
    # an end to the wait, the process would be cut off with its run still marked running.
    fake_arxiv.fault = lambda r: Reply(503, b"down")
    config = setup(arxiv__retries=3, arxiv__backoff_seconds=60.0,
                   schedule__stop_timeout_seconds=5.0)  # fmt: skip
    with serving(config) as service:
        wait_for(lambda: len(fake_arxiv.requests) >= 1, what="the first arXiv request")
        assert stop(service) == 0
    assert len(fake_arxiv.requests) == 1
    outcomes = [r[0] for r in db(tmp_path).execute("select outcome from sync_runs")]
    assert outcomes == ["interrupted"]
    assert "exiting anyway" not in service_log(service)


def test_a_missed_slot_is_caught_up_on_start_but_a_quiet_weekend_is_not(tmp_path: Path) -> None:
    ny = ZoneInfo("America/New_York")
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "db.sqlite3"}"\n')
    settings = load_settings(config, environ={})  # the default: 00:30, Monday to Friday
    assert Service(settings, clock=lambda: datetime(2026, 11, 27, 1, tzinfo=ny)).catch_up_due()

    store = open_store(settings.database_url)
    friday_run = datetime(2026, 11, 27, 0, 31, tzinfo=ny)  # Friday's slot
    with store.session() as s, s.begin():
        s.add(SyncRun(command="sync", started_at=friday_run, finished_at=friday_run,
                      outcome="done"))  # fmt: skip

    def due(when: datetime) -> bool:
        return Service(settings, clock=lambda: when).catch_up_due()

    assert not due(datetime(2026, 11, 28, 12, tzinfo=ny))  # Saturday: no slot since Friday
    assert not due(datetime(2026, 11, 30, 0, 10, tzinfo=ny))  # Monday, before its slot
    assert due(datetime(2026, 11, 30, 1, 0, tzinfo=ny))  # Monday's slot was missed
