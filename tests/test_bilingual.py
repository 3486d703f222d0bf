"""The bilingual entry style (journal/bilingual.py), read as GitHub renders it (cmark-gfm):
what a reader sees, what can be a link, and that the log reads its own entries back."""

from __future__ import annotations

import re
from datetime import date

import gfm
import pytest
from hostile import HOSTILE, visible
from hypothesis import example, given, settings
from hypothesis import strategies as st

from snn_feed.journal.logfile import insert_entries
from snn_feed.journal.logparse import entry_style, parse_log
from snn_feed.journal.presence import entry_ids
from snn_feed.journal.render import render_entry
from snn_feed.records import LogEntry

ALLOWED_TAGS = {"h3", "a", "p", "ul", "li", "input", "code", "details", "summary"}
URLS = [
    "https://github.com/snn-lab/model", "http://www.example.org/data?x=1&y=2#top",
    "https://zenodo.org/records/123", "https://a.example/x_(y)", "https://b.example/&amp;",
]  # fmt: skip
CODE_URLS = [None, "https://github.com/UA-RCL/RANC", "https://gitlab.com/group/project"]
VENUES = [None, "NeurIPS 2025", "CVPR 2026 (highlight)", "IEEE TNNLS", "a`b", " "]
WITH_URLS = st.lists(st.one_of(HOSTILE, st.sampled_from(URLS)), max_size=4).map(" ".join)


@st.composite
def bilingual_entries(draw: st.DrawFn) -> tuple[LogEntry, bool, int]:
    authors = tuple(draw(st.lists(HOSTILE, max_size=6)))
    watched = frozenset(a for a in authors if draw(st.booleans()))
    entry = LogEntry(
        arxiv_id=draw(st.sampled_from(["2011.00888", "2401.12345", "cs/0101001"])),
        score=draw(st.integers(1, 5)),
        first_author=authors[0] if authors else draw(HOSTILE),
        title=draw(HOSTILE),
        abstract_zh=draw(WITH_URLS),
        code_url=draw(st.sampled_from(CODE_URLS)),
        title_zh=draw(HOSTILE),
        abstract=draw(WITH_URLS),
        authors=authors,
        published=draw(st.one_of(st.none(), st.dates(date(1991, 1, 1), date(2099, 12, 31)))),
        comment=draw(st.one_of(st.none(), HOSTILE)),
        venue=draw(st.sampled_from(VENUES)),
        watched=watched,
    )
    return entry, draw(st.booleans()), draw(st.integers(1, 4))


def whole_url_in(url: str, text: str) -> bool:
    """Whether `text` holds `url` whole: not cut short of a character that continues it (a
    `)` continues it only when the URL opened a parenthesis it has not closed)."""
    for match in re.finditer(re.escape(url), text):
        after = text[match.end() : match.end() + 1]
        # Punctuation that ends a sentence ("see https://x.org?") ends the URL too, as in GFM,
        # unless more of the URL follows it.
        rest = text[match.end() :].lstrip(".,;:!?'*_~")
        if after in ".,;:!?'*_~" and (not rest or not (rest[0].isascii() and rest[0].isalnum())):
            return True
        if after.isascii() and after and (after.isalnum() or after in "/#?=&%-+$@"):
            continue
        if after == ")" and url.count("(") > url.count(")"):
            continue
        return True
    return False


def squash(text: str) -> str:
    return visible(text)


