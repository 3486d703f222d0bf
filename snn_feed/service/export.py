"""An Atom feed of the log: the latest logged papers with their Chinese abstracts, so that the
log can be followed in any feed reader.

`render_atom` is pure (plain records in, bytes out) and leaves all escaping to feedgen's lxml
serializer: every field is an Atom text construct, so nothing from arXiv or a translator can
become markup. `write_feed` and `export_atom` load the papers and replace the file atomically.
"""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from feedgen.feed import FeedGenerator

from snn_feed import __version__
from snn_feed.errors import ExportError, LogFileError
from snn_feed.journal import logfile
from snn_feed.journal.paths import safe_config_path
from snn_feed.pipeline.venues import venue_of

if TYPE_CHECKING:
    from snn_feed.config import Settings
    from snn_feed.store import Store, StoredPaper, Summary

# Characters XML 1.0 cannot hold at all, escaped or not (lxml refuses them): C0 controls
# other than tab and newlines, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)
VENUE_SCHEME = "urn:snn-feed:venue"
"""The scheme of an entry's venue category, which sets it apart from its arXiv categories."""


@dataclass(frozen=True)
class FeedItem:
    """One logged paper, as the feed shows it."""

    arxiv_id: str
    """Versionless id: the entry's permanent id is its abs URL."""
    title: str
    authors: list[str]
    abstract: str
    """The English abstract (the entry's summary)."""
    abstract_zh: str | None
    """The Chinese abstract (the entry's content); None when the paper was logged without one."""
    categories: list[str]
    published: datetime
    """First version's submission time (UTC)."""
    updated: datetime
    """Latest version's time (UTC)."""
    logged_at: datetime
    """When it was put in the log (its submission time for papers imported from a hand-made
    log): what "latest" means in the feed."""
    venue: str | None = None
    """Where it was accepted or published, as its tag reads ("NeurIPS 2025 (oral)")."""
    summary: Summary | None = None
    """Its summary (`[summary]`), leading the content; made later than the entry, it makes
    the entry updated then."""

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def revised(self) -> datetime:
        """The entry's `updated`: its latest version, or its summary when that came later."""
        made = self.summary.made_at if self.summary else None
        return max(self.updated, made) if made else self.updated


@dataclass(frozen=True)
class FeedInfo:
    """What the feed says about itself."""

    id: str
    """A permanent IRI for this feed (readers use it to recognise the feed)."""
    title: str
    link: str | None = None
    """The log's web page, if it has one."""


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def render_atom(items: Sequence[FeedItem], info: FeedInfo) -> bytes:
    """The Atom document (UTF-8) of `items`, in the order given (newest first, by convention).

    The feed's `updated` is the latest time any item was logged or revised, so the same papers
    always give the same bytes: a feed kept in git changes only when the log does. An empty
    feed has never been updated and says 1970-01-01.
    """
    fg = FeedGenerator()
    fg.id(_text(info.id))
    fg.title(_text(info.title))
    if info.link:
        fg.link(href=info.link, rel="alternate", type="text/html")
    fg.generator("snn-feed", version=__version__)
    fg.updated(max((max(i.logged_at, i.revised) for i in items), default=_EMPTY_FEED_UPDATED))
    for item in items:
        entry = fg.add_entry(order="append")
        entry.id(item.abs_url)
        entry.title(_text(item.title) or item.arxiv_id)
        # One link only: feedgen 1.0 drops rel/type/title from entry links (its issue #135), so
        # a second one (a code link, say) would be a second "alternate" link: invalid Atom.
        entry.link(href=item.abs_url)
        names = [_text(a).strip() for a in item.authors]
        entry.author([{"name": name} for name in names if name])
        entry.published(item.published)
        entry.updated(item.revised)
        if content := _content(item):
            entry.content(content, type="text")
        # Readers show the summary more often than categories: the tag leads it too.
        venue = _text(item.venue) if item.venue else None
        summary = f"[{venue}] {_text(item.abstract)}" if venue else _text(item.abstract)
        entry.summary(summary, type="text")
        for term in item.categories:
            entry.category(term=_text(term))
        if venue:
            entry.category(term=venue, scheme=VENUE_SCHEME, label=venue)
    return bytes(fg.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True))


def _content(item: FeedItem) -> str:
    """The summary's lines, then the Chinese abstract."""
    parts = []
    if item.summary:
        lines = [f"一句话：{item.summary.tldr}"]
        lines += [f"{label}：{text}" for label, text in item.summary.points]
        parts.append("\n".join(lines))
    if item.abstract_zh:
        parts.append(item.abstract_zh)
    return _text("\n\n".join(parts))


def item_of(row: StoredPaper, summary: Summary | None = None) -> FeedItem:
    """A stored paper as a feed item."""
    return FeedItem(
        arxiv_id=row.arxiv_id,
        title=row.title,
        authors=list(row.authors),
        abstract=row.abstract,
        abstract_zh=row.abstract_zh,
        categories=list(row.categories),
        published=row.published,
        updated=row.updated,
        logged_at=row.written_at or row.published,
        venue=venue.label() if (venue := venue_of(row.comment, row.journal_ref)) else None,
        summary=summary,
    )


def feed_info(settings: Settings) -> FeedInfo:
    """The feed's id, title and link from `[export]`.

    With `link` set, the log's web page is the feed's id too. Without it the id is a UUID
    derived from the log's path: stable for one log, different for another, and unlike a
    `tag:` URI built from a path or an e-mail address it puts nothing private in a file that
    may well be published.
    """
    link = settings.export.link or None
    feed_id = link or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, settings.log_path.as_uri())}"
    return FeedInfo(id=feed_id, title=settings.export.title, link=link)


def write_feed(store: Store, path: Path | None, info: FeedInfo, *, limit: int) -> int:
    """Write the feed of the `limit` latest logged papers to `path` (None: standard output),
    replacing the file atomically; return how many papers it holds.

    No lock is taken: the database is read in one snapshot and the file is replaced whole, so
    a feed written alongside a sync is never torn, only possibly one sync old.
    """
    rows = store.reports.logged(limit)
    summaries = store.summaries.of([row.arxiv_id for row in rows])
    data = render_atom([item_of(row, summaries.get(row.arxiv_id)) for row in rows], info)
    if path is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return len(rows)
    try:
        logfile.write_atomic(path, data, what="the feed")
    except LogFileError as err:
        raise ExportError(str(err)) from err
    return len(rows)


def configured_feed(settings: Settings) -> Path | None:
    """`[export] atom` with links followed (None when unset); refused when a link leads it out
    of the repository it lies in (a log repository is often a clone others can change)."""
    path = settings.atom_path
    return None if path is None else safe_config_path(path, "[export] atom")


def export_atom(settings: Settings, store: Store) -> Path | None:
    """Rewrite the feed at `[export] atom` (after a sync); None when no feed is configured.
    A link that leads the file out of its repository is refused, as for the log."""
    path = configured_feed(settings)
    if path is None:
        return None
    write_feed(store, path, feed_info(settings), limit=settings.export.limit)
    return path
