"""One page of arXiv's search API (Atom) as records, an entry at a time. Pure: bytes in,
records out.

The `arxiv` package reads each entry well, but its page parser lets one unreadable date
(`yesterday`, month 13) end the whole page with a ValueError, and it reads a broken document in
lxml's recover mode, which silently keeps whatever came before the break. Here a document that
is not well-formed XML is refused whole (the caller retries it), and an entry that cannot be
read, or whose dates lie outside arXiv's years, is skipped with a warning naming it: one bad
entry costs that entry, never the page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import arxiv
from arxiv import _feed  # the package's reader of one <entry>
from lxml import etree

log = logging.getLogger(__name__)

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}
FIRST_DAY = datetime(1991, 8, 1, tzinfo=UTC)
"""arXiv's first month: no paper is older."""
LAST_DAY = datetime(2100, 1, 1, tzinfo=UTC)
"""arXiv's id scheme (YYMM.NNNNN) ends with 2099: a later date is not a date arXiv wrote."""
MAX_ABSTRACT_CHARS = 10_000
"""arXiv limits abstracts to 1,920 characters; far longer is not an abstract (and would cost
thousands of translation requests and megabytes of log)."""
MAX_TITLE_CHARS = 1_000


class MalformedPage(ValueError):
    """The document is not a well-formed Atom page."""


@dataclass(frozen=True)
class Page:
    """One page of results."""

    results: list[arxiv.Result] = field(default_factory=list)
    """The entries that could be read."""
    entries: int = 0
    """Entries on the page, read or skipped: where the next page starts."""
    total: int = 0
    """The total number of results arXiv says the query has."""


def parse_page(content: bytes) -> Page:
    """A page of the API's answer; MalformedPage when it is not well-formed XML."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as err:
        raise MalformedPage(str(err)) from err
    elements = list(root.iterfind("atom:entry", NS))
    results = [r for r in map(_entry, elements) if r is not None]
    return Page(results=results, entries=len(elements), total=_int(root, "totalResults"))


def _int(root: etree._Element, name: str) -> int:
    text = root.findtext(f"opensearch:{name}", namespaces=NS) or ""
    try:
        return max(0, int(text.strip()))
    except ValueError:
        return 0


def _entry(element: etree._Element) -> arxiv.Result | None:
    named = " ".join((element.findtext("atom:id", namespaces=NS) or "").split())[:80]
    try:
        result = _feed._build_result(element)
    except (ValueError, OverflowError) as err:  # a date such as "yesterday" or 2026-13-01
        log.warning("skipping entry %r: unreadable (%s)", named, err)
        return None
    if result is None:  # no id or no dates: the package has said so
        return None
    for name, moment in (("published", result.published), ("updated", result.updated)):
        if not FIRST_DAY <= moment < LAST_DAY:
            log.warning("skipping entry %r: <%s> %s is not a date of arXiv's", named, name,
                        moment.date().isoformat())  # fmt: skip
            return None
    if len(result.summary) > MAX_ABSTRACT_CHARS or len(result.title) > MAX_TITLE_CHARS:
        sizes = f"{len(result.title)} and {len(result.summary)}"
        log.warning("skipping entry %r: its title and abstract (%s characters) are far longer "
                    "than arXiv allows", named, sizes)  # fmt: skip
        return None
    return result


def error_entry(content: bytes) -> str | None:
    """The text of arXiv's error entry (<title>Error</title>), which has no <published> and so
    is not a result."""
    try:
        root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    for entry in root.iterfind("atom:entry", NS):
        if (entry.findtext("atom:title", namespaces=NS) or "").strip() == "Error":
            return " ".join((entry.findtext("atom:summary", namespaces=NS) or "").split())
    return None
