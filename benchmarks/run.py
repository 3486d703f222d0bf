"""Every benchmark figure, one after the other, each printing its table.

    python benchmarks/run.py            # the sizes the figures are defined for (about 2 min)
    python benchmarks/run.py --quick    # tiny sizes: a check that everything still runs

1 arXiv requests per sync, 2 overhead beyond politeness and CPU per paper, 3 translation
throughput, 4 log growth, 5 backfill at scale, 6 start-up (issue 7), 7 the learned ranking
(issue 20), 8 requests to the engines (issue 21). Each is also a script of its own in this
folder, with options for other sizes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

FIGURES: list[tuple[str, str, list[str], list[str]]] = [
    # (title, script, full-size arguments, --quick arguments)
    ("1. arXiv requests per sync", "arxiv_requests.py", [],
     ["--day", "5", "--month", "120", "--page-sizes", "50"]),
    ("2. Overhead beyond politeness, CPU per paper", "overhead.py", [],
     ["--papers", "6", "--delay", "0.2", "--cpu-papers", "12", "--repeat", "1"]),
    ("3. Translation throughput", "translate.py", [],
     ["--count", "12", "--concurrency", "4", "--latency", "0.05"]),
    ("4. Log growth", "loggrowth.py", [], ["--sizes", "100,2000", "--repeat", "1"]),
    ("5. Backfill at scale", "backfill.py", [], ["--sizes", "200,1000"]),
    ("6. Start-up", "startup.py", [], ["--runs", "2"]),
    ("7. Learned ranking", "ranking.py", [], ["--quick"]),
    ("8. Requests to the engines", "engine_batches.py", [],
     ["--count", "8", "--latency", "0.05"]),
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, in seconds")
    parser.add_argument("--only", default="", help="comma-separated figure numbers, e.g. 1,6")
    args = parser.parse_args()
    chosen = {int(n) for n in args.only.split(",") if n}
    failed = []
    for number, (title, script, full, quick) in enumerate(FIGURES, 1):
        if chosen and number not in chosen:
            continue
        print(f"## {title} ({script})\n", flush=True)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(HERE / script), *(quick if args.quick else full)]
        )
        print(f"\n({time.perf_counter() - started:.0f} s)\n", flush=True)
        if done.returncode:
            failed.append(script)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
