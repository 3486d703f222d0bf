"""arXiv identifiers and the log's line patterns, written once for every module that reads them.

The id grammar is arXiv's (https://info.arxiv.org/help/arxiv_identifier.html, and
`arxiv/identifier/__init__.py` in github.com/arXiv/arxiv-base): since April 2007 `YYMM.NNNN`,
with five digits from 2015 (`2011.00888`); before that `archive/YYMMNNN`, the archive lowercase
with at most one hyphen (`hep-th`, `q-bio`), optionally with a subject class (`math.GT/0309136`);
either may end in a version, `v2`. Digits are ASCII digits (a regex's \\d would take other scripts'
digits too). Ids in the store and the log are versionless.

The log's patterns: a month heading `## YYYY.MM`, a dated heading (one that starts with a year and
a month, as the hand-made log's `## 2020.7~8` does), an entry's own paper link (`[paper](https://
arxiv.org/abs/ID` on its first line), and a Markdown line. Pure: patterns and string functions.
"""

from __future__ import annotations

import re

NEW_STYLE = r"[0-9]{4}\.[0-9]{4,5}"
"""A new-style id, `YYMM.NNNN` or `YYMM.NNNNN` (a pattern fragment, without a version)."""
OLD_STYLE = r"[a-z]+(?:-[a-z]{2,})?(?:\.[A-Za-z-]{2,})?/[0-9]{7}"
"""An old-style id, `archive[.SUB]/YYMMNNN` (a pattern fragment, without a version)."""
ID = rf"(?:{NEW_STYLE}|{OLD_STYLE})"
"""Either style of versionless id (a pattern fragment)."""

NEW_STYLE_ID = re.compile(NEW_STYLE)
"""A new-style id; `fullmatch` it to tell whether a versionless id is one."""
VERSIONED_ID = re.compile(rf"(?P<id>{ID})v(?P<version>[0-9]+)")
"""An id with its version, as arXiv's feed writes it (`oai:arXiv.org:2605.12345v2`)."""
ABS_URL = re.compile(rf"(?i:arxiv\.org)/(?:abs|pdf)/(?P<id>{ID})(?:v(?P<version>[0-9]+))?")
"""An abs or pdf page of a paper (`arxiv.org/abs/2011.00888v2`, `arxiv.org/pdf/cs/0101001`);
`search` it in a link."""
VERSION = re.compile(r"v([0-9]+)\Z")
"""The version at the end of an id."""
_ANY_ID = re.compile(rf"(?P<id>{ID})(?:[vV](?P<version>[1-9][0-9]*))?")
_PREFIX = re.compile(
    r"(?i:oai:arxiv\.org:|arxiv:|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/)"
)

MONTH_HEADING = re.compile(r"^##[ \t]+(\d{4})\.(\d{1,2})[ \t]*$")
"""A month's heading, `## 2020.11`, `## 2020.9` or `## 2020.09` (match it against a line without
its line ending)."""
DATED_HEADING = re.compile(r"^##[ \t]+(\d{4})\.(\d{1,2})")
"""A heading that starts with a year and month (`## 2020.11`, `## 2020.7~8`): a dated section."""
PAPER_LINK = r"\[paper\]\(https?://arxiv\.org/abs/([^\s\")]+)"
"""An entry's paper link, capturing its target as written (a pattern fragment)."""
HEADING_LINK = r"^### \[\d\] \[(?:[^\]\\\r\n]|\\.)*\]\(https?://arxiv\.org/abs/([^\s\")]+)\)"
"""A bilingual entry's heading, `### [4] [中文标题](https://arxiv.org/abs/ID)`: its title's
brackets are escaped, so the link is the heading's own (a pattern fragment)."""
OWN_LINK = re.compile(rf"^- \[\d\][^\r\n]*?{PAPER_LINK}|{HEADING_LINK}", re.MULTILINE)
"""An entry's first line up to its own paper link (group 1, or 2 for a bilingual heading).
Titles and names before it are escaped (`\\[`), so nothing written from arXiv or a translator
can fake the `[paper](` of a link or the start of a heading."""
ENTRY_START = re.compile(r"^- \[\d\]")
"""The start of an entry in the log's format (`- [3] [First Author] Title ...`)."""
BILINGUAL_START = re.compile(HEADING_LINK)
"""The start of an entry in the bilingual style (match it against a line without its ending)."""
LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
"""One line with its ending: Markdown lines end at \\n, \\r\\n or \\r only (str.splitlines also
splits at U+2028 and others)."""


def split_version(arxiv_id: str) -> tuple[str, int | None]:
    """(`2011.00888`, 2) from `2011.00888v2`; the version is None when there is none."""
    match = VERSION.search(arxiv_id)
    if match is None:
        return arxiv_id, None
    return arxiv_id[: match.start()], int(match.group(1))


def linked_id(target: str) -> str:
    """The versionless id a paper link's target names (`2011.00888v2/` -> `2011.00888`), taken
    as written: the log's own links are read, not judged."""
    return split_version(target.rstrip("/"))[0]


def is_id(text: str) -> bool:
    """Whether `text` is exactly one versionless arXiv id."""
    return re.fullmatch(ID, text) is not None


def parse(raw: str) -> tuple[str, int] | None:
    """(versionless id, version) of one id as a source wrote it, or None when it is not one:
    what `normalize` accepts, with the version (1 when none is given)."""
    text = raw.strip()
    text = text[prefix.end() :] if (prefix := _PREFIX.match(text)) else text
    text = text.removesuffix("/")
    match = _ANY_ID.fullmatch(text)
    if match is None:
        return None
    return match.group("id"), int(match.group("version") or 1)


def normalize(raw: str) -> str | None:
    """The versionless id in what a person or a feed wrote, or None when it is not one id.

    Surrounding white space, an `arXiv:` prefix, an abs or pdf URL, one trailing slash and a
    version in either case go (`" arXiv:2011.00888V2 "`, `https://arxiv.org/abs/2011.00888/`);
    anything else (quotes, markup, a path, a number of other lengths) makes it not an id.
    """
    parsed = parse(raw)
    return parsed[0] if parsed else None
