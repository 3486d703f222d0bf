"""Pure: the store's logged papers and imported entries as the site's records, one per paper,
grouped by the month section they are logged under, newest month first.

Nothing here escapes HTML (the templates do, with autoescape); what is decided here is which
URLs may be links at all (http and https only) and how a paper is found by the search (its
text, normalised the way `static/site.js` normalises a query).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from snn_feed.ids import ID
from snn_feed.pipeline.venues import venue_of
from snn_feed.store.records import ImportedEntry, StoredPaper, Summary

UNDATED = "undated"
"""The month key of imported entries whose section names no month."""

_MONTH = re.compile(r"(\d{4})\D{1,3}?(\d{1,2})(?!\d)")
_ARXIV_ID = re.compile(ID)
_SCORE = re.compile(r"^\s*(?:-\s*|###\s*)\[([1-5])\]")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class SitePaper:
    """One paper as a page shows it and the search finds it."""

    anchor: str
    """The element id of its entry (`p-2605.12345`), unique on the site."""
    month: str
    """`YYYY-MM` (or `undated`): the page it is on."""
    title: str
    title_zh: str | None
    score: int | None
    """1-5; None for an imported entry that shows none."""
    authors: tuple[str, ...]
    venue: str | None
    """The venue tag ("NeurIPS 2025 (oral)")."""
    abs_url: str | None
    """Its arXiv page; None for an imported entry without an id."""
    code_url: str | None
    """Only an http(s) URL; anything else was dropped."""
    abstract_zh: str | None
    abstract: str | None
    tldr: str | None = None
    """The one-sentence summary (`[summary]`), whenever it was made."""
    points: tuple[tuple[str, str], ...] = ()
    """The summary's labelled lines (motivation, method, result)."""

    @property
    def search_text(self) -> str:
        """Everything the search matches a query against, normalised."""
        parts = [self.title, self.title_zh or "", " ".join(self.authors), self.venue or "",
                 self.tldr or "", *(text for _, text in self.points), self.abstract_zh or "",
                 self.abstract or ""]  # fmt: skip
        return normalise(" ".join(parts))


@dataclass(frozen=True)
class Month:
    key: str
    """`YYYY-MM`, or `undated`."""
    papers: tuple[SitePaper, ...]

    @property
    def page(self) -> str:
        return f"{self.key}.html"


def normalise(text: str) -> str:
    """NFKC, lower case, one space between words: what `site.js` does to a query, so full-width
    letters, ligatures and case never keep a paper from being found."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def web_url(url: str | None) -> str | None:
    """`url` when it is an http(s) URL with no space or control character in it, else None:
    a `javascript:` or `data:` link from a paper's metadata is dropped, not shown."""
    if not url:
        return None
    url = url.strip()
    if not re.match(r"(?i)https?://[^\s/?#]", url) or any(ord(c) < 0x21 for c in url):
        return None
    return url


def month_key(section: str | None) -> str:
    """`2026.05`, `2020.9` or `2020.7~8` (the first month) as `2026-05`; `undated` otherwise."""
    found = _MONTH.match(section.strip()) if section else None
    if not found or not 1 <= int(found[2]) <= 12:
        return UNDATED
    return f"{found[1]}-{int(found[2]):02d}"


def _anchor(arxiv_id: str) -> str:
    return "p-" + re.sub(r"[^A-Za-z0-9.-]", "-", arxiv_id)


def paper_of(
    row: StoredPaper, section: str | None = None, summary: Summary | None = None
) -> SitePaper:
    """A logged paper, under the month it was written under (or, found in the log already,
    the section it was imported from, else its submission month)."""
    venue = venue_of(row.comment, row.journal_ref)
    month = month_key(row.log_month or section)
    if month == UNDATED and not (row.log_month or section):
        month = f"{row.published:%Y-%m}"
    return SitePaper(
        anchor=_anchor(row.arxiv_id), month=month, title=row.title, title_zh=row.title_zh,
        score=row.score if 1 <= row.score <= 5 else None, authors=tuple(row.authors),
        venue=venue.label() if venue else None, abs_url=f"https://arxiv.org/abs/{row.arxiv_id}",
        code_url=web_url(row.code_url), abstract_zh=row.abstract_zh, abstract=row.abstract,
        tldr=summary.tldr if summary else None, points=summary.points if summary else (),
    )  # fmt: skip


def entry_of(entry: ImportedEntry) -> SitePaper:
    """An imported entry with no paper stored: its title, section, score and arXiv link."""
    arxiv_id = entry.arxiv_id if entry.arxiv_id and _ARXIV_ID.fullmatch(entry.arxiv_id) else None
    score = _SCORE.match(entry.text)
    digest = hashlib.sha1(entry.key.encode(), usedforsecurity=False).hexdigest()[:12]
    anchor = _anchor(arxiv_id) if arxiv_id else f"e-{digest}"
    return SitePaper(
        anchor=anchor, month=month_key(entry.section), title=entry.title, title_zh=None,
        score=int(score[1]) if score else None, authors=(), venue=None,
        abs_url=f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else None, code_url=None,
        abstract_zh=None, abstract=None,
    )  # fmt: skip


def months_of(
    papers: Sequence[StoredPaper],
    entries: Sequence[ImportedEntry],
    summaries: Mapping[str, Summary] | None = None,
) -> list[Month]:
    """Every logged paper once (an imported entry only when no stored paper is the same one),
    grouped by month, newest month first (undated entries last). Within a month, as the log
    orders it: higher score first, then arXiv id; imported entries in the log's order."""
    sections = {e.arxiv_id: e.section for e in entries if e.arxiv_id}
    by_id = sorted(papers, key=lambda row: row.arxiv_id)
    summaries = summaries or {}
    shown = [paper_of(row, sections.get(row.arxiv_id), summaries.get(row.arxiv_id))
             for row in by_id]  # fmt: skip
    stored_ids = {row.arxiv_id for row in papers}
    anchors = {p.anchor for p in shown}
    for entry in entries:
        if entry.arxiv_id in stored_ids:
            continue
        item = entry_of(entry)
        if item.anchor not in anchors:
            anchors.add(item.anchor)
            shown.append(item)
    grouped: dict[str, list[SitePaper]] = {}
    for paper in shown:
        grouped.setdefault(paper.month, []).append(paper)
    keys = sorted((k for k in grouped if k != UNDATED), reverse=True)
    keys += [UNDATED] if UNDATED in grouped else []
    return [Month(k, tuple(sorted(grouped[k], key=lambda p: -(p.score or 0)))) for k in keys]
