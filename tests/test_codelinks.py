"""Code links: repository URLs from the abstract and comment, and optionally from the Hugging
Face Papers API (a local fake speaking its JSON), looked up once per paper, never on the
critical path of a sync, and never rewriting an entry already in the log."""

from __future__ import annotations

import difflib
import json
import subprocess
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import monotonic

import gfm
import pytest
from conftest import git, run_cli, snn_entries, utc_now, write_config
from fake_hf import RATE_LIMITED, FakeHf
from fakes import FakeArxiv, FakeEntry, FakeTranslator, Reply, running

from snn_feed.pipeline.relevance import code_url, repository_url
from snn_feed.records import Paper
from snn_feed.sources import codelinks
from snn_feed.sources.codelinks import HfPapers, LinkLookupError, RateLimited, parse_repository
from snn_feed.store import PaperState, Store, make_engine, migrate

PAPER = "2605.15058"


@pytest.fixture
def hf() -> Iterator[FakeHf]:
    with running(FakeHf()) as server:
        yield server


def client(server: FakeHf, timeout: float = 2.0) -> closing[HfPapers]:
    return closing(HfPapers(base_url=server.base, timeout_seconds=timeout))


# -- which URLs count as a repository -------------------------------------------------------


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (("Code: https://gitlab.com/snn-group/lif_net/-/tree/main.",),
         "https://gitlab.com/snn-group/lif_net"),
        ((None, "Comment: code at https://codeberg.org/neuro.lab/spikes.git"),
         "https://codeberg.org/neuro.lab/spikes"),
        (("see HTTPS://GitHub.com/UA-RCL/RANC)",), "https://github.com/UA-RCL/RANC"),
        (("https://github.com.evil.example/a/b and https://evil.example/x",), None),
        (("first https://github.com/./x, then https://github.com/a/b",),
         "https://github.com/a/b"),
    ],
)  # fmt: skip
def test_the_abstract_and_comment_name_github_gitlab_or_codeberg_repositories(
    texts: tuple[str | None, ...], expected: str | None
) -> None:
    assert code_url(*texts) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://github.com/snn-lab/spikeformer", "https://github.com/snn-lab/spikeformer"),
        (" http://www.github.com/A-b/c_d.e.git/ ", "https://github.com/A-b/c_d.e"),
        ("https://github.com/a/b/tree/main/src", "https://github.com/a/b"),
        ("https://gitlab.com/group/project", "https://gitlab.com/group/project"),
        ("javascript:alert(1)", None),
        ("javascript:alert(1)//https://github.com/a/b", None),
        ("https://github.com/a/b)](https://evil.example", None),
        ("https://github.com/a/b)](x", None),
        ('https://github.com/a/b" onmouseover="alert(1)', None),
        ("https://github.com/a/b <script>", None),
        ("https://github.com.evil.example/a/b", None),
        ("https://evil.example/https://github.com/a/b", None),
        ("https://user@github.com/a/b", None),
        ("https://github.com/a", None),
        ("https://github.com/a/b?tab=readme", None),
        ("https://example.org/project-page", None),
    ],
)
def test_a_linked_repository_is_used_only_when_the_whole_value_is_a_clean_repository_url(
    value: str, expected: str | None
) -> None:
    assert repository_url(value) == expected
    body = json.dumps({"id": PAPER, "title": "T", "githubRepo": value}).encode()
    assert parse_repository(body, PAPER) == expected


# -- the client against a fake Hugging Face ---------------------------------------------------


def test_the_repository_linked_on_hugging_face_is_found(hf: FakeHf) -> None:
    hf.know(PAPER, "Spiking transformers", github_repo="https://github.com/snn-lab/spikeformer",
            project_page="https://snn-lab.example/spikeformer")  # fmt: skip
    with client(hf) as c:
        assert c.repository(PAPER) == "https://github.com/snn-lab/spikeformer"
    (request,) = hf.requests
    assert (request["method"], request["path"]) == ("GET", f"/api/papers/{PAPER}")


