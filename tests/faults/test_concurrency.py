"""Several syncs started at once: one works, the others exit busy or wait; nothing doubles."""

from __future__ import annotations

from pathlib import Path

import forks
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
    # Forks of this process, whose imports are done: four processes at once, without four
    # interpreters importing snn-feed first (about 1.5 s each).
    processes = [forks.start(["sync", "--config", str(config)]) for _ in range(4)]
    for process in processes:
        process.join(timeout=120)
    codes = sorted(p.exitcode for p in processes)  # type: ignore[type-var]
    if wait:
        assert codes == [0, 0, 0, 0]
    else:
        assert codes[0] == 0 and set(codes) <= {0, 4} and 4 in codes
    items, _ = gfm.read((log_repo / "README.md").read_text(errors="replace"))
    ids = [i.links[0].href.rsplit("/abs/", 1)[1] for i in items if i.links]
    assert len(ids) == len(set(ids))
    assert {e.arxiv_id for e in fake_arxiv.entries} <= set(ids)
    assert git(log_repo, "rev-list", "--count", f"{head}..HEAD").strip() == "1"
