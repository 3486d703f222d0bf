"""Overhead beyond politeness (figure 2): the wall time of `snn-feed sync` for a day of papers
against a local fake arXiv, with `[arxiv] delay_seconds` at its default (3 s), minus the waits
arXiv's rules impose; and the CPU each paper costs.

    python benchmarks/overhead.py                        # 30 papers; CPU measured on 1,000
    python benchmarks/overhead.py --papers 5 --delay 0.2 --cpu-papers 50

Each sync is a fresh process, as from cron: start-up, database check, fetch, store, write,
git commit, on a database that already exists. The log is a copy of the original hand-made
log, in a git repository. Translation is off (backend "none"), or a fake engine that answers
at once with its rate limit lifted: the engine's own latency and rate are figure 3's subject.

Mandated wait: (requests - 1) x delay_seconds, since the client waits that long between the
end of one page and the start of the next. The rest is snn-feed's own overhead.
"""

from __future__ import annotations

import argparse
import math
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from _common import (
    SEED_LOG,
    existing_database,
    git_repository,
    median,
    parse_page,
    scratch,
    seams_for,
    snn_feed,
    table,
)
from fakes import FakeArxiv, FakeTranslator, atom_feed, running, snn_entries, write_config

from snn_feed.config import LogSettings
from snn_feed.pipeline import relevance, writing
from snn_feed.pipeline.guard import LogGuard
from snn_feed.records import SyncSummary

TARGET_SECONDS = 1.0
TIMES = ["run", "papers", "page-size", "requests", "mandated-s", "wall-s", "overhead-s", "cpu-s",
         "target-s", "ratio"]  # fmt: skip


def sync_once(
    papers: int, page_size: int, delay: float, *, translate: bool = False, whole_batch: bool = False
) -> tuple[int, float, float]:
    """(arXiv requests, wall seconds, CPU seconds) of one sync in a fresh process.

    The sync's own window (the last 5 days) holds a day's papers; `whole_batch` reaches back
    to the oldest of a larger batch."""
    entries = snn_entries(papers, datetime.now(UTC))
    with scratch() as work, running(FakeArxiv(entries)) as arxiv, running(FakeTranslator()) as zh:
        config = write_config(
            work / "config.toml", arxiv_url=arxiv.url,
            translator_url=zh.base + "/m" if translate else None,
            log_path=git_repository(work / "log", SEED_LOG.read_text(encoding="utf-8")),
            arxiv__page_size=page_size, arxiv__delay_seconds=delay,
        )  # fmt: skip
        existing_database(config)
        # `--since` names a day in the log's time zone, the zone the sync reads it in.
        oldest = min(e.published for e in entries).astimezone(ZoneInfo(LogSettings().timezone))
        since = ["--since", oldest.date().isoformat()]
        run = snn_feed("sync", "--config", str(config), *(since if whole_batch else []))
        if f"written {papers}," not in run.stdout:
            raise SystemExit(f"expected {papers} papers written: {run.stdout}{run.stderr}")
        return len(arxiv.requests), run.seconds, run.cpu_seconds


def overhead_row(
    name: str, papers: int, page_size: int, delay: float, repeat: int, translate: bool = False
) -> list[object]:
    """The median of `repeat` syncs: other work on the machine only ever adds time."""
    runs = [sync_once(papers, page_size, delay, translate=translate) for _ in range(repeat)]
    requests = runs[0][0]
    wall, cpu = median([r[1] for r in runs]), median([r[2] for r in runs])
    mandated = (requests - 1) * delay
    overhead = wall - mandated
    return [name, papers, page_size, requests, mandated, wall, overhead, cpu, TARGET_SECONDS,
            overhead / TARGET_SECONDS]  # fmt: skip


def stage_cpu(papers: int) -> dict[str, float]:
    """CPU seconds of each stage over `papers` papers, in this process: the functions a sync
    calls, on an Atom page as arXiv sends it."""
    entries = snn_entries(papers, datetime.now(UTC))
    body = atom_feed(entries, len(entries), 0, len(entries))
    spent: dict[str, float] = {}
    summary = SyncSummary()
    with scratch() as work:
        log = git_repository(work / "log", SEED_LOG.read_text(encoding="utf-8"))
        with seams_for(work, log) as seams:
            feed, size = seams.settings.feed, seams.settings.arxiv.page_size
            clock = time.process_time()
            parsed = parse_page(body)
            spent["parse"], clock = time.process_time() - clock, time.process_time()
            scored = [
                (p, relevance.score(p, feed.keywords, feed.exclude),
                 relevance.code_url(p.abstract, p.comment))
                for p in parsed
            ]  # fmt: skip
            spent["score"], clock = time.process_time() - clock, time.process_time()
            for start in range(0, len(scored), size):  # one transaction per page, as in a sync
                seams.store.papers.add(scored[start : start + size])
            spent["store"], clock = time.process_time() - clock, time.process_time()
            seams.translating().run()  # backend "none": the bookkeeping only
            spent["translate-none"], clock = time.process_time() - clock, time.process_time()
            guard = LogGuard(seams.store, seams.git, seams.log_path)
            summary.written = writing.write(seams.store, seams.log_path, seams.settings.log,
                                            guard, seams.today())  # fmt: skip
            spent["render-write"] = time.process_time() - clock
    if summary.written != papers:
        raise SystemExit(f"expected {papers} papers written, got {summary.written}")
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=30, help="matching papers in the day")
    parser.add_argument("--delay", type=float, default=3.0, help="[arxiv] delay_seconds")
    parser.add_argument("--cpu-papers", type=int, default=1000,
                        help="papers for the CPU-per-paper runs (at most 3,276)")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3, help="syncs per row (median)")
    args = parser.parse_args()
    n, delay, repeat = args.papers, args.delay, args.repeat
    rows = [
        overhead_row("day", n, 200, delay, repeat),
        overhead_row("day-3-pages", n, math.ceil(n / 3), delay, repeat),
        overhead_row("day-translated", n, 200, delay, repeat, translate=True),
    ]
    print(table(TIMES, rows))
    print(f"median of {repeat}; overhead = wall - (requests - 1) x {delay:g} s; "
          "ratio = overhead / target; cpu-s: the process's and git's CPU")  # fmt: skip
    print()

    # CPU per paper: the difference between a small and a large sync removes start-up.
    _, _, cpu_small = sync_once(n, 200, 0.0, whole_batch=True)
    _, _, cpu_large = sync_once(args.cpu_papers, 200, 0.0, whole_batch=True)
    stages = stage_cpu(args.cpu_papers)
    per_paper = [[stage, 1000 * seconds / args.cpu_papers] for stage, seconds in stages.items()]
    per_paper.append(["stages-total", 1000 * sum(stages.values()) / args.cpu_papers])
    marginal = (cpu_large - cpu_small) / (args.cpu_papers - n)
    per_paper.append(["whole-sync", 1000 * marginal])
    print(table(["cpu", "ms-per-paper"], per_paper))
    print(f"stages: in-process over {args.cpu_papers} papers; whole-sync: CPU of a "
          f"{args.cpu_papers}-paper sync minus a {n}-paper sync (fresh processes, git "
          "included), per extra paper")  # fmt: skip


if __name__ == "__main__":
    main()