def test_a_paper_without_a_repository_or_unknown_to_hugging_face_has_none(hf: FakeHf) -> None:
    hf.know(PAPER, "No code, only a project page", project_page="https://example.org/p")
    hf.know("2605.00002", "Repository unset")
    hf.papers["2605.00002"]["githubRepo"] = None  # as after an author removed the link
    with client(hf) as c:
        assert c.repository(PAPER) is None
        assert c.repository("2605.00002") is None
        assert c.repository("2605.99999") is None  # 404: not indexed
        assert c.repository("astro-ph/0601001") is None  # old-style ids are never indexed
    assert [r["path"] for r in hf.requests] == [
        f"/api/papers/{PAPER}", "/api/papers/2605.00002", "/api/papers/2605.99999",
    ]  # fmt: skip


def test_a_429_stops_every_later_lookup_of_the_run(hf: FakeHf) -> None:
    hf.know(PAPER, github_repo="https://github.com/a/b")
    hf.script = [RATE_LIMITED]
    with client(hf) as c:
        with pytest.raises(RateLimited, match="429"):
            c.repository(PAPER)
        with pytest.raises(RateLimited):
            c.repository(PAPER)
    assert len(hf.requests) == 1  # not retried, and nothing asked after it


def test_a_server_error_is_retried_once(hf: FakeHf) -> None:
    hf.know(PAPER, github_repo="https://github.com/a/b")
    hf.script = [Reply(503)]
    with client(hf) as c:
        assert c.repository(PAPER) == "https://github.com/a/b"
    hf.script = [Reply(502), Reply(500), Reply(500)]  # a third attempt would get the last
    with client(hf) as c, pytest.raises(LinkLookupError, match=r"HTTP 500.*2 attempts"):
        c.repository(PAPER)
    assert len(hf.requests) == 2 + codelinks.RETRIES + 1


def test_a_hanging_server_costs_one_timeout_and_one_retry(hf: FakeHf) -> None:
    hf.know(PAPER, github_repo="https://github.com/a/b")
    hf.fault = lambda request: Reply(200, b"{}", delay=3.0)
    with client(hf, timeout=0.2) as c, pytest.raises(LinkLookupError, match="no answer"):
        c.repository(PAPER)
    assert len(hf.requests) == codelinks.RETRIES + 1


def test_no_request_is_made_past_the_deadline(hf: FakeHf) -> None:
    hf.know(PAPER, github_repo="https://github.com/a/b")
    with client(hf) as c, pytest.raises(LinkLookupError, match="out of time"):
        c.repository(PAPER, deadline=monotonic() - 1)
    assert hf.requests == []


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, b"<!DOCTYPE html><html>Hugging Face is down</html>"),
        Reply(200, b'["not", "a", "paper"]'),
        Reply(200, json.dumps({"id": "2605.00001", "githubRepo": "https://github.com/a/b"})
              .encode()),  # the answer for another paper
        Reply(200, b'{"id": "' + PAPER.encode() + b'", "pad": "' + b"x" * 1_100_000 + b'"}'),
        Reply(403, b'{"error": "Forbidden"}'),
        Reply(301, b"", {"Location": "https://evil.example/"}),
    ],
    ids=["html", "list", "other-paper", "huge", "403", "redirect"],
)  # fmt: skip
def test_an_answer_that_is_not_the_paper_is_an_error_not_a_link(hf: FakeHf, reply: Reply) -> None:
    hf.script = [reply]
    with client(hf) as c, pytest.raises(LinkLookupError):
        c.repository(PAPER)
    assert len(hf.requests) == 1


# -- the cache in the database ------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    migrate.upgrade(engine)
    yield Store(engine)
    engine.dispose()


def _paper(arxiv_id: str) -> Paper:
    now = datetime(2026, 5, 15, tzinfo=UTC)
    return Paper(arxiv_id, 1, "Spiking things", ["Ada"], "Spiking neural networks.", ["cs.NE"],
                 "cs.NE", now, now)  # fmt: skip


