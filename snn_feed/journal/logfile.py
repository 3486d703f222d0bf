"""The Markdown log as a file: which papers it already holds, where new entries go, and an
atomic write. Only insertion is ever done: existing bytes are never changed or moved
relative to each other.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from snn_feed.errors import LogFileError
from snn_feed.ids import DATED_HEADING, LINE, MONTH_HEADING
from snn_feed.journal.render import month_heading

_BOUNDARY = re.compile(r"^(?:#{1,2}(?:[ \t]|\r?\n|\r|$)|<!-- snn-feed archive index -->)")


def newline_of(text: str) -> str:
    """The file's own line ending, so inserted lines match it."""
    return "\r\n" if "\r\n" in text[:4096] else "\n"


def insert_entries(
    text: str,
    year: int,
    month: int,
    entries: Sequence[str],
    intro: str = "",
    *,
    padded: bool = True,
) -> str:
    """`text` with `entries` added at the end of the `## YYYY.MM` section (`## 2020.9` and
    `## 2020.09` are both September's).

    Without that section a new one goes among the dated sections in date order (so the
    current month goes above the newest, below the intro), or at the end when the log has
    none; its heading is zero-padded or not as `padded` says (`logparse.pads_months`). An
    empty `text` starts from `intro`.
    """
    if not entries:
        return text
    nl = newline_of(text) if text else "\n"
    if not text:
        text = intro.replace("\n", nl)
    body = (nl + nl).join(entries) + nl

    # The month's section is read line by line from the top and no further than its end: the
    # current month is the log's first, and the rest of a long log is never split into lines.
    lines = ((m.start(), m.group()) for m in LINE.finditer(text))
    for start, line in lines:
        heading = MONTH_HEADING.match(line.rstrip("\r\n"))
        if heading and (int(heading.group(1)), int(heading.group(2))) == (year, month):
            last = (start, line)  # the section's last line that is not blank
            for at, after in lines:
                if _BOUNDARY.match(after):
                    break
                if after.strip():
                    last = (at, after)
            offset = last[0] + len(last[1])
            lead = nl if last[1].endswith(("\n", "\r")) else nl + nl
            return text[:offset] + lead + body + text[offset:]

    section = month_heading(year, month, padded) + nl + nl + body + nl
    lines_of = LINE.findall(text)  # a new month: once a month, every line
    # Months are newest first: the new one goes above the first older dated section ("2020.7~8"
    # counts as July 2020), else below the last dated section, else at the end.
    dated = [
        (i, (int(m.group(1)), int(m.group(2))))
        for i, line in enumerate(lines_of)
        if (m := DATED_HEADING.match(line))
    ]
    older = next((i for i, key in dated if key < (year, month)), None)
    if older is None and dated:
        final = dated[-1][0]
        older = next(
            (i for i in range(final + 1, len(lines_of)) if _BOUNDARY.match(lines_of[i])), None
        )
    if older is not None:
        offset = sum(len(line) for line in lines_of[:older])
        return text[:offset] + section + text[offset:]
    if not text:
        return section
    lead = "" if text.endswith(nl + nl) else (nl if text.endswith(nl) else nl + nl)
    return text + lead + section


def read_log(path: Path) -> str:
    """The log's text, with any undecodable bytes kept as they are for the round trip."""
    try:
        return path.read_bytes().decode("utf-8", errors="surrogateescape")
    except FileNotFoundError:
        return ""
    except OSError as err:
        raise LogFileError(f"cannot read the log {path}: {err.strerror}") from err


def _mode_for(path: Path) -> int:
    """Keep an existing file's permissions; a new file gets the usual 0666 minus umask."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


_TMP = ".tmp"


def remove_stale_temps(path: Path) -> None:
    """Remove what a process killed inside `write_atomic(path)` left: its temp file. Only
    under the lock every writer of `path` holds, where no other write can be under way."""
    if path.parent.is_dir():
        for tmp in path.parent.glob(f".{glob.escape(path.name)}.*{_TMP}"):
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def write_atomic(path: Path, text: str | bytes, *, what: str = "the log") -> None:
    """Replace `path` with `text` all at once: a crash leaves the old file or the new one.

    `what` names the file in the error (the same write serves the log and the feed).
    """
    data = text if isinstance(text, bytes) else text.encode("utf-8", errors="surrogateescape")
    folder = path.parent
    tmp_name = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=_TMP, dir=folder)
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, _mode_for(path))
        os.replace(tmp_name, path)
        tmp_name = None
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as err:
        raise LogFileError(
            f"cannot write {what} {path}: {err.strerror or err}; the old file is unchanged"
        ) from err
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
