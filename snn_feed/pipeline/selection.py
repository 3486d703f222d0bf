"""Selection: which fetched papers are on one topic, with their score and code link (what each
topic's log already holds is `fetching.Lane`'s). Pure: no network, no clock, no database."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple

from snn_feed.config import FeedSettings
from snn_feed.pipeline import relevance
from snn_feed.records import Paper

if TYPE_CHECKING:
    from snn_feed.pipeline.learning import Ranker

log = logging.getLogger(__name__)


class Scored(NamedTuple):
    """A paper that passed the local keyword check."""

    paper: Paper
    score: int
    code_url: str | None


class Selection:
    """The `[feed]` and `[score]` rules applied to one paper at a time; with a `ranker`
    (`[score] learn`), its verdict blended into each score by `learn_weight`."""

    def __init__(
        self,
        feed: FeedSettings,
        weights: relevance.Weights,
        ranker: Ranker | None = None,
        learn_weight: float = 0.5,
    ) -> None:
        self.feed = feed
        self.weights = weights
        self.ranker, self.learn_weight = ranker, learn_weight

    def _score(self, paper: Paper) -> int:
        score = relevance.score(paper, self.feed.keywords, self.feed.exclude, self.weights)
        if score == 0 or self.ranker is None:  # off-topic stays off-topic, whatever was learned
            return score
        from snn_feed.pipeline.learning import blend, text_of

        kept = self.ranker.probability(text_of(paper.title, paper.abstract))
        return blend(score, kept, self.learn_weight)

    def scored(self, paper: Paper) -> Scored | None:
        """The paper with its score and code URL, or None when it is off-topic."""
        feed = self.feed
        score = self._score(paper)
        if score == 0:
            log.debug("off-topic, skipped: %s %s", paper.arxiv_id, paper.title)
            return None
        if feed.categories and not set(paper.categories) & set(feed.categories):
            return None
        return Scored(paper, score, relevance.code_url(paper.abstract, paper.comment))

    def rescored(self, paper: Paper) -> Scored:
        """A replacement, scored but not filtered: an on-topic paper stays stored whatever its
        new version says."""
        return Scored(paper, self._score(paper), relevance.code_url(paper.abstract))

    def on_topic(self, papers: Iterable[Paper]) -> Iterator[Scored]:
        for paper in papers:
            if (scored := self.scored(paper)) is not None:
                yield scored
