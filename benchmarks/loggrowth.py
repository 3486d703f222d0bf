"""Log growth (figure 4): the time to append a day's 30 entries to logs of 100, 10,000 and
50,000 entries, next to the time to read the file once.

    python benchmarks/loggrowth.py                       # 100, 10,000 and 50,000 entries
    python benchmarks/loggrowth.py --sizes 100,2000 --repeat 1

The logs are made of real SNN titles and first authors (tests/fixtures/snn-papers) with a
Chinese abstract in each link title, 300 entries a month, newest month first, as snn-feed
writes them; the new entries go at the end of the current month. Two measurements:

- append-s: snn-feed's write stage on its real code path (`writing.write`: read the log, find
  the ids it holds, render, insert, write atomically with fsync), 30 translated papers waiting;
- sync-s: a whole `snn-feed sync --no-commit` in a fresh process, fetching the 30 papers from
  a local fake arXiv.

Appending should cost a few readings of the file at any size: append/read flat as the log
grows, and each time growing like the file (no scan that is quadratic, no reparse per entry).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from itertools import cycle, pairwise

from _common import existing_database, median, parse_page, scratch, seams_for, snn_feed, table
from fakes import FakeArxiv, atom_feed, fake_zh, real_papers, running, snn_entries, write_config

from snn_feed.journal import logfile
from snn_feed.journal.render import month_heading, render_entry
from snn_feed.pipeline import writing
from snn_feed.pipeline.guard import LogGuard
from snn_feed.records import LogEntry

PER_MONTH = 300
NEW = 30
INTRO = "# SNN_arxiv_daily\nSpiking neural network papers from arXiv, with Chinese abstracts.\n\n"


def months_back(now: datetime, count: int) -> list[tuple[int, int]]:
    """The current month and the `count - 1` before it, newest first."""
    year, month = now.year, now.month
    out = []
    for _ in range(count):
        out.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


def build_log(entries: int, now: datetime) -> str:
    """A log of `entries` entries in snn-feed's own format, the newest month being `now`'s."""
    rows = cycle(real_papers())
    months = months_back(now, -(-entries // PER_MONTH))
    parts = [INTRO]
    for n, (year, month) in enumerate(months):
        count = min(PER_MONTH, entries - n * PER_MONTH)
        rendered = []
        for i in range(count):
            row = next(rows)
            abstract = (
                "Spiking neural networks (SNNs) promise energy-efficient computation. "
                f"In this work we study {row['title'].rstrip('.')}. We evaluate it on "
                "neuromorphic benchmarks with surrogate gradient training. "
            )
            entry = LogEntry(
                arxiv_id=f"{year % 100:02d}{month:02d}.{20000 + i:05d}",
                score=1 + i % 5, first_author=row["first_author"], title=row["title"],
                abstract_zh=fake_zh(abstract),
            )  # fmt: skip
            rendered.append(render_entry(entry))
        parts.append(month_heading(year, month) + "\n\n" + "\n\n".join(rendered) + "\n\n")
    return "".join(parts)


def append_once(text: str, now: datetime) -> tuple[float, float, int]:
    """(seconds to read the log once, seconds of the write stage, entries written)."""
    with scratch() as work:
        log = work / "log" / "README.md"
        log.parent.mkdir()
        log.write_text(text, encoding="utf-8")
        started = time.perf_counter()
        logfile.read_log(log)
        read = time.perf_counter() - started
        with seams_for(work, log) as seams:
            papers = parse_page(atom_feed(snn_entries(NEW, now), NEW, 0, NEW))
            seams.store.papers.add([(p, 3, None) for p in papers])
            for p in papers:
                seams.store.papers.save_translation(p.arxiv_id, fake_zh(p.abstract), "google")
            guard = LogGuard(seams.store, seams.git, seams.log_path)
            started = time.perf_counter()
            written = writing.write(seams.store, seams.log_path, seams.settings.log, guard,
                                    seams.today())  # fmt: skip
            append = time.perf_counter() - started
    return read, append, written


def sync_once(text: str, now: datetime) -> float:
    """Wall seconds of a whole sync (fresh process, no commit) that adds 30 papers."""
    with scratch() as work, running(FakeArxiv(snn_entries(NEW, now))) as arxiv:
        log = work / "log" / "README.md"
        log.parent.mkdir()
        log.write_text(text, encoding="utf-8")
        config = write_config(work / "config.toml", arxiv_url=arxiv.url, translator_url=None,
                              log_path=log)  # fmt: skip
        existing_database(config, style="hover")  # a day's sync, not the log's first
        run = snn_feed("sync", "--no-commit", "--config", str(config))
        if f"written {NEW}," not in run.stdout:
            raise SystemExit(f"expected {NEW} papers written: {run.stdout}{run.stderr}")
        return run.seconds


def measure(entries: int, repeat: int) -> tuple[int, float, float, float, float]:
    """(entries, log MB, read seconds, append seconds, whole-sync seconds): medians."""
    now = datetime.now(UTC)
    text = build_log(entries, now)
    appended = [append_once(text, now) for _ in range(repeat)]
    if any(written != NEW for _, _, written in appended):
        raise SystemExit(f"expected {NEW} entries appended to the {entries}-entry log")
    read = median([r for r, _, _ in appended])
    append = median([a for _, a, _ in appended])
    sync = median([sync_once(text, now) for _ in range(repeat)])
    return entries, len(text.encode()) / 2**20, read, append, sync


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,10000,50000", help="entries in the log")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (median)")
    args = parser.parse_args()
    rows = [measure(int(size), args.repeat) for size in args.sizes.split(",")]
    header = ["entries", "log-MB", "read-s", "append-s", "append/read", "sync-s"]
    cells = [[n, mb, f"{read:.4f}", f"{append:.4f}", append / read, sync]
             for n, mb, read, append, sync in rows]  # fmt: skip
    print(table(header, cells))
    print(f"median of {args.repeat}; append: snn-feed's write stage for {NEW} entries; "
          "sync: a whole sync --no-commit in a fresh process")  # fmt: skip
    for small, large in pairwise(rows):
        file, read, append = (large[i] / small[i] for i in (1, 2, 3))
        print(f"{small[0]} -> {large[0]} entries: file {file:.1f}x, read {read:.1f}x, "
              f"append {append:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
