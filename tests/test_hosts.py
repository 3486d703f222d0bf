"""Hosts sharing one PostgreSQL database and one remote log repository, each with its own
config, lock file and clone: they take turns, log every paper once, translate it once, and a
standby takes over when the active host dies."""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import forks
import gfm
import pytest
from conftest import git, run_cli, snn_entries, utc_now, write_config
from fakes import FakeArxiv, FakeTranslator, fake_zh
from sqlalchemy import create_engine, text
from test_service import wait_for

from snn_feed.config import load_settings
from snn_feed.errors import ExitStatus
from snn_feed.service.scheduler import Service
from snn_feed.store import open_store
from snn_feed.store.engine import command_lock, command_lock_holders


@dataclass
class Host:
    config: Path
    clone: Path


def two_hosts(
    tmp: Path, log_repo: Path, arxiv: FakeArxiv, translator: FakeTranslator, url: str,
    **extra: Any,
) -> tuple[Path, list[Host]]:  # fmt: skip
    """A bare remote holding the log, and two hosts, each with its own clone of it, config
    and lock file, on the one database `url`; both push."""
    remote = tmp / "remote.git"
    branch = git(log_repo, "symbolic-ref", "--short", "HEAD").strip()
    git(tmp, "init", "--quiet", "--bare", str(remote))
    git(remote, "symbolic-ref", "HEAD", f"refs/heads/{branch}")
    git(log_repo, "push", "--quiet", str(remote), f"HEAD:refs/heads/{branch}")
    hosts = []
    for name in ("a", "b"):
        home = tmp / f"host-{name}"
        home.mkdir()
        clone = home / "log"
        git(tmp, "clone", "--quiet", str(remote), str(clone))
        config = write_config(
            home / "config.toml", arxiv_url=arxiv.url, translator_url=translator.base + "/m",
            log_path=clone / "README.md", database__url=url, git__push=True, **extra,
        )  # fmt: skip
        hosts.append(Host(config, clone))
    return remote, hosts


def start_sync(host: Host, out: Path) -> BaseProcess:
    """`snn-feed sync` for `host` in a process of its own: a fork of this one, whose imports
    are done (a new interpreter spends about 1.5 s importing snn-feed first); its output in
    `out`.stdout and `out`.stderr."""
    return forks.start(["sync", "--config", str(host.config)], out)


def on_remote(remote: Path) -> Counter[str]:
    """How many times each paper is an entry of the remote's log."""
    items, _ = gfm.read(git(remote, "show", "HEAD:README.md"))
    return Counter(i.links[0].href.rsplit("/abs/", 1)[1] for i in items if i.links)


