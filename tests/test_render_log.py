"""Rendering one log entry (journal.render) and growing the log file (journal.logfile).

Rendered Markdown is checked the way GitHub shows it: through cmark-gfm (tests/gfm.py), never by
comparing against hand-written expected Markdown. The original hand-made log
(tests/fixtures/seed-log/README.md) is the document new entries go into.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections import Counter
from pathlib import Path

import gfm
import pytest
from conftest import SEED_LOG
from hostile import HOSTILE, visible
from hypothesis import example, given, settings
from hypothesis import strategies as st

from snn_feed.errors import LogFileError
from snn_feed.journal import logfile
from snn_feed.journal.logfile import insert_entries, read_log, write_atomic
from snn_feed.journal.logparse import pads_months
from snn_feed.journal.presence import entry_ids
from snn_feed.journal.render import render_entry
from snn_feed.records import LogEntry

pytestmark = pytest.mark.clock  # reads the wall clock: CI runs it at hard instants too

SEED = SEED_LOG.read_text(encoding="utf-8")
SEED_ITEMS, SEED_TAGS = gfm.read(SEED)
ENTRY_TAGS = {"p", "a"}  # what cmark makes inside an entry's <li>
NEW_SECTION_TAGS = {"h2", "ul", "li", "p", "a"}

ARXIV_IDS = ["2011.00888", "2401.12345", "0704.0001", "cs/0101001", "math.GT/0309136"]
CODE_URLS = [
    None,
    "https://github.com/UA-RCL/RANC",
    "https://github.com/snn-lab/model_2-x",
    "https://gitlab.com/group/project",
]

LOG_ENTRIES = st.builds(
    LogEntry,
    arxiv_id=st.sampled_from(ARXIV_IDS),
    score=st.integers(min_value=1, max_value=5),
    first_author=HOSTILE,
    title=HOSTILE,
    abstract_zh=HOSTILE,
    code_url=st.sampled_from(CODE_URLS),
)


def assert_renders_as(item: gfm.Item, entry: LogEntry) -> None:
    """`item` shows `entry` and nothing else: its own links, text and hover only."""
    assert item.links, item
    paper, *others = item.links
    assert paper.href == f"https://arxiv.org/abs/{entry.arxiv_id}"
    assert paper.text == "paper"
    assert visible(paper.title or "") == visible(entry.abstract_zh)
    expected = [(entry.code_url, "source code")] if entry.code_url else []
    assert [(link.href, link.text) for link in others] == expected
    assert item.tags <= ENTRY_TAGS, item.tags
    shown = gfm.squash(item.text)
    assert visible(entry.title) in shown
    assert visible(entry.first_author) in shown


def headings(markdown: str) -> list[str]:
    """Every heading's text, as `h2:2020.11`."""
    html = gfm.to_html(markdown)
    return [f"h{m[0]}:{m[1].strip()}" for m in re.findall(r"<h([1-6])>(.*?)</h\1>", html, re.S)]


SEED_HEADINGS = headings(SEED)


def is_insertion(old: str | bytes, new: str | bytes) -> bool:
    """`new` is `old` with one run inserted somewhere: every old byte kept, in order."""
    p = 0
    while p < min(len(old), len(new)) and old[p] == new[p]:
        p += 1
    # If new == old[:i] + added + old[i:], the common prefix reaches i, so old[p:] ends new.
    return len(new) >= len(old) and new.endswith(old[p:])


def shown(item: gfm.Item) -> tuple[str, list[tuple[str, str | None, str]]]:
    """What a reader sees of an item, whether its list is tight or loose."""
    links = [(link.href, link.title, gfm.squash(link.text)) for link in item.links]
    return gfm.squash(item.text), links


def split_at(old: str, new: str, i: int) -> str:
    """The text inserted at `i`, asserting that `new == old[:i] + added + old[i:]`."""
    added = new[i : len(new) - (len(old) - i)]
    assert new == old[:i] + added + old[i:], (i, new[max(0, i - 80) : i + 80])
    return added


