"""The static site (`snn-feed site`, `[site] dir`): built from a store filled by a real sync
against the fake arXiv and translator and by an import of the seed log, then read back as a
browser would parse it (html.parser): every paper once, months newest first, links that
resolve, search data that finds a paper by an English and by a Chinese word, hostile titles
as text, no request to another host, and rebuilds that write only what changed."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import local_only, run_cli, seed_log_repo, snn_entries, utc_now
from fakes import FakeArxiv, FakeTranslator, fake_zh, running
from test_cli import Env

from snn_feed.config import load_settings
from snn_feed.errors import ConfigError
from snn_feed.site.build import write_changed
from snn_feed.site.chart import papers_per_month
from snn_feed.site.model import Month, SitePaper, normalise, web_url
from snn_feed.site.pages import CSP, render_site

pytestmark = pytest.mark.clock  # the fake papers are submitted in the hours before now

HOSTILE = (
    '<script>alert("x")</script> Spiking neural networks \'quoted" '
    '<a href="javascript:alert(1)" onclick=alert(1)>javascript:alert(2)</a>'
)
CHINESE = {HOSTILE: "恶意标题的脉冲网络"}
"""Chinese titles the translator gives: a word of one must find its paper."""


def translate(text: str) -> str:
    if "\n" in text:
        return "\n".join(map(translate, text.split("\n")))
    return CHINESE.get(text, fake_zh(text))


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: list[str] = field(default_factory=list)


class Page(HTMLParser):
    """Every start tag with its attributes, and each `.paper` with its text."""

    def __init__(self, data: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[Element] = []
        self.papers: list[Element] = []
        self._open: list[tuple[str, Element | None]] = []
        self.feed(data)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.tags.append(element)
        if "paper" in element.attrs.get("class", "").split():
            self.papers.append(element)
            self._open.append((tag, element))
        elif tag not in {"meta", "link", "input", "br", "img", "rect", "line"}:
            self._open.append((tag, None))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if any(e is not None for _, e in self._open) and self.papers:
            self.papers[-1].text.append(data)

    def ids(self) -> set[str]:
        return {e.attrs["id"] for e in self.tags if "id" in e.attrs}

    def by_id(self, name: str) -> Element:
        (found,) = [e for e in self.tags if e.attrs.get("id") == name]
        return found

    def options(self, select: str) -> list[str]:
        """The values of a select's options (options follow their select, up to the next)."""
        start = self.tags.index(self.by_id(select))
        values = []
        for e in self.tags[start + 1 :]:
            if e.tag != "option":
                break
            values.append(e.attrs.get("value", ""))
        return values


def pages(site: Path) -> dict[str, Page]:
    return {p.name: Page(p.read_text(encoding="utf-8")) for p in sorted(site.glob("*.html"))}


def text_of(element: Element) -> str:
    return " ".join("".join(element.text).split())


def logged(env: Env) -> list[tuple[str, str, str | None, str | None]]:
    db = sqlite3.connect(env.tmp / "data" / "feed.sqlite3")
    try:
        return db.execute(
            "select arxiv_id, title, title_zh, log_month from papers join topic_papers "
            "using (arxiv_id) where state in ('written', 'committed')"
        ).fetchall()
    finally:
        db.close()


def mtimes(site: Path) -> dict[str, int]:
    return {p.relative_to(site).as_posix(): p.stat().st_mtime_ns
            for p in site.rglob("*") if p.is_file()}  # fmt: skip


def site_env(tmp: Path, arxiv: FakeArxiv, translator: FakeTranslator, repo: Path) -> Env:
    papers = snn_entries(5, utc_now())
    papers[1].title = HOSTILE
    papers[2].comment = "Accepted at NeurIPS 2025 (oral)"
    arxiv.entries = list(papers)
    translator.translate = translate
    return Env(tmp, arxiv, translator, repo, papers)


def build(env: Env) -> Path:
    """The site after an import of the seed log and a sync of five new papers."""
    folder = env.tmp / "site"
    imported = run_cli("import", "--no-resolve", "--config", env.config(), str(env.log))
    assert imported.returncode == 0, imported.stderr
    result = env.sync(translate__titles=True, site__dir=str(folder))
    assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture
def env(tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path):
    return site_env(tmp_path, fake_arxiv, fake_translator, log_repo)


