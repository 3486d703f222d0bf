"""Reading a log: its month sections and its entries, in the hand-made log's two formats and
snn-feed's bilingual style. Pure functions.

    - [3] [First Author] Title. [paper](https://arxiv.org/abs/ID "中文摘要 ...") .   (2020.11)
    ### Title                                                                      (older)
    <blank line>
    中文摘要 ...
    ### [4] [中文标题](https://arxiv.org/abs/ID)                                    (bilingual)
    <blank line>
    - [ ] English title ...

Anything else that is not blank (a note, an empty bullet) is reported with its line number and
left alone. The style of its month headings (`## 2020.9` or `## 2020.09`) and of its entries
(`hover`, `details` or `bilingual`) are read here too, so that what snn-feed adds looks like
the rest.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

from snn_feed.ids import BILINGUAL_START, DATED_HEADING, ENTRY_START, LINE, PAPER_LINK, linked_id
from snn_feed.journal.render import DETAILS_OPEN

_HEADING = re.compile(r"^##(?:\s+(.*?))?\s*$")
_OLD = re.compile(r"^(?:- \[[ xX]?\] )?###\s+(.+?)\s*$")
_NEW = re.compile(rf"^- \[(\d)\]\s*\[([^\]]*)\]\s*(.*?)\s*{PAPER_LINK}")


@dataclass(frozen=True)
class Entry:
    """One entry of the log, as written."""

    line: int
    """1-based line where the entry starts."""
    section: str
    """Text of the `##` heading above it ("2020.11", "2020.7~8", or "" for an empty one)."""
    title: str
    arxiv_id: str | None
    first_author: str | None
    text: str
    """The entry's lines exactly as written."""


@dataclass(frozen=True)
class Stray:
    """A non-blank line that is neither a heading nor part of an entry."""

    line: int
    text: str


def parse_log(text: str) -> tuple[list[Entry], list[Stray]]:
    """The entries of a log in both formats, and the lines that are neither."""
    lines = LINE.findall(text)
    entries: list[Entry] = []
    strays: list[Stray] = []
    section: str | None = None  # None: still in the intro
    i = 0
    while i < len(lines):
        raw = lines[i].rstrip("\r\n")
        if i == 0:
            raw = raw.removeprefix("\ufeff")  # a byte order mark is no part of the first line
        heading = _HEADING.match(raw)
        if heading:
            section = (heading.group(1) or "").strip()
            i += 1
            continue
        if section is None or not raw.strip():
            i += 1
            continue
        if raw.startswith("- [") and _starts_new(raw):
            end = i + 1
            while end < len(lines) and lines[end].strip() and not _boundary(lines[end]):
                end += 1
            match = _NEW.match(" ".join("".join(lines[i:end]).split()))
            end = _indented_end(lines, end)  # the item's indented blocks (`details` style)
            block = "".join(lines[i:end])
            if match:
                title = match.group(3).rstrip(" .")
                arxiv_id = linked_id(match.group(4))
                entries.append(
                    Entry(i + 1, section, title, arxiv_id, match.group(2).strip() or None, block)
                )
            else:
                strays.append(Stray(i + 1, raw))
            i = end
            continue
        bilingual = BILINGUAL_START.match(raw)
        if bilingual:
            end = i + 1
            while end < len(lines) and not _boundary(lines[end]):
                end += 1
                if lines[end - 1].strip() == "</details>":
                    break  # its English abstract closes it: a note after it is the user's
            title, author = _bilingual_title_and_author(lines[i:end])
            arxiv_id = linked_id(bilingual.group(1))
            entries.append(Entry(i + 1, section, title, arxiv_id, author, "".join(lines[i:end])))
            i = end
            continue
        old = _OLD.match(raw)
        if old:
            end = i + 1
            while end < len(lines) and not _boundary(lines[end]):
                end += 1
            entries.append(
                Entry(i + 1, section, old.group(1).strip(), None, None, "".join(lines[i:end]))
            )
            i = end
            continue
        strays.append(Stray(i + 1, raw))
        i += 1
    return entries, strays


_HEADING_TEXT = re.compile(r"^### \[\d\] \[(.*)\]\(")
_CHECKBOX = re.compile(r"^- \[[ xX]\] ")
_FACTS = re.compile(r"\[arXiv:[^\]]*\]\(https?://arxiv\.org/abs/")
_AUTHOR_END = re.compile(r",| et al\.| · ")


def _unescape(text: str) -> str:
    """Escaped Markdown text (`journal/markdown.py`) as it reads."""
    return re.sub(r"\\(.)", r"\1", text.replace("@<!---->", "@")).strip()


