"""Where a paper's code lives, according to the Hugging Face Papers API (optional, `[links]`).

Many authors name their repository nowhere in the abstract or the arXiv comment, but link it
on the paper's Hugging Face page. This module asks for it: `GET <base>/api/papers/<arXiv id>`,
no authentication, answers one JSON object per paper. The format, as documented and seen:

- The endpoint and its 404 for a paper Hugging Face has not indexed: the `huggingface-papers`
  skill in github.com/huggingface/skills (`skills/huggingface-papers/SKILL.md`, "Paper Pages
  API Endpoints" and "Error Handling"); `HfApi.paper_info` in huggingface_hub (`hf_api.py`)
  calls the same URL and raises on 404.
- The fields: huggingface_hub's `PaperInfo` reads top-level `id` (the arXiv id), `title`,
  `summary`, `authors` (objects with `_id`, `name`, `hidden`, `status`,
  `statusLastChangedAt`, `user`), `publishedAt`, `upvotes`, `discussionId`, `ai_summary`,
  `ai_keywords`, `organization`, `projectPage`, `githubRepo` (the repository URL, absent or
  null when none is linked) and `githubStars`. Authors set `githubRepo` themselves (the same
  skill's `POST /api/papers/{paperId}/links`), so it is validated like any text from outside.
- Rate limits: HTTP 429 with `RateLimit` / `RateLimit-Policy` headers over 5-minute windows
  (huggingface/hub-docs `docs/hub/rate-limits.md`); a 429 ends the lookups of the run.
- Only new-style arXiv ids (`2611.01234`) are indexed (the skill's `POST /api/papers/index`
  takes `^\\d{4}\\.\\d{4,5}$`), so old-style ids are not asked for.

`HfPapers.repository` is the one call; it never waits past its deadline, and raises
`LinkLookupError` for anything but "a repository" or "none known".
"""

from __future__ import annotations

import json
import logging
import math
from time import monotonic

import httpx

from snn_feed.deadlines import AnswerTooLarge, DeadlineExceeded, read_capped
from snn_feed.errors import ConfigError, SnnFeedError
from snn_feed.ids import NEW_STYLE_ID
from snn_feed.pipeline.relevance import repository_url
from snn_feed.retries import RetryPolicy, gave_up
from snn_feed.sources.api import USER_AGENT

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://huggingface.co"
DEFAULT_TIMEOUT_SECONDS = 5.0
RETRIES = 1
"""Retries of one lookup after a timeout, a refused or broken connection, or HTTP 5xx."""
MAX_ANSWER_BYTES = 1_000_000
"""A paper's JSON is a few kilobytes; anything much larger is not that answer."""


class LinkLookupError(SnnFeedError):
    """Hugging Face could not say whether a paper has a repository; the caller stops asking
    for this run (lookups are never on the critical path)."""


class RateLimited(LinkLookupError):
    """HTTP 429: Hugging Face asked us to slow down; no more lookups this run."""


class _Transient(LinkLookupError):
    """A failure worth one retry: timeout, connection, HTTP 5xx."""


class HfPapers:
    """A client of the Hugging Face Papers API with a short timeout and at most `RETRIES`
    retries; after a 429 it makes no more requests."""

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"the Hugging Face URL must be http:// or https://: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds
        self._http = httpx.Client(
            timeout=timeout_seconds,
            transport=transport,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            follow_redirects=False,
        )
        self.rate_limited = False
        """Set by a 429: every later lookup raises `RateLimited` without a request."""

    def close(self) -> None:
        self._http.close()

    def repository(self, arxiv_id: str, *, deadline: float | None = None) -> str | None:
        """The clean repository URL Hugging Face links to paper `arxiv_id` (versionless), or
        None when it knows of none (or not the paper). `deadline` (a `time.monotonic()` value)
        bounds the lookup, retry included."""
        if self.rate_limited:
            raise RateLimited("Hugging Face answered 429 earlier in this run")
        if not NEW_STYLE_ID.fullmatch(arxiv_id):
            return None
        url = f"{self.base_url}/api/papers/{arxiv_id}"
        # At once, no backoff: the lookup's deadline bounds the retry, and a 429 (RateLimited)
        # or running out of time is not retried.
        policy = RetryPolicy(
            f"Hugging Face lookup of {arxiv_id}", retries=RETRIES, first_backoff=0.0,
            retry_on=(_Transient,), level=logging.INFO,  # one lookup's retry is a detail
            exhausted=lambda err, n: LinkLookupError(f"{err} ({gave_up(n)})"),
        )  # fmt: skip
        return policy.run(lambda: self._lookup_once(url, arxiv_id, deadline))

    def _timeout(self, deadline: float | None) -> float:
        if deadline is None:
            return self.timeout_seconds
        left = deadline - monotonic()
        if left <= 0:
            raise LinkLookupError("out of time for code-link lookups")
        return min(self.timeout_seconds, left)

    def _lookup_once(self, url: str, arxiv_id: str, deadline: float | None) -> str | None:
        timeout = self._timeout(deadline)
        try:
            with self._http.stream("GET", url, timeout=timeout) as response:
                status = response.status_code
                if status == 404:
                    return None
                if status == 429:
                    self.rate_limited = True
                    raise RateLimited("Hugging Face answered HTTP 429 (rate limited)")
                if status >= 500:
                    raise _Transient(f"Hugging Face answered HTTP {status}")
                if status != 200:
                    raise LinkLookupError(f"Hugging Face answered HTTP {status}")
                body = self._read(response, deadline)
        except httpx.TimeoutException as err:
            raise _Transient(f"no answer from Hugging Face within {timeout:.3g} s") from err
        except httpx.TransportError as err:
            raise _Transient(f"Hugging Face: {type(err).__name__}") from err
        except httpx.HTTPError as err:  # a broken content encoding, say: not worth a retry
            raise LinkLookupError(f"Hugging Face: {type(err).__name__}") from err
        return parse_repository(body, arxiv_id)

    @staticmethod
    def _read(response: httpx.Response, deadline: float | None) -> bytes:
        """The body, read no longer than the deadline and no further than MAX_ANSWER_BYTES
        (httpx's timeout bounds each read, not a server that trickles)."""
        try:
            return read_capped(response.iter_bytes(), limit=MAX_ANSWER_BYTES,
                               deadline=math.inf if deadline is None else deadline)  # fmt: skip
        except AnswerTooLarge as err:
            raise LinkLookupError("Hugging Face's answer is too large to be a paper") from err
        except DeadlineExceeded as err:
            raise LinkLookupError("out of time for code-link lookups") from err


def parse_repository(body: bytes, arxiv_id: str) -> str | None:
    """The repository of a paper from its `/api/papers/<id>` JSON: `githubRepo` made clean,
    or None when it is missing, empty or not a plain repository URL (pure)."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise LinkLookupError(f"Hugging Face's answer is not JSON: {err}") from err
    if not isinstance(data, dict):
        raise LinkLookupError("Hugging Face's answer is not a paper (not a JSON object)")
    if data.get("id") not in (None, arxiv_id):
        raise LinkLookupError(f"Hugging Face answered for {data.get('id')!r}, not {arxiv_id}")
    value = data.get("githubRepo")
    if not isinstance(value, str) or not value.strip():
        return None
    clean = repository_url(value)
    if clean is None:
        log.info("Hugging Face's repository of %s is not a plain repository URL", arxiv_id)
    return clean