def runs(url: str) -> list[tuple[str, str | None]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            query = text("SELECT outcome, owner FROM sync_runs ORDER BY id")
            return [(row.outcome, row.owner) for row in connection.execute(query)]
    finally:
        engine.dispose()


def test_two_hosts_syncing_at_once_log_each_paper_once_and_translate_it_once(
    tmp_path: Path, log_repo: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator,
    postgres_url: str,
) -> None:  # fmt: skip
    remote, hosts = two_hosts(tmp_path, log_repo, fake_arxiv, fake_translator, postgres_url,
                              sync__lock_timeout_seconds=60.0)  # fmt: skip
    papers = []
    for round_ in range(3):
        papers += snn_entries(2, utc_now(), offset=2 * round_)
        fake_arxiv.entries = list(papers)
        outputs = [tmp_path / f"round{round_}-{n}" for n in range(len(hosts))]
        started = [start_sync(h, o) for h, o in zip(hosts, outputs, strict=True)]  # at once
        for process, output in zip(started, outputs, strict=True):
            process.join(timeout=60)
            out, err = forks.output(output)
            assert process.exitcode == 0, f"round {round_ + 1}: {out}{err}"
            assert "Error" not in err and "crashed" not in err, err
    ids = sorted(p.arxiv_id for p in papers)
    logged = on_remote(remote)
    assert sorted(set(logged) & set(ids)) == ids
    assert set(logged.values()) == {1}, "a paper was logged twice"
    outcomes = [outcome for outcome, _ in runs(postgres_url)]
    assert outcomes == ["done"] * 6
    texts = [r["params"]["q"] for r in fake_translator.requests]
    assert len(texts) == len(set(texts)) == len(papers), "an abstract was translated twice"
    for host in hosts:  # each clone holds what the remote holds, nothing of its own
        git(host.clone, "fetch", "--quiet")
        assert git(host.clone, "status", "--porcelain").strip() == ""
        assert git(host.clone, "rev-list", "--count", "@{upstream}..HEAD").strip() == "0"


def test_the_standby_is_busy_while_the_active_host_works_and_takes_over_when_it_dies(
    tmp_path: Path, log_repo: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator,
    postgres_url: str, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    fake_arxiv.entries = papers = snn_entries(3, utc_now())
    released = threading.Event()

    def held(text: str) -> str:  # the active host stops in its first translation
        released.wait(30)
        return fake_zh(text)

    fake_translator.translate = held
    remote, (active, standby) = two_hosts(
        tmp_path, log_repo, fake_arxiv, fake_translator, postgres_url,
        translate__concurrency=1, translate__timeout_seconds=30.0,
    )  # fmt: skip
    process = start_sync(active, tmp_path / "active")
    try:
        wait_for(lambda: len(fake_translator.requests) >= 1, what="the active host's run")
        service = Service(load_settings(standby.config, environ={}))
        with caplog.at_level(logging.INFO, logger="snn_feed"):
            assert service.run_once() == ExitStatus.BUSY
        assert "sync busy: another snn-feed is working on the database" in caplog.text
        assert f"pid {process.pid}" in caplog.text  # who holds it
        # The active host's run is alive: the standby did not take it for a crashed one.
        assert [outcome for outcome, _ in runs(postgres_url)] == ["running"]
        process.kill()  # SIGKILL
        process.join(10)
    finally:
        released.set()
        if process.is_alive():
            process.kill()
            process.join()
    fake_translator.translate = fake_zh
    settings = load_settings(standby.config, environ={})
    # PostgreSQL ends the dead host's session a moment after its process: wait for that.
    settings.sync.lock_timeout_seconds = 10.0
    assert Service(settings).run_once() == ExitStatus.DONE
    (dead, _), (taken_over, owner) = runs(postgres_url)
    assert (dead, taken_over) == ("crashed", "done")
    assert owner is not None and owner.endswith(f"pid {os.getpid()}")
    logged = on_remote(remote)
    assert all(logged[p.arxiv_id] == 1 for p in papers)


def test_a_run_is_crashed_only_once_no_session_of_its_owner_holds_the_lock(
    postgres_url: str,
) -> None:
    store = open_store(postgres_url)
    try:
        with command_lock(postgres_url, 0, "host-a pid 1") as live:
            alive = store.runs.start("sync", owner="host-a pid 1", lock_session=live)
            gone = store.runs.start("sync", owner="host-b pid 2", lock_session="2@0")
            assert store.runs.close_crashed(command_lock_holders(store.engine)) == 1
            outcomes = {run.id: run.outcome for run in store.runs.recent()}
            assert outcomes == {alive: "running", gone: "crashed"}
    finally:
        store.engine.dispose()


@pytest.mark.parametrize(
    "command",
    [
        ["sync"], ["backfill", "--from", "2020-01-01", "--to", "2020-01-31"], ["import"],
        ["archive", "--keep-months", "1"], ["retranslate", "2611.00001"], ["db", "upgrade"],
    ],
    ids=lambda c: c[0],
)  # fmt: skip
def test_every_command_that_writes_waits_its_turn_at_a_shared_database(
    tmp_path: Path, log_repo: Path, fake_arxiv: FakeArxiv, postgres_url: str, command: list[str]
) -> None:
    config = write_config(tmp_path / "config.toml", arxiv_url=fake_arxiv.url, translator_url=None,
                          log_path=log_repo / "README.md", database__url=postgres_url)  # fmt: skip
    head = git(log_repo, "rev-parse", "HEAD")
    with command_lock(postgres_url, 0, "other-host pid 7"):  # another host at work
        result = run_cli(*command, "--config", str(config))
    assert result.returncode == 4, result.stdout + result.stderr
    assert "another snn-feed is working on the database" in result.stderr
    assert "other-host pid 7" in result.stderr
    assert git(log_repo, "rev-parse", "HEAD") == head
    assert git(log_repo, "status", "--porcelain").strip() == ""