def plain_entry(n: int, **kw: object) -> LogEntry:
    fields: dict[object, object] = {
        "arxiv_id": f"2605.{10000 + n:05d}",
        "score": 1 + n % 5,
        "first_author": f"Author {n}",
        "title": f"Spiking paper number {n}",
        "abstract_zh": f"第{n}篇的摘要。第二句。",
        "code_url": None,
    }
    fields.update(kw)
    return LogEntry(**fields)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# 1. One entry renders as exactly one item whatever its text


@settings(max_examples=1000, deadline=None)
@given(entry=LOG_ENTRIES)
@example(entry=LogEntry("2011.00888", 3, "A", "see _www.evil.example", "摘要", None)).via(
    "GFM autolinks www. after an escaped underscore"
)
@example(entry=LogEntry("2011.00888", 3, "A", "T", "A &amp; B，&lt;i&gt;，&ouml;。")).via(
    "in a link title cmark decodes entities before backslash escapes"
)
@example(entry=LogEntry("2011.00888", 3, "A", "T", "第一句。\\第二句。")).via(
    "a hover line that starts with a backslash"
)
def test_any_entry_renders_as_one_item_with_only_its_own_links(entry: LogEntry) -> None:
    markdown = render_entry(entry)
    items, tags = gfm.read(markdown)
    assert len(items) == 1, gfm.to_html(markdown)
    assert_renders_as(items[0], entry)
    assert set(tags) <= {"ul", "li", *ENTRY_TAGS}, gfm.to_html(markdown)
    assert entry_ids(markdown) == {entry.arxiv_id}


@settings(max_examples=300, deadline=None)
@given(entries=st.lists(LOG_ENTRIES, min_size=1, max_size=3))
@example(
    entries=[LogEntry("2401.12345", 5, "A&B", "Q&amp;A", "问答&amp;推理。\n&lt;b&gt;第二句。")]
).via("in a link title cmark decodes entities before backslash escapes")
def test_entries_in_the_seed_log_render_as_a_new_section_and_leave_the_old_items_alone(
    entries: list[LogEntry],
) -> None:
    new = insert_entries(SEED, 2026, 5, [render_entry(e) for e in entries])
    assert is_insertion(SEED, new)
    items, tags = gfm.read(new)
    k = len(entries)
    assert len(items) == len(SEED_ITEMS) + k
    for item, e in zip(items[:k], entries, strict=True):
        assert_renders_as(item, e)
    assert items[k:] == SEED_ITEMS
    added_tags = Counter(tags)
    added_tags.subtract(SEED_TAGS)
    assert min(added_tags.values()) >= 0, "a tag of the old log disappeared"
    assert set(+added_tags) <= NEW_SECTION_TAGS, +added_tags
    assert headings(new) == [*SEED_HEADINGS[:1], "h2:2026.05", *SEED_HEADINGS[1:]]


@pytest.mark.parametrize(
    "title",
    [
        "_www.evil.example",
        "x_www.evil.example",
        "see www.evil.example",
        "(www.evil.example)",
        "*www.evil.example*",
        "~www.evil.example",
        "see https://evil.example/x",
        "_https://evil.example",
        "mail a@b.cd",
        "_a@b.cd",
    ],
)
def test_urls_and_addresses_in_a_title_stay_text(title: str) -> None:
    markdown = render_entry(LogEntry("2011.00888", 3, title, title, "摘要"))
    (item,), _ = gfm.read(markdown)
    assert [link.href for link in item.links] == ["https://arxiv.org/abs/2011.00888"], markdown
    assert gfm.squash(title) in gfm.squash(item.text)


