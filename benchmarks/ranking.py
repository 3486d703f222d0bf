"""How well the learned ranking (`[score] learn`) ranks the hand-made log, and how fast it learns.

    python benchmarks/ranking.py           # the original log against 3,276 real SNN papers
    python benchmarks/ranking.py --quick   # a smaller training set for the timing

Quality: the original log's entries are the papers its author kept; the real SNN papers of
`snn-papers.csv` from the same months (the field's every "spiking neural network" paper, as a
public tracker collected them) that the log does not list are the ones the author passed
over. Papers are split by arXiv id: the older 60% train the ranker, the newer 40% are held
out, as a log that grows meets papers newer than what it learned from. Each score ranks the
held-out papers; the table gives its ROC AUC (0.5: no better than chance) and how many of the
held-out entries rank among the top N (N = how many entries there are). Titles only: the
dataset has no abstracts.

Speed: training on a long log (3,000 papers with abstracts), as each sync does, and scoring a
day's 30 papers; compared with the target "well under a second".
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIXTURES = ROOT / "tests" / "fixtures"

from snn_feed.config import DEFAULT_KEYWORDS  # noqa: E402
from snn_feed.pipeline import learning, relevance  # noqa: E402
from snn_feed.records import Paper  # noqa: E402

TRAIN_SECONDS_TARGET = 1.0
HELD_OUT = 0.4


def norm(title: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", title.lower()).split())


def corpus() -> list[tuple[str, str, bool]]:
    """(arXiv id, title, kept) of the real SNN papers of the original log's months: kept when
    the hand-made log has the paper (by its title; most of its entries have no id)."""
    log = (FIXTURES / "seed-log" / "README.md").read_text(encoding="utf-8")
    titles = {norm(t) for t in re.findall(r"^### (.+)$", log, re.M)}
    titles |= {norm(t) for t in re.findall(r"^- \[\d\] \[[^\]]*\] (.+?)\. \[paper\]", log, re.M)}
    with open(FIXTURES / "snn-papers" / "snn-papers.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    # The log's months: its first and last entries' ids (YYMM), July 2019 to November 2020.
    era = [r for r in rows if "1907" <= r["id"][:4] <= "2011"]
    return sorted((r["id"], r["title"], norm(r["title"]) in titles) for r in era)


def auc(scores: list[float], kept: list[bool]) -> float:
    """The chance that a kept paper outranks a passed-over one (ties count half)."""
    pos = [s for s, k in zip(scores, kept, strict=True) if k]
    neg = [s for s, k in zip(scores, kept, strict=True) if not k]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def top_hits(scores: list[float], kept: list[bool]) -> int:
    """Kept papers among the top N, N the number of kept papers (ties broken by id order)."""
    n = sum(kept)
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    return sum(kept[i] for i in order[:n])


def quality() -> None:
    papers = corpus()
    cut = int(len(papers) * (1 - HELD_OUT))
    train, test = papers[:cut], papers[cut:]
    ranker = learning.train([learning.Example(i, t, k) for i, t, k in train])
    assert ranker is not None
    again = learning.train([learning.Example(i, t, k) for i, t, k in reversed(train)])
    texts = [t for _, t, _ in test]
    kept = [k for _, _, k in test]
    learned = ranker.probabilities(texts)
    assert again is not None and again.probabilities(texts) == learned, "not deterministic"
    when = datetime(2020, 1, 1, tzinfo=UTC)
    keyword = [
        relevance.score(Paper(i, 1, t, [], "", [], "", when, when), DEFAULT_KEYWORDS)
        for i, t, _ in test
    ]
    blended = [learning.blend(s, p, 0.5) for s, p in zip(keyword, learned, strict=True)]
    print(f"papers of the log's months: {len(papers)}, of them in the hand-made log: "
          f"{sum(k for *_, k in papers)}")  # fmt: skip
    print(f"trained on the older {len(train)} ({sum(k for *_, k in train)} kept), held out the "
          f"newer {len(test)} ({sum(kept)} kept)\n")  # fmt: skip
    print("| score | ROC AUC | kept papers in the top N | N |")
    print("| --- | ---: | ---: | ---: |")
    for name, scores in (
        ("keywords only (1-5)", [float(s) for s in keyword]),
        ("learned probability", learned),
        ("blended 1-5, learn_weight 0.5", [float(s) for s in blended]),
    ):
        print(f"| {name} | {auc(scores, kept):.2f} | {top_hits(scores, kept)} | {sum(kept)} |")
    kept_terms, other_terms = ranker.top_terms(6)
    print(f"\nterms for keeping: {', '.join(kept_terms)}")
    print(f"terms against: {', '.join(other_terms)}")


def speed(size: int, repeat: int) -> None:
    with open(FIXTURES / "snn-papers" / "snn-papers.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[:size]
    examples = [
        learning.Example(r["id"], learning.text_of(r["title"], (
            "Spiking neural networks promise energy-efficient computation. "
            f"In this work we study {r['title']}, evaluated on neuromorphic benchmarks with "
            f"surrogate gradient training and {n % 7} spiking layers.")), n % 3 == 0)
        for n, r in enumerate(rows)
    ]  # fmt: skip
    train_times, score_times = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        ranker = learning.train(examples)
        train_times.append(time.perf_counter() - started)
        assert ranker is not None
        started = time.perf_counter()
        for e in examples[:30]:
            ranker.probability(e.text)
        score_times.append(time.perf_counter() - started)
    train_s, score_s = statistics.median(train_times), statistics.median(score_times)
    print(f"\n| step | papers | seconds (median of {repeat}) | target s | ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(f"| train | {len(examples):,} | {train_s:.3f} | {TRAIN_SECONDS_TARGET:g} | "
          f"{train_s / TRAIN_SECONDS_TARGET:.2f} |")  # fmt: skip
    print(f"| score a day, one by one | 30 | {score_s:.3f} | | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 papers for the timing")
    parser.add_argument("--size", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    quality()
    speed(300 if args.quick else args.size, 1 if args.quick else args.repeat)


if __name__ == "__main__":
    main()
