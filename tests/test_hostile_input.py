"""Ids and text from outside are data: what arXiv's API, its feed or a translator sends is
checked where it enters, so nothing it carries reaches the log as Markdown, HTML or a link, the
same paper in another spelling is not logged twice, and no character reorders or hides text."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import timedelta
from pathlib import Path

import gfm
import pytest
from conftest import run_cli, snn_entries, utc_now, write_config
from fake_rss import rss_fixture
from fakes import FakeArxiv, FakeTranslator, fake_zh

from snn_feed.sanitize import DECEPTIVE
from snn_feed.sources.announcements import parse_feed

pytestmark = pytest.mark.clock  # papers are submitted in the hours before now

HOSTILE_IDS = {
    "quote and link": 'http://arxiv.org/abs/{id}"](https://evil.example/x)',
    "newline and heading": "http://arxiv.org/abs/{id}\n## Pwned",
    "html tag": "http://arxiv.org/abs/{id}<img src=x onerror=alert(1)>",
    "path": "http://arxiv.org/abs/../../../etc/passwd",
    "url of another site": "https://evil.example/abs/{id}",
    "six digits": "http://arxiv.org/abs/{id}1",
}
SAME_PAPER = {
    "upper-case version marker": "http://arxiv.org/abs/{id}V2",
    "trailing slash": "http://arxiv.org/abs/{id}v2/",
    "padded with white space": "\n     http://arxiv.org/abs/{id}v2  \n  ",
}


def sync(tmp: Path, arxiv: FakeArxiv, translator: FakeTranslator, log: Path):
    config = write_config(tmp / "config.toml", arxiv_url=arxiv.url,
                          translator_url=translator.base + "/m", log_path=log)  # fmt: skip
    return run_cli("sync", "--config", str(config))


def log_ids(log: Path) -> list[str]:
    """The id of every entry's paper link, as GitHub renders the log."""
    items, _ = gfm.read(log.read_text(encoding="utf-8"))
    return [a.href.split("/abs/")[1] for i in items for a in i.links if a.text == "paper"]


def test_an_id_that_is_not_arxivs_is_skipped_and_named(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path
) -> None:
    good, *others = snn_entries(1 + len(HOSTILE_IDS), utc_now())
    fake_arxiv.entries = [good] + [
        dataclasses.replace(e, raw_id=form.format(id=e.arxiv_id))
        for e, form in zip(others, HOSTILE_IDS.values(), strict=True)
    ]
    log = log_repo / "README.md"
    before = log.read_text(encoding="utf-8")

    result = sync(tmp_path, fake_arxiv, fake_translator, log)

    assert result.returncode == 0, result.stderr
    added = log.read_text(encoding="utf-8")[: len(log.read_text()) - len(before)]
    for marker in ("evil.example", "Pwned", "<img", "passwd"):
        assert marker not in log.read_text(encoding="utf-8"), marker
    assert added.count("[paper](") == 1 and good.arxiv_id in added
    assert result.stderr.count("skipping an entry whose id is not an arXiv id") == len(HOSTILE_IDS)
    rows = sqlite3.connect(tmp_path / "data" / "feed.sqlite3").execute(
        "select arxiv_id from papers"
    )
    assert [r[0] for r in rows] == [good.arxiv_id]


@pytest.mark.parametrize("form", SAME_PAPER.values(), ids=SAME_PAPER.keys())
def test_the_same_paper_in_another_spelling_is_logged_once(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path,
    form: str,
) -> None:  # fmt: skip
    (paper,) = snn_entries(1, utc_now())
    fake_arxiv.entries = [paper]
    log = log_repo / "README.md"
    assert sync(tmp_path, fake_arxiv, fake_translator, log).returncode == 0

    # The next day arXiv lists it again, as version 2, its id spelled another way.
    later = paper.published + timedelta(minutes=1)
    raw = form.format(id=paper.arxiv_id)
    fake_arxiv.entries = [dataclasses.replace(paper, version=2, raw_id=raw, published=later)]
    again = sync(tmp_path, fake_arxiv, fake_translator, log)

    assert again.returncode == 0, again.stderr
    assert log_ids(log).count(paper.arxiv_id) == 1
    rows = sqlite3.connect(tmp_path / "data" / "feed.sqlite3").execute(
        "select arxiv_id, version from papers"
    )
    assert rows.fetchall() == [(paper.arxiv_id, 2)]