@pytest.mark.parametrize(
    "abstract",
    [
        "AT&T 的芯片。",
        "A &amp; B。",
        "&lt;b&gt;粗体&lt;/b&gt;。",
        "&ouml;。",
        "&#60;&#x3c;。",
        '\\&amp;"',
        "第一句。\\第二句以反斜杠开头。",
        '第一句。\\"引号"。',
        "第一句。\\",
        "第一句。\n- 第二句。\n1. 第三句。\n# 第四句。",
    ],
)
def test_the_hover_shows_the_abstract_as_written(abstract: str) -> None:
    e = plain_entry(1, abstract_zh=abstract)
    (item,), _ = gfm.read(render_entry(e))
    assert visible(item.links[0].title or "") == visible(abstract)


def test_a_multiline_hover_uses_the_given_line_ending() -> None:
    e = plain_entry(1, abstract_zh="第一句。第二句！\n\n第三句？第四句；")
    for nl in ("\n", "\r\n"):
        markdown = render_entry(e, newline=nl)
        assert markdown.count(nl) == 3
        assert "\n" not in markdown.replace(nl, ""), repr(markdown)
        assert "\r" not in markdown.replace(nl, ""), repr(markdown)
        (item,), _ = gfm.read(markdown)
        assert_renders_as(item, e)


# ---------------------------------------------------------------------------------------------
# 2. insert_entries


def test_a_new_month_goes_above_the_newest_month_below_the_intro() -> None:
    e = [plain_entry(1), plain_entry(2, code_url="https://github.com/a/b")]
    new = insert_entries(SEED, 2026, 5, [render_entry(x) for x in e])
    i = SEED.index("\n## 2020.11") + 1
    added = split_at(SEED, new, i)
    assert re.match(r"## 2026\.05\n\n", added)
    assert added.endswith("\n\n")
    assert [x.arxiv_id for x in e] == [m for m in re.findall(r"abs/([\d.]+)", added)]
    items, _ = gfm.read(new)
    assert items[2:] == SEED_ITEMS
    for item, x in zip(items[:2], e, strict=True):
        assert_renders_as(item, x)


def _end_of_last_text_line(text: str) -> int:
    """Just past the newline of the last line of `text` holding anything but whitespace."""
    return list(re.finditer(r"(?m)^.*\S.*(?:\n|\Z)", text))[-1].end()


@pytest.mark.parametrize(
    ("year", "month", "heading", "next_heading"),
    [
        (2020, 11, "## 2020.11", "## 2020.10"),
        (2020, 10, "## 2020.10", "## 2020.9"),
        (2020, 9, "## 2020.9", "## 2020.7~8"),
    ],
)
def test_entries_of_an_existing_month_go_at_the_end_of_its_section(
    year: int, month: int, heading: str, next_heading: str
) -> None:
    e = [plain_entry(1), plain_entry(2)]
    new = insert_entries(SEED, year, month, [render_entry(x) for x in e])
    start = SEED.index(f"\n{heading}\n")
    stop = SEED.index(f"\n{next_heading}\n", start) + 1
    i = _end_of_last_text_line(SEED[:stop])
    assert i > start + len(heading) + 2
    added = split_at(SEED, new, i)
    assert added.strip() and not added.startswith("\n\n")
    assert re.fullmatch(r"\n(?:- .*\n(?:  .*\n)*\n?)+", added), added
    assert headings(new) == headings(SEED)
    before = len(gfm.read(SEED[:i])[0])
    items, _ = gfm.read(new)
    assert items[:before] == SEED_ITEMS[:before]
    assert items[before + 2 :] == SEED_ITEMS[before:]
    for item, x in zip(items[before : before + 2], e, strict=True):
        assert_renders_as(item, x)


PADDED = "# Log\n\n## 2026.04\n\n- [3] [A] Old. [paper](https://arxiv.org/abs/2604.00001) .\n"


