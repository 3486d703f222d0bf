"""The one retry policy every client uses (snn_feed.retries): how long it waits, when it stops,
what it refuses to wait for, and how the last error and each retry read. No network: the
requests are functions that fail as scripted."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from snn_feed.errors import FetchError, TranslationError
from snn_feed.retries import (
    BACKOFF_CAP_SECONDS,
    MAX_RETRY_AFTER_SECONDS,
    RetryPolicy,
    TransientFetchError,
    gave_up,
    parse_retry_after,
    server_busy,
)

URL = "http://127.0.0.1:9/x"
NOW = datetime(2026, 11, 6, 12, 0, tzinfo=UTC)


def failing(*errors: BaseException, then: str = "ok") -> tuple[Callable[[], str], list[int]]:
    """A request that raises `errors` in turn, then returns `then`; and its call count."""
    calls: list[int] = []

    def request() -> str:
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return then

    return request, calls


def policy(sleeps: list[float], **options: object) -> RetryPolicy:
    values: dict[str, object] = {"retries": 3, "first_backoff": 2.0, "sleep": sleeps.append}
    return RetryPolicy("Test service", **{**values, **options})  # type: ignore[arg-type]


# --- Retry-After ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("Fri, 06 Nov 2026 12:01:00 GMT", 60.0),
        ("Fri, 06 Nov 2026 11:59:00 GMT", 0.0),  # a date already past: no wait, not a negative one
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),  # delta-seconds are whole digits (RFC 9110, 10.2.3)
    ],
)
def test_retry_after_reads_seconds_and_http_dates(
    header: str | None, seconds: float | None
) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


def test_a_wait_within_the_cap_is_transient_and_carries_the_wait() -> None:
    err = server_busy("Test service", 503, str(int(MAX_RETRY_AFTER_SECONDS)), url=URL)
    assert isinstance(err, TransientFetchError)
    assert err.retry_after == MAX_RETRY_AFTER_SECONDS and err.url == URL
    assert str(err) == "HTTP 503"


def test_a_wait_beyond_the_cap_is_refused_with_a_clear_error() -> None:
    err = server_busy("Test service", 429, "86400", url=URL)
    assert not isinstance(err, TransientFetchError)
    assert str(err) == "Test service asks to wait 86400 s (HTTP 429)"
    assert err.url == URL


def test_a_refused_wait_is_not_retried() -> None:
    sleeps: list[float] = []
    request, calls = failing(server_busy("Test service", 429, "86400", url=URL))
    with pytest.raises(FetchError, match="asks to wait 86400 s") as caught:
        policy(sleeps).run(request)
    assert len(calls) == 1 and sleeps == [] and caught.value.attempts == 1


# --- waiting -------------------------------------------------------------------------------------


def test_backoff_doubles_per_retry_up_to_the_cap() -> None:
    waits = [policy([], first_backoff=10.0).wait(n, None) for n in range(1, 8)]
    assert waits == [10.0, 20.0, 40.0, 80.0, BACKOFF_CAP_SECONDS, BACKOFF_CAP_SECONDS, 120.0]


def test_a_longer_retry_after_wins_over_the_backoff_and_a_shorter_one_does_not() -> None:
    p = policy([])
    assert p.wait(1, TransientFetchError("HTTP 429", url=URL, retry_after=30.0)) == 30.0
    assert p.wait(3, TransientFetchError("HTTP 429", url=URL, retry_after=1.0)) == 8.0


def test_the_injected_sleep_is_given_every_wait() -> None:
    sleeps: list[float] = []
    request, calls = failing(
        TransientFetchError("HTTP 503", url=URL),
        TransientFetchError("HTTP 429", url=URL, retry_after=9.0),
    )
    assert policy(sleeps).run(request) == "ok"
    assert len(calls) == 3 and sleeps == [2.0, 9.0]


def test_a_sleep_that_stops_the_run_ends_the_retries() -> None:
    class Stop(Exception):
        pass

    def stop(seconds: float) -> None:
        raise Stop

    request, calls = failing(TransientFetchError("HTTP 503", url=URL))
    with pytest.raises(Stop):
        RetryPolicy("Test service", retries=3, first_backoff=1.0, sleep=stop).run(request)
    assert len(calls) == 1


# --- stopping, and the last error ----------------------------------------------------------------


def test_retries_are_bounded_and_the_last_error_counts_the_attempts() -> None:
    sleeps: list[float] = []
    request, calls = failing(*[TransientFetchError("HTTP 503", url=URL) for _ in range(10)])
    p = policy(
        sleeps,
        exhausted=lambda err, n: FetchError(f"Test service: {err} ({gave_up(n)})", attempts=n),
    )
    with pytest.raises(FetchError) as caught:
        p.run(request)
    assert len(calls) == 4 and len(sleeps) == 3
    assert str(caught.value) == "Test service: HTTP 503 (gave up after 4 attempts)"
    assert caught.value.attempts == 4
    assert isinstance(caught.value.__cause__, TransientFetchError)


def test_without_exhausted_the_last_error_is_raised_as_it_was_with_its_attempts() -> None:
    last = TransientFetchError("HTTP 503", url=URL)
    request, _ = failing(TransientFetchError("HTTP 502", url=URL), last)
    with pytest.raises(TransientFetchError) as caught:
        policy([], retries=1).run(request)
    assert caught.value is last and caught.value.attempts == 2


def test_an_error_it_does_not_retry_is_raised_at_once_with_the_attempts_made() -> None:
    sleeps: list[float] = []
    refused = FetchError("refused: HTTP 400", url=URL)
    request, calls = failing(TransientFetchError("HTTP 503", url=URL), refused)
    with pytest.raises(FetchError) as caught:
        policy(sleeps, exhausted=lambda err, n: AssertionError("not exhausted")).run(request)
    assert caught.value is refused and caught.value.attempts == 2
    assert len(calls) == 2 and len(sleeps) == 1


def test_retry_if_keeps_an_error_of_a_retried_type_from_being_retried() -> None:
    spent = TranslationError("deepl: quota used up (HTTP 456)", engine="deepl", status=456)
    request, calls = failing(spent)
    p = policy(
        [],
        retry_on=(TranslationError,),
        retry_if=lambda err: getattr(err, "status", None) != 456,
    )
    with pytest.raises(TranslationError) as caught:
        p.run(request)
    assert caught.value is spent and len(calls) == 1


def test_no_retries_means_one_attempt() -> None:
    request, calls = failing(TransientFetchError("HTTP 503", url=URL))
    once = policy([], retries=0, exhausted=lambda err, n: FetchError(f"{err} ({gave_up(n)})"))
    with pytest.raises(FetchError, match=r"\(gave up after 1 attempt\)$"):
        once.run(request)
    assert len(calls) == 1


def test_each_retry_is_logged_with_the_service_and_attempt_k_of_n(
    caplog: pytest.LogCaptureFixture,
) -> None:
    request, _ = failing(*[TransientFetchError("HTTP 503", url=URL) for _ in range(2)])
    with caplog.at_level(logging.INFO, logger="snn_feed.retries"):
        policy([], retries=2).run(request)
    assert [r.getMessage() for r in caplog.records] == [
        "Test service: attempt 1 of 3 failed (HTTP 503); retrying in 2 s",
        "Test service: attempt 2 of 3 failed (HTTP 503); retrying in 4 s",
    ]


def test_an_http_date_retry_after_is_counted_from_the_wall_clock_by_default() -> None:
    later = datetime.now(UTC) + timedelta(seconds=90)
    seconds = parse_retry_after(later.strftime("%a, %d %b %Y %H:%M:%S GMT"))
    assert seconds is not None and 80 <= seconds <= 90
