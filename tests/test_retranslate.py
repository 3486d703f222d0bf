"""The translation cache and `snn-feed retranslate`: never pay twice, never rewrite the log."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from conftest import run_cli, snn_entries, utc_now, write_config
from fakes import FakeArxiv, FakeTranslator


@pytest.fixture
def config(tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator,
           log_repo: Path) -> Path:  # fmt: skip
    fake_arxiv.entries = snn_entries(3, utc_now())
    return write_config(
        tmp_path / "config.toml", arxiv_url=fake_arxiv.url,
        translator_url=fake_translator.base + "/m", log_path=log_repo / "README.md",
        translate__urls={"mymemory": fake_translator.base + "/get"},
    )  # fmt: skip


def rows(tmp_path: Path) -> list[tuple[str, str]]:
    db = sqlite3.connect(tmp_path / "data" / "feed.sqlite3")
    return db.execute("select translation_engine, abstract_zh from papers order by 1").fetchall()


def test_retranslating_with_the_same_engine_is_answered_from_the_cache(
    config: Path, fake_translator: FakeTranslator, log_repo: Path
) -> None:
    assert run_cli("sync", "--config", str(config)).returncode == 0
    paid = len(fake_translator.requests)
    assert paid == 3
    log = (log_repo / "README.md").read_bytes()

    again = run_cli("retranslate", "--config", str(config), "--since", "2000-01-01")
    assert again.returncode == 0, again.stderr
    assert "3 of 3 papers translated again" in again.stdout
    assert len(fake_translator.requests) == paid, "the cache answered"

    forced = run_cli("retranslate", "--config", str(config), "--since", "2000-01-01", "--force")
    assert forced.returncode == 0
    assert len(fake_translator.requests) == paid + 3
    assert (log_repo / "README.md").read_bytes() == log


def test_retranslate_with_another_engine_updates_the_store_but_not_the_log(
    config: Path, tmp_path: Path, fake_translator: FakeTranslator, fake_arxiv: FakeArxiv,
    log_repo: Path,
) -> None:  # fmt: skip
    assert run_cli("sync", "--config", str(config)).returncode == 0
    log = (log_repo / "README.md").read_bytes()
    fake_translator.translate = lambda text: "另一个引擎：" + text
    ids = [e.arxiv_id for e in fake_arxiv.entries[:2]]
    result = run_cli("retranslate", "--config", str(config), "--engine", "mymemory", *ids)
    assert result.returncode == 0, result.stderr
    assert "2 of 2 papers" in result.stdout
    engines = [engine for engine, _ in rows(tmp_path)]
    assert engines.count("mymemory") == 2 and engines.count("google") == 1
    assert (log_repo / "README.md").read_bytes() == log  # the log is append-only


@pytest.mark.clock  # reads the wall clock: CI runs it at hard instants too
def test_since_names_a_day_in_the_logs_time_zone(
    config: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator
) -> None:
    # 03:00 UTC on a day is still the evening before in New York, the log's zone: as for
    # `sync --since`, that paper was submitted before the day `--since` names.
    day = (utc_now() - timedelta(days=3)).date()
    early, late = (replace(e, published=datetime.combine(day, time(hour), UTC))
                   for e, hour in zip(fake_arxiv.entries, (3, 12), strict=False))  # fmt: skip
    fake_arxiv.entries = [early, late]
    synced = run_cli("sync", "--config", str(config), "--since", str(day - timedelta(days=1)))
    assert synced.returncode == 0, synced.stderr
    again = run_cli("retranslate", "--config", str(config), "--since", str(day), "--force")
    assert again.returncode == 0, again.stderr
    assert "1 of 1 papers translated again" in again.stdout
    assert [r["params"]["q"] for r in fake_translator.requests[2:]] == [late.abstract]


def test_retranslate_needs_ids_or_since(config: Path) -> None:
    result = run_cli("retranslate", "--config", str(config))
    assert result.returncode == 2 and "either paper ids or --since" in result.stderr


def test_with_translation_off_papers_are_logged_and_nothing_is_cached(
    tmp_path: Path, fake_arxiv: FakeArxiv, log_repo: Path
) -> None:
    fake_arxiv.entries = snn_entries(3, utc_now())
    config = write_config(tmp_path / "config.toml", arxiv_url=fake_arxiv.url,
                          translator_url=None, log_path=log_repo / "README.md")  # fmt: skip
    result = run_cli("sync", "--config", str(config))
    assert result.returncode == 0, result.stderr
    # Written without a translation: nothing was translated, and nothing says so.
    assert "translated 0, written 3, pending 0" in result.stdout
    assert rows(tmp_path) == [("none", "")] * 3
    log = (log_repo / "README.md").read_text(encoding="utf-8")
    assert all(f"(https://arxiv.org/abs/{e.arxiv_id})" in log for e in fake_arxiv.entries)
    # The cache holds what an engine was paid for; backend "none" asks nothing.
    db = sqlite3.connect(tmp_path / "data" / "feed.sqlite3")
    assert db.execute("select count(*) from translations").fetchone() == (0,)
