"""`snn-feed export --atom FILE`: the log's latest papers as an Atom feed, read back the way a
feed reader reads it (feedparser) and checked against the Atom namespace with lxml."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from conftest import git, run_cli, snn_entries, utc_now, write_config
from fakes import FakeArxiv, FakeEntry, FakeTranslator, fake_zh
from lxml import etree

from snn_feed.config import load_settings
from snn_feed.service.export import (
    VENUE_SCHEME,
    FeedInfo,
    FeedItem,
    export_atom,
    render_atom,
)
from snn_feed.store import open_store

pytestmark = pytest.mark.clock  # reads the wall clock: CI runs it at hard instants too

ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE_TITLES = [
    "<script>alert(1)</script> spiking neural networks <img src=x onerror=alert(1)>",
    "Closing ]]> a CDATA section and <![CDATA[ opening one in spiking neural networks",
    "Entities &amp; &lt;b&gt; and & < > \" ' in a neuromorphic title",
]


@dataclass
class Env:
    tmp: Path
    config: Path
    arxiv: FakeArxiv
    papers: list[FakeEntry]

    def sync(self) -> None:
        result = run_cli("sync", "--config", str(self.config))
        assert result.returncode == 0, result.stderr

    def export(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_cli("export", "--config", str(self.config), *args)


def hostile(now: datetime) -> list[FakeEntry]:
    return [
        FakeEntry(
            arxiv_id=f"{now:%y%m}.4{i:04d}",
            title=title,
            abstract=f"Spiking neural networks {title} with <b>markup</b> ]]> in the abstract.",
            authors=['Eve "<b>Mallory</b>" ]]>', "Bob & Alice"],
            published=now - timedelta(minutes=30 + i),
            categories=["cs.NE", "cs.CR"],
        )
        for i, title in enumerate(HOSTILE_TITLES)
    ]


@pytest.fixture
def env(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path
) -> Env:
    now = utc_now()
    papers = snn_entries(5, now) + hostile(now)
    fake_arxiv.entries = list(papers)
    config = write_config(
        tmp_path / "config.toml",
        arxiv_url=fake_arxiv.url,
        translator_url=fake_translator.base + "/m",
        log_path=log_repo / "README.md",
    )
    return Env(tmp_path, config, fake_arxiv, papers)


def read_feed(path: Path) -> feedparser.FeedParserDict:
    """The feed as a reader sees it; fails unless it is well-formed Atom 1.0."""
    data = path.read_bytes()
    root = etree.fromstring(data)
    assert root.tag == f"{ATOM}feed"
    feed = feedparser.parse(data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def text(value: str) -> str:
    return " ".join(value.split())


def newest_first(entries: list[FakeEntry]) -> list[str]:
    """Ids of papers logged in one sync, as the feed lists them: newest submission first."""
    ordered = sorted(entries, key=lambda e: (e.published, e.arxiv_id), reverse=True)
    return [f"https://arxiv.org/abs/{e.arxiv_id}" for e in ordered]


def test_every_logged_paper_is_an_entry_with_its_chinese_abstract(env: Env) -> None:
    env.sync()
    out = env.tmp / "feeds" / "snn.atom"

    result = env.export("--atom", str(out))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"export: {len(env.papers)} papers written to {out}"
    feed = read_feed(out)
    assert feed.feed.title == "SNN arXiv daily"
    assert feed.feed.id.startswith("urn:uuid:")
    assert [e.id for e in feed.entries] == newest_first(env.papers)
    by_id = {e.id: e for e in feed.entries}
    for paper in env.papers:
        entry = by_id[f"https://arxiv.org/abs/{paper.arxiv_id}"]
        assert [(link.href, link.rel) for link in entry.links] == [(entry.id, "alternate")]
        assert entry.title == text(paper.title)
        assert entry.title_detail.type == "text/plain"
        (content,) = entry.content
        assert content.type == "text/plain"
        assert content.value == fake_zh(text(paper.abstract))
        assert entry.summary == text(paper.abstract)
        assert [a.name for a in entry.authors] == paper.authors
        assert [t.term for t in entry.tags] == paper.categories
        assert entry.published_parsed[:6] == paper.published.utctimetuple()[:6]


def test_hostile_titles_and_abstracts_stay_text(env: Env) -> None:
    env.sync()
    out = env.tmp / "feed.atom"
    assert env.export("--atom", str(out)).returncode == 0

    root = etree.fromstring(out.read_bytes())
    entries = {e.findtext(f"{ATOM}id"): e for e in root.iter(f"{ATOM}entry")}
    for paper in hostile(utc_now()):
        entry = entries[f"https://arxiv.org/abs/{paper.arxiv_id}"]
        for name in ("title", "content", "summary"):
            element = entry.find(f"{ATOM}{name}")
            assert element is not None, name
            # no element smuggled in: the whole title is one text node
            assert len(element) == 0 and element.get("type", "text") == "text", name
        assert entry.findtext(f"{ATOM}title") == text(paper.title)
        assert "]]>" in entry.findtext(f"{ATOM}summary", "")
    # nothing outside the Atom namespace, no CDATA a reader might treat as markup
    assert {el.tag.split("}")[0] for el in root.iter()} == {ATOM[:-1]}
    assert b"<![CDATA[" not in out.read_bytes().replace(b"&lt;![CDATA[", b"")


def test_papers_logged_later_come_first_even_when_submitted_earlier(env: Env) -> None:
    env.sync()
    out = env.tmp / "feed.atom"
    assert env.export("--atom", str(out)).returncode == 0
    first = out.read_bytes()
    assert env.export("--atom", str(out)).returncode == 0
    assert out.read_bytes() == first, "the same log must give the same feed"

    # arXiv indexed two papers late: submitted before the first batch, logged after it
    late = snn_entries(2, utc_now() - timedelta(days=1), offset=20)
    env.arxiv.entries += late
    env.sync()
    assert env.export("--atom", str(out)).returncode == 0

    feed = read_feed(out)
    assert [e.id for e in feed.entries] == newest_first(late) + newest_first(env.papers)
    assert out.read_bytes() != first


def test_limit_keeps_only_the_latest_papers(env: Env) -> None:
    env.sync()
    out = env.tmp / "feed.atom"

    result = env.export("--atom", str(out), "--limit", "3")

    assert result.returncode == 0, result.stderr
    assert [e.id for e in read_feed(out).entries] == newest_first(env.papers)[:3]
    assert env.export("--atom", str(out), "--limit", "0").returncode == 2


def test_an_empty_store_gives_a_valid_empty_feed(env: Env) -> None:
    out = env.tmp / "feed.atom"

    result = env.export("--atom", str(out))

    assert result.returncode == 0, result.stderr
    assert "export: 0 papers" in result.stdout
    feed = read_feed(out)
    assert feed.entries == [] and feed.feed.title == "SNN arXiv daily"
    assert not (env.tmp / "data" / "feed.sqlite3").exists(), "export must not create a database"


def test_the_feed_can_go_to_standard_output(env: Env) -> None:
    env.sync()
    result = env.export("--atom", "-", "--limit", "2")
    assert result.returncode == 0, result.stderr
    feed = feedparser.parse(result.stdout.encode())
    assert not feed.bozo and len(feed.entries) == 2


def test_config_sets_the_file_title_and_link_and_export_atom_follows_it(env: Env) -> None:
    link = "https://github.com/you/SNN_arxiv_daily"
    env.config.write_text(
        env.config.read_text()
        + f'[export]\natom = "public/feed.atom"\nlimit = 4\nlink = "{link}"\n'
        + 'title = "脉冲 & <papers>"\n'
    )
    env.sync()

    result = env.export()  # no --atom: [export] atom, relative to the config file

    assert result.returncode == 0, result.stderr
    feed = read_feed(env.tmp / "public" / "feed.atom")
    assert (feed.feed.title, feed.feed.id, feed.feed.link) == ("脉冲 & <papers>", link, link)
    assert len(feed.entries) == 4

    # what a sync will call: the same file, rewritten
    (env.tmp / "public" / "feed.atom").unlink()
    settings = load_settings(env.config, environ={})
    assert export_atom(settings, open_store(settings.database_url)) == (
        env.tmp / "public" / "feed.atom"
    )
    assert len(read_feed(env.tmp / "public" / "feed.atom").entries) == 4


def test_without_a_configured_feed_nothing_is_written(env: Env) -> None:
    settings = load_settings(env.config, environ={})
    assert export_atom(settings, open_store(settings.database_url)) is None
    result = env.export()
    assert result.returncode == 2
    assert "--atom" in result.stderr and "[export] atom" in result.stderr


def test_the_feed_id_reveals_no_path_and_differs_per_log(tmp_path: Path) -> None:
    def feed_id(log: str) -> str:
        (tmp_path / "c.toml").write_text(f'[log]\npath = "{log}"\n')
        from snn_feed.service.export import feed_info

        return feed_info(load_settings(tmp_path / "c.toml", environ={})).id

    one = feed_id("/home/alice/log/README.md")
    assert one == feed_id("/home/alice/log/README.md")
    assert one != feed_id("/home/alice/other/README.md")
    assert "alice" not in one and one.startswith("urn:uuid:")


def test_characters_xml_cannot_hold_are_dropped_not_fatal() -> None:
    moment = datetime(2026, 11, 27, 1, 2, 3, tzinfo=UTC)
    item = FeedItem(
        arxiv_id="2611.00001", title="Spiking\x00 neural\x1b networks\ufffe",
        authors=["A\x08 Author", "\x01"], abstract="Text\x0c with a form feed.",
        abstract_zh="脉冲\x07神经网络", categories=["cs.NE"],
        published=moment, updated=moment, logged_at=moment,
    )  # fmt: skip
    feed = feedparser.parse(render_atom([item], FeedInfo(id="urn:uuid:x", title="t")))
    assert not feed.bozo
    (entry,) = feed.entries
    assert entry.title == "Spiking neural networks"
    assert [a.name for a in entry.authors] == ["A Author"]
    assert entry.content[0].value == "脉冲神经网络"


def test_an_entry_shows_its_venue_as_a_category_and_in_its_summary(env: Env) -> None:
    accepted, submitted, published = env.papers[:3]
    accepted.comment = "8 pages. Accepted at NeurIPS 2025 (oral)"
    submitted.comment = "Submitted to ICLR 2026"
    published.journal_ref = "IEEE Transactions on Neural Networks and Learning Systems, 2024"
    env.sync()
    out = env.tmp / "feed.atom"
    assert env.export("--atom", str(out)).returncode == 0
    feed = read_feed(out)
    by_id = {e.id.rsplit("/", 1)[1]: e for e in feed.entries}

    def venues(arxiv_id: str) -> list[str]:
        return [t.term for t in by_id[arxiv_id].tags if t.scheme == VENUE_SCHEME]

    assert venues(accepted.arxiv_id) == ["NeurIPS 2025 (oral)"]
    assert by_id[accepted.arxiv_id].summary.startswith("[NeurIPS 2025 (oral)] ")
    assert venues(published.arxiv_id) == ["IEEE TNNLS 2024"]
    assert venues(submitted.arxiv_id) == []
    assert not by_id[submitted.arxiv_id].summary.startswith("[")
    # the arXiv categories are still there, apart from the venue
    assert "cs.NE" in [t.term for t in by_id[accepted.arxiv_id].tags if not t.scheme]


# -- the old feed survives a failed write -------------------------------------------------


OLD_FEED = b"<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns='http://www.w3.org/2005/Atom'/>\n"


@pytest.mark.parametrize("failure", ["read-only", "full"])
def test_a_failed_write_is_one_line_and_leaves_the_old_feed(
    env: Env, small_disk: Path, failure: str
) -> None:
    env.sync()
    out = small_disk / "feed.atom"
    out.write_bytes(OLD_FEED)
    if failure == "read-only":
        subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    else:
        free = shutil.disk_usage(small_disk).free
        (small_disk / "ballast").write_bytes(b"\0" * max(0, free - 1024))

    result = env.export("--atom", str(out))

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith(f"snn-feed: cannot write the feed {out}")
    assert lines[0].endswith("the old file is unchanged")
    assert out.read_bytes() == OLD_FEED
    left = {p.name for p in small_disk.iterdir()} - {"ballast"}
    assert left == {"feed.atom"}, "no temporary file may be left behind"


def test_every_sync_rewrites_the_configured_feed(env: Env, log_repo: Path) -> None:
    env.config.write_text(env.config.read_text() + '[export]\natom = "feed.atom"\n')
    env.sync()
    assert {e.id for e in read_feed(env.tmp / "feed.atom").entries} == {
        f"https://arxiv.org/abs/{p.arxiv_id}" for p in env.papers
    }
    later = snn_entries(2, utc_now(), offset=50)
    env.arxiv.entries += later
    env.sync()
    ids = [e.id for e in read_feed(env.tmp / "feed.atom").entries]
    assert ids[:2] == newest_first(later)


def test_a_feed_that_cannot_be_written_fails_the_sync_but_keeps_its_commit(
    env: Env, small_disk: Path, log_repo: Path
) -> None:
    out = small_disk / "feed.atom"
    out.write_bytes(OLD_FEED)
    env.config.write_text(env.config.read_text() + f'[export]\natom = "{out}"\n')
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    head = git(log_repo, "rev-parse", "HEAD")

    result = run_cli("sync", "--config", str(env.config))

    assert result.returncode == 1
    assert f"cannot write the feed {out}" in result.stderr
    assert "written 8" in result.stdout  # the papers are logged and committed regardless
    assert git(log_repo, "rev-parse", "HEAD") != head
    assert out.read_bytes() == OLD_FEED

    subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    env.sync()  # nothing new, and the feed is written
    assert len(read_feed(out).entries) == 8
