"""`[translate] engines`: a fallback chain with a cool-down for engines that hit a limit."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import run_cli, snn_entries, utc_now, write_config
from fakes import FakeArxiv, FakeEntry, FakeTranslator, Reply


@pytest.fixture
def chain(tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator,
          log_repo: Path) -> Path:  # fmt: skip
    fake_arxiv.entries = snn_entries(3, utc_now())
    return write_config(
        tmp_path / "config.toml", arxiv_url=fake_arxiv.url, translator_url=None,
        log_path=log_repo / "README.md",
        translate__engines=["google", "mymemory"],
        translate__concurrency=1,  # one paper at a time: the cool-down starts at the first 429
        translate__urls={"google": fake_translator.base + "/m",
                         "mymemory": fake_translator.base + "/get"},
    )  # fmt: skip


def engines_used(tmp_path: Path) -> list[str]:
    db = sqlite3.connect(tmp_path / "data" / "feed.sqlite3")
    return [r[0] for r in db.execute("select translation_engine from papers order by arxiv_id")]


def paths(server: FakeTranslator) -> list[str]:
    return [r["path"] for r in server.requests]


def test_a_rate_limited_engine_hands_over_and_then_rests(
    chain: Path, tmp_path: Path, fake_translator: FakeTranslator, fake_arxiv: FakeArxiv
) -> None:
    fake_translator.fault = lambda r: (
        Reply(429, b"Too Many Requests") if r["path"] == "/m" else None
    )
    result = run_cli("sync", "--config", str(chain))
    assert result.returncode == 0, result.stderr
    assert engines_used(tmp_path) == ["mymemory"] * 3
    assert paths(fake_translator).count("/m") == 1  # google tried once, then resting

    fake_translator.requests.clear()
    fake_arxiv.entries.append(FakeEntry("2611.55555", "Spiking neural networks again",
                                        "Spiking neural networks rest.", ["A"],
                                        utc_now() - timedelta(minutes=5)))  # fmt: skip
    again = run_cli("sync", "--config", str(chain))
    assert again.returncode == 0, again.stderr
    assert "/m" not in paths(fake_translator), "google is still resting"


def test_garbage_from_the_first_engine_is_not_stored(
    chain: Path, tmp_path: Path, fake_translator: FakeTranslator
) -> None:
    echo = b'<html><body><div class="result-container">Spiking neural networks</div></body></html>'
    fake_translator.fault = lambda r: Reply(200, echo) if r["path"] == "/m" else None
    result = run_cli("sync", "--config", str(chain))
    assert result.returncode == 0, result.stderr
    assert engines_used(tmp_path) == ["mymemory"] * 3
    assert paths(fake_translator).count("/m") == 3  # bad answers are not a rate limit


def test_when_every_engine_fails_papers_wait(
    chain: Path, tmp_path: Path, fake_translator: FakeTranslator, log_repo: Path
) -> None:
    before = (log_repo / "README.md").read_bytes()
    fake_translator.fault = lambda r: Reply(503, b"down")
    result = run_cli("sync", "--config", str(chain))
    assert result.returncode == 3
    assert "every engine failed" in result.stderr
    assert (log_repo / "README.md").read_bytes() == before
    assert engines_used(tmp_path) == [None] * 3