def test_only_unwritten_papers_without_a_link_are_looked_up_and_only_once(store: Store) -> None:
    store.papers.add([(_paper("2605.00001"), 3, None), (_paper("2605.00002"), 3, None),
                      (_paper("2605.00003"), 3, "https://github.com/in/abstract"),
                      (_paper("2605.00004"), 3, None)])  # fmt: skip
    store.papers.mark_written(["2605.00004"], "2026.05", "/logs/README.md")
    assert store.papers.needing_code_link() == ["2605.00001", "2605.00002"]

    store.papers.save_code_link("2605.00001", "https://github.com/from/hf")
    store.papers.save_code_link("2605.00002", None)
    assert store.papers.needing_code_link() == []
    assert store.papers.get("2605.00001").code_url == "https://github.com/from/hf"  # type: ignore[union-attr]
    assert store.papers.get("2605.00002").code_checked_at is not None  # type: ignore[union-attr]

    # a link for a paper already in the log is never recorded: the entry cannot change
    store.papers.save_code_link("2605.00004", "https://github.com/too/late")
    row = store.papers.get("2605.00004")
    assert row is not None and row.state == PaperState.WRITTEN and row.code_url is None


# -- through `snn-feed sync` ----------------------------------------------------------------------


class Env:
    def __init__(self, tmp: Path, arxiv: FakeArxiv, translator: FakeTranslator, hf: FakeHf,
                 repo: Path) -> None:  # fmt: skip
        self.tmp, self.arxiv, self.translator, self.hf, self.repo = tmp, arxiv, translator, hf, repo
        self.log = repo / "README.md"

    def sync(self, **extra: object) -> subprocess.CompletedProcess[str]:
        extra.setdefault("links__huggingface", True)
        config = write_config(
            self.tmp / "config.toml", arxiv_url=self.arxiv.url,
            translator_url=self.translator.base + "/m", log_path=self.log,
            links__url=self.hf.base, **extra,
        )  # fmt: skip
        return run_cli("sync", "--config", str(config), timeout=60)

    def code_links(self) -> dict[str, str | None]:
        """arXiv id -> the entry's source-code link, for every entry of the log."""
        items, _ = gfm.read(self.log.read_text())
        links: dict[str, str | None] = {}
        for item in items:
            if item.links and "/abs/" in item.links[0].href:
                code = [link.href for link in item.links if link.text == "source code"]
                links[item.links[0].href.rsplit("/abs/", 1)[1]] = code[0] if code else None
        return links


@pytest.fixture
def env(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, hf: FakeHf,
    log_repo: Path,
) -> Env:  # fmt: skip
    return Env(tmp_path, fake_arxiv, fake_translator, hf, log_repo)


def three_papers(env: Env) -> tuple[FakeEntry, FakeEntry, FakeEntry]:
    """One naming its code in the abstract, one whose code only Hugging Face knows, and one
    without code anywhere."""
    in_abstract, on_hf, nowhere = snn_entries(3, utc_now())
    assert "github.com" in in_abstract.abstract and "github.com" not in on_hf.abstract
    env.hf.know(on_hf.arxiv_id, on_hf.title, github_repo="https://github.com/hf-known/model")
    env.hf.know(in_abstract.arxiv_id, in_abstract.title, github_repo="https://github.com/x/y")
    env.arxiv.entries = [in_abstract, on_hf, nowhere]
    return in_abstract, on_hf, nowhere


def test_a_paper_gets_the_code_link_hugging_face_knows(env: Env) -> None:
    in_abstract, on_hf, nowhere = three_papers(env)
    result = env.sync()
    assert result.returncode == 0, result.stderr
    links = env.code_links()
    assert links[on_hf.arxiv_id] == "https://github.com/hf-known/model"
    assert links[in_abstract.arxiv_id] == code_url(in_abstract.abstract)  # the paper's own word
    assert links[nowhere.arxiv_id] is None
    # only papers whose abstract and comment name no repository are asked about
    assert env.hf.asked(in_abstract.arxiv_id) == 0
    assert env.hf.asked(on_hf.arxiv_id) == env.hf.asked(nowhere.arxiv_id) == 1


def test_without_links_huggingface_nothing_is_asked(env: Env) -> None:
    three_papers(env)
    result = env.sync(links__huggingface=False)
    assert result.returncode == 0, result.stderr
    assert env.hf.requests == []
    assert "https://github.com/hf-known/model" not in env.log.read_text()


