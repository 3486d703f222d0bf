"""`[score] learn`: a ranking learned from what the reader's log keeps, blended into the score,
explained by `status --month`, and the same for the same log."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import run_cli, write_config
from fakes import FakeArxiv, FakeEntry
from hypothesis import given
from hypothesis import strategies as st

from snn_feed.config import DEFAULT_KEYWORDS, load_settings
from snn_feed.pipeline import learning, relevance
from snn_feed.pipeline.sync import SyncOptions, run_sync
from snn_feed.records import Paper
from snn_feed.store import open_store

NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)


def kept_kind(k: int, now: datetime) -> FakeEntry:
    """What this reader keeps: event cameras (the keywords in the title: it scores high)."""
    return FakeEntry(
        arxiv_id=f"{now:%y%m}.{11000 + k:05d}",
        title=f"Event camera object detection with spiking neural networks, study {k}",
        abstract="We detect objects in event camera streams with spiking neural networks and "
        f"optical flow. Event camera data is sparse; tracking improves by {k} points.",
        authors=[f"Author {k}"],
        published=now - timedelta(hours=3, minutes=k),
    )


def other_kind(k: int, now: datetime) -> FakeEntry:
    """What it does not: memristor circuits naming a spiking neuron in passing (scored 1, held
    back by `min_score = 2`)."""
    return FakeEntry(
        arxiv_id=f"{now:%y%m}.{12000 + k:05d}",
        title=f"Memristor crossbar arrays for analog matrix multiplication, design {k}",
        abstract="We fabricate a memristor crossbar for analog in-memory computing; a spiking "
        f"neuron circuit reads out the conductance of {k} devices.",
        authors=[f"Engineer {k}"],
        published=now - timedelta(hours=4, minutes=k),
    )


def paper(entry: FakeEntry) -> Paper:
    return Paper(entry.arxiv_id, 1, entry.title, entry.authors, entry.abstract, ["cs.NE"],
                 "cs.NE", entry.published, entry.published)  # fmt: skip


def test_the_learned_ranking_lifts_what_the_log_keeps_and_lowers_what_it_never_kept(
    tmp_path: Path, fake_arxiv: FakeArxiv
) -> None:
    fake_arxiv.entries = [kept_kind(k, NOW) for k in range(8)]
    fake_arxiv.entries += [other_kind(k, NOW) for k in range(8)]
    config = write_config(tmp_path / "config.toml", arxiv_url=fake_arxiv.url,
                          translator_url=None, log_path=None, feed__min_score=2,
                          score__learn=True)  # fmt: skip
    first = run_sync(load_settings(config, environ={}), SyncOptions(), clock=lambda: NOW)
    assert first.summary.written == 8  # the memristor papers are held back: not kept

    later = NOW + timedelta(days=1)
    wanted, unwanted = kept_kind(50, later), other_kind(50, later)
    # Both now have the keywords in their titles, so the keywords alone score them alike.
    unwanted.title = "Memristor crossbar spiking neural networks for analog matrix multiplication"
    fake_arxiv.entries += [wanted, unwanted]
    keyword = {e.arxiv_id: relevance.score(paper(e), DEFAULT_KEYWORDS) for e in (wanted, unwanted)}
    run_sync(load_settings(config, environ={}), SyncOptions(), clock=lambda: later)

    settings = load_settings(config, environ={})
    store = open_store(settings.database_url)
    try:
        scores = {p.arxiv_id: p.score for p in store.papers.get_many(list(keyword))}
    finally:
        store.engine.dispose()
    assert scores[wanted.arxiv_id] >= keyword[wanted.arxiv_id]
    assert scores[unwanted.arxiv_id] < keyword[unwanted.arxiv_id]
    assert scores[wanted.arxiv_id] > scores[unwanted.arxiv_id]

    month = f"{NOW:%Y-%m}"
    shown = run_cli("status", "--config", str(config), "--month", month)
    assert shown.returncode in (0, 1), shown.stderr
    # Kept: the first day's 8 and both of the second's (the memristor one still scores 2);
    # not kept: the 8 held back.
    assert "learned ranking, from 10 papers the log keeps and 8 it does not" in shown.stdout
    keeping = re.search(r"^  for keeping: (.*)$", shown.stdout, re.M)
    against = re.search(r"^  against: (.*)$", shown.stdout, re.M)
    assert keeping and "event" in keeping[1] and against and "crossbar" in against[1]
    again = run_cli("status", "--config", str(config), "--month", month)
    assert again.stdout == shown.stdout  # the same log, the same model


def test_with_too_little_to_learn_from_the_score_is_the_keywords(
    tmp_path: Path, fake_arxiv: FakeArxiv
) -> None:
    fake_arxiv.entries = [kept_kind(k, NOW) for k in range(3)]
    config = write_config(tmp_path / "config.toml", arxiv_url=fake_arxiv.url,
                          translator_url=None, log_path=None, score__learn=True)  # fmt: skip
    run_sync(load_settings(config, environ={}), SyncOptions(), clock=lambda: NOW)
    shown = run_cli("status", "--config", str(config), "--month", f"{NOW:%Y-%m}")
    assert "learned ranking: too few papers to learn from yet (3 kept, 0 not kept" in shown.stdout


def test_training_needs_both_kinds_and_gives_the_same_model_for_the_same_examples() -> None:
    kept = [learning.Example(f"k{i}", f"event camera tracking {i}", True) for i in range(6)]
    other = [learning.Example(f"o{i}", f"memristor crossbar {i}", False) for i in range(6)]
    assert learning.train(kept + other[:4]) is None
    one, two = learning.train(kept + other), learning.train(list(reversed(other + kept)))
    assert one is not None and two is not None
    texts = ["event camera detection", "memristor crossbar design"]
    assert one.probabilities(texts) == two.probabilities(texts)
    assert one.probability(texts[0]) > 0.5 > one.probability(texts[1])


@given(st.integers(1, 5), st.floats(0, 1), st.floats(0, 1))
def test_a_blended_score_stays_within_1_to_5_and_weight_0_is_the_keywords(
    score: int, probability: float, weight: float
) -> None:
    blended = learning.blend(score, probability, weight)
    assert 1 <= blended <= 5
    assert learning.blend(score, probability, 0.0) == score
    low, high = sorted((score, round(1 + 4 * probability + 1e-9)))
    assert low - 1 <= blended <= high + 1


def test_the_ranking_benchmark_ranks_the_held_out_hand_made_log(capsys) -> None:  # type: ignore[no-untyped-def]
    import runpy

    bench = runpy.run_path(str(Path(__file__).resolve().parents[1] / "benchmarks" / "ranking.py"))
    bench["quality"]()
    out = capsys.readouterr().out
    held = re.search(r"held out the newer (\d+) \((\d+) kept\)", out)
    assert held, out
    rows = re.findall(r"^\| (keywords only|learned|blended)[^|]* \| ([\d.]+) \| (\d+) \| (\d+) \|$",
                      out, re.M)  # fmt: skip
    assert [r[0] for r in rows] == ["keywords only", "learned", "blended"]
    for _, auc, hits, n in rows:
        assert 0 <= float(auc) <= 1 and int(n) == int(held[2]) and int(hits) <= int(n)


def test_learning_without_scikit_learn_is_a_config_error_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    from snn_feed.errors import ConfigError

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "sklearn" else real(name, *a))  # fmt: skip
    config = tmp_path / "config.toml"
    config.write_text("[score]\nlearn = true\n")
    with pytest.raises(ConfigError, match=r"score.learn: .*pip install 'snn-feed\[learn\]'"):
        load_settings(config, environ={})
