"""arXiv as a source of papers: the `arxiv` package's paging and Atom parser, made safe to run
unattended.

The package (4.x) gives us the query model and its reader of one entry, but it sends requests
without a timeout, retries at once without backing off, ignores Retry-After, takes a truncated
document for a short page, ends silently when the first page comes back empty even though
arXiv said there are results, and pages for as long as `totalResults` says. `PoliteClient`
fetches and pages by itself (`sources.atom` parses) and keeps the package's query model.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator

import arxiv
import requests

from snn_feed import __version__, ids
from snn_feed.config import ArxivSettings
from snn_feed.deadlines import AnswerTooLarge, DeadlineExceeded, read_capped, within
from snn_feed.errors import FetchError
from snn_feed.records import Paper
from snn_feed.retries import (
    RetryPolicy,
    TransientFetchError,
    connection_failed,
    gave_up,
    server_busy,
)
from snn_feed.sanitize import scrub, scrub_optional
from snn_feed.sources.atom import MalformedPage, Page, error_entry, parse_page

log = logging.getLogger(__name__)

USER_AGENT = f"snn-feed/{__version__} (arXiv SNN reading log)"


MAX_RESULTS = 30_000
"""arXiv's API serves at most this many results of one query; a larger `totalResults` is
not paged through."""
MAX_PAGE_BYTES = 64 * 1024 * 1024
"""A page of 2,000 entries is about 8 MB; an answer beyond this cap is refused, not parsed."""


class PoliteClient(arxiv.Client):
    """An `arxiv.Client` whose every request has a total deadline and a size cap, bounded
    named retries with backoff, honours Retry-After, and keeps one request per
    `delay_seconds` over one connection. It pages by itself: no further than arXiv's 30,000
    results, and not past a page that brings nothing new (a `totalResults` that lies)."""

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

    def _page(self, url: str, first_page: bool) -> Page:
        policy = RetryPolicy(
            "arXiv", retries=self.num_retries, first_backoff=self._backoff, sleep=self._sleep,
            exhausted=lambda err, n: FetchError(f"arXiv: {err} ({gave_up(n)})", url=url,
                                                attempts=n),
        )  # fmt: skip
        return policy.run(lambda: self._fetch_page(url, first_page))

    def results_of(
        self, request: arxiv.Search, on_total: Callable[[int], None] | None = None
    ) -> Iterator[arxiv.Result]:
        """Every result of `request`, telling `on_total` the total arXiv reports with each
        page."""
        limit = min(request.max_results or MAX_RESULTS, MAX_RESULTS)
        seen: set[str] = set()
        offset = 0
        while offset < limit:
            size = min(self.page_size, limit - offset)
            page = self._page(self._format_url(request, offset, size), first_page=offset == 0)
            if on_total is not None:
                on_total(page.total)
            new = [r for r in page.results if r.entry_id not in seen]
            if offset and page.results and not new:
                log.warning("arXiv: the page at %d brought no new papers although arXiv "
                            "reports %d results; stopping there", offset, page.total)  # fmt: skip
                return
            seen.update(r.entry_id for r in new)
            yield from new[: limit - offset]
            offset += page.entries
            if not page.entries or offset >= min(page.total, limit):
                return

    def results(self, search: arxiv.Search, offset: int = 0) -> Iterator[arxiv.Result]:
        """The package's entry point, routed through our paging."""
        if offset:
            raise ValueError("PoliteClient pages by itself; offset is not supported")
        return self.results_of(search)

    def _polite_pause(self) -> None:
        if self._last_request_at is None:
            return
        remaining = self.delay_seconds - (time.monotonic() - self._last_request_at)
        if remaining > 0:
            self._sleep(remaining)

    def _get(self, url: str) -> tuple[int, str, str | None, bytes]:
        """Status, reason, Retry-After and body of one GET, read whole before the deadline."""
        deadline = time.monotonic() + self._timeout
        with self._session.get(
            url, headers={"User-Agent": USER_AGENT}, timeout=self._timeout, stream=True
        ) as resp:
            body = read_capped(resp.iter_content(65536), limit=MAX_PAGE_BYTES, deadline=deadline)
            return resp.status_code, resp.reason or "", resp.headers.get("Retry-After"), body

    def _fetch_page(self, url: str, first_page: bool) -> Page:
        self._polite_pause()
        self.requests_made += 1
        log.info("GET %s", url)
        try:
            status, reason, retry_after, content = within(
                self._timeout, lambda: self._get(url), name="arXiv"
            )
        except (requests.Timeout, DeadlineExceeded) as err:
            raise TransientFetchError(f"no answer within {self._timeout:g} s", url=url) from err
        except AnswerTooLarge as err:
            raise FetchError(f"arXiv: {err}, far more than a page", url=url) from err
        except requests.ConnectionError as err:
            raise connection_failed("arXiv", url, err, _reason(err)) from err
        except requests.RequestException as err:  # e.g. the connection dropped mid-answer
            raise TransientFetchError(
                f"the answer broke off ({type(err).__name__})", url=url
            ) from err
        finally:
            self._last_request_at = time.monotonic()

        if status == 429 or status >= 500:
            raise server_busy("arXiv", status, retry_after, url=url)
        if status != 200:
            # arXiv reports a bad query as an Atom feed with one entry titled "Error".
            detail = error_entry(content) or reason or "request refused"
            raise FetchError(f"arXiv refused the query: HTTP {status}: {detail}", url=url)

        if not content.rstrip().endswith(b"</feed>"):
            raise TransientFetchError("the response was cut short", url=url)
        try:
            page = parse_page(content)
        except MalformedPage as err:
            raise TransientFetchError(f"the response is not valid XML ({err})", url=url) from err
        if not page.entries and (not first_page or page.total > 0):
            raise TransientFetchError(
                f"empty page although arXiv reports {page.total} results", url=url
            )
        return page


def _reason(err: requests.ConnectionError) -> str:
    text = str(err.args[0]) if err.args else str(err)
    match = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    return match.group(1) if match else type(err).__name__


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
