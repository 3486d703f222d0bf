"""The database survives what the log survives: a migration killed at any step, commands
started together on a new database, a full disk, a read-only file system, a damaged file, a
newer schema, a dropped table. Each trouble is one line that says what to do, with exit 1,
and never shows SQL or its parameters."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import forks
import gfm
import pytest
from conftest import git, run_cli, snn_entries, utc_now, write_config
from fakes import FakeArxiv, FakeTranslator
from sqlalchemy import event
from sqlalchemy.engine import Engine

from snn_feed.store import make_engine, migrate, open_store

REVISIONS = sorted(p.name[:4] for p in migrate.migrations_dir().joinpath("versions").glob("0*.py"))
HEAD = REVISIONS[-1]


def killed_at(step: int, url: str) -> int:
    """Open the store (what every command does first) in a forked process that SIGKILLs itself
    at its `step`th statement or commit: every point of a migration, without timing. Its exit
    code: -SIGKILL, or 0 when the migration had fewer steps."""

    def run() -> None:
        left = [step]

        def count(*_: object) -> None:
            left[0] -= 1
            if left[0] == 0:
                os.kill(os.getpid(), signal.SIGKILL)

        event.listen(Engine, "before_cursor_execute", count)
        event.listen(Engine, "commit", count)
        open_store(url).engine.dispose()

    child = multiprocessing.get_context("fork").Process(target=run)
    child.start()
    child.join(timeout=60)
    assert child.exitcode is not None, "the migration hung"
    return child.exitcode


def schema(db: Path) -> list[tuple[str, ...]]:
    with closing(sqlite3.connect(db)) as c:
        rows = c.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name")
        return [row for row in rows if row[1] != "alembic_version"]


def revision(db: Path) -> str | None:
    with closing(sqlite3.connect(db)) as c:
        if not c.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchall():
            return None
        return c.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def migrated(db: Path, to: str | None) -> Path:
    db.parent.mkdir(parents=True, exist_ok=True)
    if to is not None:
        engine = make_engine(f"sqlite:///{db}")
        migrate.upgrade(engine, to)
        engine.dispose()
    return db


def one_clear_line(stderr: str) -> str:
    """The error line, checked to be alone and to hold no SQL, parameters or traceback."""
    errors = [line for line in stderr.splitlines() if line.startswith("snn-feed:")]
    assert len(errors) == 1, stderr
    for leak in ("sqlalche.me", "[SQL", "[parameters", "SELECT ", "INSERT ", "UPDATE ",
                 "unexpected error", "Traceback"):  # fmt: skip
        assert leak not in stderr, stderr
    return errors[0]


Schemas = dict[str | None, list[tuple[str, ...]]]


def test_a_migration_killed_at_any_step_leaves_a_revision_and_every_command_works(
    tmp_path: Path,
) -> None:
    # Each migration is killed at each of its steps, starting from a clean database at the
    # revision before it (no file before the first): the same database a whole run from
    # scratch, or an upgrade, meets at that point, without running the migrations before it
    # again for every step (which made the test quadratic in the number of migrations).
    ref = tmp_path / "ref"
    clean: Schemas = {None: []}
    killed: list[Path] = []
    last_code = None
    for before, rev in zip([None, *REVISIONS[:-1]], REVISIONS, strict=True):
        template = ref / str(before) / "feed.sqlite3"
        migrated(template, before)
        clean[before] = schema(template) if before is not None else []
        for n in range(1, 300):  # each step in turn, until one is past this migration
            db = tmp_path / f"{rev}-kill{n}" / "feed.sqlite3"
            db.parent.mkdir()
            if template.exists():
                shutil.copyfile(template, db)
            last_code = killed_at(n, f"sqlite:///{db}")
            if last_code != -signal.SIGKILL:
                break
            killed.append(db)
            if rev != HEAD and (revision(db) or "") >= rev:  # done: the next ones follow
                break
    clean[HEAD] = schema(migrated(ref / HEAD / "feed.sqlite3", HEAD))
    assert last_code == 0 and len(killed) >= 30, (last_code, len(killed))

    tried: set[str | None] = set()
    for db in killed:
        # Killed anywhere, the database holds a revision and exactly that revision's tables.
        at = revision(db)
        if at not in clean:
            clean[at] = schema(migrated(ref / str(at) / "feed.sqlite3", at))
        assert schema(db) == clean[at], f"{db.parent.name}: half a migration"
        if at in tried:
            continue  # the same schema and revision, with no rows: the same database
        tried.add(at)
        config = db.parent / "config.toml"
        config.write_text(f'[database]\nurl = "sqlite:///{db}"\n')
        status = run_cli("status", "--json", "--config", str(config))
        assert "snn-feed:" not in status.stderr, f"{db.parent.name}: {status.stderr}"
        assert json.loads(status.stdout)["healthy"] is False  # never synced, but it answers
        assert schema(db) == clean[HEAD] and revision(db) == HEAD
    assert tried == {None, *REVISIONS}, "some kill left the database at each revision, and at none"


def test_four_commands_started_together_on_a_new_database_all_succeed(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path
) -> None:
    fake_arxiv.entries = snn_entries(3, utc_now())
    for round_ in range(3):  # each a new database: the race is at its very first migration
        (tmp_path / f"r{round_}").mkdir()
        config = write_config(tmp_path / f"r{round_}" / "c.toml", arxiv_url=fake_arxiv.url,
                              translator_url=fake_translator.base + "/m",
                              log_path=log_repo / "README.md",
                              sync__lock_timeout_seconds=60)  # fmt: skip
        atom = config.parent / "feed.atom"
        commands = [["sync"], ["status", "--json"], ["export", "--atom", str(atom)],
                    ["db", "upgrade"]]  # fmt: skip
        # Forks of this process, whose imports are done: four processes at once, as a user's
        # would be, without four interpreters importing snn-feed first (1.5 s each).
        outputs = [config.parent / f"out{i}" for i in range(len(commands))]
        processes = [
            forks.start([*args, "--config", str(config)], out)
            for args, out in zip(commands, outputs, strict=True)
        ]
        for process in processes:
            process.join(timeout=120)
        done = [
            (
                p.exitcode,
                out.with_suffix(".stdout").read_text(),
                out.with_suffix(".stderr").read_text(),
            )
            for p, out in zip(processes, outputs, strict=True)
        ]
        (sync, _, sync_err), (_, status_out, status_err), (export, _, export_err), upgrade = done
        assert sync == 0, sync_err
        assert "snn-feed:" not in status_err and "healthy" in json.loads(status_out), status_err
        assert export == 0, export_err
        assert upgrade[0] == 0 and f"database at revision {HEAD}" in upgrade[1], upgrade[2]
    assert_logged_once(log_repo, [e.arxiv_id for e in fake_arxiv.entries])


def assert_logged_once(repo: Path, wanted: list[str]) -> None:
    items, _ = gfm.read((repo / "README.md").read_text(errors="replace"))
    ids = [i.links[0].href.rsplit("/abs/", 1)[1] for i in items if i.links]
    assert sorted(i for i in ids if i in wanted) == sorted(wanted)


def fill(disk: Path) -> None:
    """Fill the disk to the last byte."""
    with open(disk / "ballast", "wb", buffering=0) as ballast:
        try:
            while True:
                ballast.write(b"\0" * 4096)
        except OSError:
            pass


def test_a_full_disk_under_the_database_is_one_line_and_the_next_sync_finishes(
    tmp_path: Path, small_disk: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator,
    log_repo: Path,
) -> None:  # fmt: skip
    now = utc_now()
    config = write_config(tmp_path / "c.toml", arxiv_url=fake_arxiv.url,
                          translator_url=fake_translator.base + "/m",
                          log_path=log_repo / "README.md",
                          database__url=f"sqlite:///{small_disk / 'feed.sqlite3'}")  # fmt: skip
    fake_arxiv.entries = snn_entries(2, now)
    assert run_cli("sync", "--config", str(config)).returncode == 0
    fake_arxiv.entries = snn_entries(8, now)
    fill(small_disk)
    result = run_cli("sync", "--config", str(config))
    assert result.returncode == 1
    line = one_clear_line(result.stderr)
    assert "disk holding the database" in line and "full" in line and "free some space" in line

    (small_disk / "ballast").unlink()
    again = run_cli("sync", "--config", str(config))
    assert again.returncode == 0, again.stderr
    assert_logged_once(log_repo, [e.arxiv_id for e in fake_arxiv.entries])
    assert git(log_repo, "status", "--porcelain").strip() == ""


def test_a_read_only_file_system_under_the_database_is_one_line(
    tmp_path: Path, small_disk: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator,
    log_repo: Path,
) -> None:  # fmt: skip
    config = write_config(tmp_path / "c.toml", arxiv_url=fake_arxiv.url,
                          translator_url=fake_translator.base + "/m",
                          log_path=log_repo / "README.md",
                          database__url=f"sqlite:///{small_disk / 'feed.sqlite3'}")  # fmt: skip
    fake_arxiv.entries = snn_entries(2, utc_now())
    assert run_cli("sync", "--config", str(config)).returncode == 0
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    for command in ("sync", "status"):
        result = run_cli(command, "--config", str(config))
        assert result.returncode == 1
        line = one_clear_line(result.stderr)
        assert "feed.sqlite3" in line and "read-only" in line, line


@pytest.fixture
def synced(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path
) -> tuple[Path, Path]:
    """A config and its database after one sync of three papers."""
    config = write_config(tmp_path / "c.toml", arxiv_url=fake_arxiv.url,
                          translator_url=fake_translator.base + "/m",
                          log_path=log_repo / "README.md")  # fmt: skip
    fake_arxiv.entries = snn_entries(3, utc_now())
    assert run_cli("sync", "--config", str(config)).returncode == 0
    return config, tmp_path / "data" / "feed.sqlite3"


@pytest.mark.parametrize("damage", ["overwritten", "truncated"])
def test_a_damaged_database_says_its_integrity_check_failed(
    synced: tuple[Path, Path], damage: str
) -> None:
    config, db = synced
    size = db.stat().st_size
    with open(db, "r+b") as f:
        if damage == "overwritten":
            f.seek(4096)  # the second page on: the header still says SQLite
            f.write(b"\xa5" * (size - 4096))
        else:
            f.truncate(size // 2)
    for command in ("sync", "status"):
        result = run_cli(command, "--config", str(config))
        assert result.returncode == 1
        line = one_clear_line(result.stderr)
        assert "is damaged" in line and "integrity check failed" in line, line
        assert "restore the file from a backup" in line


def test_a_database_from_a_newer_snn_feed_names_its_revision(synced: tuple[Path, Path]) -> None:
    config, db = synced
    with closing(sqlite3.connect(db)) as c, c:
        c.execute("UPDATE alembic_version SET version_num = '0042'")
    for command in ("sync", "status", "db"):
        result = run_cli(*([command, "upgrade"] if command == "db" else [command]),
                         "--config", str(config))  # fmt: skip
        assert result.returncode == 1
        line = one_clear_line(result.stderr)
        assert "at revision 0042" in line and "upgrade snn-feed" in line, line


def test_a_dropped_table_is_named(synced: tuple[Path, Path]) -> None:
    config, db = synced
    with closing(sqlite3.connect(db)) as c, c:
        c.execute("DROP TABLE translations")
    for command in ("sync", "status", "export"):
        result = run_cli(
            command, "--config", str(config), *(["--atom", "-"] * (command == "export"))
        )
        assert result.returncode == 1
        line = one_clear_line(result.stderr)
        assert "no table translations" in line and "restore the file from a backup" in line


def test_a_failed_statement_is_recorded_and_shown_without_sql(
    synced: tuple[Path, Path], fake_arxiv: FakeArxiv
) -> None:
    config, db = synced
    with closing(sqlite3.connect(db)) as c, c:
        c.execute("CREATE TRIGGER no_more BEFORE INSERT ON papers "
                  "BEGIN SELECT RAISE(ABORT, 'papers are frozen'); END")  # fmt: skip
    fake_arxiv.entries = snn_entries(5, utc_now())
    result = run_cli("sync", "--config", str(config))
    assert result.returncode == 1
    assert "papers are frozen" in one_clear_line(result.stderr)
    with closing(sqlite3.connect(db)) as c:
        (error,) = c.execute("SELECT error FROM sync_runs ORDER BY id DESC LIMIT 1").fetchone()
    assert "papers are frozen" in error
    status = run_cli("status", "--config", str(config))
    assert "papers are frozen" in status.stdout
    for text in (error, status.stdout):
        for leak in ("sqlalche.me", "[SQL", "[parameters", "INSERT", "papers ("):
            assert leak not in text, text
    assert not [e.arxiv_id for e in fake_arxiv.entries if e.arxiv_id in error], error
