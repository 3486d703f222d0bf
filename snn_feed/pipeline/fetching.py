"""The fetch stage: papers from the search API's window and from the day's announcements,
stored once each (by versionless id), with what the log already holds marked as such.

One transaction per page of papers: a failure later in paging keeps what was already read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import TypeVar
from zoneinfo import ZoneInfo

from snn_feed.config import FeedSettings
from snn_feed.journal.presence import Presence
from snn_feed.pipeline import relevance
from snn_feed.pipeline.selection import Scored, Selection, held_by_log
from snn_feed.records import Paper
from snn_feed.sources import api
from snn_feed.sources.announcements import FetchResult, RssClient, Validators
from snn_feed.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Fetched:
    """What one fetch did: papers the source returned (on topic, for the feed), papers new to
    the store or brought back by a newer version."""

    found: int = 0
    new: int = 0

    def __add__(self, other: Fetched) -> Fetched:
        return Fetched(self.found + other.found, self.new + other.new)


def window(
    store: Store, lookback_days: float, zone: ZoneInfo, now: datetime, since: date | None
) -> tuple[datetime, datetime]:
    """The submission window to ask for: from `since` (a day in the log's zone) or from the
    end of the last successful window, less the lookback, to now."""
    if since is not None:
        start = datetime.combine(since, time(0), zone)
    else:
        last = store.runs.last_window_end()
        start = (last or now) - timedelta(days=lookback_days)
    return start.astimezone(UTC), now


class Search:
    """The papers of one query, in arXiv's order; `found` counts every one arXiv returned,
    on topic or not (`status` warns when nothing is found for days), `total` is how many
    arXiv says there are (None until the first page arrives)."""

    def __init__(
        self,
        client: api.PoliteClient,
        query: str,
        on_paper: Callable[[], None] = lambda: None,
    ) -> None:
        self.client, self.query, self.on_paper = client, query, on_paper
        self.found = 0
        self.total: int | None = None

    def _heard(self, total: int) -> None:
        self.total = total

    def __iter__(self) -> Iterator[Paper]:
        log.info("arXiv query: %s", self.query)
        for paper in api.search(self.client, self.query, on_total=self._heard):
            self.on_paper()
            self.found += 1
            yield paper


def search_window(
    client: api.PoliteClient,
    feed: FeedSettings,
    since: datetime,
    until: datetime,
    on_paper: Callable[[], None] = lambda: None,
) -> Search:
    query = relevance.build_query(feed.keywords, feed.exclude, feed.categories, since, until)
    return Search(client, query, on_paper)


def store_window(
    store: Store,
    search: Search,
    selection: Selection,
    presence: Presence,
    log_path: str,
    *,
    page_size: int,
    origin: str = "sync",
    safe_point: Callable[[], None] = lambda: None,
) -> Iterator[int]:
    """Store the on-topic papers of `search` a page at a time, yielding how many of each page
    were new (so a caller keeps the count of the pages stored before a failure)."""
    for batch in _batches(selection.on_topic(search), page_size):
        yield len(
            store.papers.add(
                batch, origin=origin, logged=held_by_log(batch, presence), log=log_path,
                min_score=selection.feed.min_score,
            )
        )  # fmt: skip
        safe_point()


@dataclass(frozen=True)
class Announced:
    """The day's announcement feed, read: the relevant new and cross-listed papers, and the
    replacements (which only refresh papers already stored)."""

    result: FetchResult
    fresh: list[Scored] = field(default_factory=list)
    replaced: list[Paper] = field(default_factory=list)


def read_announcements(
    rss: RssClient,
    store: Store,
    categories: list[str],
    selection: Selection,
    *,
    conditional: bool = True,
) -> Announced:
    """The feed, asked for only if changed since the last check (unless not `conditional`)."""
    url = rss.feed_url(categories)
    check = store.feeds.get(url) if conditional else None
    validators = (
        Validators(url=url, etag=check.etag, last_modified=check.last_modified) if check else None
    )
    result = rss.fetch(categories, validators)
    if result.feed is None:
        log.info("announcements: not changed since the last check")
        return Announced(result)
    fresh: list[Scored] = []
    replaced: list[Paper] = []
    for item in result.feed.items:
        paper = item.to_paper()
        if item.is_replacement:
            replaced.append(paper)
        elif (scored := selection.scored(paper)) is not None:
            # Only on-topic items count as found: the feed lists every paper of its categories.
            fresh.append(scored)
    log.info(
        "announcements of %s: %d items, %d relevant, %d replacements",
        result.feed.announced_on, len(result.feed.items), len(fresh), len(replaced),
    )  # fmt: skip
    return Announced(result, fresh, replaced)


def store_announcements(
    store: Store, announced: Announced, selection: Selection, presence: Presence, log_path: str
) -> Fetched:
    """Store the relevant papers of the announcements and refresh replaced ones. The feed's
    validators are saved last, so a crash before then reads the feed again."""
    feed = announced.result.feed
    if feed is None:
        return Fetched()
    min_score = selection.feed.min_score
    held = held_by_log(announced.fresh, presence)
    new = len(store.papers.add(announced.fresh, logged=held, log=log_path, min_score=min_score))
    # One never stored is left out by `known_only`.
    rescored = [selection.rescored(p) for p in announced.replaced]
    new += len(store.papers.add(rescored, known_only=True, min_score=min_score))
    v = announced.result.validators
    store.feeds.save(
        v.url, etag=v.etag, last_modified=v.last_modified,
        announced=feed.announced, items=len(feed.items),
    )  # fmt: skip
    return Fetched(len(announced.fresh), new)


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