@pytest.fixture
def site(env: Env) -> Path:
    return build(env)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Env, Path]]:
    """One site for the tests that only read it (a sync and an import cost a second)."""
    yield from built_once(tmp_path_factory)


def built_once(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Env, Path]]:
    """A site built as conftest's fixtures would: local servers only, no machine settings,
    the seed log (for a module-scoped fixture: here and in test_site_browser.py)."""
    tmp = tmp_path_factory.mktemp("built")
    with pytest.MonkeyPatch.context() as mp, running(FakeArxiv()) as arxiv, \
            running(FakeTranslator()) as translator:  # fmt: skip
        local_only(mp, tmp_path_factory)
        env = site_env(tmp, arxiv, translator, seed_log_repo(tmp))
        yield env, build(env)


def test_every_logged_and_imported_paper_appears_once_with_its_titles_and_links(
    built: tuple[Env, Path],
) -> None:
    env, site = built
    shown = [(name, paper) for name, page in pages(site).items() for paper in page.papers]
    anchors = [paper.attrs["id"] for _, paper in shown]
    assert len(anchors) == len(set(anchors))
    by_anchor = {paper.attrs["id"]: (name, paper) for name, paper in shown}
    rows = logged(env)
    assert {r[0] for r in rows} >= {p.arxiv_id for p in env.papers}
    for arxiv_id, title, title_zh, log_month in rows:
        name, paper = by_anchor.pop(f"p-{arxiv_id}")
        assert name == f"{log_month.replace('.', '-')}.html"
        text = text_of(paper)
        assert " ".join(title.split()) in text and title_zh and title_zh in text
        page = pages(site)[name]
        links = [e.attrs["href"] for e in page.tags if e.tag == "a" and "href" in e.attrs]
        assert f"https://arxiv.org/abs/{arxiv_id}" in links
    # The rest are the seed log's entries: none of them a stored paper, each under its month.
    db = sqlite3.connect(env.tmp / "data" / "feed.sqlite3")
    entries = db.execute("select title, section from log_entries").fetchall()
    db.close()
    assert len(by_anchor) == len(entries) > 50
    titles = {" ".join(text_of(p).split()) for _, p in by_anchor.values()}
    for title, _section in entries:
        assert any(" ".join(title.split()) in t for t in titles), title
    assert {name for name, _ in by_anchor.values()} >= {"2020-11.html", "2020-10.html"}


def test_months_come_newest_first_and_every_link_leads_to_a_file_and_an_anchor(
    built: tuple[Env, Path],
) -> None:
    site = built[1]
    every = pages(site)
    index = every["index.html"]
    start = index.tags.index(index.by_id("month-list"))
    months = [e.attrs["href"] for e in index.tags[start:] if e.tag == "a"]
    months = [m for m in months if m != "index.html"]
    assert months == sorted(months, reverse=True) and len(months) >= 3
    assert set(months) == set(every) - {"index.html"}
    assert index.options("filter-month")[1:] == [m.removesuffix(".html") for m in months]
    for name, page in every.items():
        for element in page.tags:
            for attr in ("href", "src"):
                url = element.attrs.get(attr)
                if url is None or urlsplit(url).scheme in ("http", "https"):
                    continue
                parts = urlsplit(url)
                target = parts.path or name
                assert (site / target).is_file(), f"{name}: {url}"
                if parts.fragment and target.endswith(".html"):
                    assert parts.fragment in every[target].ids(), f"{name}: {url}"
    newest, second = months[0], months[1]
    assert every[newest].by_id("older").attrs["href"] == second
    assert every[second].by_id("newer").attrs["href"] == newest
    assert "newer" not in every[newest].ids() and "older" not in every[months[-1]].ids()