@settings(max_examples=1000, deadline=None)
@given(case=bilingual_entries())
@example(case=(LogEntry("2401.12345", 3, "A", "T", "见 https://x.example/a 。", None, "标题",
                        "See https://x.example/a.", ("A",)), False, 3)).via(
    "a URL of the English abstract is a link in the Chinese one"
)  # fmt: skip
@example(case=(LogEntry("2401.12345", 3, "A", "T", "https://x.example/a 是代码。", None, "标题",
                        "https://x.example/a", ("A",)), False, 3)).via(
    "a line that starts with a linked URL"
)  # fmt: skip
@example(case=(LogEntry("2401.12345", 3, "A", "t", "https://evil.example?", None, "",
                        "https://evil.example?"), False, 1)).via(
    "a URL at the end of a question: the question mark is not part of it"
)  # fmt: skip
@example(case=(LogEntry("2401.12345", 3, "A", "### [1] [x](https://arxiv.org/abs/9999.99999)",
                        "", None, "]", ""), True, 1)).via(
    "a title that imitates an entry's heading"
)  # fmt: skip
def test_any_bilingual_entry_shows_its_text_and_only_its_own_links(
    case: tuple[LogEntry, bool, int],
) -> None:
    entry, checkbox, max_authors = case
    markdown = render_entry(entry, style="bilingual", checkbox=checkbox, max_authors=max_authors)
    page = gfm.page(markdown)
    html = gfm.to_html(markdown)
    assert set(page.tags) <= ALLOWED_TAGS, html
    # One heading: the score and the Chinese title (else the English one), linking the paper.
    url = f"https://arxiv.org/abs/{entry.arxiv_id}"
    ((kind, text, links),) = page.headings
    assert kind == "h3" and links == [url], html
    heading = visible(entry.title_zh) or visible(entry.title) or entry.arxiv_id
    assert squash(text) == f"[{entry.score}]" + heading, html
    # Links: the paper's, the code's, and URLs the English abstract itself holds; no other.
    for link in page.links:
        if link.href in (url, entry.code_url):
            continue
        assert link.href == link.text and whole_url_in(link.href, entry.abstract), (link, html)
        assert link.href.startswith(("https://", "http://")), link
    assert [link.text for link in page.links if link.href == url][1:] == [f"arXiv:{entry.arxiv_id}"]
    assert page.checkboxes == int(checkbox)
    # The Chinese abstract is visible text; the English one is inside <details>.
    outside, inside = squash(page.outside), squash(page.inside)
    assert squash(entry.abstract_zh) in outside, html
    assert squash(entry.abstract) in inside, html
    if entry.title_zh.strip() and entry.title.strip():
        assert visible(entry.title) in outside
    named = [a for a in entry.authors if visible(a)]  # a name that shows nothing is left out
    for author in named[:max_authors]:
        assert visible(author) in outside
    for author in set(named) & entry.watched:
        assert "★" + visible(author) in outside
    # The log finds this entry, and only this one, by its own link; reading it back gives it.
    assert entry_ids(markdown) == {entry.arxiv_id}
    entries, strays = parse_log(insert_entries("", 2026, 5, [markdown]))
    assert [e.arxiv_id for e in entries] == [entry.arxiv_id] and not strays, markdown


def entry(**kw: object) -> LogEntry:
    fields: dict[str, object] = {
        "arxiv_id": "2207.11659", "score": 4, "first_author": "Haibo Shen",
        "title": "Training Robust Spiking Neural Networks on Neuromorphic Data",
        "abstract_zh": "我们提出一种方法。代码见 https://github.com/a/b 。", "code_url": None,
        "title_zh": "在神经形态数据上训练鲁棒的脉冲神经网络",
        "abstract": "We propose a method. Code is at https://github.com/a/b.",
        "authors": ("Haibo Shen", "Juyu Xiao", "Yihao Luo", "Kaushik Roy"),
        "published": date(2026, 5, 14),
    }  # fmt: skip
    fields.update(kw)
    return LogEntry(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("english", "url"),
    [("Data: https://en.wikipedia.org/wiki/Spike_(neuron).", "https://en.wikipedia.org/wiki/Spike_(neuron)"),
     ("(code: https://github.com/a/b)", "https://github.com/a/b"),
     ('at "https://github.com/a/b".', "https://github.com/a/b"),
     ("see https://x.org/q?a=1&b=2, then", "https://x.org/q?a=1&b=2")],
)  # fmt: skip
def test_a_url_is_linked_whole_without_its_sentences_punctuation(english: str, url: str) -> None:
    page = gfm.page(render_entry(entry(abstract=english, abstract_zh=english), style="bilingual"))
    assert [(link.href, link.text) for link in page.links if "arxiv" not in link.href] == [
        (url, url), (url, url)
    ]  # fmt: skip


