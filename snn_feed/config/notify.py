"""Who is told what: `[notify]`, the services a digest of each sync's papers and the alerts go to.

The URLs are in Apprise's notation and usually hold a secret (a password, a bot token, a
webhook key): they are never shown in an error, a log line or `status`; a service is named by
its number in `urls` and its scheme only (`service 2 (tgram)`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, field_validator

from snn_feed.config.base import HttpUrl, PositiveFloat, _Section

Event = Literal["digest", "failure"]
EVENTS: tuple[Event, ...] = ("digest", "failure")

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")


class NotifyTarget(_Section):
    """One service: its Apprise URL and the events it gets."""

    url: str = Field(repr=False)
    events: list[Event] = Field(default_factory=lambda: list(EVENTS), min_length=1)
    topics: list[str] = Field(default_factory=list)
    """With `[[topics]]`: the topics whose digests it gets; empty: every topic's."""

    def wants_digest_of(self, topic: str) -> bool:
        return "digest" in self.events and (not self.topics or topic in self.topics)

    @field_validator("url")
    @classmethod
    def _apprise_url(cls, value: str) -> str:
        if not _URL.fullmatch(value):
            raise ValueError("must be an Apprise URL, such as mailto://... or tgram://...")
        return value

    @property
    def scheme(self) -> str:
        return self.url.split("://", 1)[0].lower()


class NotifySettings(_Section):
    """Tell people: after a sync that committed new papers, one digest of them to each service
    that wants `digest`; when something breaks (a failed run, papers waiting too long for a
    translation, an engine refusing its key, a failed push, a quiet week), one alert to each
    service that wants `failure`, and one "recovered" when it clears. Delivery comes after the
    commit and never changes a sync's exit status; a digest a service did not take is sent
    again by the next syncs, for `retry_hours`."""

    urls: list[NotifyTarget] = Field(
        default_factory=list,
        repr=False,
        description="The services, in [Apprise's notation](https://github.com/caronc/apprise/"
        "wiki) (`mailto://`, `tgram://`, `slack://`, `dingtalk://`, `wecombot://`, `lark://`, "
        "`feishu://`, `json://`, `form://`, ...): each a URL, which gets every event, or a "
        'table `{url = "...", events = ["failure"]}`; with `[[topics]]`, `topics = ["snn"]` '
        "in the table limits its digests to those topics (each topic's digest is its own "
        "message). They hold secrets: better set in the "
        "environment, `SNN_FEED_NOTIFY__URLS` (several URLs separated by spaces, or a TOML "
        "list). Never shown.",
        examples=[
            [
                "mailto://user:password@example.org?to=lab@example.org",
                {"url": "tgram://BOT_TOKEN/CHAT_ID", "events": ["failure"]},
            ]
        ],
    )
    link: HttpUrl | None = Field(
        default=None,
        description="The log's page for readers (e.g. its GitHub page), linked from each "
        'digest and from its "and N more" line.',
        examples=["https://github.com/you/SNN_arxiv_daily"],
    )
    max_papers: int = Field(
        default=10,
        ge=1,
        le=100,
        description='A digest lists at most this many papers, best first, then "and N more".',
    )
    timeout_seconds: PositiveFloat = Field(
        default=10.0,
        description="Deadline of one service's delivery: connecting, sending and its answer.",
    )
    budget_seconds: PositiveFloat = Field(
        default=30.0,
        description="All deliveries of one sync together: what is left unsent when it is "
        "spent is sent by the next sync.",
    )
    retry_hours: PositiveFloat = Field(
        default=30.0,
        description="A digest or alert a service did not take is sent again by each later "
        "sync for this long, then dropped with a warning (the default covers the next day's "
        "sync).",
    )

    @field_validator("urls", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        """`SNN_FEED_NOTIFY__URLS=mailto://... json://...` or a list mixing URLs and tables."""
        if isinstance(value, str):
            value = value.split()
        if isinstance(value, list):
            return [{"url": v} if isinstance(v, str) else v for v in value]
        return value

    def wanting(self, event: Event) -> list[tuple[int, NotifyTarget]]:
        """(number from 1, service) of the services that want `event`."""
        return [(n, t) for n, t in enumerate(self.urls, 1) if event in t.events]


def url_secrets(urls: Iterable[str]) -> list[str]:
    """What of the URLs to blank out of every line snn-feed prints: each URL (as written and
    decoded), its password, and each long piece of it (tokens and keys ride in the host, the
    path or the query, depending on the service)."""
    found: list[str] = []
    for url in urls:
        found += [url, unquote(url)]
        rest = url.split("://", 1)[1]
        try:
            parts = urlsplit("x://" + rest)
            if parts.password:
                found += [parts.password, unquote(parts.password)]
        except ValueError:
            pass
        found += [p for p in re.split(r"[/?&=#@:,]", rest) if len(p) >= 12]
    return sorted({s for s in found if s}, key=len, reverse=True)