@pytest.mark.parametrize(
    ("texts", "padded"),
    [
        ([SEED], False),  # `## 2020.9`, `## 2020.7~8`
        ([SEED.replace("\n", "\r\n")], False),
        ([PADDED], True),
        ([""], True),  # a new log: padded, as a log started today would expect
        (["# Log\n\nintro\n"], True),
        (["# Log\n\n## 2026.11\n\n## 2026.10\n"], True),  # October to December look alike
        (["## 2026.11\n\n## 2026.10\n"], True),
        (["## 2027.1\n\n## 2026.04\n"], False),  # the newest month before October decides
        (["## 2026.04\n\n## 2027.1\n"], False),  # by date, wherever it stands
        (["## 2027.01\n\n## 2026.4\n"], True),
        (["# Log\n\n## 2026.11\n", "## 2025.9\n\n## 2025.8\n"], False),  # an archive shows it
    ],
)
def test_a_logs_month_style_is_read_from_its_headings(texts: list[str], padded: bool) -> None:
    assert pads_months(texts) is padded


@pytest.mark.parametrize(
    ("old", "heading"),
    [(SEED, "## 2027.1"), (PADDED, "## 2027.01"), ("", "## 2027.01")],
    ids=["unpadded", "padded", "new log"],
)
def test_a_new_month_is_headed_as_the_log_writes_its_months(old: str, heading: str) -> None:
    e = [plain_entry(1)]
    new = insert_entries(old, 2027, 1, [render_entry(x) for x in e], intro="# Log\n",
                         padded=pads_months([old]))  # fmt: skip
    assert new.count(f"\n{heading}\n\n- [") == 1
    assert f"h2:{heading[3:]}" in headings(new)
    (ours,) = [
        it for it in gfm.read(new)[0] if it.links and it.links[0].href.endswith(e[0].arxiv_id)
    ]
    assert_renders_as(ours, e[0])
    # found again as January's, whichever way it is written: the next entries join it
    more = insert_entries(new, 2027, 1, [render_entry(plain_entry(2))], padded=True)
    assert more.count("\n## 2027.") == 1


def test_the_2020_11_entries_go_after_the_hand_written_note() -> None:
    new = insert_entries(SEED, 2020, 11, [render_entry(plain_entry(1))])
    note = new.index("**the following subscribes came from my")
    assert note < new.index("2605.10001") < new.index("\n## 2020.10\n")


@pytest.mark.parametrize(
    "old",
    [
        "# Log\n\nintro\n",
        "# Log\n\nintro\n\n",
        "# Log\n\nintro",
        "# Log\n\n## \n\nnotes\n\n##\n",
        "# Log\n\n- [3] [A] Old. [paper](https://arxiv.org/abs/2011.00888)\n",
    ],
)
def test_without_dated_sections_the_month_is_appended(old: str) -> None:
    e = [plain_entry(1), plain_entry(2)]
    new = insert_entries(old, 2026, 5, [render_entry(x) for x in e])
    added = split_at(old, new, len(old))
    assert added.count("## 2026.05") == 1
    assert headings(new) == [*headings(old), "h2:2026.05"]
    old_items, _ = gfm.read(old)
    items, _ = gfm.read(new)
    assert [shown(it) for it in items[: len(old_items)]] == [shown(it) for it in old_items]
    assert len(items) == len(old_items) + 2
    for item, x in zip(items[len(old_items) :], e, strict=True):
        assert_renders_as(item, x)


@pytest.mark.parametrize("intro", ["", "# SNN_arxiv_daily\nthis repository records my reading.\n"])
def test_an_empty_log_starts_from_the_intro(intro: str) -> None:
    e = [plain_entry(1)]
    new = insert_entries("", 2026, 5, [render_entry(x) for x in e], intro=intro)
    assert new.startswith(intro)
    assert headings(new) == [*headings(intro), "h2:2026.05"]
    (item,), _ = gfm.read(new)
    assert_renders_as(item, e[0])


