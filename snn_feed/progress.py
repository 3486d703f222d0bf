"""Progress of long runs: a bar on a terminal, plain lines otherwise (cron, CI, log files)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

Progress = Callable[[str, int, int, int], None]
"""(label, done, total, found so far): what `backfill` and `import` report as they go."""


@contextmanager
def reporter(
    command: str = "backfill", unit: str = "months", found: str = "papers found"
) -> Iterator[Progress]:
    """`command`'s progress in `unit`s (`backfill`: months; `import`: titles)."""
    if not sys.stderr.isatty():

        def line(label: str, done: int, total: int, so_far: int) -> None:
            click.echo(f"{command}: {label} done ({done}/{total} {unit}, {so_far} {found})",
                       err=True)  # fmt: skip

        yield line
        return

    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
    from rich.progress import Progress as Bar

    with Bar(TextColumn(f"{command} {{task.description}}"), BarColumn(), MofNCompleteColumn(),
             TextColumn(f"{{task.fields[found]}} {found}"), transient=False) as bar:  # fmt: skip
        task = bar.add_task("", total=None, found=0)

        def update(label: str, done: int, total: int, so_far: int) -> None:
            bar.update(task, description=label, completed=done, total=total, found=so_far)

        yield update
