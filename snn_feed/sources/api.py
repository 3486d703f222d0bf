"""arXiv as a source of papers: the `arxiv` package's paging and Atom parser, made safe to run
unattended.

The package (4.x) gives us the query model, paging and a good lxml parser, but it sends requests
without a timeout, retries at once without backing off, ignores Retry-After, takes a truncated
document for a short page, and ends silently when the first page comes back empty even though
arXiv said there are results. `PoliteClient` replaces the one method that fetches a page and
keeps everything else.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import arxiv
import requests
from arxiv import _feed  # the package's own Atom parser (bytes in, Results out)
from lxml import etree

from snn_feed import __version__, ids
from snn_feed.config import ArxivSettings
from snn_feed.errors import FetchError
from snn_feed.records import Paper
from snn_feed.retries import RetryPolicy, TransientFetchError, gave_up, server_busy
from snn_feed.sanitize import scrub, scrub_optional

log = logging.getLogger(__name__)

USER_AGENT = f"snn-feed/{__version__} (arXiv SNN reading log)"
_ATOM = {"atom": "http://www.w3.org/2005/Atom"}


class PoliteClient(arxiv.Client):
    """An `arxiv.Client` whose every request has a timeout, bounded named retries with backoff,
    honours Retry-After, and keeps one request per `delay_seconds` over one connection."""

    def __init__(
        self,
        settings: ArxivSettings,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            page_size=settings.page_size,
            delay_seconds=settings.delay_seconds,
            num_retries=settings.retries,
        )
        self.query_url_format = settings.api_url.rstrip("?") + "?{}"
        self._session = session or requests.Session()
        self._timeout = settings.timeout_seconds
        self._sleep = sleep
        self._backoff = settings.backoff_seconds
        self._last_request_at: float | None = None
        self.requests_made = 0
        """Page requests sent, retries included (for the summary and benchmarks)."""
        self._on_total: Callable[[int], None] | None = None

    def _parse_feed(
        self, url: str, first_page: bool = True, _try_index: int = 0
    ) -> _feed.ParsedFeed:
        policy = RetryPolicy(
            "arXiv", retries=self.num_retries, first_backoff=self._backoff, sleep=self._sleep,
            exhausted=lambda err, n: FetchError(f"arXiv: {err} ({gave_up(n)})", url=url,
                                                attempts=n),
        )  # fmt: skip
        return policy.run(lambda: self._fetch_page(url, first_page))

    def results_of(
        self, request: arxiv.Search, on_total: Callable[[int], None] | None = None
    ) -> Iterator[arxiv.Result]:
        """`results(request)`, telling `on_total` the total arXiv reports with each page."""
        self._on_total = on_total
        try:
            yield from self.results(request)
        finally:
            self._on_total = None

    def _polite_pause(self) -> None:
        if self._last_request_at is None:
            return
        remaining = self.delay_seconds - (time.monotonic() - self._last_request_at)
        if remaining > 0:
            self._sleep(remaining)

    def _fetch_page(self, url: str, first_page: bool) -> _feed.ParsedFeed:
        self._polite_pause()
        self.requests_made += 1
        log.info("GET %s", url)
        try:
            resp = self._session.get(url, headers={"User-Agent": USER_AGENT}, timeout=self._timeout)
        except requests.Timeout as err:
            raise TransientFetchError(f"no answer within {self._timeout:g} s", url=url) from err
        except requests.ConnectionError as err:
            raise TransientFetchError(
                f"cannot connect to {urlsplit(url).netloc} ({_reason(err)}; check the network "
                "or proxy)",
                url=url,
            ) from err
        except requests.RequestException as err:  # e.g. the connection dropped mid-answer
            raise TransientFetchError(
                f"the answer broke off ({type(err).__name__})", url=url
            ) from err
        finally:
            self._last_request_at = time.monotonic()

        status = resp.status_code
        if status == 429 or status >= 500:
            raise server_busy("arXiv", status, resp.headers.get("Retry-After"), url=url)
        if status != 200:
            # arXiv reports a bad query as an Atom feed with one entry titled "Error".
            detail = _error_entry(resp.content) or resp.reason or "request refused"
            raise FetchError(f"arXiv refused the query: HTTP {status}: {detail}", url=url)

        if not resp.content.rstrip().endswith(b"</feed>"):
            raise TransientFetchError("the response was cut short", url=url)
        feed = _feed.parse(resp.content)
        if feed.malformed:
            raise TransientFetchError(f"the response is not valid XML ({feed.error})", url=url)
        if self._on_total is not None:
            self._on_total(feed.header.total_results)
        if not feed.results and (not first_page or feed.header.total_results > 0):
            raise TransientFetchError(
                f"empty page although arXiv reports {feed.header.total_results} results", url=url
            )
        return feed


def _reason(err: requests.ConnectionError) -> str:
    text = str(err.args[0]) if err.args else str(err)
    match = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    return match.group(1) if match else type(err).__name__


def _error_entry(content: bytes) -> str | None:
    """The text of arXiv's error entry (<title>Error</title>), which has no <published> and so
    is skipped by the package's parser."""
    try:
        root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    for entry in root.iterfind("atom:entry", _ATOM):
        if (entry.findtext("atom:title", namespaces=_ATOM) or "").strip() == "Error":
            return " ".join((entry.findtext("atom:summary", namespaces=_ATOM) or "").split())
    return None


def to_paper(result: arxiv.Result) -> Paper | None:
    """An `arxiv.Result` as our plain record, with the version split off the id; None (and a
    warning naming the entry) when its id is not an arXiv id: the id is written into the log's
    links, so it is data to check, not to trust."""
    parsed = ids.parse(result.entry_id)
    if parsed is None:
        log.warning("skipping an entry whose id is not an arXiv id: %.80r (%.80r)",
                    result.entry_id, result.title)  # fmt: skip
        return None
    arxiv_id, version = parsed
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=scrub(" ".join(result.title.split())),
        authors=[scrub(a.name.strip()) for a in result.authors],
        abstract=scrub(" ".join(result.summary.split())),
        categories=list(result.categories),
        primary_category=result.primary_category,
        published=result.published,
        updated=result.updated,
        comment=scrub_optional(result.comment),
        journal_ref=scrub_optional(result.journal_ref),
        doi=result.doi,
    )


def search(
    client: PoliteClient,
    query: str,
    *,
    max_results: int | None = None,
    on_total: Callable[[int], None] | None = None,
) -> Iterator[Paper]:
    """Every paper matching `query`, oldest submission first; `on_total` hears the number of
    results arXiv reports, with each page.

    Ascending submission order keeps paging stable while arXiv adds papers: new ones join the
    end instead of shifting the pages we have not read yet.
    """
    request = arxiv.Search(
        query=query,
        max_results=max_results,
        sort_by=arxiv.SortCriterion.SubmittedDate,
        sort_order=arxiv.SortOrder.Ascending,
    )
    for result in client.results_of(request, on_total):
        if (paper := to_paper(result)) is not None:
            yield paper


def search_titles(client: PoliteClient, query: str, limit: int = 5) -> list[Paper]:
    """The best matches of a title query (arXiv's relevance order)."""
    request = arxiv.Search(query=query, max_results=limit)
    return [p for result in client.results(request) if (p := to_paper(result)) is not None]
