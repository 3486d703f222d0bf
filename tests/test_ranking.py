"""Ranking: `[score]` weights, `[feed] min_score` (stored, not logged), and the month's score
distribution in `snn-feed status --month`."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import gfm
import pytest
from conftest import run_cli, utc_now, write_config
from fakes import FakeArxiv, FakeEntry, FakeTranslator

pytestmark = pytest.mark.clock  # reads the wall clock: CI runs it at hard instants too

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # replaced in `config`

# Submitted at one moment (set per test, from the clock the sync reads too), so the three
# always fall in the same month, whatever the instant the suite runs at.
CENTRAL = FakeEntry("2611.30001", "Surrogate gradient training of spiking neural networks",
                    "Spiking neural networks are trained with surrogate gradients; SNNs on "
                    "neuromorphic chips.", ["A. Central"], EPOCH)  # fmt: skip
TITLE = FakeEntry("2611.30002", "A spiking neuron model of dendrites", "We study dendrites.",
                  ["B. Title"], EPOCH)  # fmt: skip
MENTION = FakeEntry("2611.30003", "Graph learning at scale", "Related work includes spiking "
                    "neural networks.", ["C. Mention"], EPOCH)  # fmt: skip


@pytest.fixture
def config(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path
) -> Path:
    submitted = utc_now() - timedelta(hours=2)
    fake_arxiv.entries = [replace(e, published=submitted) for e in (CENTRAL, TITLE, MENTION)]
    return write_config(tmp_path / "config.toml", arxiv_url=fake_arxiv.url,
                        translator_url=fake_translator.base + "/m",
                        log_path=log_repo / "README.md", feed__min_score=3)  # fmt: skip


def logged_ids(log: Path) -> set[str]:
    items, _ = gfm.read(log.read_text())
    return {i.links[0].href.rsplit("/abs/", 1)[1] for i in items if i.links}


def test_papers_below_min_score_are_stored_but_never_translated_or_logged(
    config: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path
) -> None:
    result = run_cli("sync", "--config", str(config))
    assert result.returncode == 0, result.stderr
    logged = logged_ids(log_repo / "README.md")
    assert {CENTRAL.arxiv_id, TITLE.arxiv_id} <= logged
    assert MENTION.arxiv_id not in logged
    asked = " ".join(r["params"].get("q", "") for r in fake_translator.requests)
    assert "Related work" not in asked and "dendrites" in asked
    assert "pending 0" in result.stdout  # held back is not pending

    assert "1 below [feed] min_score" in run_cli("status", "--config", str(config)).stdout
    # `--month` counts papers by their submission month in the log's time zone
    month = f"{fake_arxiv.entries[0].published.astimezone(ZoneInfo('America/New_York')):%Y-%m}"
    text = run_cli("status", "--config", str(config), "--month", month)
    assert text.returncode == 0, text.stdout
    lines = text.stdout.splitlines()
    head = next(line for line in lines if line.startswith("scores of papers"))
    assert f"in {month}: 3 scored, 1 of them below [feed] min_score 3; 2 logged" in head
    bars = {line.split()[0]: line.split()[1] for line in lines if line.startswith("  [")}
    assert bars == {"[5]": "1", "[4]": "0", "[3]": "1", "[2]": "0", "[1]": "1"}
    assert next(line for line in lines if line.startswith("  [1]")).endswith("(1 held back)")

    data = json.loads(run_cli("status", "--config", str(config), "--json", "--month", month).stdout)
    assert data["month"]["scores"] == {"5": 1, "3": 1, "1": 1}
    assert data["month"]["held_back"] == {"1": 1}
    assert data["month"]["below_min_score"] == 1


def test_status_month_shows_the_venues_the_months_papers_were_accepted_at_with_scores(
    config: Path, fake_arxiv: FakeArxiv
) -> None:
    central, title, mention = fake_arxiv.entries
    central.comment = "Accepted at NeurIPS 2025 (oral)"
    title.journal_ref = "Advances in Neural Information Processing Systems 38 (2025)"
    mention.comment = "Submitted to ICLR 2026"  # not a venue: only submitted
    config.write_text(config.read_text() + "[score.venues]\nneurips = 1.0\n")
    assert run_cli("sync", "--config", str(config)).returncode == 0
    month = f"{central.published.astimezone(ZoneInfo('America/New_York')):%Y-%m}"

    text = run_cli("status", "--config", str(config), "--month", month).stdout.splitlines()
    at = text.index(next(line for line in text if line.startswith("venues they were accepted")))
    assert text[at + 1 :] == ["  NeurIPS    2  [5]x1 [4]x1"]  # the title hit: 3, +1 for NeurIPS
    data = json.loads(run_cli("status", "--config", str(config), "--json", "--month", month).stdout)
    assert data["month"]["venues"] == {"NeurIPS": [5, 4]}


def test_keyword_weights_from_the_config_change_which_papers_are_logged(
    config: Path, log_repo: Path
) -> None:
    # Weighing "spiking neural network" 3x lifts the mere mention to 3 points: logged.
    weights = '[score.keywords]\n"spiking neural networks" = 3.0\n'
    config.write_text(config.read_text() + weights)
    result = run_cli("sync", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert MENTION.arxiv_id in logged_ids(log_repo / "README.md")


def test_a_weight_for_a_phrase_that_is_not_a_keyword_is_a_config_error(config: Path) -> None:
    config.write_text(config.read_text() + '[score.keywords]\n"spiking nets" = 2.0\n')
    result = run_cli("sync", "--config", str(config))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"snn-feed: config: score.keywords: 'spiking nets' is not one of [feed] keywords ({config})"
    )
