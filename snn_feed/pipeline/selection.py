"""Selection: which fetched papers are on one topic, with their score and code link (what each
topic's log already holds is `fetching.Lane`'s). Pure: no network, no clock, no database."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from snn_feed.config import FeedSettings
from snn_feed.pipeline import relevance
from snn_feed.records import Paper

log = logging.getLogger(__name__)


class Scored(NamedTuple):
    """A paper that passed the local keyword check."""

    paper: Paper
    score: int
    code_url: str | None


class Selection:
    """The `[feed]` and `[score]` rules applied to one paper at a time."""

    def __init__(self, feed: FeedSettings, weights: relevance.Weights) -> None:
        self.feed = feed
        self.weights = weights

    def scored(self, paper: Paper) -> Scored | None:
        """The paper with its score and code URL, or None when it is off-topic."""
        feed = self.feed
        score = relevance.score(paper, feed.keywords, feed.exclude, self.weights)
        if score == 0:
            log.debug("off-topic, skipped: %s %s", paper.arxiv_id, paper.title)
            return None
        if feed.categories and not set(paper.categories) & set(feed.categories):
            return None
        return Scored(paper, score, relevance.code_url(paper.abstract, paper.comment))

    def rescored(self, paper: Paper) -> Scored:
        """A replacement, scored but not filtered: an on-topic paper stays stored whatever its
        new version says."""
        score = relevance.score(paper, self.feed.keywords, self.feed.exclude, self.weights)
        return Scored(paper, score, relevance.code_url(paper.abstract))

    def on_topic(self, papers: Iterable[Paper]) -> Iterator[Scored]:
        for paper in papers:
            if (scored := self.scored(paper)) is not None:
                yield scored