def test_filters_and_search_data_hold_what_they_should(built: tuple[Env, Path]) -> None:
    env, site = built
    every = pages(site)
    listing = json.loads((site / "search" / "months.json").read_text())["months"]
    assert [m["m"] + ".html" for m in listing] == sorted(set(every) - {"index.html"},
                                                         reverse=True)  # fmt: skip
    records = {}
    for entry in listing:
        page = every[f"{entry['m']}.html"]
        data = json.loads((site / "search" / f"{entry['m']}.json").read_text(encoding="utf-8"))
        assert entry["n"] == len(data) == len(page.papers)
        for record, paper in zip(data, page.papers, strict=True):
            attrs = paper.attrs
            assert record["id"] == attrs["id"] and record["m"] == attrs["data-month"]
            assert str(record["s"] or "") == attrs["data-score"]
            assert record["v"] == attrs["data-venue"] and str(record["c"]) == attrs["data-code"]
            records[record["id"]] = record
    venue = records[f"p-{env.papers[2].arxiv_id}"]
    assert venue["v"] == "NeurIPS 2025 (oral)"
    assert "NeurIPS 2025 (oral)" in every["index.html"].options("filter-venue")
    assert records[f"p-{env.papers[0].arxiv_id}"]["c"] == 1  # its abstract names a repository
    assert records[f"p-{env.papers[1].arxiv_id}"]["c"] == 0

    def search(query: str) -> set[str]:
        """What site.js finds: every word of the normalised query in a record's text."""
        words = normalise(query).split()
        return {i for i, r in records.items() if all(w in r["x"] for w in words)}

    target = f"p-{env.papers[1].arxiv_id}"
    assert search("恶意标题") == {target}  # a Chinese word of its Chinese title
    assert search("'QUOTED") == {target}  # a word of its English title, in any case
    first = env.papers[0]
    assert f"p-{first.arxiv_id}" in search(first.title.split()[-1] + " " + first.authors[0])
    assert search("rectified linear postsynaptic")  # an imported entry's title
    for page in every.values():
        for name in ("search", "filter-score", "filter-venue", "filter-code", "filter-month"):
            assert name in page.ids()
        assert page.options("filter-score") == ["", "5", "4", "3", "2", "1"]
        assert page.options("filter-code") == ["", "1", "0"]


def test_a_hostile_title_stays_text_and_no_page_can_run_a_script_of_its_own(
    built: tuple[Env, Path],
) -> None:
    env, site = built
    every = pages(site)
    for name, page in every.items():
        scripts = [e for e in page.tags if e.tag == "script"]
        assert len(scripts) == 1 and scripts[0].attrs["src"].startswith("static/site.js?v=")
        for element in page.tags:
            assert not [a for a in element.attrs if a.startswith("on")], (name, element)
            href = element.attrs.get("href")
            if href is not None:
                assert urlsplit(href).scheme in ("", "http", "https"), (name, href)
                assert "javascript" not in href.lower()
    (paper,) = [p for page in every.values() for p in page.papers
                if p.attrs["id"] == f"p-{env.papers[1].arxiv_id}"]  # fmt: skip
    assert '<script>alert("x")</script>' in text_of(paper)
    assert "恶意标题的脉冲网络" in text_of(paper)


def test_a_link_other_than_http_is_dropped_and_markup_escaped() -> None:
    paper = SitePaper(
        anchor="p-2605.00001", month="2026-05", title='<b onmouseover="x">T</b>',
        title_zh="<script>", score=3, authors=("A <i>",), venue='V" onload="x',
        abs_url="https://arxiv.org/abs/2605.00001", code_url=web_url("javascript:alert(1)"),
        abstract_zh="&lt;", abstract="<details>",
    )  # fmt: skip
    files = render_site([Month("2026-05", (paper,))], "<Site>", {"site.css": "1", "site.js": "2"})
    page = files["2026-05.html"].decode()
    assert "<b " not in page and "<script>" not in page and "<i>" not in page
    assert "&lt;b onmouseover=&#34;x&#34;&gt;T&lt;/b&gt;" in page and "&amp;lt;" in page
    assert 'data-code="0"' in page and 'class="code"' not in page
    assert [e.attrs["data-venue"] for e in Page(page).papers] == ['V" onload="x']
    assert [web_url(u) for u in ("https://github.com/a/b", "HTTP://x.org", "data:text/html,x",
                                 "//evil.org", "https://", "https://a.org/ b", None)] == [
        "https://github.com/a/b", "HTTP://x.org", None, None, None, None, None,
    ]  # fmt: skip


def test_every_page_has_the_policy_and_asks_no_other_host(built: tuple[Env, Path]) -> None:
    site = built[1]
    for name, page in pages(site).items():
        (policy,) = [e for e in page.tags if e.attrs.get("http-equiv") == "Content-Security-Policy"]
        assert policy.attrs["content"] == CSP and "default-src 'self'" in CSP
        assert "'unsafe-inline'" not in CSP
        assert any(e.attrs.get("name") == "viewport" for e in page.tags), name
        for element in page.tags:
            if element.tag in ("script", "link", "img", "iframe", "source"):
                for attr in ("src", "href"):
                    url = element.attrs.get(attr, "")
                    assert not urlsplit(url).scheme and not url.startswith("//"), (name, url)
            assert "style" not in element.attrs, (name, element)  # the policy refuses it
    assert "://" not in (site / "static" / "site.js").read_text()  # it fetches this site only


