"""Sending to the `[notify]` services, through Apprise (which speaks every protocol: SMTP,
Telegram, Slack, DingTalk, WeCom, Feishu/Lark, webhooks...; none is written here).

Each service is sent to in a thread of its own, one after another, and waited for at most its
`timeout_seconds` and what is left of `budget_seconds`: a service that hangs costs its timeout,
never the sync. A send still running when its wait ends is abandoned, reported as failed and
owed again (the rare service that answers after its deadline may so get a message twice;
a message never sent is worse). Apprise's own log lines, which can hold an URL, are kept out
of snn-feed's log; the reason a service gave is reported without any part of its URL.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from time import monotonic
from typing import Any

from snn_feed.config.notify import url_secrets
from snn_feed.notify.messages import Message

Send = Callable[[str, Message, float], None]
"""Send `message` to the service of an URL within a timeout, or raise `DeliveryError`."""


class DeliveryError(Exception):
    """A service did not take a message; the text says why, without its URL."""


def target_key(url: str) -> str:
    """How the database names a service: a hash of its URL, which holds secrets."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]


def hide(text: str, url: str) -> str:
    """`text` with every part of `url` that may be secret blanked out."""
    for secret in url_secrets([url]):
        text = text.replace(secret, "***")
    return text


@dataclass(frozen=True)
class Job:
    key: Any
    """The caller's name for this delivery."""
    url: str
    message: Message
    label: str
    """How the service is named in messages: `service 2 (tgram)`."""


def deliver(
    jobs: Sequence[Job],
    send: Send,
    *,
    timeout: float,
    budget: float,
    clock: Callable[[], float] = monotonic,
) -> dict[Any, str | None]:
    """Send each job, in order, within the budget. Returns key -> None (sent) or why not,
    for the jobs tried; a job left out was not tried (the budget was spent)."""
    results: dict[Any, str | None] = {}
    deadline = clock() + budget
    for job in jobs:
        left = deadline - clock()
        if left <= 0:
            break
        wait = min(timeout, left)
        outcome: list[str | None] = []

        def run(job: Job = job, wait: float = wait, outcome: list[str | None] = outcome) -> None:
            try:
                send(job.url, job.message, wait)
                outcome.append(None)
            except DeliveryError as err:
                outcome.append(hide(str(err), job.url))
            except Exception as err:  # a bug in a plugin: still this service's failure only
                outcome.append(hide(f"{type(err).__name__}: {err}", job.url))

        worker = threading.Thread(target=run, name="snn-feed-notify", daemon=True)
        worker.start()
        # A little over the service's own deadline (Apprise's timeouts are per socket call),
        # never over the budget.
        worker.join(min(timeout + 0.5, left))
        results[job.key] = outcome[0] if outcome else f"no answer within {wait:g} s"
    return results


class _Said(logging.Handler):
    """Apprise's warnings in one thread: the reason a service gave."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.lines.append(record.getMessage())


def form_for(plugin: Any) -> str:
    """Which of a message's forms an Apprise service gets: `html` when HTML is its own (mail,
    Telegram), else `markdown` when it takes Markdown (Slack, DingTalk, Feishu, webhooks),
    else `text`."""
    offered = plugin.notify_format
    formats = [
        getattr(f, "value", f)
        for f in (offered if isinstance(offered, tuple | list) else [offered])
    ]
    if formats[0] == "html":
        return "html"
    return "markdown" if "markdown" in formats else "text"


def apprise_send(url: str, message: Message, timeout: float) -> None:
    """Send through Apprise: Markdown to a service that takes it, HTML to mail (and to
    services whose own format is HTML), text otherwise."""
    import apprise
    from apprise import NotifyFormat

    quiet = logging.getLogger("apprise")
    quiet.propagate = False  # its debug and error lines quote URLs
    said = _Said()
    quiet.addHandler(said)
    try:
        # In memory: no cache files under the HOME of whoever runs snn-feed.
        asset = apprise.AppriseAsset(storage_mode="memory")
        plugin = apprise.Apprise.instantiate(url, asset=asset)
        if plugin is None:
            raise DeliveryError("Apprise cannot use this URL (an unknown scheme, or a part "
                                "missing); see its wiki for the service's notation")  # fmt: skip
        plugin.socket_connect_timeout = plugin.socket_read_timeout = timeout
        chosen = form_for(plugin)
        body = {"html": message.html, "markdown": message.markdown}.get(chosen, message.text)
        if not plugin.notify(body=body, title=message.title, body_format=NotifyFormat(chosen)):
            reason = said.lines[-1] if said.lines else "the service refused the message"
            raise DeliveryError(reason)
    finally:
        quiet.removeHandler(said)
