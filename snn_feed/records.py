"""Plain records passed between the stages; no I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

DEFAULT_TOPIC = "default"
"""The one topic of a config without `[[topics]]` (and what migration 0015 calls the papers
stored before topics)."""


@dataclass(frozen=True)
class Paper:
    """One arXiv paper's metadata, as arXiv reported it."""

    arxiv_id: str
    """Versionless id: `2611.01234` or `cs/0101001`."""
    version: int
    title: str
    authors: list[str]
    abstract: str
    categories: list[str]
    primary_category: str
    published: datetime
    """First version's submission time (UTC)."""
    updated: datetime
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def first_author(self) -> str:
        return self.authors[0] if self.authors else ""


@dataclass(frozen=True)
class LogEntry:
    """What the Markdown log needs to render one paper (the `hover` and `details` styles show
    the first six fields; `bilingual` shows them all)."""

    arxiv_id: str
    score: int
    first_author: str
    title: str
    abstract_zh: str
    code_url: str | None = None
    title_zh: str = ""
    """The Chinese title ("" when titles are not translated)."""
    abstract: str = ""
    """The English abstract."""
    authors: tuple[str, ...] = ()
    """Every author, in the paper's order (empty: only `first_author` is known)."""
    published: date | None = None
    """The first version's submission day."""
    comment: str | None = None
    """The arXiv comment, as arXiv has it."""
    venue: str | None = None
    """The venue tag (`NeurIPS 2025`), from the comment or journal reference."""
    watched: frozenset[str] = frozenset()
    """Authors (as written in `authors`) that `[score.authors]` watches."""
    tldr: str = ""
    """The one-sentence Chinese summary (`[summary]`; "" when there is none yet)."""
    points: tuple[tuple[str, str], ...] = ()
    """The summary's labelled lines (motivation, method, result), with `[summary] details`."""


@dataclass
class SyncSummary:
    """Counts reported at the end of a sync, in the order users read them."""

    found: int = 0
    """Entries arXiv returned for the window."""
    new: int = 0
    """Relevant papers not seen before."""
    translated: int = 0
    written: int = 0
    pending: int = 0
    """Papers stored but not yet in the log (translation failed or not yet run)."""
    commit: str | None = None
    messages: list[str] = field(default_factory=list)
    summarised: int | None = None
    """Summaries made (`[summary]`); None: summaries are off."""

    def line(self) -> str:
        text = (
            f"found {self.found}, new {self.new}, translated {self.translated}, "
            f"written {self.written}, pending {self.pending}"
        )
        if self.summarised is not None:
            text += f", summarised {self.summarised}"
        if self.commit:
            text += f"; committed {self.commit[:10]}"
        return text
