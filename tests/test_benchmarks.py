"""The benchmark scripts still run (on a tiny size), so they cannot rot unnoticed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_backfill_benchmark_runs_and_uses_the_minimum_of_requests() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "backfill.py"), "--sizes", "60"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    header, row = result.stdout.strip().splitlines()[-2:]
    assert header.split()[:2] == ["papers", "seconds"]
    papers, _, _, requests, limit, *_ = row.split()
    assert papers == "60" and requests == limit == "1"


def test_translation_benchmark_runs_within_the_rate() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "translate.py"), "--count", "6", "--concurrency", "3",
         "--latency", "0.01", "--rate", "50"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    per_second = [int(row[-2]) for row in rows[1:3]]
    assert all(n <= 50 for n in per_second)
    assert rows[-1][0] == "speed-up"
