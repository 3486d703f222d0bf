"""Learned ranking (`[score] learn`): what this reader keeps, learned from their own log.

A small text classifier, TF-IDF of words and word pairs and a logistic regression
(scikit-learn; nothing downloaded), is trained on each sync on the topic's papers: the ones its
log keeps (entries written and still there, the imported hand-made log's among them) against
the ones it never kept (held back by `min_score`, found by a backfill in the months the
hand-made log covers but not in it, or found by another topic only). Its probability that the
reader keeps a paper is blended into the 1-5 score by `[score] learn_weight`.

Deterministic for a given log: the examples are sorted, the solver is liblinear with a fixed
seed. Too few examples of either kind (`MIN_EXAMPLES`) and there is nothing to learn from: the
score stays the keywords'. scikit-learn is imported here only, and only when learning is on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from snn_feed.errors import ConfigError

if TYPE_CHECKING:
    from snn_feed.store import Store

MIN_EXAMPLES = 5
"""Of each kind (kept, not kept), below which nothing is learned."""


class Example(NamedTuple):
    """One paper to learn from: its text and whether the reader's log keeps it."""

    key: str
    text: str
    kept: bool


@dataclass(frozen=True)
class Ranker:
    """A trained classifier: the probability that the reader keeps a paper."""

    vectorizer: Any
    model: Any
    kept: int
    """Examples it learned from that the log keeps,"""
    other: int
    """and that it does not."""

    def probability(self, text: str) -> float:
        return float(self.model.predict_proba(self.vectorizer.transform([text]))[0][1])

    def probabilities(self, texts: Sequence[str]) -> list[float]:
        return [float(p[1]) for p in self.model.predict_proba(self.vectorizer.transform(texts))]

    def top_terms(self, n: int = 8) -> tuple[list[str], list[str]]:
        """The terms that weigh most towards keeping a paper, and against."""
        names = self.vectorizer.get_feature_names_out()
        weights = self.model.coef_[0]
        order = sorted(range(len(names)), key=lambda i: (weights[i], names[i]))
        kept = [str(names[i]) for i in reversed(order[-n:]) if weights[i] > 0]
        other = [str(names[i]) for i in order[:n] if weights[i] < 0]
        return kept, other


def train(examples: Sequence[Example]) -> Ranker | None:
    """A ranker learned from `examples`, or None with too few of either kind."""
    kept = sum(e.kept for e in examples)
    if kept < MIN_EXAMPLES or len(examples) - kept < MIN_EXAMPLES:
        return None
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError as err:
        raise ConfigError(
            "config: [score] learn needs scikit-learn: pip install 'snn-feed[learn]'"
        ) from err
    ordered = sorted(examples)  # by key: the same log gives the same model
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), min_df=2, max_df=0.9, sublinear_tf=True, stop_words="english",
        token_pattern=r"(?u)\b[A-Za-z][A-Za-z0-9-]+\b", max_features=30_000,
    )  # fmt: skip
    features = vectorizer.fit_transform([e.text for e in ordered])
    model = LogisticRegression(C=4.0, solver="liblinear", class_weight="balanced",
                               random_state=0)  # fmt: skip
    model.fit(features, [int(e.kept) for e in ordered])
    return Ranker(vectorizer, model, kept, len(examples) - kept)


def blend(keyword_score: int, probability: float, weight: float) -> int:
    """The 1-5 score: the keywords' score and the learned one (1 + 4 x the probability),
    weighed by `weight` and rounded half up."""
    points = (1 - weight) * keyword_score + weight * (1 + 4 * probability)
    return max(1, min(5, math.floor(round(points, 9) + 0.5)))


def text_of(title: str, abstract: str) -> str:
    return f"{title}\n{abstract}"


def examples_of(store: Store) -> list[Example]:
    """What the store's topic learns from now."""
    return [Example(key, text_of(title, abstract), kept)
            for key, title, abstract, kept in store.reports.training_set()]  # fmt: skip


def ranker_for(store: Store) -> Ranker | None:
    """The ranker of the store's topic, trained on its papers now."""
    return train(examples_of(store))
