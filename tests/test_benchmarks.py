"""The benchmark scripts still run (on a tiny size), so they cannot rot unnoticed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.clock  # reads the wall clock: CI runs it at hard instants too

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


def quick(figure: int) -> list[list[str]]:
    """`benchmarks/run.py --quick --only FIGURE`: the rows of every table it printed (the
    one command docs/development.md gives, at the sizes it uses for a quick check)."""
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--quick", "--only", str(figure)],
        capture_output=True, text=True, timeout=180,
        env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return [line.split() for line in result.stdout.splitlines() if line.strip()]


def rows_after(lines: list[list[str]], first_column: str) -> dict[str, list[str]]:
    """The table whose header starts with `first_column`: its rows by their first cell."""
    start = next(i for i, line in enumerate(lines) if line[0] == first_column)
    header = lines[start]
    rows = {}
    for line in lines[start + 1 :]:
        if len(line) != len(header):
            break
        rows[line[0]] = line
    return rows


def test_requests_benchmark_finds_the_minimum_in_one_query_without_repeats() -> None:
    lines = quick(1)
    rows = rows_after(lines, "run")
    assert set(rows) == {"sync-day", "backfill-month"}
    for _name, papers, page_size, requests, limit, _, queries, repeated in rows.values():
        expected = max(1, -(-int(papers) // int(page_size)))
        assert (int(requests), int(limit), queries, repeated) == (expected, expected, "1", "0")
    assert int(rows["backfill-month"][3]) > 1, "the month must need several pages"


def test_overhead_benchmark_subtracts_exactly_the_mandated_delays() -> None:
    lines = quick(2)
    rows = rows_after(lines, "run")
    assert set(rows) == {"day", "day-3-pages", "day-translated"}
    for _, _, _, requests, mandated, wall, overhead, cpu, target, _ in rows.values():
        assert float(mandated) == round((int(requests) - 1) * 0.2, 2)
        assert abs(float(wall) - float(mandated) - float(overhead)) <= 0.011
        assert float(wall) >= float(mandated) and float(cpu) > 0 and target == "1.00"
    assert rows["day-3-pages"][3] == "3" and rows["day"][3] == "1"
    stages = rows_after(lines, "cpu")
    assert {"parse", "store", "render-write", "whole-sync"} <= set(stages)
    parts = [float(v[1]) for k, v in stages.items() if k not in ("stages-total", "whole-sync")]
    assert abs(sum(parts) - float(stages["stages-total"][1])) <= 0.01 * len(parts)


def test_log_growth_benchmark_appends_to_every_size() -> None:
    lines = quick(4)
    rows = rows_after(lines, "entries")
    assert [int(n) for n in rows] == [100, 2000]
    small, large = rows["100"], rows["2000"]
    assert float(large[1]) > 10 * float(small[1]), "the larger log must be larger"
    assert all(float(r[3]) > 0 and float(r[5]) > 0 for r in rows.values())
    assert any(line[:2] == ["100", "->"] for line in lines), "the growth summary is printed"


def test_startup_benchmark_times_help_and_a_healthy_status() -> None:
    rows = rows_after(quick(6), "command")
    assert set(rows) == {"python", "libraries", "help", "status"}
    for name in ("help", "status"):
        _, runs, median, _cpu, target, ratio = rows[name]
        assert runs == "2" and target == "0.30"
        assert abs(float(ratio) - float(median) / 0.3) <= 0.05