def test_a_crlf_log_gets_crlf_in_the_inserted_lines_only() -> None:
    old = SEED.replace("\n", "\r\n")
    e = [plain_entry(1, abstract_zh="第一句。第二句。\n第三句。"), plain_entry(2)]
    rendered = [render_entry(x, newline="\r\n") for x in e]
    for month, i in [
        (5, old.index("\r\n## 2020.11") + 2),
        (11, _end_of_last_text_line(old[: old.index("\r\n## 2020.10\r\n")])),
    ]:
        new = insert_entries(old, 2026 if month == 5 else 2020, month, rendered)
        added = split_at(old, new, i)
        assert added.count("\r\n") >= 6
        assert "\n" not in added.replace("\r\n", ""), repr(added)
        assert "\r" not in added.replace("\r\n", ""), repr(added)
        items, _ = gfm.read(new)
        assert len(items) == len(SEED_ITEMS) + 2
        ours = [it for it in items if it.links and it.links[0].href.endswith("/2605.10001")]
        assert len(ours) == 1
        assert_renders_as(ours[0], e[0])


@pytest.mark.parametrize(
    ("year", "month"), [(2020, 11), (2026, 5)], ids=["existing month", "new month"]
)
def test_a_log_without_a_final_newline(year: int, month: int) -> None:
    old = "# Log\n\n## 2020.11\n\n- [3] [A] Old. [paper](https://arxiv.org/abs/2011.00888)"
    e = [plain_entry(1), plain_entry(2)]
    new = insert_entries(old, year, month, [render_entry(x) for x in e])
    assert is_insertion(old, new)
    if (year, month) == (2020, 11):
        assert new.startswith(old)
    old_items, _ = gfm.read(old)
    items, _ = gfm.read(new)
    assert len(items) == 3
    assert shown(old_items[0]) in [shown(it) for it in items]
    for x in e:
        (ours,) = [it for it in items if it.links[0].href.endswith(x.arxiv_id)]
        assert_renders_as(ours, x)
    assert entry_ids(new) == {"2011.00888", *(x.arxiv_id for x in e)}


@pytest.mark.parametrize("old", [SEED, "", "# Log\n", "# Log\r\n\r\n## 2020.11\r\n"])
def test_no_entries_leave_the_text_unchanged(old: str) -> None:
    assert insert_entries(old, 2020, 11, [], intro="# Intro\n") == old


@pytest.mark.parametrize("nl", ["\n", "\r\n"], ids=["LF", "CRLF"])
@pytest.mark.parametrize("boundary", ["# Appendix", "## 2020.10", "## ", "##"])
def test_a_month_section_ends_at_the_next_h1_or_h2(boundary: str, nl: str) -> None:
    old = nl.join(
        [
            "# Log",
            "",
            "## 2020.12",
            "",
            "- [3] [A] December. [paper](https://arxiv.org/abs/2012.00001)",
            "",
            "## 2020.11",
            "",
            "- [3] [B] November. [paper](https://arxiv.org/abs/2011.00001)",
            "",
            "### a sub-heading is still inside the month",
            "",
            "last words of November",
            "",
            "",
            boundary,
            "",
            "after",
            "",
        ]
    )
    new = insert_entries(old, 2020, 11, [render_entry(plain_entry(1), newline=nl)])
    i = old.index("last words of November") + len("last words of November" + nl)
    split_at(old, new, i)
    assert headings(new) == headings(old)


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c"])
def test_only_markdown_line_endings_end_a_line(sep: str) -> None:
    """Python's str.splitlines also breaks at U+2028, NEL, VT, FF, FS...; Markdown does not, so
    `x{sep}## 2020.11` is no heading, and nothing may be inserted inside such a line."""
    e = [plain_entry(1)]
    cases = [
        # the only `## 2020.11` hides inside an intro line: the month is new
        "# Log\n\nnote" + sep + "## 2020.11\n\n## 2020.10\n\n- [3] [A] Old.\n",
        # a `# ...` inside the last entry's line does not end the section
        "# Log\n\n## 2020.11\n\n- [3] [A] Old." + sep + "# not a heading\n\n## 2020.10\n",
    ]
    for old in cases:
        new = insert_entries(old, 2020, 11, [render_entry(x) for x in e])
        assert is_insertion(old, new)
        before = Counter(headings(old))
        after = Counter(headings(new))
        after.subtract(before)
        assert set(+after) <= {"h2:2020.11"} and min(after.values()) >= 0, (repr(new), after)
        old_items, _ = gfm.read(old)
        items, _ = gfm.read(new)
        for it in old_items:
            assert shown(it) in [shown(x) for x in items], (repr(new), it)
        (ours,) = [it for it in items if it.links and it.links[0].href.endswith("/2605.10001")]
        assert_renders_as(ours, e[0])


