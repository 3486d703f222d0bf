"""Several syncs started at once: one works, the others exit busy or wait; nothing doubles."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import gfm
import pytest
from conftest import git, snn_entries, utc_now, write_config
from fakes import FakeArxiv, FakeTranslator, slow_zh


@pytest.mark.parametrize("wait", [0, 60], ids=["exit-busy", "wait-for-the-lock"])
def test_syncs_started_together_log_each_paper_once(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path,
    wait: int,
) -> None:  # fmt: skip
    fake_translator.translate = slow_zh(0.3)
    fake_arxiv.entries = snn_entries(6, utc_now())
    config = write_config(tmp_path / "c.toml", arxiv_url=fake_arxiv.url,
                          translator_url=fake_translator.base + "/m",
                          log_path=log_repo / "README.md",
                          translate__concurrency=1,  # the first holds the lock ~2 s
                          sync__lock_timeout_seconds=wait)  # fmt: skip
    head = git(log_repo, "rev-parse", "HEAD").strip()
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
    processes = [
        subprocess.Popen([sys.executable, "-m", "snn_feed", "sync", "--config", str(config)],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]  # fmt: skip
    codes = sorted(p.wait(timeout=120) for p in processes)
    if wait:
        assert codes == [0, 0, 0, 0]
    else:
        assert codes[0] == 0 and set(codes) <= {0, 4} and 4 in codes
    items, _ = gfm.read((log_repo / "README.md").read_text(errors="replace"))
    ids = [i.links[0].href.rsplit("/abs/", 1)[1] for i in items if i.links]
    assert len(ids) == len(set(ids))
    assert {e.arxiv_id for e in fake_arxiv.entries} <= set(ids)
    assert git(log_repo, "rev-list", "--count", f"{head}..HEAD").strip() == "1"
