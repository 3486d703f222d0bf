"""`snn-feed` in a forked child of the test process: a process of its own (to be killed, or to
race others) without a new interpreter importing snn-feed first (about 1.5 s a process)."""

from __future__ import annotations

import multiprocessing
import os
import sys
from multiprocessing.process import BaseProcess
from pathlib import Path

from snn_feed.cli import main  # imported here, once, before any fork


def run_cli(
    argv: list[str], out: Path | None = None, env: dict[str, str] | None = None, cwd: str = ""
) -> None:
    """The child's work: `snn-feed ARGV` as a process runs it, its exit status the child's;
    its output in `out`.stdout and `out`.stderr, or discarded. (pytest's capture has replaced
    sys.stdout and sys.stderr, so they are pointed at files, not the descriptors.)"""
    if out is None:
        sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    else:
        sys.stdout = open(out.with_suffix(".stdout"), "w", encoding="utf-8")  # noqa: SIM115
        sys.stderr = open(out.with_suffix(".stderr"), "w", encoding="utf-8")  # noqa: SIM115
    if env is not None:  # the test's environment, not the fork server's (see `start`)
        os.environ.clear()
        os.environ.update(env)
    if cwd:
        os.chdir(cwd)
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    sys.argv = ["snn-feed", *argv]
    main()


def start(argv: list[str], out: Path | None = None) -> BaseProcess:
    """A forked child running `snn-feed ARGV` (see `run_cli`), started."""
    # Forked from a fork server, a single-threaded process that has imported snn-feed, not
    # from this test process: its servers' threads (and a test's leftover delivery threads)
    # may hold a lock at the instant of a fork, and the child then hangs on it (seen now and
    # then in CI's clock passes). The test's environment and folder go with each child.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["snn_feed.cli", "forks"])
    child = context.Process(target=run_cli, args=(argv, out, dict(os.environ), os.getcwd()))
    child.start()
    return child


def output(out: Path) -> tuple[str, str]:
    """What a child started with `out` printed, once it has ended: (stdout, stderr)."""
    return (
        out.with_suffix(".stdout").read_text(encoding="utf-8"),
        out.with_suffix(".stderr").read_text(encoding="utf-8"),
    )
