"""The Markdown of one log entry, in the style the log is written in (docs/styles.md). Pure
functions. `hover` is the original log's own (2020.11) format:

    - [score] [First Author] Title. [paper](https://arxiv.org/abs/ID "中文摘要
      第二句。") , [source code](https://github.com/owner/repo) .

`details` is that line with the abstract in a collapsible block below; `bilingual` is
`journal/bilingual.py`. Everything that comes from outside (title, author, abstract,
translation) is escaped (`journal/markdown.py`) so that it renders as plain text on GitHub.
"""

from __future__ import annotations

from collections.abc import Collection

from snn_feed.journal.bilingual import WATCHED_MARK, render_bilingual
from snn_feed.journal.markdown import clean, escape_inline, no_block, sentences, text_line, urls_in
from snn_feed.records import LogEntry

__all__ = ["DETAILS_OPEN", "STYLES", "clean", "escape_inline", "month_heading", "render_entry"]

STYLES = ("hover", "details", "bilingual")
"""The entry styles, as `[log] style` names them."""
DETAILS_OPEN = "<details><summary>摘要</summary>"
"""How the details style opens an entry's abstract (what `logparse` knows the style by)."""


def _escape_title_line(line: str, first: bool) -> str:
    # In a link title entities are decoded before backslash escapes apply: "&" must be "&amp;".
    line = line.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    # A continuation line must not start a block (heading, list, quote, fence, table, HTML).
    return line if first else no_block(line)


def link_title(text: str, indent: str = "  ", newline: str = "\n") -> str:
    """A double-quoted Markdown link title holding `text`, over several indented lines."""
    lines = sentences(text)
    escaped = [_escape_title_line(line, i == 0) for i, line in enumerate(lines)]
    return '"' + (newline + indent).join(escaped) + '"'


def details_block(
    text: str, linkable: Collection[str] = (), indent: str = "  ", newline: str = "\n"
) -> str:
    """The abstract as a collapsible block under a list item: an HTML <details> around a
    Markdown paragraph whose lines are escaped like any other text (a URL in `linkable`, one
    the English abstract holds, is a link)."""
    body = newline.join(indent + text_line(line, linkable) for line in sentences(text))
    return f"{indent}{DETAILS_OPEN}{newline}{newline}{body}{newline}{newline}{indent}</details>"


def render_entry(
    entry: LogEntry,
    newline: str = "\n",
    style: str = "hover",
    *,
    checkbox: bool = False,
    max_authors: int = 3,
) -> str:
    """One entry, without a trailing newline. `style` "hover" puts the abstract in the link's
    title (the original log's format); "details" puts it in a collapsible block below;
    "bilingual" is the layout of `journal/bilingual.py` (`checkbox` and `max_authors` are
    its options)."""
    if style == "bilingual":
        return render_bilingual(entry, newline, checkbox=checkbox, max_authors=max_authors)
    title = escape_inline(entry.title)
    if title and not title.endswith((".", "?", "!", "。")):
        title += "."
    author = escape_inline(entry.first_author)
    if entry.first_author in entry.watched:
        author = f"{WATCHED_MARK} {author}"
    # A watched author past the first is named beside it: this style shows no other names.
    others = [a for a in entry.authors[1:] if a in entry.watched and clean(a)]
    author += "".join(f", {WATCHED_MARK} {escape_inline(a)}" for a in others)
    url = f"https://arxiv.org/abs/{entry.arxiv_id}"
    has_abstract = bool(entry.abstract_zh.strip())
    hover = link_title(entry.abstract_zh, newline=newline) if has_abstract else ""
    link = f"[paper]({url} {hover})" if hover and style == "hover" else f"[paper]({url})"
    text = f"- [{entry.score}] [{author}] {title} {link}"
    if entry.code_url:
        text += f" , [source code]({entry.code_url})"
    text += " ."
    if style == "details" and has_abstract:
        linkable = urls_in(entry.abstract)
        text += newline + newline + details_block(entry.abstract_zh, linkable, newline=newline)
    return text


def month_heading(year: int, month: int, padded: bool = True) -> str:
    """`## 2026.01`: the heading of a month section; `## 2026.1` unpadded, as the original log
    writes its months (`## 2020.9`)."""
    return f"## {year}.{month:02d}" if padded else f"## {year}.{month}"
