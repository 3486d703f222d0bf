"""Running one git command: in a process group of its own, ended whole at its deadline, and
written down while it runs.

A hook is a program of its own that git waits for, and it may start others; killing git alone
at the deadline would leave them running, holding the repository's lock files or a connection
to the remote. So each command gets a new session (its own process group) and the whole group
is ended. The record (`Child`, a small JSON file beside the cross-process lock) says which
group is ours while it runs: it is written and removed only by the holder of that lock, so a
record found by the next run is from a run that is gone (killed), and a process still in its
group is a leftover of ours, not a person's git.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

GRACE_SECONDS = 2.0
"""How long an ended group gets to exit after SIGTERM (git removes its lock files on it)
before SIGKILL."""


@dataclass(frozen=True)
class Child:
    """A git command of ours that is running, or was when its snn-feed was killed."""

    pgid: int
    """Its process group (the git process's own pid: it leads a new session)."""
    started: float
    """When it started (seconds since the epoch): lock files older than this are not its."""
    command: str
    """git's subcommand (`commit`, `push`, `rebase`...)."""
    ticks: int | None = None
    """The leader's start time in clock ticks since boot (Linux), to tell it from a new
    process that got the same pid after ours ended."""


class Deadline(Exception):
    """The command did not finish within its deadline; its group has been ended."""

    def __init__(self, child: Child) -> None:
        super().__init__(f"git {child.command}: deadline passed")
        self.child = child
        """The command that was ended."""


def run(
    args: list[str], *, cwd: Path, env: dict[str, str], timeout: float, record: Path | None
) -> subprocess.CompletedProcess[str]:
    """`git ARGS` with a deadline, recorded in `record` while it runs (`record` None: not
    recorded, for read-only commands run outside the lock, such as `status`'s)."""
    started = time.time()
    process = subprocess.Popen(
        ["git", *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, encoding="utf-8", errors="surrogateescape",
        start_new_session=True,
    )  # fmt: skip
    child = Child(process.pid, started, subcommand(args), _start_ticks(process.pid))
    if record is not None:
        _write(record, child)
    try:
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            end_group(child, process)
            _drain(process)
            raise Deadline(child) from None
        except BaseException:  # interrupted while waiting: git must not outlive us here either
            end_group(child, process)
            _drain(process)
            raise
    finally:
        if record is not None:
            record.unlink(missing_ok=True)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def subcommand(args: list[str]) -> str:
    """git's subcommand in `args` (after options such as `-c user.name=...`)."""
    rest = iter(args)
    for arg in rest:
        if arg == "-c":
            next(rest, None)
        elif not arg.startswith("-"):
            return arg
    return "git"


def end_group(child: Child, process: subprocess.Popen[str] | None = None) -> None:
    """SIGTERM to the whole group, then SIGKILL to whatever is left after the grace period.
    `process`: the leader, when it is our child (reaped here: a zombie would look alive)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(child.pgid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + GRACE_SECONDS
        while time.monotonic() < deadline:
            if process is not None:
                process.poll()
            if not alive(child):
                return
            time.sleep(0.02)


def alive(child: Child) -> bool:
    """Whether a process of the child's group is still running (a zombie is not)."""
    try:
        os.killpg(child.pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's group now: ours is gone
        return False
    proc = Path("/proc")
    if not proc.is_dir():
        return True  # no /proc to look closer: the group exists
    leader = _stat(proc / str(child.pgid) / "stat")
    if leader is not None and child.ticks is not None and int(leader[19]) != child.ticks:
        return False  # the pid was reused, which the kernel allows only once our group is gone
    for path in proc.glob("[0-9]*/stat"):
        fields = _stat(path)
        if fields is not None and int(fields[2]) == child.pgid and fields[0] != "Z":
            return True
    return False


def read_record(record: Path) -> Child | None:
    """The child recorded by a run that was killed while git ran, if any."""
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
        return Child(int(data["pgid"]), float(data["started"]), str(data["command"]),
                     None if data.get("ticks") is None else int(data["ticks"]))  # fmt: skip
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        # A record cut short by the kill itself: nothing in it to act on.
        return None


def _write(record: Path, child: Child) -> None:
    record.parent.mkdir(parents=True, exist_ok=True)
    temp = record.with_name(record.name + ".tmp")
    temp.write_text(json.dumps(asdict(child)), encoding="utf-8")
    os.replace(temp, record)


def _drain(process: subprocess.Popen[str]) -> None:
    """Collect the ended process; a pipe kept open by a process that left the group (a hook
    that daemonized) must not hold us past the grace period."""
    try:
        process.communicate(timeout=GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
        process.wait(timeout=GRACE_SECONDS)


def _stat(path: Path) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None."""
    try:
        text = path.read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def _start_ticks(pid: int) -> int | None:
    fields = _stat(Path("/proc") / str(pid) / "stat")
    return int(fields[19]) if fields is not None else None
