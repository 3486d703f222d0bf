"""arXiv's announcement feeds as a second source: what arXiv announced today in our categories.

The search API indexes new papers hours after they are announced, so a sync right after the
announcement misses them; the announcement feed lists exactly the day's papers as soon as they
are out. This module reads the RSS 2.0 feed arXiv has served since February 2024,
`https://rss.arxiv.org/rss/<cat>+<cat>...` (documented at https://info.arxiv.org/help/rss.html
and https://info.arxiv.org/help/rss_specifications.html). The Atom variant (`/atom/...`) is not
parsed.

What the format looks like (see tests/fixtures/rss/README.md for where each point is confirmed):
one `<item>` per paper, even when several categories are requested in one URL; the versioned id
in `<guid>oai:arXiv.org:2605.12345v2</guid>` and again in `<description>`, which reads
`arXiv:2605.12345v2 Announce Type: new \\nAbstract: ...`; `<arxiv:announce_type>` is `new`,
`cross`, `replace` or `replace-cross`; `<category>`s in the paper's order, primary first; all
authors in one `<dc:creator>`, separated by ", ", each possibly followed by its affiliations in
parentheses; the channel's `<pubDate>` is the announcement day's midnight, US Eastern. On
weekends and holidays the channel has no items at all.

`parse_feed` is pure (bytes in, records out); `RssClient` is the one seam that talks HTTP.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from functools import partial
from zoneinfo import ZoneInfo

import httpx
from lxml import etree

from snn_feed import ids
from snn_feed.deadlines import AnswerTooLarge, DeadlineExceeded, read_capped, within
from snn_feed.errors import ConfigError, FeedFormatError, FetchError
from snn_feed.records import Paper
from snn_feed.retries import (
    RetryPolicy,
    TransientFetchError,
    connection_failed,
    gave_up,
    server_busy,
)
from snn_feed.sanitize import scrub
from snn_feed.sources.api import USER_AGENT
from snn_feed.sources.atom import FIRST_DAY, LAST_DAY, MAX_ABSTRACT_CHARS

log = logging.getLogger(__name__)

SERVICE = "arXiv announcement feed (RSS)"
DEFAULT_BASE_URL = "https://rss.arxiv.org"
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_RETRIES = 3
"""Retries of the feed request after a timeout, connection error, HTTP 5xx/429 or a garbled feed."""
DEFAULT_BACKOFF_SECONDS = 5.0
MAX_FEED_BYTES = 32 * 1024 * 1024
"""A day's feed of ten busy categories is a few megabytes; a larger answer is refused."""
ARXIV_TZ = ZoneInfo("America/New_York")
"""arXiv announces on US Eastern days; the channel's date is read in this zone."""

_NS = {"arxiv": "http://arxiv.org/schemas/atom", "dc": "http://purl.org/dc/elements/1.1/"}
_DESCRIPTION = re.compile(
    r"^\s*arXiv:(?P<vid>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s+Abstract:\s?(?P<abstract>.*)$",
    re.DOTALL,
)
_CATEGORY = re.compile(r"^[a-z-]+(\.[A-Za-z-]+)?$")


class AnnounceType(StrEnum):
    """Why a paper is in the day's feed."""

    NEW = "new"
    """First version, primary category among those requested."""
    CROSS = "cross"
    """First version, cross-listed into a requested category."""
    REPLACE = "replace"
    """A new version of a paper announced before."""
    REPLACE_CROSS = "replace-cross"
    """A new version of a paper cross-listed into a requested category."""


