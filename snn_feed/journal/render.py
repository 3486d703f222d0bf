"""The Markdown of one log entry, in the log's own (2020.11) format. Pure functions.

    - [score] [First Author] Title. [paper](https://arxiv.org/abs/ID "中文摘要
      第二句。") , [source code](https://github.com/owner/repo) .

Everything that comes from outside (title, author, abstract, translation) is escaped so that it
renders as plain text on GitHub: it cannot end the link early, start a block, emphasise, inject
HTML or a link, or turn into an autolink.
"""

from __future__ import annotations

import re

from snn_feed.records import LogEntry

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\ufeff]")
# Characters that mean something inline in GitHub-flavoured Markdown.
_INLINE_SPECIAL = re.compile(r"([`*_\[\]<>&~|$])")
_BACKSLASH = re.compile(r"\\(?=[!-/:-@\[-`{-~]|$)")
# GFM turns bare URLs and www. names into links; an escaped ':' or '.' stops it. E-mail
# addresses are linked after escapes are resolved, so only an (invisible, empty) HTML comment
# after the '@' keeps them text.
_AUTOLINK_SCHEME = re.compile(r"(?i)(?<=[a-z])(:)(?=//)")
_AUTOLINK_WWW = re.compile(r"(?i)(?<![a-z0-9])(www)(\.)")

_SENTENCE_END = re.compile(r"(?<=[。！？；])")
_BLOCK_START = re.compile(r"^(?!\\)([!-/:-@\[-`{-~])")  # a leading backslash starts no block
_ORDERED_START = re.compile(r"^(\d{1,9})([.)])")


def clean(text: str) -> str:
    """Drop control characters and collapse whitespace (titles and names are one line)."""
    return " ".join(_CONTROL.sub(" ", text).split())


def escape_inline(text: str) -> str:
    """Text for the body of a Markdown line, shown exactly as written."""
    text = clean(text)
    text = _BACKSLASH.sub(r"\\\\", text)
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    text = _AUTOLINK_SCHEME.sub(r"\\\1", text)
    text = _AUTOLINK_WWW.sub(r"\1\\\2", text)
    return text.replace("@", "@<!---->")


def title_lines(text: str) -> list[str]:
    """The translated abstract as lines for a link title: one sentence a line, as the
    original log does, with no blank line (a blank line would end the link)."""
    lines: list[str] = []
    for paragraph in _CONTROL.sub(" ", text).splitlines():
        for sentence in _SENTENCE_END.split(paragraph):
            sentence = " ".join(sentence.split())
            if sentence:
                lines.append(sentence)
    return lines


def _escape_title_line(line: str, first: bool) -> str:
    # In a link title entities are decoded before backslash escapes apply: "&" must be "&amp;".
    line = line.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    if not first:
        # A continuation line must not start a block (heading, list, quote, fence, table,
        # HTML): escape its first character when it is punctuation, or the `.`/`)` of "1.".
        line = _BLOCK_START.sub(r"\\\1", line)
        line = _ORDERED_START.sub(r"\1\\\2", line)
    return line


def link_title(text: str, indent: str = "  ", newline: str = "\n") -> str:
    """A double-quoted Markdown link title holding `text`, over several indented lines."""
    lines = title_lines(text)
    escaped = [_escape_title_line(line, i == 0) for i, line in enumerate(lines)]
    return '"' + (newline + indent).join(escaped) + '"'


def details_block(text: str, indent: str = "  ", newline: str = "\n") -> str:
    """The abstract as a collapsible block under a list item: an HTML <details> around a
    Markdown paragraph whose lines are escaped like any other text."""
    lines = []
    for line in title_lines(text):
        line = _BLOCK_START.sub(r"\\\1", escape_inline(line))
        lines.append(indent + _ORDERED_START.sub(r"\1\\\2", line))
    body = newline.join(lines)
    return (
        f"{indent}<details><summary>摘要</summary>{newline}{newline}"
        f"{body}{newline}{newline}{indent}</details>"
    )


def render_entry(entry: LogEntry, newline: str = "\n", style: str = "hover") -> str:
    """One entry, without a trailing newline. `style` "hover" puts the abstract in the link's
    title (the original log's format); "details" puts it in a collapsible block below."""
    title = escape_inline(entry.title)
    if title and not title.endswith((".", "?", "!", "。")):
        title += "."
    author = escape_inline(entry.first_author)
    url = f"https://arxiv.org/abs/{entry.arxiv_id}"
    has_abstract = bool(entry.abstract_zh.strip())
    hover = link_title(entry.abstract_zh, newline=newline) if has_abstract else ""
    link = f"[paper]({url} {hover})" if hover and style == "hover" else f"[paper]({url})"
    text = f"- [{entry.score}] [{author}] {title} {link}"
    if entry.code_url:
        text += f" , [source code]({entry.code_url})"
    text += " ."
    if style == "details" and has_abstract:
        text += newline + newline + details_block(entry.abstract_zh, newline=newline)
    return text


def month_heading(year: int, month: int, padded: bool = True) -> str:
    """`## 2026.01`: the heading of a month section; `## 2026.1` unpadded, as the original log
    writes its months (`## 2020.9`)."""
    return f"## {year}.{month:02d}" if padded else f"## {year}.{month}"
