"""`snn-feed import`: adopt a log kept by hand, so nothing in it is ever added again.

Every entry is recorded with its month section and its text as written. Entries without an
arXiv id (the old `### Title` format) are looked up on arXiv by title: a phrase query on the
title, then a normalised fuzzy comparison of the returned titles; only a confident match is
accepted, the rest are listed for the user. Importing twice changes nothing: an entry recorded
before, or one snn-feed itself wrote to this log, is already known, not new.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from snn_feed.config import Settings
from snn_feed.errors import FetchError
from snn_feed.journal import logfile
from snn_feed.journal.logparse import Entry, Stray, confident_match, normalize_title, parse_log
from snn_feed.pipeline import styles
from snn_feed.pipeline.context import open_seams
from snn_feed.pipeline.reconcile import log_texts
from snn_feed.pipeline.relevance import code_url
from snn_feed.records import Paper
from snn_feed.sanitize import storable
from snn_feed.sources import api
from snn_feed.store import PaperState, Store

log = logging.getLogger(__name__)

TitleSearch = Callable[[str], list[Paper]]
"""Papers whose titles match a phrase (arXiv's `ti:` search)."""


@dataclass
class ImportReport:
    entries: int = 0
    new: int = 0
    """Entries recorded by this import."""
    known: int = 0
    """Entries the database knew already: recorded by an earlier import, or recorded as in this
    log by a sync (which wrote them, or found them there)."""
    linked: int = 0
    """Entries that name their arXiv id."""
    resolved: list[tuple[Entry, str]] = field(default_factory=list)
    unresolved: list[Entry] = field(default_factory=list)
    strays: list[Stray] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    style: str | None = None
    """The log's own entry style, as settled (`pipeline/styles.py`)."""
    configured: str | None = None
    """`[log] style`, which new entries get instead when it is set."""

    def lines(self) -> list[str]:
        out = [
            f"import: {self.entries} entries ({self.new} new, {self.known} already known), "
            f"{self.linked} with an arXiv id, "
            f"{len(self.resolved)} found by title, {len(self.unresolved)} unresolved, "
            f"{len(self.strays)} lines that are not entries"
        ]
        out += [f"  found by title: line {e.line}: {i} {e.title}" for e, i in self.resolved]
        out += [f"  unresolved: line {e.line}: {e.title}" for e in self.unresolved]
        out += [f"  not an entry, left as is: line {s.line}: {s.text.strip()[:80]}"
                for s in self.strays]  # fmt: skip
        out += [f"  error: {e}" for e in self.errors]
        if self.style:
            style = self.configured or self.style
            why = "[log] style" if self.configured else "the log's own"
            out.append(f"import: the log's style is {self.style}; new entries: {style} ({why})")
        return out


def entry_key(entry: Entry) -> str:
    return f"id:{entry.arxiv_id}" if entry.arxiv_id else f"title:{normalize_title(entry.title)}"


def title_query(title: str) -> str:
    """An arXiv phrase query for a title. Titles of 90+ characters in the old log were often
    cut short, so their last (maybe partial) word is left out."""
    words = normalize_title(title).split()
    if len(title) >= 90 and len(words) > 4:
        words = words[:-1]
    return 'ti:"' + " ".join(words) + '"'


def import_log(
    text: str, store: Store, search: TitleSearch | None, log_path: str | None = None
) -> ImportReport:
    """Record every entry of `text`, the log at `log_path`; resolve title-only entries with
    `search` (None: skip)."""
    entries, strays = parse_log(storable(text))  # kept as written, but storable
    report = ImportReport(entries=len(entries), strays=strays)
    known = {row.key: row for row in store.imported.all()}
    in_log = placed_in(store, log_path) if log_path else {}
    for entry in entries:
        key = entry_key(entry)
        if entry.arxiv_id:
            report.linked += 1
        if entry.arxiv_id and in_log.get(entry.arxiv_id) and key not in known:
            # The sync's own entry. Recorded as imported, it would count as held even after
            # it left the log, where the sync now writes it again.
            report.known += 1
            continue
        arxiv_id = entry.arxiv_id or (known[key].arxiv_id if key in known else None)
        resolution = "linked" if entry.arxiv_id else "unresolved"
        if key in known and not entry.arxiv_id:
            resolution = known[key].resolution
        if arxiv_id is None and search is not None:
            try:
                found = _resolve(entry, search)
            except FetchError as err:
                # arXiv is down or refusing: stop asking; a later import resumes the lookups.
                report.errors.append(
                    f"line {entry.line}: {err}; the remaining titles were not looked up "
                    "(run import again later)"
                )
                found, search = None, None
            if found is not None:
                arxiv_id, resolution = found.arxiv_id, "title"
                report.resolved.append((entry, found.arxiv_id))
                store.papers.add(
                    [(found, 0, code_url(found.abstract, found.comment))],
                    logged={found.arxiv_id: key},
                )
        if arxiv_id is None:
            report.unresolved.append(entry)
        added = store.imported.save(
            key, arxiv_id=arxiv_id, title=entry.title, norm_title=normalize_title(entry.title),
            section=entry.section, line=entry.line, text=entry.text, resolution=resolution,
        )  # fmt: skip
        new = added and entry.arxiv_id not in in_log
        report.new += int(new)
        report.known += int(not new)
    return report


def placed_in(store: Store, log_path: str) -> dict[str, bool]:
    """Papers the database has in the log at `log_path` (written or committed there) -> whether
    snn-feed wrote the entry itself (False: the sync found it in the log already)."""
    rows = store.papers.in_state(PaperState.WRITTEN) + store.papers.in_state(PaperState.COMMITTED)
    return {r.arxiv_id: r.log_month is not None for r in rows if r.log_path == log_path}


def import_file(settings: Settings, path: Path, *, resolve: bool = True) -> ImportReport:
    """`snn-feed import`: read the log at `path` and record its entries, under the lock, looking
    title-only entries up on arXiv unless `resolve` is false."""
    text = logfile.read_log(path)
    with open_seams(settings, commit=False) as seams:
        client = seams.client

        def search(query: str) -> list[Paper]:
            return api.search_titles(client, query)

        # Papers record the log they went to with links followed, as the sync's log path has.
        report = import_log(text, seams.store, search if resolve else None, str(path.resolve()))
        report.style = styles.settle(seams.store, path.resolve(), log_texts(path, text))
        report.configured = settings.log.style
        return report


def _resolve(entry: Entry, search: TitleSearch) -> Paper | None:
    candidates = search(title_query(entry.title))
    best = confident_match(entry.title, [(p.arxiv_id, p.title) for p in candidates])
    log.info("title search for line %d: %s -> %s", entry.line, entry.title, best)
    return next((p for p in candidates if p.arxiv_id == best), None)
