from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fakes import FIXTURES, FakeArxiv, FakeEntry, FakeTranslator, running
from fakes import real_papers as real_papers
from fakes import snn_entries as snn_entries
from fakes import write_config as write_config

SEED_LOG = FIXTURES / "seed-log" / "README.md"


IDENTITY = ("-c", "user.name=Owner", "-c", "user.email=owner@example.org")
"""The identity of every commit a test makes itself: never the machine's git config."""


_MEMORY = Path("/dev/shm")


def pytest_configure(config: pytest.Config) -> None:
    """Temporary folders in memory when the machine has room (and no --basetemp was given):
    the suite makes thousands of SQLite commits and git objects, and on a disk each commit's
    fsync cost more than the work (the migration-kill test: 21 s on disk, 6 s in memory). A
    process killed mid-write leaves the same files either way; the tests of a full or
    read-only disk mount their own small file systems."""
    if config.option.basetemp or hasattr(config, "workerinput") or not _MEMORY.is_dir():
        return
    if shutil.disk_usage(_MEMORY).free < 4 * 2**30 or not os.access(_MEMORY, os.W_OK):
        return
    import tempfile

    config.option.basetemp = tempfile.mkdtemp(prefix="snn-feed-tests-", dir=_MEMORY)
    config.stash[_IN_MEMORY] = config.option.basetemp


