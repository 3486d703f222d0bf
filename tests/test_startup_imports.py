"""A command imports what its run needs and nothing more (start-up is most of a day's sync):
what `snn-feed sync` and `status` load, read from the process itself at its exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import utc_now, write_config
from fakes import FakeArxiv, snn_entries

pytestmark = pytest.mark.clock  # the papers are submitted in the hours before now

PROBE = """
import atexit, json, sys
out = sys.argv.pop()
atexit.register(lambda: json.dump(sorted(k for k, v in sys.modules.items() if v), open(out, "w")))
sys.argv = ["snn-feed", *sys.argv[1:]]
from snn_feed.__main__ import run
run()
"""

NEVER_IN_A_SYNC = {
    "alembic": "migrations, while the database is at its newest revision",
    "apscheduler": "the service's scheduler",
    "feedgen": "the Atom feed, with no [export] atom",
    "jinja2": "the site, with no [site] dir",
    "apprise": "notifications, with no [notify] urls",
    "rich": "the progress bar, which backfill and import show on a terminal only",
    "deep_translator": "translation engines, with backend none",
    "sklearn": "the learned ranking, with [score] learn off",
    "sqlalchemy.dialects.postgresql": "PostgreSQL, on SQLite",
    "httpx._main": "httpx's command-line client",
}


def modules_of(args: list[str], tmp_path: Path) -> set[str]:
    out = tmp_path / "modules.json"
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
    done = subprocess.run([sys.executable, "-c", PROBE, *args, str(out)], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    return set(json.loads(out.read_text()))


def loaded(modules: set[str], name: str) -> bool:
    return any(m == name or m.startswith(name + ".") for m in modules)


def test_a_days_sync_and_status_import_only_what_they_need(
    tmp_path: Path, fake_arxiv: FakeArxiv
) -> None:
    fake_arxiv.entries = snn_entries(3, utc_now())
    config = write_config(tmp_path / "config.toml", arxiv_url=fake_arxiv.url,
                          translator_url=None, log_path=None)  # fmt: skip
    first = modules_of(["sync", "--config", str(config)], tmp_path)
    assert loaded(first, "alembic")  # a new database is migrated: then Alembic is needed

    fake_arxiv.entries += snn_entries(3, utc_now(), offset=10)
    sync = modules_of(["sync", "--config", str(config)], tmp_path)
    assert {name for name in NEVER_IN_A_SYNC if loaded(sync, name)} == set()
    assert loaded(sync, "arxiv") and loaded(sync, "sqlalchemy")  # it did sync

    status = modules_of(["status", "--config", str(config)], tmp_path)
    unneeded = {"httpx", "arxiv", "requests", "lxml", *NEVER_IN_A_SYNC} - {"apscheduler"}
    assert {name for name in unneeded if loaded(status, name)} == set()
