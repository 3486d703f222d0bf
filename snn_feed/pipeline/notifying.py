"""After a sync: tell the `[notify]` services. Never on the critical path: it runs after the
commit (and the feed), its failures are warnings, and it never changes the sync's exit status.

In two steps, each safe to stop anywhere:

1. **Record** what is owed, in the database: one digest of the papers logged and not yet told
   of (this sync's, and any a killed sync committed), and an alert for each condition that
   began, a "recovered" for each that ended. A notice and the marks of what it tells of are
   one transaction, so a kill before it leaves the papers untold (the next sync tells them)
   and a kill after it leaves the notice owed (the next sync sends it), never both, never
   twice.
2. **Send** everything owed to the services configured now, within `[notify]
   budget_seconds`; what a service did not take stays owed for `[notify] retry_hours`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from snn_feed.config import Settings
from snn_feed.config.notify import NotifyTarget
from snn_feed.errors import FetchError, PushError
from snn_feed.notify import messages
from snn_feed.notify.delivery import Job, Send, apprise_send, deliver, target_key
from snn_feed.pipeline.venues import venue_of
from snn_feed.service.status import pending_problem, quiet_warning
from snn_feed.store import Delivery, Store

if TYPE_CHECKING:
    from snn_feed.pipeline.context import Seams

log = logging.getLogger(__name__)


def conditions(
    store: Store,
    settings: Settings,
    now: datetime,
    error: BaseException | None,
    *,
    translated: int = 0,
    pending: int = 0,
    unusable: str | None = None,
) -> dict[str, str | None]:
    """What this run shows of each alert condition: its message when it holds, None when it
    is known to be clear; a condition the run cannot tell (it failed before getting there) is
    left out, so it keeps its state."""
    found: dict[str, str | None] = {}
    if error is None:
        found["sync"] = None
    elif isinstance(error, PushError):
        found["push"] = (
            f"{error}. Check that [git] remote is reachable and its credentials still work"
        )
    else:
        found["sync"] = str(error) or type(error).__name__
    if error is None or isinstance(error, FetchError):  # a fetch error is raised after the push
        found["push"] = None
    if error is None:
        if unusable:
            found["translator"] = (
                f"could not translate: {unusable}. Papers wait untranslated: check [translate] "
                "backend, its api_key and its quota"
            )
        elif translated or not pending:
            found["translator"] = None
    found["pending"] = pending_problem(store, settings, now)
    found["quiet"] = quiet_warning(store, settings, now)
    return found


def record(
    store: Store,
    settings: Settings,
    now: datetime,
    day: str,
    found: dict[str, str | None],
    topics: Sequence[str] = (),
) -> None:
    """Step 1: the alerts begun or ended, and a digest of each topic's untold papers (`topics`:
    the topics' names; none: the store's own)."""
    notify = settings.notify
    # Alerts first: a reader learns that the feed recovered, then gets the papers.
    alert_to = [target_key(t.url) for _, t in notify.wanting("failure")]
    open_alerts = store.notices.open_alerts()
    for condition, message in found.items():
        if message is not None and condition not in open_alerts:
            store.notices.raise_alert(condition, message, alert_to, now)
        elif message is None and condition in open_alerts:
            store.notices.clear_alert(condition, open_alerts[condition], alert_to, now)
    for topic in topics or [store.topic]:
        digest_to = [target_key(t.url) for t in notify.urls if t.wants_digest_of(topic)]
        topical = store.for_topic(topic)
        untold = topical.notices.untold(written_counts=not settings.git.commit)
        # As many late summaries as a digest shows; the rest wait for the next digest.
        late = (
            topical.notices.late_summaries()[: notify.max_papers]
            if settings.summary.enabled
            else []
        )
        if untold or late:
            topical.notices.digest(untold, day, digest_to, now, late)


def send_owed(
    store: Store,
    settings: Settings,
    now: datetime,
    name: str,
    send: Send = apprise_send,
    titles: dict[str, str] | None = None,
) -> dict[str, int]:
    """Step 2: send what is owed to the services configured now. Returns how many were sent,
    failed, left for lack of time, and dropped."""
    notify = settings.notify
    services = {target_key(t.url): (n, t) for n, t in enumerate(notify.urls, 1)}
    jobs: list[Job] = []
    owing: list[Delivery] = []
    counts = {"sent": 0, "failed": 0, "left": 0, "dropped": 0}
    # Oldest notice first; within one, the services in their order in `urls`.
    number = {key: n for key, (n, _) in services.items()}
    for owed in sorted(store.notices.owed(),
                       key=lambda d: (d.notice_id, number.get(d.target, 0))):  # fmt: skip
        if owed.target not in services:
            store.notices.settle(owed, "dropped", now, "the service is no longer configured")
            counts["dropped"] += 1
            continue
        n, target = services[owed.target]
        label = f"service {n} ({target.scheme})"
        if now - owed.created_at > timedelta(hours=notify.retry_hours):
            log.warning("notify: %s never took the %s; dropped after %d attempts and %g h",
                        label, _what(owed), owed.attempts, notify.retry_hours)  # fmt: skip
            store.notices.settle(owed, "dropped", now)
            counts["dropped"] += 1
            continue
        jobs.append(Job(len(jobs), target.url, _message(store, settings, name, owed, titles),
                        label))  # fmt: skip
        owing.append(owed)
    results = deliver(jobs, send, timeout=notify.timeout_seconds, budget=notify.budget_seconds)
    for job, owed in zip(jobs, owing, strict=True):
        if job.key not in results:
            counts["left"] += 1
            log.warning("notify: no time left for %s (%s spent); the next sync sends the %s",
                        job.label, f"[notify] budget_seconds {notify.budget_seconds:g}",
                        _what(owed))  # fmt: skip
        elif (why := results[job.key]) is None:
            counts["sent"] += 1
            store.notices.settle(owed, "sent", now)
        else:
            counts["failed"] += 1
            store.notices.settle(owed, "pending", now, why)
            log.warning("notify: %s did not take the %s: %s; the next sync sends it again",
                        job.label, _what(owed), why)  # fmt: skip
    return counts


def send_tests(
    settings: Settings, name: str, send: Send = apprise_send
) -> list[tuple[str, str | None]]:
    """`snn-feed notify --test`: a test message to every service; (label, None or why not)."""
    notify = settings.notify
    jobs = [
        Job(n, t.url, messages.test(name, t.events), label(n, t))
        for n, t in enumerate(notify.urls, 1)
    ]
    budget = notify.timeout_seconds * len(jobs) + 1  # each service gets its whole timeout
    results = deliver(jobs, send, timeout=notify.timeout_seconds, budget=budget)
    return [(job.label, results.get(job.key, "not tried")) for job in jobs]


def label(n: int, target: NotifyTarget) -> str:
    return f"service {n} ({target.scheme}: {', '.join(target.events)})"


def _what(owed: Delivery) -> str:
    if owed.kind == "digest":
        return f"digest of {owed.day} ({len(owed.papers or [])} papers)"
    return f"{owed.kind} of {owed.condition}"


def _message(
    store: Store,
    settings: Settings,
    name: str,
    owed: Delivery,
    titles: dict[str, str] | None = None,
) -> messages.Message:
    if owed.kind != "digest":
        return messages.alert(name, owed.kind, owed.condition or "", owed.message or "")
    topic = owed.topic or store.topic
    if titles and titles.get(topic):  # several topics: each digest is named after its topic
        name = titles[topic]
    topical = store.for_topic(topic)
    ids = [*(owed.papers or []), *(owed.late or [])]
    summaries = topical.summaries.of(ids)
    told: dict[str, messages.DigestPaper] = {}
    for p in topical.papers.get_many(ids):
        venue = venue_of(p.comment, p.journal_ref)
        summary = summaries.get(p.arxiv_id)
        told[p.arxiv_id] = messages.DigestPaper(
            p.arxiv_id, p.score, p.title, p.title_zh or None,
            venue.label() if venue else None, p.code_url, summary.tldr if summary else None,
        )  # fmt: skip
    notify = settings.notify
    return messages.digest(
        name, owed.day or "", [told[i] for i in owed.papers or [] if i in told],
        limit=notify.max_papers, link=notify.link,
        late=[told[i] for i in owed.late or [] if i in told],
    )  # fmt: skip


def after_run(
    seams: Seams,
    error: BaseException | None,
    *,
    translated: int = 0,
    pending: int = 0,
    unusable: str | None = None,
    send: Send = apprise_send,
) -> None:
    """Both steps after a sync that ended (done, partial or failed; not one stopped on
    request, which must exit at once). Whatever goes wrong here is a warning only."""
    store, settings = seams.store, seams.settings
    try:
        now = seams.clock()
        # No service wants alerts: none is raised, so one that is set up later hears of what
        # still holds then.
        found: dict[str, str | None] = {}
        if settings.notify.wanting("failure"):
            found = conditions(store, settings, now, error, translated=translated,
                               pending=pending, unusable=unusable)  # fmt: skip
        topics = [t.settings.topic for t in seams.topics or [seams]]
        record(store, settings, now, seams.today().date().isoformat(), found, topics)
        if settings.notify.urls:
            titles = {t.settings.topic: t.name for t in seams.topics or [seams]}
            send_owed(store, settings, now, log_name(seams.log_path), send, titles)
    except Exception as err:  # a database gone bad is the sync's own error, already raised
        log.warning("notify: could not notify: %s", err)


def log_name(log_path: Path) -> str:
    """How messages name the log: its repository's folder (`SNN_arxiv_daily`)."""
    return log_path.parent.name or log_path.name
