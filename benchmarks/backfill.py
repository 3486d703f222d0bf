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

from _common import PER_MONTH, corpus, git_repository, page_limit, scratch, snn_feed
from fakes import FakeArxiv, running, write_config

PAGE_SIZE = 1000


def run(size: int) -> dict[str, float]:
    entries = corpus(size)
    last = entries[-1].published.date()
    with scratch() as work, running(FakeArxiv(entries)) as arxiv:
        log = git_repository(work / "log", "")  # a log is started on purpose only
        config = write_config(
            work / "config.toml", arxiv_url=arxiv.url, translator_url=None, log_path=log,
            arxiv__page_size=PAGE_SIZE, arxiv__backfill_page_size=PAGE_SIZE,
        )  # fmt: skip
        result = snn_feed("backfill", "--config", str(config), "--from", "2024-01-01",
                          "--to", last.isoformat())  # fmt: skip
        months = math.ceil(size / PER_MONTH)
        in_month = [min(PER_MONTH, size - m * PER_MONTH) for m in range(months)]
        return {
            "papers": size,
            "seconds": result.seconds,
            "peak_rss_mb": result.peak_rss_mb,
            "requests": len(arxiv.requests),
            "request_limit": sum(page_limit(n, PAGE_SIZE) for n in in_month),
            "db_mb": (work / "data" / "feed.sqlite3").stat().st_size / 2**20,
            "log_mb": log.stat().st_size / 2**20,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated corpus sizes")
    args = parser.parse_args()
    rows = [run(int(size)) for size in args.sizes.split(",")]
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
