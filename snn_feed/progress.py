"""Progress of long runs: a bar on a terminal, plain lines otherwise (cron, CI, log files)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from snn_feed.pipeline.backfill import Progress


@contextmanager
def reporter() -> Iterator[Progress]:
    if not sys.stderr.isatty():

        def line(label: str, done: int, total: int, found: int) -> None:
            click.echo(f"backfill: {label} done ({done}/{total} months, {found} papers found)",
                       err=True)  # fmt: skip

        yield line
        return

    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
    from rich.progress import Progress as Bar

    with Bar(TextColumn("backfill {task.description}"), BarColumn(), MofNCompleteColumn(),
             TextColumn("{task.fields[found]} papers"), transient=False) as bar:  # fmt: skip
        task = bar.add_task("", total=None, found=0)

        def update(label: str, done: int, total: int, found: int) -> None:
            bar.update(task, description=label, completed=done, total=total, found=found)

        yield update
