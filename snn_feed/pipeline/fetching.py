"""The fetch stage: papers from the search API's window and from the day's announcements,
stored once each (by versionless id), with what the log already holds marked as such.

One transaction per page of papers: a failure later in paging keeps what was already read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import TypeVar
from zoneinfo import ZoneInfo

from snn_feed.config import FeedSettings
from snn_feed.journal.presence import Presence
from snn_feed.pipeline import relevance
from snn_feed.pipeline.selection import Selection
from snn_feed.records import Paper
from snn_feed.sources import api
from snn_feed.sources.announcements import FetchResult, RssClient, Validators
from snn_feed.store import Store
from snn_feed.store.papers import Found, TopicRules

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
    """The submission window to ask for, for the store's topic: from `since` (a day in the
    log's zone) or from the end of the topic's last window read, less the lookback, to now
    (a new topic starts a lookback before now, whatever the others read)."""
    if since is not None:
        start = datetime.combine(since, time(0), zone)
    else:
        last = store.topics.window_end()
        start = (last or now) - timedelta(days=lookback_days)
    return start.astimezone(UTC), now


@dataclass(frozen=True)
class Lane:
    """One topic as the fetch stage sees it: its rules, what its log holds, and where."""

    topic: str
    selection: Selection
    presence: Presence
    log_path: str

    def rules(self, batch: Iterable[Found]) -> TopicRules:
        """How this topic takes `batch`: the papers its log holds already are its own."""
        held = {
            f.paper.arxiv_id: key
            for f in batch
            if self.topic in f.scores
            and (key := self.presence.entry_of(f.paper.arxiv_id, f.paper.title))
        }
        return TopicRules(self.selection.feed.min_score, held, self.log_path)


def found_in(lanes: Sequence[Lane], paper: Paper) -> Found | None:
    """The paper with its score in every topic it is on topic for; None: in none."""
    scores = {lane.topic: s.score for lane in lanes if (s := lane.selection.scored(paper))}
    if not scores:
        return None
    return Found(paper, relevance.code_url(paper.abstract, paper.comment), scores)


def rescored_in(lanes: Sequence[Lane], paper: Paper) -> Found:
    """A replacement, scored in every topic but not filtered: an on-topic paper stays stored
    whatever its new version says."""
    scores = {lane.topic: lane.selection.rescored(paper).score for lane in lanes}
    return Found(paper, relevance.code_url(paper.abstract), scores)


def store_found(
    store: Store,
    lanes: Sequence[Lane],
    batch: list[Found],
    *,
    origin: str = "sync",
    known_only: bool = False,
) -> int:
    """Store a batch for every topic at once; return how many papers are new to a topic."""
    rules = {lane.topic: lane.rules(batch) for lane in lanes}
    new = store.papers.add_found(batch, rules, origin=origin, known_only=known_only)
    return len({arxiv_id for ids in new.values() for arxiv_id in ids})


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


def search_topics(
    client: api.PoliteClient, feeds: Sequence[FeedSettings], since: datetime, until: datetime
) -> list[Search]:
    """The searches of several topics' shared window: as few queries as arXiv's query length
    allows (one, for a few dozen keywords), never one per topic."""
    wants = [relevance.Want(f.keywords, f.exclude, f.categories) for f in feeds]
    return [Search(client, q) for q in relevance.build_queries(wants, since, until)]


def store_window(
    store: Store,
    search: Search,
    lanes: Sequence[Lane],
    *,
    page_size: int,
    origin: str = "sync",
    safe_point: Callable[[], None] = lambda: None,
) -> Iterator[int]:
    """Store the papers of `search` on topic for any of `lanes` a page at a time, yielding how
    many of each page were new (so a caller keeps the count of the pages stored before a
    failure)."""
    on_topic = (f for paper in search if (f := found_in(lanes, paper)) is not None)
    for batch in _batches(on_topic, page_size):
        yield store_found(store, lanes, batch, origin=origin)
        safe_point()


@dataclass(frozen=True)
class Announced:
    """The day's announcement feed, read: the relevant new and cross-listed papers, and the
    replacements (which only refresh papers already stored)."""

    result: FetchResult
    fresh: list[Found] = field(default_factory=list)
    replaced: list[Found] = field(default_factory=list)


def read_announcements(
    rss: RssClient,
    store: Store,
    categories: list[str],
    lanes: Sequence[Lane],
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
    fresh: list[Found] = []
    replaced: list[Found] = []
    for item in result.feed.items:
        paper = item.to_paper()
        if item.is_replacement:
            replaced.append(rescored_in(lanes, paper))
        elif (found := found_in(lanes, paper)) is not None:
            # Only on-topic items count as found: the feed lists every paper of its categories.
            fresh.append(found)
    log.info(
        "announcements of %s: %d items, %d relevant, %d replacements",
        result.feed.announced_on, len(result.feed.items), len(fresh), len(replaced),
    )  # fmt: skip
    return Announced(result, fresh, replaced)


def store_announcements(store: Store, announced: Announced, lanes: Sequence[Lane]) -> Fetched:
    """Store the relevant papers of the announcements and refresh replaced ones. The feed's
    validators are saved last, so a crash before then reads the feed again."""
    feed = announced.result.feed
    if feed is None:
        return Fetched()
    new = store_found(store, lanes, announced.fresh)
    # One never stored is left out by `known_only`.
    new += store_found(store, lanes, announced.replaced, known_only=True)
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
