"""`status` tells the truth about translation (issue 14, item 8): a rejected key, a spent quota
or a translator nobody can reach fails the health check at once, naming the engine and the
error, instead of looking healthy for `max_pending_hours`; and "last success" is a run that did
its whole job."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli, snn_entries, utc_now, write_config
from fakes import FakeArxiv, FakeTranslator, Reply, closed_port

pytestmark = pytest.mark.clock  # papers are submitted in the hours before now

SECRET = "dl-secret-key-0123456789:fx"


def deepl_config(tmp: Path, arxiv: FakeArxiv, url: str, log_repo: Path, **extra: Any) -> str:
    return str(write_config(tmp / "config.toml", arxiv_url=arxiv.url, translator_url=url,
                            log_path=log_repo / "README.md", translate__backend="deepl",
                            translate__api_key=SECRET, translate__retries=0, **extra))  # fmt: skip


def status(config: str) -> tuple[int, str, dict[str, Any]]:
    text = run_cli("status", "--config", config)
    data = json.loads(run_cli("status", "--config", config, "--json").stdout)
    return text.returncode, text.stdout, data


@pytest.mark.parametrize(
    ("answer", "words"),
    [(Reply(403, b'{"message": "Wrong endpoint or key"}'), "auth failed (HTTP 403)"),
     (Reply(456, b'{"message": "Quota exceeded"}'), "quota used up (HTTP 456)")],
    ids=["rejected key", "quota used up"],
)  # fmt: skip
def test_a_translator_that_refuses_the_key_or_quota_fails_status_at_once(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path,
    answer: Reply, words: str,
) -> None:  # fmt: skip
    fake_arxiv.entries = snn_entries(3, utc_now())
    fake_translator.fault = lambda request: answer
    config = deepl_config(tmp_path, fake_arxiv, fake_translator.base, log_repo)

    synced = run_cli("sync", "--config", config)
    assert synced.returncode == 3, synced.stderr  # partly done: nothing could be translated

    code, text, data = status(config)
    assert code == 1, text
    (problem,) = [ln for ln in text.splitlines() if ln.startswith("problem: last run")]
    assert "could not translate" in problem and "deepl" in problem and words in problem
    assert "last success: never" in text and data["last_success"] is None
    assert SECRET not in text and SECRET not in json.dumps(data)

    fake_translator.fault = None  # the key is fixed
    assert run_cli("sync", "--config", config).returncode == 0
    code, text, data = status(config)
    assert code == 0, text
    assert data["healthy"] and data["last_success"] is not None


def test_a_translator_nobody_can_reach_fails_status_at_once_naming_its_host(
    tmp_path: Path, fake_arxiv: FakeArxiv, log_repo: Path
) -> None:
    port = closed_port()
    fake_arxiv.entries = snn_entries(2, utc_now())
    config = deepl_config(tmp_path, fake_arxiv, f"http://127.0.0.1:{port}", log_repo)

    assert run_cli("sync", "--config", config).returncode == 3

    code, text, _ = status(config)
    assert code == 1, text
    (problem,) = [ln for ln in text.splitlines() if ln.startswith("problem: last run")]
    assert "could not translate" in problem and f"cannot connect to 127.0.0.1:{port}" in problem


def test_last_success_is_a_run_that_did_its_whole_job(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path
) -> None:
    first, poison = snn_entries(2, utc_now())
    fake_arxiv.entries = [first]
    config = deepl_config(tmp_path, fake_arxiv, fake_translator.base, log_repo)
    assert run_cli("sync", "--config", config).returncode == 0
    with sqlite3.connect(tmp_path / "data" / "feed.sqlite3") as db:  # that run was an hour ago
        db.execute("update sync_runs set started_at = datetime(started_at, '-1 hour'), "
                   "finished_at = datetime(finished_at, '-1 hour')")  # fmt: skip
    _, _, done = status(config)

    # One paper's own answer is unusable: that paper waits, the engine is fine.
    fake_arxiv.entries = [first, poison]
    fake_translator.translate = lambda text: "" if poison.title.rstrip(".") in text else "脉冲"
    assert run_cli("sync", "--config", config).returncode == 3

    code, text, data = status(config)
    assert code == 0, text  # not a broken translator, and within max_pending_hours
    assert data["last_run"]["outcome"] == "partial"
    assert data["last_success"] == done["last_success"]  # the partial run is not a success
