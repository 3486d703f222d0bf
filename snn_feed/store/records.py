"""The plain records the store hands out: frozen copies of rows, safe to keep after the
session that read them is closed, and free of the ORM."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple


class PaperState(enum.StrEnum):
    FETCHED = "fetched"
    TRANSLATED = "translated"
    WRITTEN = "written"
    COMMITTED = "committed"
    SKIPPED = "skipped"
    """Scored below `[feed] min_score`: kept for `status --month`, never translated or logged."""


class Placement(NamedTuple):
    """Where a paper stands towards the logs: what the sync reconciles with a log's entries."""

    arxiv_id: str
    title: str
    state: PaperState
    log_path: str | None


@dataclass(frozen=True)
class StoredPaper:
    """A paper as stored: arXiv's metadata, its score and code link, and its pipeline state."""

    arxiv_id: str
    version: int
    title: str
    authors: list[str]
    abstract: str
    categories: list[str]
    primary_category: str
    published: datetime
    updated: datetime
    comment: str | None
    journal_ref: str | None
    doi: str | None
    score: int
    code_url: str | None
    state: PaperState
    first_seen: datetime
    abstract_zh: str | None
    translation_engine: str | None
    translate_attempts: int
    last_error: str | None
    translated_at: datetime | None
    written_at: datetime | None
    log_month: str | None
    """The month section snn-feed wrote the entry under (None: found in the log already)."""
    committed_at: datetime | None
    commit_sha: str | None
    origin: str
    """sync: logged under the month it was logged in; backfill: under its publication month;
    import: already in the log when it was imported."""
    code_checked_at: datetime | None
    log_path: str | None
    """The log file a written or committed paper is in (None: not written yet)."""
    title_zh: str | None = None
    """The Chinese title (`[translate] titles`; None: never asked for, or not yet)."""


@dataclass(frozen=True)
class Summary:
    """A paper's summary (`[summary]`): one sentence, and with `details` labelled lines."""

    tldr: str
    points: tuple[tuple[str, str], ...] = ()
    """(label, text): 动机 (motivation), 方法 (method), 结果 (result), those the model gave."""
    made_at: datetime | None = None


@dataclass(frozen=True)
class Run:
    """One recorded run of a command (sync, backfill...)."""

    id: int
    command: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    """running, done, partial, failed, interrupted or crashed."""
    window_start: datetime | None
    window_end: datetime | None
    found: int
    new: int
    translated: int
    written: int
    pending: int
    error: str | None
    commit_sha: str | None
    owner: str | None = None
    """The host and process that ran it (`host pid 123`)."""


@dataclass(frozen=True)
class ImportedEntry:
    """An entry of a log that existed before snn-feed (see `snn-feed import`)."""

    key: str
    arxiv_id: str | None
    title: str
    norm_title: str
    section: str
    line: int
    text: str
    resolution: str


@dataclass(frozen=True)
class FeedCheck:
    """The last announcement feed read from a URL: its validators for a conditional request."""

    url: str
    etag: str | None
    last_modified: str | None
    announced: datetime | None
    items: int
    checked_at: datetime


@dataclass(frozen=True)
class PendingChange:
    """One file of a recorded step that is not finished yet: what it becomes (`data`, or
    removed when None), and the hash it had when the step began (None: it did not exist)."""

    path: str
    before_sha256: str | None
    data: bytes | None


@dataclass(frozen=True)
class Delivery:
    """A notice owed to one `[notify]` service, with what the notice says."""

    notice_id: int
    target: str
    """The service: a hash of its URL (`notify.delivery.target_key`)."""
    kind: str
    """digest, alert or recovered."""
    condition: str | None
    day: str | None
    message: str | None
    papers: list[str] | None
    created_at: datetime
    attempts: int
    topic: str | None = None
    """A digest's topic."""
    late: list[str] | None = None
    """A digest's papers told of before, whose summaries came after their digest."""
