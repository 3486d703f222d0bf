"""Every way arXiv fails, end to end through `snn-feed sync`: the run retries within its bounds
or stops with one clear line, what it read before the fault is kept, and once the fault clears
the next sync completes with every paper in the log exactly once."""

from __future__ import annotations

import json
import socket
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gfm
import pytest
from conftest import FIXTURES, git, run_cli, snn_entries, utc_now
from fakes import FakeArxiv, FakeTranslator, Reply, atom_feed
from test_cli import Env

PAGE = 2  # five papers: pages start at 0, 2 and 4
RETRIES = 1  # the test config's [arxiv] retries: each page is tried twice


def logged(log: Path) -> Counter[str]:
    items, _ = gfm.read(log.read_text())
    return Counter(i.links[0].href.rsplit("/abs/", 1)[1] for i in items if i.links)


def assert_each_paper_once(env: Env) -> None:
    counts = logged(env.log)
    assert all(counts[p.arxiv_id] == 1 for p in env.papers), counts
    assert max(counts.values()) == 1


def recorded_error() -> bytes:
    data = json.loads(next((FIXTURES / "arxiv").glob("id_abc_*.json")).read_text())
    assert data["status_code"] == 400
    return data["body"].encode("latin-1")


def truncated(env: Env) -> Reply:
    # HTTP is fine (the length matches); the XML stops mid-entry.
    body = atom_feed(env.papers[2:4], len(env.papers), 2, PAGE)
    return Reply(200, body[: len(body) * 2 // 3])


# name -> (the answer to every request for page two while the fault lasts, stderr says)
FAULTS: dict[str, tuple[Callable[[Env], Reply], str]] = {
    "503 burst": (lambda env: Reply(503, b"Service Unavailable"), "HTTP 503"),
    "500 burst": (lambda env: Reply(500, b"Internal Server Error"), "HTTP 500"),
    "429 without Retry-After": (lambda env: Reply(429, b"Too Many Requests"), "HTTP 429"),
    "429 with Retry-After": (
        lambda env: Reply(429, b"slow down", headers={"Retry-After": "1"}),
        "HTTP 429",
    ),
    "truncated XML": (truncated, "cut short"),
    "empty page mid-paging": (
        lambda env: Reply(200, atom_feed([], len(env.papers), 2, PAGE)),
        "empty page although arXiv reports 5 results",
    ),
    "error entry with HTTP 400": (
        lambda env: Reply(400, recorded_error()),
        "arXiv refused the query: HTTP 400: incorrect id format for abc",
    ),
    "hang": (lambda env: Reply(200, b"", delay=2.0), "no answer within 0.5 s"),
}


class PagedEnv(Env):
    """Five papers, a page size that makes paging happen, and a timeout short enough for the
    hang to be a hang."""

    def config(self, **extra: Any) -> str:
        extra.setdefault("arxiv__page_size", PAGE)
        extra.setdefault("arxiv__timeout_seconds", 0.5)
        return super().config(**extra)


@pytest.fixture
def env(tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path):
    papers = snn_entries(5, utc_now())
    fake_arxiv.entries = list(papers)
    return PagedEnv(tmp_path, fake_arxiv, fake_translator, log_repo, papers)


def page_two(r: dict[str, Any]) -> bool:
    return r["params"].get("start") == str(PAGE)


@pytest.mark.parametrize("name", FAULTS)
def test_a_fault_on_page_two_keeps_page_one_and_the_next_sync_catches_up(
    env: Env, name: str
) -> None:
    answer, message = FAULTS[name]
    head = env.head()
    env.arxiv.fault = lambda r: answer(env) if page_two(r) else None

    first = env.sync()
    assert first.returncode == 1, first.stderr
    assert message in first.stderr
    *waits, error = first.stderr.strip().splitlines()  # one line per wait, then the error
    assert message in error and all("retrying in" in line for line in waits)
    tries = [r for r in env.arxiv.requests if page_two(r)]
    # A refused query is not retried; anything that may pass is retried, within the bound.
    assert len(tries) == (1 if "400" in name else RETRIES + 1) == len(waits) + 1
    if "with Retry-After" in name:
        assert tries[1]["time"] - tries[0]["time"] >= 1.0
    # Page one is in the log, committed; nothing else is touched.
    oldest_first = sorted(env.papers, key=lambda p: p.published)  # arXiv's paging order
    first_page = {p.arxiv_id for p in oldest_first[:PAGE]}
    assert set(logged(env.log)) >= first_page
    assert git(env.repo, "status", "--porcelain").strip() == ""
    status = run_cli("status", "--config", env.config())
    assert status.returncode == 1 and "last run failed" in status.stdout

    env.arxiv.fault = None
    second = env.sync()
    assert second.returncode == 0, second.stderr
    assert_each_paper_once(env)
    assert git(env.repo, "rev-list", "--count", f"{head}..HEAD").strip() == "2"
    assert git(env.repo, "status", "--porcelain").strip() == ""
    assert run_cli("status", "--config", env.config()).returncode == 0


def test_connection_refused_fails_clearly_and_a_later_sync_logs_everything(env: Env) -> None:
    with socket.socket() as closed:  # a port with nothing listening on it
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}/api/query"
    head = env.head()
    first = env.sync(arxiv__api_url=dead)
    assert first.returncode == 1
    assert "cannot connect" in first.stderr and f"{RETRIES + 1} attempts" in first.stderr
    assert env.head() == head

    second = env.sync()
    assert second.returncode == 0, second.stderr
    assert_each_paper_once(env)


def test_an_empty_first_page_logs_nothing_and_the_next_sync_catches_up(env: Env) -> None:
    # arXiv sometimes answers a query that has results with an empty first page claiming zero
    # results. That cannot be told from a quiet day, so the run succeeds; the next sync's
    # window overlaps this one ([arxiv] lookback_days) and finds the papers.
    before = logged(env.log)
    env.arxiv.script = [Reply(200, atom_feed([], 0, 0, PAGE))]
    first = env.sync()
    assert first.returncode == 0, first.stderr
    assert logged(env.log) == before

    second = env.sync()
    assert second.returncode == 0, second.stderr
    assert_each_paper_once(env)


def test_a_fault_that_clears_within_the_retries_costs_one_more_request(env: Env) -> None:
    env.arxiv.script = [Reply(503, b"busy")]
    result = env.sync()
    assert result.returncode == 0, result.stderr
    assert_each_paper_once(env)
    # The first page once more, then each page once: no request repeated beyond the retry.
    assert [r["params"]["start"] for r in env.arxiv.requests] == ["0", "0", "2", "4"]