def pytest_unconfigure(config: pytest.Config) -> None:
    """Memory is given back: the folder made above goes with the run."""
    folder = config.stash.get(_IN_MEMORY, None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


_IN_MEMORY = pytest.StashKey[str]()


@pytest.fixture(autouse=True)
def _local_only(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    local_only(monkeypatch, tmp_path_factory)


def local_only(mp: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests talk to servers on 127.0.0.1 only, never through a proxy, and see none of the
    machine's own settings: an empty HOME, no global or system git config, no SNN_FEED_*
    (every test, and module-scoped fixtures, which get their own MonkeyPatch)."""
    mp.setenv("NO_PROXY", "127.0.0.1,localhost")
    mp.setenv("no_proxy", "127.0.0.1,localhost")
    mp.setenv("HOME", str(tmp_path_factory.mktemp("home")))
    mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
    mp.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    for name in list(os.environ):
        if name.startswith(("SNN_FEED_", "GIT_AUTHOR_", "GIT_COMMITTER_")):
            mp.delenv(name)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh database on the test PostgreSQL server (tests/pg.py); skips without one."""
    import pg

    if pg.admin_url() is None:
        pytest.skip(pg.SKIP_REASON)
    with pg.fresh_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def any_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The store, sync, import and backfill tests run on both backends: an SQLite file under
    tmp_path, or a fresh PostgreSQL database (`postgres_url`: skipped without a server)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'feed.sqlite3'}"
    else:
        yield request.getfixturevalue("postgres_url")


def recorded(name_prefix: str) -> dict[str, Any]:
    """A response recorded from the live arXiv API (tests/fixtures/arxiv)."""
    stem = re.escape(name_prefix.rstrip("_"))
    pattern = re.compile(rf"{stem}(_s\d+_m\d+)?_[0-9a-f]{{12}}\.json")
    (path,) = [p for p in (FIXTURES / "arxiv").iterdir() if pattern.fullmatch(p.name)]
    return json.loads(path.read_text())


def off_topic_entries(now: datetime) -> list[FakeEntry]:
    """Papers arXiv's fuzzy search may return that are not about SNNs (real titles)."""
    return [
        FakeEntry(
            arxiv_id=f"{now:%y%m}.20001",
            title="Testing Deep Learning Models: A First Comparative Study of Multiple Testing "
            "Techniques",
            abstract="Deep Learning (DL) has revolutionized the capabilities of vision-based "
            "systems. We review software testing methods for DL models.",
            authors=["Mohit Kumar Ahuja"],
            published=now - timedelta(hours=3),
            categories=["cs.SE"],
        ),
        FakeEntry(
            arxiv_id=f"{now:%y%m}.20002",
            title="Frequency of Hot Jupiters from the OGLE-III Transit Surveys",
            abstract="We derive the frequencies of hot Jupiters with 3--5 day periods.",
            authors=["Andrew Gould"],
            published=now - timedelta(hours=4),
            categories=["astro-ph"],
        ),
    ]


@pytest.fixture
def fake_arxiv() -> Iterator[FakeArxiv]:
    with running(FakeArxiv()) as server:
        yield server


@pytest.fixture
def fake_translator() -> Iterator[FakeTranslator]:
    with running(FakeTranslator()) as server:
        yield server


def git(repo: Path, *args: str) -> str:
    """`git ARGS` in `repo` as the log's owner, whatever the machine's git config says."""
    return subprocess.run(
        ["git", *IDENTITY, *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def log_repo(tmp_path: Path) -> Path:
    return seed_log_repo(tmp_path)


def seed_log_repo(tmp_path: Path) -> Path:
    """A git repository holding a copy of the original hand-made log, committed."""
    repo = tmp_path / "SNN_arxiv_daily"
    repo.mkdir()
    shutil.copyfile(SEED_LOG, repo / "README.md")
    git(repo, "init", "--quiet")
    git(repo, "add", "README.md")
    git(repo, "commit", "--quiet", "-m", "my log")
    return repo


def run_cli(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    process: bool = False,
) -> subprocess.CompletedProcess[str]:
    """`snn-feed ARGS` as a user runs it, and what it printed and exited with.

    In this process by default, through click's runner: the same command line, parsing, error
    handling and exit statuses, without paying a Python start-up and snn-feed's imports
    (about 1.5 s on a small machine) per call. `process=True` runs a separate process, as the
    end-to-end, crash and concurrency tests must (`timeout` applies to those only)."""
    if process:
        full_env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "snn_feed", *args],
            cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
    return _run_here(list(args), cwd, {"NO_PROXY": "127.0.0.1,localhost", **(env or {})})


def _run_here(
    args: list[str], cwd: Path | None, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    import logging
    import traceback

    from click.testing import CliRunner

    from snn_feed.cli import cli

    # The command sets up logging for itself, as a process would: put it back afterwards.
    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in _LOGGERS)]
    saved = [(lg, lg.handlers[:], lg.level) for lg in loggers]
    here = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        result = CliRunner().invoke(cli, args, env=env, prog_name="snn-feed")
    finally:
        os.chdir(here)
        for lg, handlers, level in saved:
            lg.handlers[:], lg.level = handlers, level
    stderr, code = result.stderr, result.exit_code
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # What Python prints for an uncaught exception in a process, and its status.
        stderr += "".join(traceback.format_exception(result.exception))
        code = 1
    return subprocess.CompletedProcess(["snn-feed", *args], code, result.stdout, stderr)


_LOGGERS = ("snn_feed", "snn_feed.service.scheduler", "urllib3", "alembic", "apscheduler")


def utc_now() -> datetime:
    """The clock `snn-feed` reads too (the system's, which CI shifts with libfaketime)."""
    return datetime.now(UTC).replace(microsecond=0)


LOG_ZONE = ZoneInfo("America/New_York")
"""`[log] timezone` by default: the zone whose month a new entry is logged under."""


def log_months(start: datetime, end: datetime, *, padded: bool = True) -> list[str]:
    """The months a run between `start` and `end` may log under, oldest first, as their
    headings write them: `2026.05`, or `2026.5` in a log whose months are not zero-padded (the
    seed log's `## 2020.9`). One, unless a month ended in New York while it ran."""
    local = [t.astimezone(LOG_ZONE) for t in (start, end)]
    first, last = (f"{t.year}.{t.month:02d}" if padded else f"{t.year}.{t.month}" for t in local)
    return [first] if first == last else [first, last]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A small tmpfs, to fill up or make read-only (the tests run as root, which no file
    permission stops)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=800k", "tmpfs", str(mount)],
                          capture_output=True, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite database migrated to the head once a session (by the real migrations), to copy
    for each test that needs a migrated database but does not test migrating one."""
    from snn_feed.store import make_engine, migrate

    path = tmp_path_factory.mktemp("migrated") / "feed.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    return path


@pytest.fixture(scope="session")
def _migrated_postgres() -> Iterator[str]:
    """A PostgreSQL database migrated to the head once a session, the template of each
    `migrated_database_url` on PostgreSQL; skips without a server."""
    import pg

    if pg.admin_url() is None:
        pytest.skip(pg.SKIP_REASON)
    with pg.fresh_database() as url:
        from snn_feed.store import make_engine, migrate

        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
        finally:
            engine.dispose()  # a template must have no session open while it is copied
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def migrated_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """`any_database_url`, already at the newest revision: a copy of a database the real
    migrations brought there once a session (an SQLite file copied, or a PostgreSQL database
    created from it as its template), for tests of what is done with a database, not of
    migrating one (each migration costs 0.1-0.3 s)."""
    if request.param == "sqlite":
        path = tmp_path / "feed.sqlite3"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
        yield f"sqlite:///{path}"
    else:
        import pg
        from sqlalchemy.engine import make_url

        template = make_url(request.getfixturevalue("_migrated_postgres")).database
        with pg.fresh_database(template=template) as url:
            yield url


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's headless Chromium through Playwright (`tests/browser.py`); skips without it,
    except in CI."""
    import browser

    yield from browser.launched()
