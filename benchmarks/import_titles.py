"""`snn-feed import` of the original hand-made log: its title-only entries looked up on a local
fake arXiv at arXiv's pace of one request every 3 seconds, many titles to a request.

    python benchmarks/import_titles.py               # the 3-second pace (about 15 s)
    python benchmarks/import_titles.py --delay 0.1   # quicker, for a check

The fake knows every paper of the log (full titles where the log cut them short) and, for
each, a newer paper whose title holds the same words ("Revisiting ..."); the target is at most
60 s at the 3 s pace (one request a title took 6 min 19 s: 126 requests).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta

from _common import SEED_LOG, git_repository, scratch, snn_feed
from fakes import FakeArxiv, FakeEntry, running, write_config

from snn_feed.journal.logparse import parse_log

TARGET_SECONDS = 60.0


def seed_corpus() -> list[FakeEntry]:
    entries, _ = parse_log(SEED_LOG.read_text(encoding="utf-8", errors="surrogateescape"))
    papers = []
    when = datetime(2020, 6, 1, tzinfo=UTC)
    for n, entry in enumerate(entries):
        title = entry.title + ("ing" if len(entry.title) >= 90 else "")
        for k, shown in enumerate((title, f"Revisiting {title} with new data")):
            papers.append(FakeEntry(
                arxiv_id=entry.arxiv_id if entry.arxiv_id and k == 0 else f"2006.{n * 2 + k:05d}",
                title=shown, abstract=f"Spiking neural networks: {shown}.",
                authors=["Seed Author"], published=when + timedelta(minutes=n),
            ))  # fmt: skip
    return papers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=3.0, help="[arxiv] delay_seconds")
    args = parser.parse_args()
    titled = sum(1 for e in parse_log(SEED_LOG.read_text(encoding="utf-8",
                 errors="surrogateescape"))[0] if not e.arxiv_id)  # fmt: skip
    with scratch() as work, running(FakeArxiv(seed_corpus())) as arxiv:
        text = SEED_LOG.read_text(encoding="utf-8", errors="surrogateescape")
        log = git_repository(work / "log", text)
        config = write_config(work / "config.toml", arxiv_url=arxiv.url, translator_url=None,
                              log_path=log, arxiv__delay_seconds=args.delay)  # fmt: skip
        run = snn_feed("import", "--config", str(config))
        requests = len(arxiv.requests)
    found = next(line for line in run.stdout.splitlines() if line.startswith("import:"))
    print(f"{titled} title-only entries; {found.split(', ', 2)[2]}\n")
    print("| run | requests | delay s | wall s | target s | ratio | before: requests |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| import | {requests} | {args.delay:g} | {run.seconds:.1f} | {TARGET_SECONDS:g} | "
          f"{run.seconds / TARGET_SECONDS:.2f} | {titled} |")  # fmt: skip
    sys.exit(0 if run.status == 0 else 1)


if __name__ == "__main__":
    main()
