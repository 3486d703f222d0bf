"""Start-up (figure 6): a cold `snn-feed --help` and `snn-feed status`, each a fresh process,
median of N runs; target under 0.3 s.

    python benchmarks/startup.py              # 10 runs each
    python benchmarks/startup.py --runs 3

`status` runs against the database of a finished sync (migrated, with a run and 30 papers),
as a health check sees it. Two floors put the figures in proportion: the bare interpreter,
and importing the libraries `status` cannot do without (click, pydantic for the config,
SQLAlchemy's ORM for the database, APScheduler for the next run's time).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from _common import Run, git_repository, median, run_process, scratch, snn_feed, table
from fakes import FakeArxiv, running, snn_entries, write_config

TARGET_SECONDS = 0.3
LIBRARIES = "import click, pydantic, sqlalchemy.orm, apscheduler.triggers.cron"
EXIT_LIKE_SNN_FEED = "; import gc; gc.freeze()"  # see snn_feed.cli.main


def timed(argv: list[str], runs: int, ok: int = 0) -> list[Run]:
    results = [run_process(argv) for _ in range(runs)]
    if any(r.status != ok for r in results):
        bad = next(r for r in results if r.status != ok)
        raise SystemExit(f"{' '.join(argv)} exited {bad.status}: {bad.stderr[-2000:]}")
    return results


def row(name: str, results: list[Run], target: bool = True) -> list[object]:
    wall = median([r.seconds for r in results])
    cpu = median([r.cpu_seconds for r in results])
    if not target:
        return [name, len(results), wall, cpu, "-", "-"]
    return [name, len(results), wall, cpu, TARGET_SECONDS, wall / TARGET_SECONDS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="fresh processes per command")
    args = parser.parse_args()
    python = [sys.executable]
    snn = [*python, "-m", "snn_feed"]
    with scratch() as work, running(FakeArxiv(snn_entries(30, datetime.now(UTC)))) as arxiv:
        config = write_config(work / "config.toml", arxiv_url=arxiv.url, translator_url=None,
                              log_path=git_repository(work / "log", ""))  # fmt: skip
        snn_feed("sync", "--config", str(config))  # the database a health check finds
        rows = [
            row("python", timed([*python, "-c", "pass"], args.runs), target=False),
            row(
                "libraries",
                timed([*python, "-c", LIBRARIES + EXIT_LIKE_SNN_FEED], args.runs),
                target=False,
            ),
            row("help", timed([*snn, "--help"], args.runs)),
            row("status", timed([*snn, "status", "--config", str(config)], args.runs)),
        ]
    print(table(["command", "runs", "median-s", "cpu-s", "target-s", "ratio"], rows))
    print("python: the bare interpreter; libraries: importing what status cannot do without "
          f"({LIBRARIES[7:]}); ratio = median / target")  # fmt: skip


if __name__ == "__main__":
    main()
