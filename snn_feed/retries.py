"""Bounded, named retries of requests to other services, in one place for every client.

arXiv's search API, its announcement feed, Hugging Face and the translators each retry what
may succeed a moment later (a timeout, a refused connection, HTTP 5xx or 429, a garbled
answer) and nothing else. A `RetryPolicy` says how often (`retries` after the first attempt),
how long to wait (`first_backoff`, doubled per retry up to a cap, or longer when the server
asked for it with Retry-After), how to wait (an injected `sleep`: the sync passes one that
stops when the service is told to), and how the last error reads (with the attempts made).
Each retry is logged with the service's name and "attempt k of n".
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import urlsplit

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from snn_feed.errors import FetchError

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_RETRY_AFTER_SECONDS = 300.0
"""A Retry-After longer than this is not waited out: the request fails and the next sync retries."""
BACKOFF_CAP_SECONDS = 120.0
"""The longest wait between two attempts that backing off alone gives."""


class TransientFetchError(FetchError):
    """A request that may succeed if tried again (timeout, 5xx, 429, empty or cut answer)."""

    def __init__(self, message: str, *, url: str, retry_after: float | None = None) -> None:
        super().__init__(message, url=url)
        self.retry_after = retry_after
        """Seconds the server asked us to wait (HTTP Retry-After), if it said."""


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds an HTTP Retry-After header asks for (delta-seconds or an HTTP date, counted from
    `now`, by default the wall clock), or None when there is none or it cannot be read."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    start = now or datetime.now(when.tzinfo)
    return max(0.0, (when - start).total_seconds())


def server_busy(service: str, status: int, retry_after: str | None, *, url: str) -> FetchError:
    """The error for an HTTP 429 or 5xx from `service`: transient, carrying the wait the server
    asked for, or final when that wait is beyond MAX_RETRY_AFTER_SECONDS (a sync is not held
    up for longer; the next one asks again)."""
    delay = parse_retry_after(retry_after)
    if delay is not None and delay > MAX_RETRY_AFTER_SECONDS:
        return FetchError(f"{service} asks to wait {delay:.0f} s (HTTP {status})", url=url)
    return TransientFetchError(f"HTTP {status}", url=url, retry_after=delay)


def unresolved_name(err: BaseException) -> socket.gaierror | None:
    """The name-lookup failure behind a connection error from requests, urllib3 or httpx, which
    each wrap it differently (a cause, a context, urllib3's `reason`, an argument)."""
    todo: list[object] = [err]
    seen: set[int] = set()
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, socket.gaierror):
            return item
        todo += [item.__cause__, item.__context__, getattr(item, "reason", None), *item.args]
    return None


def connection_failed(service: str, url: str, err: BaseException, reason: str) -> FetchError:
    """The error for a connection to `service` that could not be made. A host name that does
    not resolve is final: the network or the name is wrong, and trying again within seconds
    only delays saying so (the next sync tries again). A refused or reset connection may work a
    moment later and is transient."""
    host = urlsplit(url).hostname or url
    lookup = unresolved_name(err)
    if lookup is not None:
        why = lookup.strerror or str(lookup)
        return FetchError(f"{service}: cannot resolve host {host} ({why}); check the network, "
                          "the proxy or the URL", url=url)  # fmt: skip
    return TransientFetchError(
        f"cannot connect to {urlsplit(url).netloc} ({reason}; check the network or proxy)",
        url=url,
    )


def gave_up(attempts: int) -> str:
    """How a last error says it was the last: "gave up after 3 attempts"."""
    return f"gave up after {attempts} attempt{'s' * (attempts != 1)}"


@dataclass(frozen=True)
class RetryPolicy:
    """At most `retries` retries of a request to `service` that failed with one of `retry_on`
    (and, if given, `retry_if` of the error), backing off between them."""

    service: str
    """Named in every retry's log line."""
    retries: int
    """Retries after the first attempt: at most `retries + 1` requests."""
    first_backoff: float
    """Seconds before the first retry; doubled before each next one, up to `backoff_cap`."""
    sleep: Callable[[float], None] = time.sleep
    """How to wait (the sync's stops early when the service is told to)."""
    retry_on: tuple[type[BaseException], ...] = (TransientFetchError,)
    """The errors worth another attempt; any other is raised at once."""
    retry_if: Callable[[BaseException], bool] | None = None
    """A further test of an error of `retry_on` (a translator's 403 is never retried)."""
    exhausted: Callable[[BaseException, int], BaseException] | None = None
    """The error to raise, from the last one and the attempts made, when the retries ran out;
    None raises the last error as it was."""
    backoff_cap: float = BACKOFF_CAP_SECONDS
    level: int = logging.WARNING
    """The level of the retry log lines: shown without `-v`, so that no wait is silent."""

    @property
    def attempts(self) -> int:
        """Requests at most, the first included."""
        return self.retries + 1

    def retryable(self, err: BaseException) -> bool:
        return isinstance(err, self.retry_on) and (self.retry_if is None or self.retry_if(err))

    def wait(self, attempt: int, err: BaseException | None) -> float:
        """Seconds to wait after failed attempt number `attempt` (from 1): the backoff, or the
        server's Retry-After when that is longer."""
        backoff = min(self.first_backoff * 2 ** (attempt - 1), self.backoff_cap)
        if isinstance(err, TransientFetchError) and err.retry_after is not None:
            return max(err.retry_after, backoff)
        return backoff

    def run(self, request: Callable[[], T]) -> T:
        """What the first successful attempt of `request` returns. An error that is not
        retried, or the last one, is raised with the attempts made (`FetchError.attempts`),
        through `exhausted` when the retries ran out."""
        made = 0

        def attempt() -> T:
            nonlocal made
            made += 1
            return request()

        try:
            return self._retrying()(attempt)
        except Exception as err:
            if isinstance(err, FetchError):
                err.attempts = made
            if self.exhausted is not None and self.retryable(err):
                raise self.exhausted(err, made) from err
            raise

    def _retrying(self) -> Retrying:
        return Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            sleep=self.sleep,
            retry=retry_if_exception(self.retryable),
            reraise=True,
            before_sleep=self._log_retry,
        )

    def _wait(self, state: RetryCallState) -> float:
        err = state.outcome.exception() if state.outcome else None
        return self.wait(state.attempt_number, err)

    def _log_retry(self, state: RetryCallState) -> None:
        log.log(
            self.level,
            "%s: attempt %d of %d failed (%s); retrying in %.3g s",
            self.service,
            state.attempt_number,
            self.attempts,
            state.outcome.exception() if state.outcome else "?",
            state.upcoming_sleep,
        )