def _bilingual_title_and_author(block: list[str]) -> tuple[str, str | None]:
    """A bilingual entry's English title (its heading's, when it has no other) and first
    author, as they read."""
    lines = [line.strip() for line in block[1:] if line.strip()]
    heading = _HEADING_TEXT.match(block[0])
    title = _unescape(heading.group(1)) if heading else ""
    facts = next((line for line in lines if _FACTS.search(line)), "")
    if lines and lines[0] != facts:
        title = _unescape(_CHECKBOX.sub("", lines[0]))
    names = _AUTHOR_END.split(facts, maxsplit=1)[0] if facts and not facts.startswith("[") else ""
    author = _unescape(names.replace("★", ""))
    return title, author or None


def entry_style(*texts: str) -> str | None:
    """The style most entries of a log made of `texts` (the file, then its archives) are in
    (`hover`, `details` or `bilingual`; on a tie, the newest entry's), or None when none is in
    one of them (a log of the older format only, or of no entries). Entries count wherever
    they are, under a month heading or not."""
    styles = [
        style
        for text in texts
        for e in parse_log("##\n" + text.removeprefix("\ufeff"))[0]
        if (style := _style_of(e.text))
    ]
    if not styles:
        return None
    counts = Counter(styles)
    best = max(counts.values())
    return next(style for style in styles if counts[style] == best)


def _style_of(text: str) -> str | None:
    if BILINGUAL_START.match(text):
        return "bilingual"
    if not _starts_new(text):
        return None
    if DETAILS_OPEN in text:
        return "details"
    return "hover" if re.search(rf'{PAPER_LINK}\s+"', text) else None


def _indented_end(lines: list[str], end: int) -> int:
    """Where a list item ends that has run up to `end`: past any blank lines followed by lines
    indented under it (its collapsible abstract), up to the last such line."""
    last, j = end, end
    while j < len(lines) and not lines[j].strip():
        j += 1
        while j < len(lines) and lines[j].strip() and lines[j][:1] in (" ", "\t"):
            j += 1
            last = j
    return last


def _starts_new(line: str) -> bool:
    return ENTRY_START.match(line) is not None


def _boundary(line: str) -> bool:
    raw = line.rstrip("\r\n")
    return bool(_HEADING.match(raw) or _OLD.match(raw) or _starts_new(raw))


_DATED_LINE = re.compile(DATED_HEADING.pattern, re.MULTILINE)


def pads_months(texts: Iterable[str], default: bool = True) -> bool:
    """Whether a log made of `texts` (the file and its archives) writes its months zero-padded
    (`## 2026.01`) or not (`## 2020.9`, `## 2020.7~8`), as its newest dated heading of a month
    before October shows; `default` when none does (a new log, or one of October to December
    only, where both styles look alike)."""
    newest: tuple[tuple[int, int], bool] | None = None
    for text in texts:
        if "\r" in text:  # a line ends at a lone \r too, where `^` would not see it start
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        # The headings only, found by one search of the text, not line by line: a 50,000-entry
        # log has 800,000 lines and a few hundred headings.
        for match in _DATED_LINE.finditer(text):
            if int(match.group(2)) >= 10:
                continue
            key = (int(match.group(1)), int(match.group(2)))
            if newest is None or key > newest[0]:
                newest = (key, len(match.group(2)) == 2)
    return default if newest is None else newest[1]


def normalize_title(title: str) -> str:
    """Lower case, accents and punctuation dropped, single spaces: what two spellings of one
    title have in common ("Networks -- Part I" and "networks part i" are one title)."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^\w]+", " ", text.lower())
    return " ".join(text.replace("_", " ").split())


def title_similarity(logged: str, candidate: str) -> float:
    """How alike two titles are, 0 to 1. A logged title cut short (the old log truncates long
    titles) that is a long prefix of the candidate counts as a match."""
    a, b = normalize_title(logged), normalize_title(candidate)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    if len(a) >= 40 and b.startswith(a[: max(40, len(a) - 3)]):
        return 0.97
    return SequenceMatcher(None, a, b).ratio()


def confident_match(logged: str, candidates: list[tuple[str, str]]) -> str | None:
    """The id among (id, title) candidates whose title surely is `logged`, or None: the best
    must be very close (>= 0.92) and clearly ahead of the next (by 0.05)."""
    scored = sorted(((title_similarity(logged, t), i) for i, t in candidates), reverse=True)
    if not scored or scored[0][0] < 0.92:
        return None
    if len(scored) > 1 and scored[0][0] - scored[1][0] < 0.05 and scored[1][1] != scored[0][1]:
        return None
    return scored[0][1]
