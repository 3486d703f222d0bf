"""arXiv requests per sync (figure 1): one day of matching papers, and a backfill month,
against a local fake arXiv, compared with the fewest possible, ceil(results / page size).

    python benchmarks/arxiv_requests.py                                 # 30 papers; 2,000 a month
    python benchmarks/arxiv_requests.py --day 5 --month 300 --page-sizes 100

Also checked from what the fake arXiv saw: every request of a run carries the same combined
query (one query per window), and no (query, start) page is asked for twice.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from _common import arxiv_pages, corpus, git_repository, page_limit, scratch, snn_feed, table
from fakes import FakeArxiv, FakeEntry, running, snn_entries, write_config

HEADER = ["run", "papers", "page-size", "requests", "limit", "ratio", "queries", "repeated"]


def measure(name: str, entries: list[FakeEntry], page_size: int, *args: str) -> list[object]:
    """Run `snn-feed ARGS` against a fake arXiv serving `entries`; one table row."""
    with scratch() as work, running(FakeArxiv(entries)) as arxiv:
        config = write_config(
            work / "config.toml", arxiv_url=arxiv.url, translator_url=None,
            log_path=git_repository(work / "log", ""), arxiv__page_size=page_size,
            arxiv__backfill_page_size=page_size,
        )  # fmt: skip
        snn_feed(*args, "--no-commit", "--config", str(config))
        pages = arxiv_pages(arxiv)
    limit = page_limit(len(entries), page_size)
    queries = len({query for query, _, _ in pages})
    repeated = len(pages) - len({(query, start) for query, start, _ in pages})
    return [name, len(entries), page_size, len(pages), limit, len(pages) / limit, queries, repeated]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--day", type=int, default=30, help="matching papers in the day")
    parser.add_argument("--month", type=int, default=2000, help="papers in the backfill month")
    parser.add_argument("--page-sizes", default="200,1000,2000",
                        help="page sizes for the month (backfill_page_size is 1000)")  # fmt: skip
    args = parser.parse_args()
    rows = [measure("sync-day", snn_entries(args.day, datetime.now(UTC)), 200, "sync")]
    month = corpus(args.month)  # all in January 2024 up to 2,000 papers
    last = max(e.published for e in month).date().isoformat()
    for page_size in (int(s) for s in args.page_sizes.split(",")):
        rows.append(
            measure("backfill-month", month, page_size, "backfill", "--from", "2024-01-01",
                    "--to", last)
        )  # fmt: skip
    print(table(HEADER, rows))
    print("limit = ceil(results / page size); ratio = requests / limit (1.00 is the minimum)")


if __name__ == "__main__":
    main()
