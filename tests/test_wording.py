"""What snn-feed says agrees with what it did: one paper is "1 new paper" (papers written
without a translation are not counted as translated: `test_retranslate.py`)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from conftest import LOG_ZONE, git, run_cli, snn_entries, utc_now, write_config
from fakes import FakeArxiv, FakeTranslator

pytestmark = pytest.mark.clock  # papers are submitted in the hours before now


@pytest.mark.parametrize(("papers", "said"), [(1, "1 new paper"), (2, "2 new papers")])
def test_the_commit_message_agrees_with_its_count(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path,
    papers: int, said: str,
) -> None:  # fmt: skip
    fake_arxiv.entries = snn_entries(papers, utc_now())
    config = write_config(tmp_path / "config.toml", arxiv_url=fake_arxiv.url,
                          translator_url=fake_translator.base + "/m",
                          log_path=log_repo / "README.md")  # fmt: skip
    assert run_cli("sync", "--config", str(config)).returncode == 0
    assert git(log_repo, "log", "-1", "--format=%s").strip().endswith(f": {said}")


def test_a_backfill_of_one_paper_says_paper(
    tmp_path: Path, fake_arxiv: FakeArxiv, log_repo: Path
) -> None:
    (paper,) = snn_entries(1, utc_now() - timedelta(days=60))
    fake_arxiv.entries = [paper]
    config = write_config(tmp_path / "config.toml", arxiv_url=fake_arxiv.url,
                          translator_url=None, log_path=log_repo / "README.md")  # fmt: skip
    day = paper.published.astimezone(LOG_ZONE).date().isoformat()  # a day in the log's zone
    result = run_cli("backfill", "--config", str(config), "--from", day, "--to", day)
    assert result.returncode == 0, result.stderr
    assert git(log_repo, "log", "-1", "--format=%s").strip().endswith(": 1 paper")