# ---------------------------------------------------------------------------------------------
# 3. write_atomic and 4. read_log


def test_write_atomic_writes_exactly_the_text(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    text = insert_entries(SEED.replace("\n", "\r\n"), 2026, 5, [render_entry(plain_entry(1))])
    write_atomic(path, text)
    assert path.read_bytes() == text.encode("utf-8")
    write_atomic(path, "")
    assert path.read_bytes() == b""


def test_undecodable_bytes_survive_a_read_and_a_write(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    raw = b"# Log \xff\xfe\n\n## 2020.11\n\n- old \xe4\xb8 half a character\n" + SEED.encode()
    path.write_bytes(raw)
    text = read_log(path)
    write_atomic(path, text)
    assert path.read_bytes() == raw
    write_atomic(path, insert_entries(text, 2020, 11, [render_entry(plain_entry(1))]))
    grown = path.read_bytes()
    assert len(grown) > len(raw) and is_insertion(raw, grown)


@pytest.mark.parametrize("mode", [0o640, 0o600, 0o664])
def test_write_atomic_keeps_the_file_permissions(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "README.md"
    path.write_text("old\n")
    os.chmod(path, mode)
    write_atomic(path, "new\n")
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert path.read_text() == "new\n"


def test_a_new_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    old_umask = os.umask(0o027)
    try:
        write_atomic(tmp_path / "sub" / "README.md", "new\n")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / "sub" / "README.md").stat().st_mode) == 0o640


def test_write_atomic_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    for n in range(3):
        write_atomic(path, f"version {n}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]


def test_a_failed_write_raises_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "README.md"
    path.write_bytes(b"old log\n")

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(logfile.os, "fsync", disk_full)
    with pytest.raises(LogFileError, match="unchanged"):
        write_atomic(path, "new log\n")
    assert path.read_bytes() == b"old log\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]


def test_writing_over_a_directory_raises_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.mkdir()
    (path / "inside").write_bytes(b"kept")
    with pytest.raises(LogFileError):
        write_atomic(path, "new log\n")
    assert path.is_dir() and (path / "inside").read_bytes() == b"kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]


def test_read_log_of_a_missing_file_is_empty(tmp_path: Path) -> None:
    assert read_log(tmp_path / "missing" / "README.md") == ""


def test_read_log_of_an_unreadable_path_raises(tmp_path: Path) -> None:
    with pytest.raises(LogFileError):
        read_log(tmp_path)


def test_a_log_with_a_byte_order_mark_and_crlf_keeps_both() -> None:
    old = "\ufeff# Log\r\n\r\nintro\r\n\r\n## 2020.11\r\n\r\n- old\r\n"
    new = insert_entries(
        old, 2026, 11, ["- [3] [A] New. [paper](https://arxiv.org/abs/2611.00001)"]
    )
    assert new.startswith("\ufeff# Log\r\n")
    at = old.index("## 2020.11")
    assert new[:at] == old[:at] and new.endswith(old[at:])
    assert "\n" not in new.replace("\r\n", "")
