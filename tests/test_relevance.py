"""Which papers are logged, their score, their code link, and the arXiv query."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from snn_feed.config import DEFAULT_KEYWORDS
from snn_feed.pipeline.relevance import Weights, build_query, code_url, keyword_hits, score
from snn_feed.records import Paper

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def paper(title: str, abstract: str) -> Paper:
    return Paper("2611.00001", 1, title, ["A"], abstract, ["cs.NE"], "cs.NE", NOW, NOW)


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("Training Spiking Neural Networks fast", "spiking neural network"),
        ("a leaky integrate and fire neuron", "leaky integrate-and-fire"),
        ("spike timing dependent plasticity rules", "spike-timing-dependent plasticity"),
        ("deep SNNs on Loihi", "SNN"),
        ("Neuromorphic hardware", "neuromorphic"),
    ],
)
def test_keywords_match_plurals_case_and_hyphen_variants(text: str, keyword: str) -> None:
    assert keyword_hits(text, [keyword]) == {keyword: 1}


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("SNNAP is a simulator", "SNN"),
        ("non-neuromorphic baselines", "neuromorphic"),
        ("spiking prices in markets", "spiking neural network"),
    ],
)
def test_keywords_do_not_match_inside_other_words(text: str, keyword: str) -> None:
    assert keyword_hits(text, [keyword]) == {}


def test_score_ranks_title_hits_above_abstract_mentions() -> None:
    kw = DEFAULT_KEYWORDS
    central = paper(
        "Surrogate gradient training of spiking neural networks",
        "Spiking neural networks (SNNs) are trained with surrogate gradients; SNNs on "
        "neuromorphic chips.",
    )
    in_title_only = paper("A spiking neuron model", "We study dendrites.")
    mention = paper("Graph learning", "Related to spiking neural networks.")
    unrelated = paper("Hot Jupiters", "Planets.")
    assert score(central, kw) == 5
    assert score(in_title_only, kw) == 3
    assert score(mention, kw) == 1
    assert score(unrelated, kw) == 0
    assert score(central, kw) > score(in_title_only, kw) > score(mention, kw)


def test_keyword_weights_rank_the_central_topic_above_a_side_topic() -> None:
    kw = DEFAULT_KEYWORDS
    snn = paper("A spiking neural network for audio", "We study audio.")
    camera = paper("Event camera deblurring", "We study deblurring.")
    assert score(snn, kw) == score(camera, kw) == 3  # equal under the default weights
    weights = Weights(keywords={"event cameras": 0.5, "Spiking-Neural-Network": 1.5})
    assert score(camera, kw, weights=weights) == 2  # 0.5 + 2 x 0.5 = 1.5, rounded up
    assert score(snn, kw, weights=weights) == 5  # 1.5 + 2 x 1.5 = 4.5, rounded up


def test_field_weights_and_category_bonus_change_the_score() -> None:
    kw = DEFAULT_KEYWORDS
    mention = paper("Graph learning", "Related to spiking neural networks.")
    assert score(mention, kw) == 1
    assert score(mention, kw, weights=Weights(categories={"cs.NE": 2.0})) == 3
    assert score(mention, kw, weights=Weights(categories={"cs.CV": 2.0})) == 1
    title_hit = paper("A spiking neuron model", "We study dendrites.")
    assert score(title_hit, kw, weights=Weights(title=0.0)) == 1
    assert score(title_hit, kw, weights=Weights(title=10.0)) == 5  # never above 5
    # a negative bonus lowers the score, but a paper with a keyword never drops to 0
    assert score(title_hit, kw, weights=Weights(categories={"cs.NE": -5.0})) == 1
    # ...and a penalty applies to a cross-listed paper too, beside its best bonus
    cross = Paper("2611.00002", 1, "A spiking neuron model", ["A"], "We study dendrites.",
                  ["cs.CV", "cs.NE"], "cs.CV", NOW, NOW)  # fmt: skip
    both = Weights(categories={"cs.CV": -2.0, "cs.NE": 1.0})
    assert score(cross, kw, weights=both) == 2  # 3 + 1 - 2


def test_an_accepted_venue_adds_its_bonus_but_a_submission_or_workshop_does_not() -> None:
    kw = DEFAULT_KEYWORDS
    mention = paper("Graph learning", "Related to spiking neural networks.")
    weights = Weights(venues={"neurips": 2.0, "IEEE TNNLS": 1.0})  # any case, as configured

    def with_comment(comment: str | None, journal_ref: str | None = None) -> int:
        return score(
            replace(mention, comment=comment, journal_ref=journal_ref), kw, weights=weights
        )

    assert with_comment(None) == 1
    assert with_comment("Accepted at NeurIPS 2025 (spotlight)") == 3
    assert with_comment("Under review at NeurIPS 2025") == 1
    assert with_comment("Accepted at the NeurIPS 2025 Workshop on Neuro AI") == 1
    assert with_comment("Accepted at ICML 2025") == 1  # no bonus configured for it
    assert (
        with_comment(None, "IEEE Transactions on Neural Networks and Learning Systems, 2024") == 2
    )
    assert (
        score(replace(mention, comment="NeurIPS 2025"), kw, weights=Weights(venues={"NeurIPS": 9}))
        == 5
    )


def test_the_best_watched_author_gives_the_bonus_not_the_sum_of_them() -> None:
    kw = DEFAULT_KEYWORDS
    mention = replace(
        paper("Graph learning", "Related to spiking neural networks."),
        authors=["A. Sengupta", "KAUSHIK ROY", "Roy, Kaushik"],
    )
    assert score(mention, kw, weights=Weights(authors={"Kaushik Roy": 1.0})) == 2
    watched = Weights(authors={"Kaushik Roy": 1.0, "Abhronil Sengupta": 2.0, "Wolfgang Maass": 4})
    assert score(mention, kw, weights=watched) == 3  # 1 + the best of 1 and 2
    assert score(mention, kw, weights=Weights(authors={"Kamal Roy": 3.0})) == 1


def test_half_points_round_up_even_when_decimals_do_not_add_up_exactly() -> None:
    mention = paper("Graph learning", "Related to SNNs.")
    # 0.7 x 3.0 + 0.4 is 2.4999999999999996 in binary floating point: still 2.5, so 3
    weights = Weights(found=0.7, keywords={"SNN": 3.0}, categories={"cs.NE": 0.4})
    assert score(mention, DEFAULT_KEYWORDS, weights=weights) == 3


def test_excluded_phrase_drops_a_paper() -> None:
    p = paper("Spiking neural networks for seizure detection", "EEG data.")
    assert score(p, DEFAULT_KEYWORDS) > 0
    assert score(p, DEFAULT_KEYWORDS, exclude=["seizure"]) == 0


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (("Code: https://github.com/SRKH/S4NN公开获得",), "https://github.com/SRKH/S4NN"),
        (("see https://github.com/UA-RCL/RANC.",), "https://github.com/UA-RCL/RANC"),
        (("at https://github.com/a-b/c_d.e.git)",), "https://github.com/a-b/c_d.e"),
        ((None, "Comment: code at http://www.github.com/x/y/tree/main"), "https://github.com/x/y"),
        (('https://github.com/x/y"onmouseover=alert(1)',), "https://github.com/x/y"),
        (("no code here, only https://example.org/x",), None),
    ],
)
def test_code_url_is_a_clean_github_repository_link(texts: tuple, expected: str | None) -> None:
    assert code_url(*texts) == expected


def test_query_combines_all_keywords_with_a_window_and_filters() -> None:
    since = datetime(2026, 11, 23, 5, 30, tzinfo=UTC)
    query = build_query(
        ["spiking neural network", "STDP"], ["seizure"], ["cs.NE", "cs.LG"], since, NOW
    )
    assert query == (
        '(ti:"spiking neural network" OR abs:"spiking neural network" OR ti:STDP OR abs:STDP)'
        " AND (cat:cs.NE OR cat:cs.LG)"
        " AND submittedDate:[202611230530 TO 202611281200]"
        " ANDNOT (ti:seizure OR abs:seizure)"
    )
