"""The `bilingual` entry style: what a reader weeds papers by is visible text, on GitHub and on a
phone. Pure functions.

Modelled on the later log of the original log's author (docs/styles.md): the Chinese title is
the entry's heading (GitHub's outline lists the papers in Chinese, and each has an anchor to
link to), the Chinese abstract is visible text, the English abstract is folded away.

    ### [4] [基于时空片段训练鲁棒的脉冲神经网络](https://arxiv.org/abs/2207.11659)

    - [ ] Training Robust Spiking Neural Networks with Spatiotemporal Fragments

    Haibo Shen, ★ Kaushik Roy et al. · 2026-05-14 · [arXiv:2207.11659](https://arxiv.org/abs/22
    07.11659) · [code](https://github.com/o/r) · `ICASSP 2023`        (one line, cut here)

    注释：Accepted by ICASSP 2023; 5 pages, 3 figures

    本文提出……
    第二句。

    <details><summary>英文摘要</summary>

    We propose ...
    Second sentence.

    </details>

The heading's link is the entry's own paper link (`ids.OWN_LINK`). Every part is a block of its
own, so a review diff shows one line per thing that changed. Text from arXiv or a translator
is escaped (`journal/markdown.py`); only a URL the English abstract holds becomes a link.
"""

from __future__ import annotations

import re

from snn_feed.journal.markdown import clean, escape_inline, no_block, sentences, text_line, urls_in
from snn_feed.records import LogEntry

WATCHED_MARK = "★"
"""Put before a watched author's name (`[score.authors]`)."""

_ENGLISH_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_SAYS_SOMETHING = re.compile(r"\w")
_ANY_URL = re.compile(r"\S*://\S*")


def render_bilingual(
    entry: LogEntry, newline: str = "\n", *, checkbox: bool = False, max_authors: int = 3
) -> str:
    """One entry in the bilingual style, without a trailing newline."""
    url = f"https://arxiv.org/abs/{entry.arxiv_id}"
    title_zh, title = escape_inline(entry.title_zh), escape_inline(entry.title)
    blocks = [f"### [{entry.score}] [{title_zh or title or entry.arxiv_id}]({url})"]
    if checkbox:
        blocks.append("- [ ] " + (no_block(title) if title else entry.arxiv_id))
    elif title_zh and title:
        blocks.append(no_block(title))
    blocks.append(_facts(entry, url, max_authors))
    if says_something(entry.comment):
        blocks.append("注释：" + escape_inline(entry.comment or ""))
    linkable = urls_in(entry.abstract)
    if entry.tldr:  # a quote, set apart from the abstract; each line a paragraph of it
        lines = [f"**一句话：**{text_line(entry.tldr, linkable)}"]
        lines += [f"**{label}：**{text_line(text, linkable)}" for label, text in entry.points]
        blocks.append(f"{newline}>{newline}".join(f"> {line}" for line in lines))
    if zh := sentences(entry.abstract_zh):
        blocks.append(newline.join(text_line(line, linkable) for line in zh))
    if en := english_sentences(entry.abstract):
        body = newline.join(text_line(line, linkable) for line in en)
        blocks.append(
            f"<details><summary>英文摘要</summary>{newline}{newline}{body}{newline}{newline}"
            "</details>"
        )
    return (newline + newline).join(blocks)


def _facts(entry: LogEntry, url: str, max_authors: int) -> str:
    """The line of facts: authors, date, links, venue."""
    parts = []
    if names := author_list(entry, max_authors):
        parts.append(no_block(names))  # a name must not start a block; the link must stay one
    if entry.published is not None:
        parts.append(entry.published.isoformat())
    parts.append(f"[arXiv:{entry.arxiv_id}]({url})")
    if entry.code_url:
        parts.append(f"[code]({entry.code_url})")
    if entry.venue and "`" not in entry.venue and clean(entry.venue):
        parts.append(f"`{clean(entry.venue)}`")
    return " · ".join(parts)


def author_list(entry: LogEntry, max_authors: int) -> str:
    """The first `max_authors` authors, then "et al."; a watched author past them is named
    after it, so no paper by someone the reader follows hides behind "et al."."""
    authors = [a for a in entry.authors if clean(a)] or [entry.first_author]
    authors = [a for a in authors if clean(a)]

    def name(author: str) -> str:
        text = escape_inline(author)
        return f"{WATCHED_MARK} {text}" if author in entry.watched else text

    shown = ", ".join(name(a) for a in authors[:max_authors])
    if len(authors) <= max_authors:
        return shown
    hidden = [name(a) for a in authors[max_authors:] if a in entry.watched]
    return f"{shown} et al." + (f" ({', '.join(hidden)})" if hidden else "")


def says_something(comment: str | None) -> bool:
    """Whether an arXiv comment is worth a line: it has a word besides a URL (the code link
    has its own place)."""
    return bool(comment and _SAYS_SOMETHING.search(_ANY_URL.sub(" ", comment)))


def english_sentences(text: str) -> list[str]:
    """The English abstract one sentence a line (rendered, the lines join into one
    paragraph; in a diff each sentence is its own line)."""
    return [s for line in sentences(text) for s in _ENGLISH_SENTENCE.split(line) if s.strip()]