def test_a_rebuild_writes_only_the_files_whose_content_changed(env: Env, site: Path) -> None:
    before = mtimes(site)
    again = run_cli("site", "--config", env.config(site__dir=str(site)))
    assert again.returncode == 0, again.stderr
    assert " 0 files written, 0 removed" in again.stdout
    assert mtimes(site) == before

    new = snn_entries(1, utc_now(), offset=5)[0]
    new.published = utc_now() - timedelta(minutes=30)
    env.arxiv.entries.append(new)
    result = env.sync(translate__titles=True, site__dir=str(site))
    assert result.returncode == 0, result.stderr
    (month,) = [m.replace(".", "-") for i, _, _, m in logged(env) if i == new.arxiv_id]
    after = mtimes(site)
    changed = {name for name, t in after.items() if before.get(name) != t}
    if f"{month}.html" in before:
        assert changed == {f"{month}.html", f"search/{month}.json", "search/months.json",
                           "index.html"}  # fmt: skip
    else:  # a month began between the syncs: its page is new, and every month lists it
        assert {f"{month}.html", "index.html"} <= changed


def test_a_site_that_cannot_be_written_fails_the_sync_but_the_papers_are_committed(
    env: Env,
) -> None:
    blocked = env.tmp / "site"
    blocked.write_text("a file, not a folder")
    head = env.head()

    result = env.sync(site__dir=str(blocked))

    assert result.returncode == 1
    assert result.stderr.startswith("snn-feed: site: ") and len(result.stderr.splitlines()) == 1
    assert env.head() != head
    assert all(f"arxiv.org/abs/{p.arxiv_id}" in env.log.read_text() for p in env.papers)


def test_the_pages_of_months_gone_are_removed_and_nothing_else(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "search").mkdir(parents=True)
    for name in ("2019-01.html", "search/2019-01.json", "CNAME", "2019-01.txt", "notes.html"):
        (site / name).write_text("old")

    report = write_changed(site, {"index.html": b"i", "2020-01.html": b"m"})

    assert sorted(report.removed) == ["2019-01.html", "search/2019-01.json"]
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()) == [
        "2019-01.txt", "2020-01.html", "CNAME", "index.html", "notes.html",
    ]  # fmt: skip
    assert write_changed(site, {"index.html": b"i", "2020-01.html": b"m"}).written == []


def test_the_chart_draws_a_linked_bar_per_month_and_a_gap_for_an_empty_one() -> None:
    svg = str(papers_per_month([("2026-01", 4), ("2025-11", 2), ("undated", 9)]))
    page = Page(svg)
    bars = [e for e in page.tags if e.tag == "rect"]
    assert len(bars) == 2
    assert [e.attrs["href"] for e in page.tags if e.tag == "a"] == ["2025-11.html", "2026-01.html"]
    assert "<title>2026-01: 4</title>" in svg and "2025-12" not in svg
    assert [int(b.attrs["height"]) for b in bars] == [60, 120]
    assert str(papers_per_month([])) == ""


def test_site_dir_is_read_from_the_config_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[site]\ndir = "public"\ntitle = "My SNN log"\n')
    settings = load_settings(config)
    assert settings.site_path == tmp_path / "public" and settings.site.title == "My SNN log"
    monkeypatch.setenv("SNN_FEED_SITE__DIR", "/srv/www/snn")
    assert load_settings(config).site_path == Path("/srv/www/snn")
    monkeypatch.delenv("SNN_FEED_SITE__DIR")
    config.write_text("[site]\n")
    assert load_settings(config).site_path is None
    config.write_text("[site]\ndirectory = 'x'\n")
    with pytest.raises(ConfigError, match=r"unknown key site\.directory"):
        load_settings(config)


def test_site_without_a_folder_is_a_usage_error_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")
    result = run_cli("site", "--config", str(config))
    assert result.returncode == 2 and "give DIR or set [site] dir" in result.stderr