@pytest.mark.parametrize(
    ("fault", "warning"),
    [
        (Reply(200, b"{}", delay=30.0), "no answer from Hugging Face"),  # hangs
        (Reply(503), "HTTP 503"),
        (RATE_LIMITED, "429"),
    ],
    ids=["hanging", "down", "rate-limited"],
)
def test_hugging_face_failing_never_fails_the_sync(env: Env, fault: Reply, warning: str) -> None:
    papers = snn_entries(6, utc_now())
    env.arxiv.entries = papers
    env.hf.fault = lambda request: fault
    # A hang costs one lookup and its retry within the budget (`run_cli` gives up after 60 s,
    # while the fake would hang 30 s per request for each of the six papers).
    result = env.sync(links__timeout_seconds=0.5, links__budget_seconds=2.0)
    assert result.returncode == 0, result.stderr
    assert "written 6, pending 0" in result.stdout
    assert warning in result.stderr and "code links" in result.stderr
    assert len(env.hf.requests) <= codelinks.RETRIES + 1  # the first failure ends the lookups
    assert set(env.code_links()) >= {p.arxiv_id for p in papers}
    assert git(env.repo, "status", "--porcelain").strip() == ""


def test_a_slow_hugging_face_is_asked_only_within_the_budget(env: Env) -> None:
    papers = snn_entries(6, utc_now(), offset=1)
    for paper in papers:
        env.hf.know(
            paper.arxiv_id, paper.title, github_repo=f"https://github.com/hf/{paper.arxiv_id}"
        )
    env.arxiv.entries = papers
    env.hf.delay = 0.4  # six answers take 2.4 s, over a budget of 1 s
    result = env.sync(links__timeout_seconds=2.0, links__budget_seconds=1.0)
    assert result.returncode == 0, result.stderr
    assert "written 6, pending 0" in result.stdout
    assert "code links" in result.stderr and "not looked up this time" in result.stderr
    linked = [a for a, url in env.code_links().items() if url and "/hf/" in url]
    assert len(linked) < len(papers) and len(env.hf.requests) < len(papers)


def test_a_paper_is_looked_up_once_even_while_its_translation_waits(env: Env) -> None:
    _, on_hf, nowhere = three_papers(env)
    env.translator.fault = lambda request: Reply(503, b"busy")
    first = env.sync()
    assert first.returncode == 3, first.stderr  # translation pending, nothing written
    assert env.hf.asked(on_hf.arxiv_id) == env.hf.asked(nowhere.arxiv_id) == 1

    env.translator.fault = None
    second = env.sync()
    assert second.returncode == 0, second.stderr
    assert env.hf.asked(on_hf.arxiv_id) == env.hf.asked(nowhere.arxiv_id) == 1
    assert env.code_links()[on_hf.arxiv_id] == "https://github.com/hf-known/model"


@pytest.mark.parametrize("first_sync", ["no repository yet", "hugging face down"])
def test_an_entry_already_written_is_not_rewritten_when_hugging_face_learns_its_code(
    env: Env, first_sync: str
) -> None:
    _, _, nowhere = three_papers(env)
    if first_sync == "hugging face down":  # written without ever being looked up
        env.hf.fault = lambda request: Reply(503)
    assert env.sync().returncode == 0
    env.hf.fault = None
    written, asked = env.log.read_text(), env.hf.asked(nowhere.arxiv_id)
    assert env.code_links()[nowhere.arxiv_id] is None

    # Days later the authors link their repository on Hugging Face, and a new paper arrives.
    env.hf.know(nowhere.arxiv_id, nowhere.title, github_repo="https://github.com/late/code")
    newer = FakeEntry(f"{utc_now():%y%m}.19999", "Spiking neural networks, again",
                      "Spiking neural networks for keyword spotting.", ["New Author"],
                      utc_now() - timedelta(minutes=5))  # fmt: skip
    env.hf.know(newer.arxiv_id, newer.title, github_repo="https://github.com/new/code")
    env.arxiv.entries = [*env.arxiv.entries, newer]
    result = env.sync()
    assert result.returncode == 0, result.stderr

    text = env.log.read_text()
    lines = difflib.SequenceMatcher(None, written.splitlines(True), text.splitlines(True),
                                    autojunk=False)  # fmt: skip
    assert {op for op, *_ in lines.get_opcodes()} == {"equal", "insert"}  # only added to
    assert env.code_links()[nowhere.arxiv_id] is None  # append-only: no link added later
    assert "https://github.com/late/code" not in text
    assert env.hf.asked(nowhere.arxiv_id) == asked  # a written paper is not asked about
    assert env.code_links()[newer.arxiv_id] == "https://github.com/new/code"
