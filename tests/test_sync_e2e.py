"""`snn-feed sync` end to end, as a subprocess, against local fake arXiv and translator servers,
into a git repository holding a copy of the original hand-made log."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import gfm
import pytest
from conftest import (
    SEED_LOG,
    git,
    log_months,
    off_topic_entries,
    run_cli,
    snn_entries,
    utc_now,
    write_config,
)
from fakes import FakeArxiv, FakeEntry, FakeTranslator, fake_zh

pytestmark = pytest.mark.clock  # reads the wall clock: CI runs it at hard instants too

HOSTILE_TITLES = [
    "Quotes \"double\" and 'single' in Spiking Neural Networks",
    "Brackets [x](http://evil.example) and ](javascript:alert(1)) for spiking neurons",
    "<script>alert(1)</script> neuromorphic <img src=x onerror=alert(1)>",
    r"Spiking neural networks with $\mathcal{O}(\log n)$ spikes and \textbf{bold} \\ tricks",
    "Spiking 🧠 neural networks ⚡ with émojis and 中文 \U0001f680",
    'Back\\slash\\ \\" escapes \\\\ in spiking neural networks\\',
    "See https://evil.example/x and www.evil.example for neuromorphic user@evil.example",
    "*emph* _under_ ~~strike~~ | pipe | `code` & &amp; entity in spiking neural networks",
    "Blank\n\nlines\n\n# in a spiking neural network title",
]
HOSTILE_ABSTRACT = (
    'Spiking neural networks "quoted" \\ backslash ](http://evil.example) "). x\n\n'
    "# Not a heading. - not a list. 1. not ordered. > not a quote. ```not code```\n\n"
    "<script>alert('x')</script> $E = mc^2$ \\\" 🧠. |a|b| --- === *"
)


def hostile_entries(now: datetime) -> list[FakeEntry]:
    from datetime import timedelta

    return [
        FakeEntry(
            arxiv_id=f"{now:%y%m}.3{i:04d}",
            title=title,
            abstract=HOSTILE_ABSTRACT,
            authors=['Eve "]) [x](http://evil.example) <b>Mallory</b>', "Bob"],
            published=now - timedelta(hours=1, minutes=i),
        )
        for i, title in enumerate(HOSTILE_TITLES)
    ]


@pytest.fixture
def setup(
    tmp_path: Path,
    fake_arxiv: FakeArxiv,
    fake_translator: FakeTranslator,
    log_repo: Path,
    any_database_url: str,
):
    now = utc_now()
    papers = snn_entries(12, now)
    hostile = hostile_entries(now)
    fake_arxiv.entries = papers + hostile + off_topic_entries(now)
    config = write_config(
        tmp_path / "config.toml",
        arxiv_url=fake_arxiv.url,
        translator_url=fake_translator.base + "/m",
        log_path=log_repo / "README.md",
        database__url=any_database_url,
    )
    return config, papers, hostile


def inserted_at(old: str, new: str, at: int) -> str:
    """The text inserted at offset `at`; fails if any existing byte was changed or moved."""
    added = new[at : at + len(new) - len(old)]
    assert new == old[:at] + added + old[at:], "the existing log was changed, not only added to"
    return added


def test_sync_appends_new_papers_once_and_commits_only_the_log(
    setup, log_repo: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator
) -> None:
    config, papers, hostile = setup
    old = SEED_LOG.read_bytes()
    (log_repo / "notes.txt").write_text("unrelated work in progress\n")
    head_before = git(log_repo, "rev-parse", "HEAD").strip()

    started = utc_now()
    result = run_cli("sync", "--config", str(config), process=True)
    months = log_months(started, utc_now(), padded=False)  # as the seed log writes its months

    assert result.returncode == 0, result.stderr
    expected = len(papers) + len(hostile)
    assert f"new {expected}, translated {expected}, written {expected}, pending 0" in result.stdout

    # One combined query for all keywords, limited to a submission window.
    queries = [r["params"]["search_query"] for r in fake_arxiv.requests]
    assert len(queries) == 1
    assert "spiking neural network" in queries[0] and "neuromorphic" in queries[0]
    assert "submittedDate:[" in queries[0]

    new_bytes = (log_repo / "README.md").read_bytes()
    # the new month goes below the intro, above the newest month of the old log,
    # and every byte of the old log is still there, in order
    at = old.decode().index("## 2020.11")
    inserted = inserted_at(old.decode(), new_bytes.decode(), at)
    assert any(inserted.startswith(f"## {month}\n\n- [") for month in months), inserted[:40]

    items, tags = gfm.read(inserted)
    assert "script" not in tags and "img" not in tags and "b" not in tags
    assert len(items) == expected
    by_id = {}
    for item in items:
        # the paper link, and at most a source-code link: nothing injected
        assert item.links[0].text == "paper", item
        assert all(
            link.text == "source code" and link.href.startswith("https://github.com/")
            for link in item.links[1:]
        ), item
        assert len(item.links) <= 2, item
        by_id[item.links[0].href.rsplit("/", 1)[1]] = item
    for entry in papers + hostile:
        item = by_id.pop(entry.arxiv_id)
        link = item.links[0]
        assert link.href == f"https://arxiv.org/abs/{entry.arxiv_id}"
        assert gfm.squash(link.title or "") == gfm.squash(fake_zh(" ".join(entry.abstract.split())))
        assert gfm.squash(" ".join(entry.title.split())) in gfm.squash(item.text)
        assert gfm.squash(entry.authors[0]) in gfm.squash(item.text)
    assert not by_id, "off-topic papers must not be logged"

    # exactly one commit, touching only the log; unrelated work is left alone
    commits = git(log_repo, "rev-list", f"{head_before}..HEAD").split()
    assert len(commits) == 1
    assert git(log_repo, "show", "--name-only", "--format=", "HEAD").split() == ["README.md"]
    assert f"{expected} new papers" in git(log_repo, "log", "-1", "--format=%s")
    assert git(log_repo, "status", "--porcelain").strip() == "?? notes.txt"

    # a second sync finds the same papers and changes nothing
    again = run_cli("sync", "--config", str(config), process=True)
    assert again.returncode == 0, again.stderr
    assert "new 0, translated 0, written 0, pending 0" in again.stdout
    assert (log_repo / "README.md").read_bytes() == new_bytes
    assert git(log_repo, "rev-list", "--count", f"{head_before}..HEAD").strip() == "1"


def test_code_links_point_at_the_repository_named_in_the_abstract(setup, log_repo: Path) -> None:
    config, papers, _ = setup
    assert run_cli("sync", "--config", str(config), process=True).returncode == 0
    items, _ = gfm.read((log_repo / "README.md").read_text())
    by_id = {i.links[0].href.rsplit("/", 1)[1]: i for i in items if i.links}
    with_code = [p for p in papers if "github.com" in p.abstract]
    assert with_code
    for paper in papers:
        links = {link.text: link.href for link in by_id[paper.arxiv_id].links}
        if paper in with_code:
            repo = paper.abstract.split("https://github.com/")[1].split()[0].rstrip(".")
            assert links["source code"] == f"https://github.com/{repo}"
        else:
            assert "source code" not in links
