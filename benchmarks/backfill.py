"""Backfill at scale against a local fake arXiv: wall time, arXiv requests, peak memory (RSS)
of the snn-feed process, and database size, for a small and a large corpus.

    python benchmarks/backfill.py                # 1,000 and 10,000 papers
    python benchmarks/backfill.py --sizes 200    # a quick look

Papers are spread over months at 2,000 a month (a busy field's worst case), page size 1,000,
no politeness delay and no translation (backend "none"): this measures snn-feed's own cost.
Memory should stay flat as the corpus grows: compare the RSS ratio with the size ratio.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from fakes import FakeArxiv, FakeEntry, running  # noqa: E402

PER_MONTH = 2000
PAGE_SIZE = 1000


def corpus(size: int) -> list[FakeEntry]:
    start = datetime(2024, 1, 1, 12, tzinfo=UTC)
    entries = []
    for n in range(size):
        month, index = divmod(n, PER_MONTH)
        published = (start + timedelta(days=31 * month)).replace(day=1) + timedelta(
            minutes=20 * index + 1
        )
        entries.append(
            FakeEntry(
                arxiv_id=f"{published:%y%m}.{index:05d}",
                title=f"Spiking neural network study number {n}",
                abstract="Spiking neural networks (SNNs) on neuromorphic hardware. " * 12,
                authors=[f"Author {n}", "Second Author"],
                published=published,
            )
        )
    return entries


def run(size: int, workdir: Path) -> dict[str, float]:
    entries = corpus(size)
    months = math.ceil(size / PER_MONTH)
    last = entries[-1].published.date()
    log = workdir / "log" / "README.md"
    with running(FakeArxiv(entries)) as arxiv:
        config = workdir / "config.toml"
        config.write_text(
            f'[arxiv]\napi_url = "{arxiv.url}"\npage_size = {PAGE_SIZE}\ndelay_seconds = 0.0\n'
            f'[translate]\nbackend = "none"\n'
            f'[database]\nurl = "sqlite:///{workdir / "db.sqlite3"}"\n'
            f'[log]\npath = "{log}"\n[sync]\nlock_file = "{workdir / "lock"}"\n'
        )
        env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "snn_feed", "backfill", "--config", str(config),
             "--from", "2024-01-01", "--to", last.isoformat()],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        if status != 0:
            raise SystemExit(f"backfill failed: {process.stderr.read().decode()[-2000:]}")
        requests = len(arxiv.requests)
    limit = sum(math.ceil(min(PER_MONTH, size - m * PER_MONTH) / PAGE_SIZE) for m in range(months))
    return {
        "papers": size,
        "seconds": wall,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "requests": requests,
        "request_limit": limit,
        "db_mb": (workdir / "db.sqlite3").stat().st_size / 2**20,
        "log_mb": log.stat().st_size / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated corpus sizes")
    args = parser.parse_args()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        workdir = Path(tempfile.mkdtemp(prefix="snn-feed-bench-"))
        try:
            rows.append(run(size, workdir))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"{'papers':>8} {'seconds':>8} {'peak RSS MB':>12} {'requests':>9} {'limit':>6} "
          f"{'db MB':>7} {'log MB':>7}")  # fmt: skip
    for r in rows:
        print(
            f"{r['papers']:>8} {r['seconds']:>8.1f} {r['peak_rss_mb']:>12.1f} "
            f"{r['requests']:>9} {r['request_limit']:>6} {r['db_mb']:>7.1f} {r['log_mb']:>7.1f}"
        )
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        rss = b["peak_rss_mb"] / a["peak_rss_mb"]
        print(
            f"ratio {b['papers'] / a['papers']:.0f}x papers: {rss:.2f}x peak RSS, "
            f"{b['seconds'] / a['seconds']:.1f}x time"
        )


if __name__ == "__main__":
    main()