def test_a_url_is_a_link_in_the_chinese_abstract_exactly_when_the_english_one_has_it() -> None:
    kept = entry(abstract_zh="代码见 https://github.com/a/b 。数据见 https://evil.example/x 。")
    page = gfm.page(render_entry(kept, style="bilingual"))
    hrefs = [link.href for link in page.links]
    assert hrefs.count("https://github.com/a/b") == 2  # the Chinese abstract's and the English
    assert "https://evil.example/x" not in hrefs  # only the translator wrote it: text
    assert "https://evil.example/x" in page.outside


@pytest.mark.parametrize("style", ["details", "bilingual"])
def test_the_details_and_bilingual_styles_link_the_abstracts_urls(style: str) -> None:
    markdown = render_entry(entry(), style=style)
    links = [(link.href, link.text) for link in gfm.page(markdown).links]
    assert ("https://github.com/a/b", "https://github.com/a/b") in links
    forged = render_entry(entry(abstract="We propose a method."), style=style)
    assert "https://github.com/a/b" not in [link.href for link in gfm.page(forged).links]


def test_authors_past_the_count_are_et_al_unless_watched() -> None:
    shown = gfm.page(render_entry(entry(), style="bilingual", max_authors=2)).outside
    assert "Haibo Shen, Juyu Xiao et al." in shown
    assert "Yihao Luo" not in shown and "Kaushik Roy" not in shown
    watched = entry(watched=frozenset({"Kaushik Roy", "Haibo Shen"}))
    shown = gfm.page(render_entry(watched, style="bilingual", max_authors=2)).outside
    assert "★ Haibo Shen, Juyu Xiao et al. (★ Kaushik Roy)" in shown
    assert "Yihao Luo" not in shown
    everyone = gfm.page(render_entry(entry(), style="bilingual", max_authors=4)).outside
    assert "Haibo Shen, Juyu Xiao, Yihao Luo, Kaushik Roy ·" in everyone
    assert "et al." not in everyone


@pytest.mark.parametrize(
    ("comment", "shown"),
    [("Accepted by ICASSP 2023; 5 pages, 3 figures", True), ("12 pages", True),
     ("https://github.com/a/b", False), ("  ", False), (None, False)],
)  # fmt: skip
def test_the_arxiv_comment_is_shown_when_it_says_something(
    comment: str | None, shown: bool
) -> None:
    page = gfm.page(render_entry(entry(comment=comment), style="bilingual"))
    assert ("注释：" in page.outside) is shown
    if shown:
        assert f"注释：{comment}" in page.outside


def test_the_venue_date_and_code_link_are_on_the_facts_line() -> None:
    markdown = render_entry(
        entry(venue="CVPR 2026 (highlight)", code_url="https://github.com/o/r"), style="bilingual"
    )
    (facts,) = [line for line in markdown.splitlines() if "[arXiv:" in line]
    page = gfm.page(facts)
    assert "2026-05-14" in page.outside and "CVPR 2026 (highlight)" in page.outside
    assert ("https://github.com/o/r", "code") in [(link.href, link.text) for link in page.links]
    assert "<code>CVPR 2026 (highlight)</code>" in gfm.to_html(facts)


def test_without_a_chinese_title_the_english_one_is_the_heading_once() -> None:
    markdown = render_entry(entry(title_zh=""), style="bilingual")
    page = gfm.page(markdown)
    assert [h[1] for h in page.headings] == [f"[4] {entry().title}"]
    assert page.outside.count(entry().title) == 1


def test_the_reading_checkbox_is_a_task_list_item_before_the_english_title() -> None:
    html = gfm.to_html(render_entry(entry(), style="bilingual", checkbox=True))
    assert f'<li><input type="checkbox" disabled="" /> {entry().title}</li>' in html