FEED = "cs.NE-2026-05-15-fri.xml"


def first_item_id() -> str:
    return parse_feed(rss_fixture(FEED)).items[0].arxiv_id


def feed_with_id(raw: str) -> bytes:
    """The recorded weekday feed with its first item's guid, description id and link all
    replaced by `raw` (XML-escaped, as a feed carries it)."""
    from xml.sax.saxutils import escape

    text = rss_fixture(FEED).decode()
    first = text.index("<item>")
    end = text.index("</item>", first)
    item = text[first:end]
    old_guid = item[item.index("<guid") : item.index("</guid>") + len("</guid>")]
    vid = old_guid.split("oai:arXiv.org:")[1].split("<")[0]
    link = item[item.index("<link>") : item.index("</link>") + len("</link>")]
    new = (
        item.replace(old_guid, f'<guid isPermaLink="false">{escape(raw)}</guid>')
        .replace(f"arXiv:{vid} ", f"arXiv:{escape(raw.strip())} ")
        .replace(link, f"<link>{escape(raw)}</link>")
    )
    return (text[:first] + new + text[end:]).encode()


@pytest.mark.parametrize(
    "raw",
    ['oai:arXiv.org:{id}v1"](https://evil.example)', "oai:arXiv.org:{id}1v1",
     "oai:arXiv.org:{id}v1<b>x</b>", "../{id}"],
    ids=["quote and link", "six digits", "html tag", "path"],
)  # fmt: skip
def test_a_feed_item_whose_id_is_not_arxivs_is_skipped(raw: str) -> None:
    whole = parse_feed(rss_fixture(FEED))
    feed = parse_feed(feed_with_id(raw.format(id=first_item_id())))
    assert [i.arxiv_id for i in feed.items] == [i.arxiv_id for i in whole.items[1:]]


@pytest.mark.parametrize(
    ("raw", "version"),
    [("oai:arXiv.org:{id}V2", 2), ("oai:arXiv.org:{id}v3/", 3),
     ("\n   oai:arXiv.org:{id}v1\n  ", 1)],
    ids=["upper-case version marker", "trailing slash", "padded with white space"],
)  # fmt: skip
def test_a_feed_id_in_another_spelling_is_the_same_paper(raw: str, version: int) -> None:
    paper = first_item_id()
    feed = parse_feed(feed_with_id(raw.format(id=paper)))
    assert (feed.items[0].arxiv_id, feed.items[0].version) == (paper, version)


BIDI_AND_ZERO_WIDTH = "\u202e\u2066\u200b\u200d\u2060\ufeff"


def test_characters_that_reorder_or_hide_text_never_reach_the_store_or_the_log(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path
) -> None:
    (paper,) = snn_entries(1, utc_now())
    fake_arxiv.entries = [dataclasses.replace(
        paper,
        title="Spiking\u202e networks\u200b that \u2066hide\u2069",
        authors=["Ada\u200d Love\u2060lace", "B\ufeffob"],
        abstract=paper.abstract + " Right\u202eto\u202cleft\u200b.",
    )]  # fmt: skip
    # The engine adds some of its own, as engines that echo markup do.
    fake_translator.translate = lambda text: "\u2067" + fake_zh(text) + "\u200b\u202a"
    log = log_repo / "README.md"

    result = sync(tmp_path, fake_arxiv, fake_translator, log)

    assert result.returncode == 0, result.stderr
    assert not DECEPTIVE.search(log.read_text(encoding="utf-8"))
    assert "Spiking networks that hide" in log.read_text(encoding="utf-8")
    db = sqlite3.connect(tmp_path / "data" / "feed.sqlite3")
    stored = db.execute("select title, authors, abstract, abstract_zh from papers").fetchone()
    assert stored[3] and not any(DECEPTIVE.search(value) for value in stored)
    assert all(c not in "".join(stored) for c in BIDI_AND_ZERO_WIDTH)