@dataclass(frozen=True)
class Announcement:
    """One item of an announcement feed."""

    arxiv_id: str
    """Versionless id: `2605.12345` or `cs/0101001`."""
    version: int
    announce_type: AnnounceType
    title: str
    abstract: str
    authors: list[str]
    """Names only; affiliations arXiv appends in parentheses are dropped."""
    categories: list[str]
    """Primary category first, as arXiv lists them."""
    announced: datetime
    """When this version was announced (the item's pubDate, else the channel's), UTC."""
    doi: str | None = None
    journal_ref: str | None = None
    license: str | None = None

    @property
    def is_replacement(self) -> bool:
        """A later version: its `announced` is not the first version's date."""
        return self.announce_type in (AnnounceType.REPLACE, AnnounceType.REPLACE_CROSS)

    def to_paper(self) -> Paper:
        """As the record the search API gives. The feed has no submission time, so `published`
        and `updated` are the announcement time; for a replacement that is the new version's, so
        a caller updating a stored paper should keep the stored `published`."""
        return Paper(
            arxiv_id=self.arxiv_id,
            version=self.version,
            title=self.title,
            authors=list(self.authors),
            abstract=self.abstract,
            categories=list(self.categories),
            primary_category=self.categories[0] if self.categories else "",
            published=self.announced,
            updated=self.announced,
            journal_ref=self.journal_ref,
            doi=self.doi,
        )


@dataclass(frozen=True)
class Feed:
    """One announcement feed: the day it announces and its items (none on weekends/holidays)."""

    announced: datetime
    """The channel's pubDate (midnight US Eastern of the announcement day), else its
    lastBuildDate; timezone-aware."""
    items: list[Announcement]
    skipped: int = 0
    """Items that could not be read (no arXiv id), logged and left out."""

    @property
    def announced_on(self) -> date:
        """The announcement day, on arXiv's (US Eastern) calendar."""
        return self.announced.astimezone(ARXIV_TZ).date()

    def papers(self) -> list[Paper]:
        return [item.to_paper() for item in self.items]


def parse_feed(data: bytes) -> Feed:
    """An RSS announcement feed as records. Items without a readable arXiv id or with an
    announce type we do not know are logged and skipped; a document that is not XML, not RSS 2.0,
    or has no date raises FeedFormatError."""
    # No DTD, no entities, no network: the feed is data from the internet.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        raise FeedFormatError(f"arXiv's feed is not valid XML ({err})") from err
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise FeedFormatError(f"arXiv's answer is not an RSS feed (root element <{root.tag}>)")

    announced = _date(_text(channel, "pubDate")) or _date(_text(channel, "lastBuildDate"))
    if announced is None:
        raise FeedFormatError("arXiv's feed has no pubDate or lastBuildDate")

    items: list[Announcement] = []
    skipped = 0
    for element in channel.iterfind("item"):
        try:
            item = _item(element, announced)
        except (ValueError, OverflowError) as err:  # one unreadable item costs that item
            log.warning("skipping a feed item that cannot be read: %.120r (%s)",
                        _text(element, "guid") or _text(element, "title"), err)  # fmt: skip
            item = None
        if item is None:
            skipped += 1
        else:
            items.append(item)
    return Feed(announced=announced, items=items, skipped=skipped)


def _item(element: etree._Element, channel_date: datetime) -> Announcement | None:
    description = _text(element, "description")
    described = _DESCRIPTION.match(description)
    # The item's id: the first of its fields that holds one whole arXiv id and nothing else
    # (the guid, else the description's, else the link). The id is written into the log's
    # links, so an id with anything around it (a quote, markup, more digits) is not taken.
    fields = [
        _text(element, "guid"),
        described.group("vid") if described else "",
        _text(element, "link"),
    ]
    parsed = next((p for f in fields if f.strip() and (p := ids.parse(f))), None)
    if parsed is None:
        named = [f.strip() for f in fields if f.strip()] or _text(element, "title")
        log.warning("skipping a feed item with no arXiv id: %.120r", named)
        return None
    arxiv_id, version = parsed

    kind = _text(element, "arxiv:announce_type").strip() or (
        described.group("type") if described else ""
    )
    try:
        announce_type = AnnounceType(kind)
    except ValueError:
        log.warning("skipping %s: unknown announce type %r", arxiv_id, kind)
        return None

    if described:
        abstract = described.group("abstract")
    else:  # not the documented layout: take what follows "Abstract:", or all of it
        abstract = description.partition("Abstract:")[2] or description
    if len(abstract) > MAX_ABSTRACT_CHARS:
        log.warning("skipping %s: an abstract of %d characters is far longer than arXiv allows",
                    arxiv_id, len(abstract))  # fmt: skip
        return None
    return Announcement(
        arxiv_id=arxiv_id,
        version=version,
        announce_type=announce_type,
        title=scrub(_squash(_text(element, "title"))),
        abstract=scrub(_squash(abstract)),
        authors=[scrub(name) for name in split_authors(_text(element, "dc:creator"))],
        categories=[c for c in (_squash(_text_of(e)) for e in element.iterfind("category")) if c],
        announced=(_date(_text(element, "pubDate")) or channel_date).astimezone(UTC),
        doi=_squash(_text(element, "arxiv:DOI")) or None,
        journal_ref=_squash(_text(element, "arxiv:journal_reference")) or None,
        license=_squash(_text(element, "dc:rights")) or None,
    )


