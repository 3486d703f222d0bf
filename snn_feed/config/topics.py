"""Several topics from one deployment: `[[topics]]`, each with its keywords, its score and its
log. Without `[[topics]]`, `[feed]`, `[score]`, `[log]`, `[export] atom` and `[site] dir` are
the one topic, called `default`."""

from __future__ import annotations

from pydantic import Field, field_validator

from snn_feed.config.base import _Section
from snn_feed.config.output import LogSettings
from snn_feed.config.papers import ScoreSettings, phrases

TOPIC_NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class TopicSettings(_Section):
    """One topic: what it looks for, how it scores, and the log (and, optionally, the feed and
    the site) it goes to. Papers are fetched once for all topics, each matched against every
    topic, stored once, translated once, and written to the log of each topic it belongs to.
    Keys of `[log]` and `[score]` that a topic does not set are taken from those sections."""

    name: str = Field(
        pattern=TOPIC_NAME,
        description="The topic's name (lower-case letters, digits, `-` and `_`): what "
        "`--topic` takes, and what its state is kept under. Renaming it needs `renamed_from`.",
        examples=["snn"],
    )
    title: str = Field(
        default="",
        description="How the topic is named to readers (its feed, site, digest and commit "
        "message); empty: its name.",
        examples=["Neuromorphic hardware"],
    )
    renamed_from: list[str] = Field(
        default_factory=list,
        description="Names this topic had before: its papers, window and digests are taken "
        "over from the first of them the database has, on the next command, when the topic "
        "has none yet. `default` is the topic of a config without `[[topics]]`.",
        examples=[["default"]],
    )
    keywords: list[str] = Field(
        min_length=1,
        description="As `[feed] keywords`, for this topic (all topics' keywords go into as "
        "few arXiv queries as arXiv's query length allows).",
    )
    exclude: list[str] = Field(default_factory=list, description="As `[feed] exclude`.")
    categories: list[str] = Field(default_factory=list, description="As `[feed] categories`.")
    min_score: int = Field(default=1, ge=1, le=5, description="As `[feed] min_score`.")
    score: ScoreSettings = Field(
        default_factory=ScoreSettings,
        description="As `[score]` (`[topics.score]`); unset keys are `[score]`'s.",
    )
    log: LogSettings = Field(
        default_factory=LogSettings,
        description="As `[log]` (`[topics.log]`, whose `path` is required); unset keys are "
        "`[log]`'s. Topics may share a repository (one commit per sync holds all of its "
        "logs), never a log file. A topic's log is created by its first sync.",
    )
    atom: str = Field(
        default="", description="As `[export] atom`: this topic's Atom feed; empty: none."
    )
    site: str = Field(default="", description="As `[site] dir`: this topic's site; empty: none.")

    @field_validator("keywords", "exclude", "categories")
    @classmethod
    def _phrases(cls, value: list[str]) -> list[str]:
        return phrases(value)

    @field_validator("renamed_from")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        import re

        if any(not re.match(TOPIC_NAME, v) for v in value):
            raise ValueError("each must be a topic name (lower-case letters, digits, - and _)")
        return value

    @property
    def label(self) -> str:
        return self.title or self.name
