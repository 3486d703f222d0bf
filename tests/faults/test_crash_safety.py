"""SIGKILL at many points of a sync: after each kill another sync finishes the job, and at the
end every paper is in the log exactly once, the log parses, the database passes its integrity
check and agrees with the log, and git holds only clean commits of the log."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import gfm
from conftest import SEED_LOG, git, run_cli, snn_entries, utc_now, write_config
from fakes import FakeArxiv, FakeTranslator, slow_zh

KILLS = 24
DELAYS = (0.0, 0.03, 0.1, 0.2)  # seconds after the moment: 3 moments x 4 delays x 2


def test_sync_killed_at_24_points_loses_and_doubles_nothing(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path
) -> None:
    fake_translator.translate = slow_zh(0.08)
    now = utc_now()
    corpus = snn_entries(KILLS * 2, now - timedelta(hours=1))
    config = write_config(tmp_path / "config.toml", arxiv_url=fake_arxiv.url,
                          translator_url=fake_translator.base + "/m",
                          log_path=log_repo / "README.md",
                          translate__concurrency=1)  # fmt: skip
    args = [sys.executable, "-m", "snn_feed", "sync", "--config", str(config)]
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
    head = git(log_repo, "rev-parse", "HEAD").strip()
    for kill in range(KILLS):
        fake_arxiv.entries = corpus[: 2 * (kill + 1)]  # two new papers announced each round
        # Each kill waits for a moment the fakes can see (arXiv asked; the first or second
        # translation asked for), then a little longer: the kills spread over fetch, store,
        # translate, write and commit however fast or loaded the machine is.
        translated = len(fake_translator.requests)
        server, seen = [
            (fake_arxiv, len(fake_arxiv.requests)),
            (fake_translator, translated),
            (fake_translator, translated + 1),
        ][kill % 3]
        process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 60
        while len(server.requests) <= seen and process.poll() is None:
            assert time.monotonic() < deadline, "the sync never got there"
            time.sleep(0.005)
        time.sleep(DELAYS[(kill // 3) % len(DELAYS)])
        process.send_signal(signal.SIGKILL)
        process.wait()

    final = run_cli(*args[3:])
    assert final.returncode == 0, final.stderr

    text = (log_repo / "README.md").read_bytes().decode("utf-8", errors="surrogateescape")
    assert text.endswith(SEED_LOG.read_bytes().decode("utf-8", errors="surrogateescape")[-2000:])
    items, _ = gfm.read(text)
    ids = [i.links[0].href.rsplit("/abs/", 1)[1] for i in items if i.links]
    assert len(ids) == len(set(ids)), "a paper was written twice"
    assert {e.arxiv_id for e in corpus} <= set(ids), "a paper was lost"

    db = sqlite3.connect(tmp_path / "data" / "feed.sqlite3")
    assert db.execute("pragma integrity_check").fetchone() == ("ok",)
    states = dict(db.execute("select arxiv_id, state from papers"))
    assert set(states) == {e.arxiv_id for e in corpus}
    assert set(states.values()) == {"committed"}
    crashed = db.execute("select count(*) from sync_runs where outcome = 'crashed'").fetchone()[0]
    assert crashed >= KILLS // 2, f"only {crashed} of {KILLS} kills landed inside a sync"

    assert git(log_repo, "status", "--porcelain").strip() == ""
    for sha in git(log_repo, "rev-list", f"{head}..HEAD").split():
        assert git(log_repo, "show", "--name-only", "--format=", sha).split() == ["README.md"]
