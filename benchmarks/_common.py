"""What the benchmark scripts share: the test suite's fake servers and papers on the import
path, a scratch folder, `snn-feed` run as a user runs it (a separate process, with its resource
usage), a log repository, and the aligned tables every script prints."""

from __future__ import annotations

import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fakes import FIXTURES, FakeArxiv, FakeEntry, write_config  # noqa: E402

if TYPE_CHECKING:
    from snn_feed.pipeline.context import Seams
    from snn_feed.records import Paper

SEED_LOG = FIXTURES / "seed-log" / "README.md"
ENV = {k: v for k, v in os.environ.items() if not k.startswith("SNN_FEED_")}
"""The caller's environment without snn-feed overrides, talking to 127.0.0.1 directly."""
ENV.update(NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
PER_MONTH = 2000
"""Papers a month in the synthetic corpus: a busy field's worst case."""


@contextmanager
def scratch() -> Iterator[Path]:
    """A temporary folder, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="snn-feed-bench-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Run:
    """One finished `snn-feed` process."""

    status: int
    seconds: float
    """Wall time, from start to exit."""
    cpu_seconds: float
    """User and system CPU of the process and of the children it waited for (git)."""
    peak_rss_mb: float
    stdout: str
    stderr: str


def run_process(argv: Sequence[str]) -> Run:
    """Run `argv` to its end, timed, with its rusage from `wait4`."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, env=ENV, stdout=out, stderr=err)
        _, wait_status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(wait_status)
        out.seek(0)
        err.seek(0)
        return Run(
            status=process.returncode,
            seconds=seconds,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            peak_rss_mb=usage.ru_maxrss / 1024,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


def snn_feed(*args: str, check: bool = True) -> Run:
    """`snn-feed ARGS` as a user runs it, in a fresh interpreter; exit statuses other than
    done (0) and partly done (3) stop the benchmark unless `check` is false."""
    run = run_process([sys.executable, "-m", "snn_feed", *args])
    if check and run.status not in (0, 3):
        raise SystemExit(f"snn-feed {' '.join(args)} exited {run.status}: {run.stderr[-2000:]}")
    return run


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def git_repository(folder: Path, text: str) -> Path:
    """A git repository in `folder` whose README.md holds `text`, committed; the log path."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "README.md"
    log.write_text(text, encoding="utf-8")
    identity = ["-c", "user.name=Owner", "-c", "user.email=owner@example.org"]
    for command in (["init", "--quiet"], ["add", "README.md"], ["commit", "--quiet", "-m", "log"]):
        subprocess.run(["git", *identity, *command], cwd=folder, check=True, capture_output=True)
    return log


@contextmanager
def seams_for(work: Path, log_path: Path) -> Iterator[Seams]:
    """snn-feed's own seams in this process, over a new database in `work`, writing
    `log_path` without git: to time one stage of a sync on its real code path."""
    from snn_feed.config import load_settings
    from snn_feed.pipeline.context import open_seams

    config = write_config(
        work / "config.toml", arxiv_url="http://127.0.0.1:9/unused", translator_url=None,
        log_path=log_path,
    )  # fmt: skip
    with open_seams(load_settings(str(config)), commit=False) as seams:
        yield seams


def existing_database(config: Path, style: str | None = None) -> None:
    """Create and migrate the database `config` names, as every day's sync but the first
    finds it (done here in-process: a `snn-feed db upgrade` would cost a process start); with
    `style`, the log's entry style settled too, as the first sync on a log records it (it
    reads every entry of the log once, never again)."""
    from snn_feed.config import load_settings
    from snn_feed.journal.paths import safe_log_path
    from snn_feed.store import open_store

    settings = load_settings(str(config))
    store = open_store(settings.database_url)
    if style is not None:
        store.log_styles.settle(str(safe_log_path(settings.log_path)), style, "detected")
    store.engine.dispose()


def parse_page(body: bytes) -> list[Paper]:
    """An Atom page as snn-feed reads it: our page parser, then our record."""
    from snn_feed.sources.api import to_paper
    from snn_feed.sources.atom import parse_page as parse_atom

    return [p for result in parse_atom(body).results if (p := to_paper(result)) is not None]


def corpus(size: int, start: datetime = datetime(2024, 1, 1, 12, tzinfo=UTC)) -> list[FakeEntry]:
    """`size` synthetic SNN papers, `PER_MONTH` a month from `start`'s month on."""
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


def page_limit(results: int, page_size: int) -> int:
    """The fewest requests that can fetch `results`: one, even for none."""
    return max(1, math.ceil(results / page_size))


def arxiv_pages(arxiv: FakeArxiv) -> list[tuple[str, str, str]]:
    """(query, start, max_results) of every request the fake arXiv received."""
    return [
        (r["params"].get("search_query", ""), r["params"].get("start", "0"),
         r["params"].get("max_results", ""))
        for r in arxiv.requests
    ]  # fmt: skip


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Right-aligned columns; floats with two decimals. Cells hold no spaces, so each row
    splits into its cells (the tests read them that way)."""

    def cell(value: object) -> str:
        return f"{value:.2f}" if isinstance(value, float) else str(value)

    cells = [list(header), *[[cell(v) for v in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = []
    for r in cells:
        padded = [
            c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        lines.append("  ".join(padded))
    return "\n".join(lines)
