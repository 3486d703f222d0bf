"""`snn-feed sync --source api|rss|both`: arXiv's announcement feed and the search API together,
each paper logged once whichever source saw it first, replacements never logged again."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import gfm
import pytest
from conftest import git, run_cli, utc_now, write_config
from fake_rss import FakeRss, header, rss_fixture
from fakes import FakeArxiv, FakeEntry, FakeTranslator, Reply, running

from snn_feed.sources.announcements import parse_feed

pytestmark = pytest.mark.clock  # reads the wall clock: CI runs it at hard instants too

WEEKDAY = rss_fixture("cs.NE-2026-05-15-fri.xml")
WEEKEND = rss_fixture("cs.NE-2026-05-16-sat-empty.xml")
ITEMS = {item.arxiv_id: item for item in parse_feed(WEEKDAY).items}
NEW = ["2605.15058", "2605.14252"]  # relevant new submissions
CROSS = "2605.14319"  # a relevant cross-list
OFF_TOPIC = "2605.15101"  # evolutionary optimisation: no keyword
REPLACED = "2605.10679"  # announced as v2


@pytest.fixture
def fake_rss() -> Iterator[FakeRss]:
    with running(FakeRss()) as server:
        yield server


def logged(log: Path) -> Counter[str]:
    items, _ = gfm.read(log.read_text())
    return Counter(i.links[0].href.rsplit("/abs/", 1)[1] for i in items if i.links)


def as_api_entry(arxiv_id: str, *, version: int = 1, title: str | None = None) -> FakeEntry:
    """The same paper as the search API serves it once it has indexed it."""
    item = ITEMS[arxiv_id]
    return FakeEntry(
        arxiv_id, title or item.title, item.abstract, item.authors,
        utc_now() - timedelta(hours=30), version=version, categories=item.categories,
    )  # fmt: skip


class Env:
    def __init__(
        self, tmp: Path, arxiv: FakeArxiv, rss: FakeRss, translator: FakeTranslator, repo: Path
    ) -> None:
        self.tmp, self.arxiv, self.rss, self.repo = tmp, arxiv, rss, repo
        self.translator = translator
        self.log = repo / "README.md"

    def config(self, **extra: Any) -> str:
        extra.setdefault("sync__source", "both")
        return str(
            write_config(
                self.tmp / "config.toml", arxiv_url=self.arxiv.url,
                translator_url=self.translator.base + "/m", log_path=self.log,
                rss__url=self.rss.base, rss__categories=["cs.NE"], rss__retries=1,
                rss__backoff_seconds=0.01, rss__timeout_seconds=2.0, **extra,
            )
        )  # fmt: skip

    def sync(self, *args: str, **extra: Any):
        return run_cli("sync", "--config", self.config(**extra), *args)


@pytest.fixture
def env(
    tmp_path: Path,
    fake_arxiv: FakeArxiv,
    fake_rss: FakeRss,
    fake_translator: FakeTranslator,
    log_repo: Path,
) -> Env:
    fake_rss.serve("cs.NE", WEEKDAY)
    return Env(tmp_path, fake_arxiv, fake_rss, fake_translator, log_repo)


def test_announced_papers_are_logged_on_the_day_and_the_api_adds_what_the_feed_missed(
    env: Env,
) -> None:
    before = logged(env.log)
    # Announcement evening: the search API has not indexed the day's papers yet.
    first = env.sync()
    assert first.returncode == 0, first.stderr
    assert "found 3, new 3" in first.stdout  # on-topic items only; replacements are not new
    added = logged(env.log) - before
    assert sorted(added) == sorted([*NEW, CROSS])
    assert OFF_TOPIC not in added and REPLACED not in added

    # Two days later: the weekend feed is empty; the API has indexed the papers, and one more
    # that the feed never listed (announced in a category the feed was not asked for).
    env.rss.serve("cs.NE", WEEKEND)
    only_api = FakeEntry("2605.16001", "Spiking neural networks on a cs.RO robot", "We control "
                         "a robot arm with spiking neural networks.", ["R. Obot"],
                         utc_now() - timedelta(hours=20), categories=["cs.RO"])  # fmt: skip
    env.arxiv.entries = [*(as_api_entry(i) for i in [*NEW, CROSS]), only_api]
    second = env.sync()
    assert second.returncode == 0, second.stderr
    counts = logged(env.log)
    assert sorted(counts - before) == sorted([*NEW, CROSS, only_api.arxiv_id])
    assert max(counts.values()) == 1
    assert git(env.repo, "status", "--porcelain").strip() == ""


def test_a_replacement_refreshes_the_stored_paper_but_is_never_logged_again(env: Env) -> None:
    env.arxiv.entries = [as_api_entry(REPLACED, title="Spiking neural network cells on FPGA (v1)")]
    assert env.sync(sync__source="api").returncode == 0
    log_before, head = env.log.read_bytes(), git(env.repo, "rev-parse", "HEAD")

    env.arxiv.entries = []
    result = env.sync(sync__source="rss")
    assert result.returncode == 0, result.stderr
    assert logged(env.log)[REPLACED] == 1
    # the v1 entry stays as written; the three announced papers follow it
    assert env.log.read_bytes().count(b"Spiking neural network cells on FPGA (v1)") == 1
    assert log_before != env.log.read_bytes()
    assert git(env.repo, "rev-parse", "HEAD") != head
    db = sqlite3.connect(env.tmp / "data" / "feed.sqlite3")
    version, title = db.execute(
        "SELECT version, title FROM papers WHERE arxiv_id = ?", (REPLACED,)
    ).fetchone()
    assert (version, title) == (2, ITEMS[REPLACED].title)


def test_an_unchanged_feed_is_asked_for_conditionally_and_adds_nothing(env: Env) -> None:
    assert env.sync(sync__source="rss").returncode == 0
    log_after_first = env.log.read_bytes()
    second = env.sync(sync__source="rss")
    assert second.returncode == 0, second.stderr
    first_request, second_request = env.rss.requests
    assert header(first_request, "If-None-Match") is None
    assert header(second_request, "If-None-Match") == FakeRss.etag(WEEKDAY)
    assert "found 0, new 0" in second.stdout  # the 304: nothing read, nothing doubled
    assert env.log.read_bytes() == log_after_first


def test_a_weekend_feed_is_empty_and_the_sync_succeeds(env: Env) -> None:
    env.rss.serve("cs.NE", WEEKEND)
    before = env.log.read_bytes()
    result = env.sync(sync__source="rss")
    assert result.returncode == 0, result.stderr
    assert "found 0, new 0" in result.stdout
    assert env.log.read_bytes() == before


def test_a_failing_feed_fails_the_run_but_the_api_papers_are_logged(env: Env) -> None:
    env.rss.fail(503, times=2)  # both attempts ([rss] retries = 1)
    api_paper = as_api_entry(NEW[0])
    env.arxiv.entries = [api_paper]
    result = env.sync()
    assert result.returncode == 1
    assert "HTTP 503" in result.stderr and "rss" in result.stderr.lower()
    assert logged(env.log)[NEW[0]] == 1
    assert "meanwhile" in result.stderr and "written 1" in result.stderr  # said, not hidden
    assert "committed" in result.stderr
    # the search API's window was read to its end: the next sync does not search it again
    db = sqlite3.connect(env.tmp / "data" / "feed.sqlite3")
    assert db.execute("SELECT outcome, window_end IS NOT NULL FROM sync_runs").fetchall() == [
        ("failed", 1)
    ]

    again = env.sync()  # the feed is back: the rest of the day's papers, nothing twice
    assert again.returncode == 0, again.stderr
    counts = logged(env.log)
    assert all(counts[i] == 1 for i in [*NEW, CROSS])


def test_dry_run_lists_the_announced_papers_and_changes_nothing(env: Env) -> None:
    before = env.log.read_bytes()
    result = env.sync("--dry-run")
    assert result.returncode == 0, result.stderr
    listed = [line.split()[3] for line in result.stdout.splitlines() if line.startswith("would")]
    assert sorted(listed) == sorted([*NEW, CROSS])
    assert env.log.read_bytes() == before
    assert env.sync("--dry-run").stdout.count("would add") == 3  # no validators were saved


def test_the_command_line_source_overrides_the_config(env: Env) -> None:
    env.arxiv.entries = [as_api_entry(NEW[0])]
    result = env.sync("--source", "api")
    assert result.returncode == 0, result.stderr
    assert env.rss.requests == []
    assert logged(env.log)[NEW[0]] == 1 and logged(env.log)[CROSS] == 0


def test_when_both_sources_fail_the_one_line_names_both(env: Env) -> None:
    env.rss.fail(503, times=2)
    env.arxiv.fault = lambda r: Reply(500, b"broken")
    result = env.sync()
    assert result.returncode == 1
    *waits, line = result.stderr.strip().splitlines()
    assert len(waits) == 2 and all("retrying in" in w for w in waits)  # one retry each
    assert "announcement feed (RSS): HTTP 503" in line and "arXiv: HTTP 500" in line


def test_a_refused_feed_request_names_the_feed_and_its_url(env: Env) -> None:
    env.rss.fail(404)
    result = env.sync("--source", "rss")
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert "announcement feed" in line and "HTTP 404" in line
    assert env.rss.base in line  # which server refused, so a wrong [rss] url is plain to see


def test_a_dry_run_with_one_source_failing_still_lists_what_the_other_found(env: Env) -> None:
    env.rss.fail(503, times=2)  # both attempts ([rss] retries = 1)
    env.arxiv.entries = [as_api_entry(NEW[0])]
    result = env.sync("--dry-run")
    assert result.returncode == 1  # the failure is not hidden
    assert "HTTP 503" in result.stderr
    listed = [line.split()[3] for line in result.stdout.splitlines() if line.startswith("would")]
    assert listed == [NEW[0]]


def test_the_reference_says_an_api_mirror_still_polls_the_real_feed() -> None:
    """A user pointing `[arxiv] api_url` at a mirror reads, where that key is documented, that
    the announcement feed is read from `[rss] url` unless `[sync] source = "api"`."""
    docs = (Path(__file__).resolve().parents[1] / "docs" / "configuration.md").read_text()
    section = docs.split("### `[arxiv] api_url`", 1)[1].split("\n### ", 1)[0]
    assert "announcement feed is still read from" in section
    assert "`[rss] url`" in section and "`[sync] source`" in section
