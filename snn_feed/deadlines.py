"""Whole-request deadlines and answer-size caps, for every client of another service.

requests and httpx time out each read, not the request: a server that sends its answer one byte
a second never trips a read timeout, and one that sends hundreds of megabytes is read to the
end. So each client runs one request (connect, headers and the whole body) through `within`,
which gives up at a total deadline, and reads the body through `read_capped`, which stops at
that deadline and at a size cap. A request given up this way counts as a timeout for the
client's retry policy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")


class DeadlineExceeded(Exception):
    """The whole request took longer than its deadline."""


class AnswerTooLarge(Exception):
    """The answer is larger than any real answer of that service."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the answer is larger than {limit:,} bytes")
        self.limit = limit


def within(seconds: float, request: Callable[[], T], *, name: str = "request") -> T:
    """`request()`, or DeadlineExceeded once `seconds` have passed.

    The request runs in a daemon thread, so nothing it waits on (a trickled header, a
    library without a timeout) keeps the caller or the process. The thread is abandoned, not
    killed; `read_capped` ends it soon after the deadline once the body is being read."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = request()
        except BaseException as err:  # handed to the caller below, never swallowed
            outcome["error"] = err

    worker = threading.Thread(target=run, name=f"deadline-{name}", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise DeadlineExceeded(f"no answer within {seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


def read_capped(
    chunks: Iterable[bytes],
    *,
    limit: int,
    deadline: float,
    clock: Callable[[], float] = time.monotonic,
) -> bytes:
    """The body from `chunks`, or AnswerTooLarge past `limit` bytes, or DeadlineExceeded once
    `clock()` passes `deadline` (a monotonic time)."""
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise AnswerTooLarge(limit)
        if clock() > deadline:
            raise DeadlineExceeded("the answer was still coming at the deadline")
    return bytes(body)