def split_authors(creator: str) -> list[str]:
    """`dc:creator` as names. arXiv joins names with ", " after its own parser has split "A and
    B", so "and" is never a separator here (and "Anand" stays whole); commas inside an
    affiliation's parentheses do not separate names, and the affiliation itself is dropped."""
    names: list[str] = []
    depth = 0
    current: list[str] = []
    for char in creator:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            names.append("".join(current))
            current = []
            continue
        if depth == 0 and char != ")":
            current.append(char)
    names.append("".join(current))
    if depth:  # an unclosed parenthesis: better a stray affiliation than names lost inside it
        names = creator.split(",")
    return [name for name in (_squash(n) for n in names) if name]


def _text_of(element: etree._Element) -> str:
    # itertext, not .text: an unresolved entity reference is a child node, not text.
    return "".join(element.itertext())


def _text(parent: etree._Element, path: str) -> str:
    element = parent.find(path, _NS)
    return _text_of(element) if element is not None else ""


def _squash(text: str) -> str:
    return " ".join(text.split())


def _date(text: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        moment = parsedate_to_datetime(text.strip())
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (TypeError, ValueError, OverflowError):
        return None
    return moment if FIRST_DAY <= moment < LAST_DAY else None  # not a date of arXiv's


# --- fetching -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Validators:
    """What the server said identifies the feed it sent, for the next conditional request.
    Save them only after the feed they came with has been processed, so that a crash in between
    fetches the feed again instead of being told it has not changed."""

    url: str
    """The feed they belong to; they are not sent for another URL (other categories)."""
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchResult:
    feed: Feed | None
    """None when the server answered 304 Not Modified: nothing new since `validators`."""
    validators: Validators


class RssClient:
    """Fetches one announcement feed for all categories in one request, conditionally, with a
    timeout and bounded retries of timeouts, connection errors, HTTP 5xx/429 (honouring
    Retry-After up to MAX_RETRY_AFTER_SECONDS) and garbled feeds."""

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        retries: int = DEFAULT_RETRIES,
        backoff_seconds: float = DEFAULT_BACKOFF_SECONDS,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"the feed URL must be an http:// or https:// URL: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds
        self.retries = retries
        """Retries after the first attempt; at most `retries + 1` requests per fetch."""
        self._backoff = backoff_seconds
        self._sleep = sleep
        self._http = httpx.Client(
            timeout=timeout_seconds,
            transport=transport,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
        )
        self.requests_made = 0
        """Requests sent, retries included."""

    def __enter__(self) -> RssClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def feed_url(self, categories: Iterable[str]) -> str:
        """`<base>/rss/cs.NE+cs.LG`: arXiv serves several categories in one feed."""
        wanted = list(dict.fromkeys(c.strip() for c in categories))
        if not wanted:
            raise ConfigError("no categories to read announcements for")
        bad = [c for c in wanted if not _CATEGORY.fullmatch(c)]
        if bad:
            raise ConfigError(f"not an arXiv category: {', '.join(map(repr, bad))}")
        return f"{self.base_url}/rss/{'+'.join(wanted)}"

    def fetch(self, categories: Iterable[str], validators: Validators | None = None) -> FetchResult:
        """Today's announcements in `categories`, or `feed=None` if the feed has not changed
        since `validators` (ETag / Last-Modified from the previous fetch of the same URL)."""
        url = self.feed_url(categories)
        headers: dict[str, str] = {}
        if validators is not None and validators.url == url:
            if validators.etag:
                headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                headers["If-Modified-Since"] = validators.last_modified
        policy = RetryPolicy(
            SERVICE, retries=self.retries, first_backoff=self._backoff, sleep=self._sleep,
            retry_on=(TransientFetchError, FeedFormatError), exhausted=partial(_exhausted, url),
        )  # fmt: skip
        return policy.run(lambda: self._fetch_once(url, headers, validators))

    def _fetch_once(
        self, url: str, headers: dict[str, str], previous: Validators | None
    ) -> FetchResult:
        self.requests_made += 1
        log.info("GET %s", url)
        try:
            response, content = within(
                self.timeout_seconds, lambda: self._get(url, headers), name="feed"
            )
        except (httpx.TimeoutException, DeadlineExceeded) as err:
            raise TransientFetchError(
                f"no answer within {self.timeout_seconds:g} s", url=url
            ) from err
        except AnswerTooLarge as err:
            raise FetchError(f"{SERVICE}: {err}, far more than a day's feed", url=url) from err
        except httpx.ConnectError as err:
            raise connection_failed(SERVICE, url, err, str(err) or type(err).__name__) from err
        except (httpx.TransportError, httpx.DecodingError) as err:
            raise TransientFetchError(
                f"the answer broke off ({type(err).__name__})", url=url
            ) from err
        except httpx.RequestError as err:  # e.g. too many redirects
            raise FetchError(f"{SERVICE}: {type(err).__name__}", url=url) from err

        status = response.status_code
        if status == 304:
            same = previous if previous is not None else Validators(url)
            return FetchResult(None, _validators(url, response, fallback=same))
        if status == 429 or status >= 500:
            raise server_busy(SERVICE, status, response.headers.get("Retry-After"), url=url)
        if status != 200:
            detail = _error_description(content) or response.reason_phrase
            raise FetchError(f"{SERVICE} refused {url}: HTTP {status}: {detail}", url=url)
        try:
            feed = parse_feed(content)
        except FeedFormatError as err:
            err.url = url
            raise
        if feed.skipped:
            log.warning("%d item(s) of %s could not be read", feed.skipped, url)
        return FetchResult(feed, _validators(url, response, fallback=Validators(url)))

    def _get(self, url: str, headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
        """The response and its body, read whole before the deadline and within the cap."""
        deadline = time.monotonic() + self.timeout_seconds
        with self._http.stream("GET", url, headers=headers) as response:
            body = read_capped(response.iter_bytes(), limit=MAX_FEED_BYTES, deadline=deadline)
        return response, body


def _exhausted(url: str, err: BaseException, attempts: int) -> FetchError:
    """The last error once the retries ran out, saying how many attempts were made."""
    if isinstance(err, FeedFormatError):
        return FeedFormatError(f"{err} ({gave_up(attempts)})", url=url, attempts=attempts)
    return FetchError(f"{SERVICE}: {err} ({gave_up(attempts)})", url=url, attempts=attempts)


def _validators(url: str, response: httpx.Response, *, fallback: Validators) -> Validators:
    """The response's validators; a 304 may omit them, and then the old ones still hold."""
    etag = response.headers.get("ETag")
    last_modified = response.headers.get("Last-Modified")
    return Validators(
        url=url,
        etag=etag if etag is not None else fallback.etag,
        last_modified=last_modified if last_modified is not None else fallback.last_modified,
    )


def _error_description(content: bytes) -> str | None:
    """arXiv reports a bad category as an RSS channel titled "Feed error for query: ...", with
    the reason in its description."""
    try:
        root = etree.fromstring(
            content, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        )
    except etree.XMLSyntaxError:
        return None
    if not _text(root, "channel/title").startswith("Feed error"):
        return None
    return _squash(_text(root, "channel/description")) or None