def test_each_sentence_is_a_line_of_its_own_for_a_review_diff() -> None:
    markdown = render_entry(entry(abstract_zh="第一句。第二句！第三句？"), style="bilingual")
    assert "\n第一句。\n第二句！\n第三句？\n" in markdown
    assert "\nWe propose a method.\nCode is at https" in markdown.replace("<https", "https")


def test_a_crlf_log_gets_crlf_lines_only() -> None:
    markdown = render_entry(entry(), "\r\n", style="bilingual")
    assert "\n" not in markdown.replace("\r\n", "")


# ---------------------------------------------------------------------------------------------
# Reading the style of a log


def log_of(*entries: str) -> str:
    return insert_entries("# Log\n", 2026, 5, list(entries))


def test_the_style_of_a_log_is_the_one_most_of_its_entries_are_in() -> None:
    hover = render_entry(entry())
    details = render_entry(entry(arxiv_id="2207.00002"), style="details")
    bilingual = render_entry(entry(arxiv_id="2207.00003"), style="bilingual")
    assert entry_style(log_of(hover, hover.replace("2207.11659", "2207.00009"), bilingual)) == (
        "hover"
    )
    assert entry_style(log_of(bilingual, details)) == "bilingual"  # a tie: the newest entry's
    assert entry_style(log_of(details)) == "details"
    assert entry_style("# Log\n\nSome notes.\n") is None
    assert entry_style(log_of(render_entry(entry(abstract_zh="")))) is None  # no hover to go by


def test_the_original_log_is_in_the_hover_style(seed_text: str) -> None:
    assert entry_style(seed_text) == "hover"
    assert entry_style("\ufeff" + seed_text) == "hover"  # a byte order mark changes nothing
    hover = render_entry(entry())
    assert entry_style(f"# Log\n\n{hover}\n") == "hover"  # under no month heading
    assert entry_style(f"# Log\n\n### Papers\n\n{hover}\n") == "hover"


def test_a_note_after_a_bilingual_entry_is_the_users_not_the_entrys() -> None:
    markdown = render_entry(entry(), style="bilingual")
    log = log_of(markdown).rstrip("\n") + "\n\nMy own note about this month.\n\n#### Sub\n"
    ((found,), strays) = parse_log(log)
    assert found.text.rstrip("\n") == markdown
    assert [s.text.strip() for s in strays] == ["My own note about this month.", "#### Sub"]


@pytest.mark.parametrize("style", ["hover", "details", "bilingual"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_an_entry_is_found_by_its_own_link_whatever_the_line_endings(
    style: str, newline: str
) -> None:
    """A log with CR-only line endings (an old Mac editor's) holds its papers too: otherwise
    every one of them would be written again."""
    text = log_of(render_entry(entry(), newline, style=style)).replace("\n", newline)
    assert entry_ids(text) == {"2207.11659"}


def test_a_bilingual_entry_reads_back_with_its_id_english_title_and_first_author() -> None:
    for checkbox in (False, True):
        markdown = render_entry(entry(watched=frozenset({"Haibo Shen"})), style="bilingual",
                                checkbox=checkbox)  # fmt: skip
        ((found,), strays) = parse_log(log_of(markdown))
        assert not strays
        assert (found.arxiv_id, found.title, found.first_author) == (
            "2207.11659", entry().title, "Haibo Shen"
        )  # fmt: skip
        assert found.text.rstrip("\n") == markdown


@pytest.fixture
def seed_text() -> str:
    from conftest import SEED_LOG

    return SEED_LOG.read_text(encoding="utf-8")


def test_an_emoji_shortcode_stays_text() -> None:
    """GitHub (unlike cmark-gfm) turns `:octocat:` into an emoji image: its colon is escaped,
    which cmark-gfm shows as the same text."""
    markdown = render_entry(entry(title="Spikes :octocat: and :+1:"), style="bilingual")
    assert not re.search(r"(?<!\\):(octocat|\+1):", markdown), markdown
    assert "Spikes :octocat: and :+1:" in gfm.page(markdown).outside
