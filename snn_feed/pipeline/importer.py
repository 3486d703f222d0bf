"""`snn-feed import`: adopt a log kept by hand, so nothing in it is ever added again.

Every entry is recorded with its month section and its text as written. Entries without an
arXiv id (the old `### Title` format) are looked up on arXiv by title: a phrase query on the
title, then a normalised fuzzy comparison of the returned titles; only a confident match is
accepted, the rest are listed for the user. Importing twice changes nothing: an entry recorded
before, or one snn-feed itself wrote to this log, is already known, not new.

The titles are looked up many to a request (`batches`): their phrases OR-ed into one query
within arXiv's query length, each entry then matched against the results that contain its
phrase, as its own query would have returned them. A title no result holds the phrase of
(not on arXiv, or worded otherwise there), and those of a request whose results were cut at
its limit, are asked one by one, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from snn_feed.config import Settings
from snn_feed.errors import FetchError
from snn_feed.journal import logfile
from snn_feed.journal.logparse import Entry, Stray, confident_match, normalize_title, parse_log
from snn_feed.pipeline import styles
from snn_feed.pipeline.context import open_seams
from snn_feed.pipeline.reconcile import log_texts
from snn_feed.pipeline.relevance import MAX_QUERY_BYTES, code_url
from snn_feed.records import Paper
from snn_feed.sanitize import storable
from snn_feed.sources import api
from snn_feed.store import PaperState, Store

log = logging.getLogger(__name__)

TitleSearch = Callable[[str, int], list[Paper]]
"""Up to so many papers whose titles match a query of `ti:` phrases (arXiv's search)."""
Progress = Callable[[str, int, int, int], None]
"""("titles", titles looked up, titles to look up, found so far): a progress bar's update."""

RESULTS_PER_TITLE = 5
"""The matches asked for per title, the best first: a title's own paper is among them."""


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


def batches(entries: Sequence[Entry], limit: int = MAX_QUERY_BYTES) -> list[list[Entry]]:
    """`entries` in order, as many to a query as `limit` bytes (URL-encoded) take."""
    from urllib.parse import quote_plus

    out: list[list[Entry]] = []
    size = 0
    for entry in entries:
        cost = len(quote_plus(title_query(entry.title) + " OR "))
        if not out or size + cost > limit:
            out.append([])
            size = 0
        out[-1].append(entry)
        size += cost
    return out


def resolve_titles(
    entries: Sequence[Entry], search: TitleSearch, progress: Progress | None = None
) -> tuple[dict[int, Paper], list[str]]:
    """The paper of each entry (by line) that a confident match finds, and an error line if
    arXiv failed (the titles not looked up then stay unresolved; a later import asks again)."""
    found: dict[int, Paper] = {}
    done = 0
    for batch in batches(entries):
        limit = RESULTS_PER_TITLE * len(batch)
        try:
            results = search(" OR ".join(title_query(e.title) for e in batch), limit)
            for entry in batch:
                own = _own_results(entry, results)
                paper = _best(entry, own)
                if paper is None and len(batch) > 1 and (not own or len(results) >= limit):
                    # No result holds its phrase (arXiv may read a title's words otherwise
                    # than we do), or the results were cut at their limit: ask as before.
                    paper = _best(entry, search(title_query(entry.title), RESULTS_PER_TITLE))
                if paper is not None:
                    found[entry.line] = paper
        except FetchError as err:
            # arXiv is down or refusing: stop asking; a later import resumes the lookups.
            left = len(entries) - done
            return found, [f"line {batch[0].line}: {err}; {left} titles were not looked up "
                           "(run import again later)"]  # fmt: skip
        done += len(batch)
        if progress is not None:
            progress("titles", done, len(entries), len(found))
    return found, []


def import_log(
    text: str,
    store: Store,
    search: TitleSearch | None,
    log_path: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Record every entry of `text`, the log at `log_path`; resolve title-only entries with
    `search` (None: skip)."""
    entries, strays = parse_log(storable(text))  # kept as written, but storable
    report = ImportReport(entries=len(entries), strays=strays)
    known = {row.key: row for row in store.imported.all()}
    in_log = placed_in(store, log_path) if log_path else {}
    looked_up: dict[int, Paper] = {}
    if search is not None:
        wanted = [e for e in entries if not e.arxiv_id and (
            entry_key(e) not in known or known[entry_key(e)].arxiv_id is None)]  # fmt: skip
        looked_up, report.errors = resolve_titles(wanted, search, progress)
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
            found = looked_up.get(entry.line)
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


def import_file(
    settings: Settings, path: Path, *, resolve: bool = True, progress: Progress | None = None
) -> ImportReport:
    """`snn-feed import`: read the log at `path` and record its entries, under the lock, looking
    title-only entries up on arXiv unless `resolve` is false."""
    text = logfile.read_log(path)
    with open_seams(settings, commit=False) as seams:
        client = seams.client

        def search(query: str, limit: int) -> list[Paper]:
            return api.search_titles(client, query, limit)

        # Papers record the log they went to with links followed, as the sync's log path has.
        report = import_log(text, seams.store, search if resolve else None,
                            str(path.resolve()), progress)  # fmt: skip
        report.style = styles.settle(seams.store, path.resolve(), log_texts(path, text))
        report.configured = settings.log.style
        return report


def _own_results(entry: Entry, results: list[Paper]) -> list[Paper]:
    """What the entry's own phrase query would have returned of `results`: those whose title
    holds the phrase, the first `RESULTS_PER_TITLE` of them (arXiv's relevance order)."""
    phrase = f" {title_query(entry.title)[4:-1]} "
    own = [p for p in results if phrase in f" {normalize_title(p.title)} "]
    return own[:RESULTS_PER_TITLE]


def _best(entry: Entry, candidates: list[Paper]) -> Paper | None:
    best = confident_match(entry.title, [(p.arxiv_id, p.title) for p in candidates])
    log.info("title search for line %d: %s -> %s", entry.line, entry.title, best)
    return next((p for p in candidates if p.arxiv_id == best), None)
