"""Keeping a long log readable: old months move, byte for byte, into `archive/YYYY.md`.

GitHub stops rendering a README past a size limit, and a log of years is hard to read. With
`[log] keep_months = N` the newest N dated sections stay in the log; older ones move into one
file per year beside it (newest first, as in the log), and the log ends with a short index of
archived years between two marker comments. Pure functions; `restore` undoes `archive`
exactly.
"""

from __future__ import annotations

from snn_feed.ids import DATED_HEADING, LINE
from snn_feed.journal.logfile import newline_of

INDEX_START = "<!-- snn-feed archive index -->"
INDEX_END = "<!-- /snn-feed archive index -->"


def split_index(text: str) -> tuple[str, str]:
    """(log without the archive index, the index block); the block is "" when there is none."""
    start = text.find(INDEX_START)
    if start < 0:
        return text, ""
    end = text.find(INDEX_END, start)
    if end < 0:
        return text, ""
    end += len(INDEX_END)
    nl = newline_of(text)
    if text.startswith(nl, end):
        end += len(nl)
    return text[:start] + text[end:], text[start:end]


def archive(
    text: str, keep_months: int, archives: dict[int, str]
) -> tuple[str, dict[int, str], list[int]]:
    """Move dated sections after the newest `keep_months` into per-year archives.

    Returns the new log, the new archive texts by year, and the years that changed. Each
    archive file holds its months newest first; moved bytes are not altered.
    """
    body, _ = split_index(text)
    lines = LINE.findall(body)
    dated = [
        (i, int(m.group(1))) for i, line in enumerate(lines) if (m := DATED_HEADING.match(line))
    ]
    if len(dated) <= keep_months:
        return text, archives, []
    cut = dated[keep_months][0]
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    moved: dict[int, str] = {}
    for n, (i, year) in enumerate(dated[keep_months:], start=keep_months):
        end = dated[n + 1][0] if n + 1 < len(dated) else len(lines)
        moved[year] = moved.get(year, "") + body[offsets[i] : offsets[end]]
    updated = dict(archives)
    for year, chunk in moved.items():
        updated[year] = chunk + updated.get(year, "")  # moved months are newer than archived ones
    head = body[: offsets[cut]]
    return (
        head + index_block(sorted(updated, reverse=True), newline_of(text)),
        updated,
        sorted(moved),
    )


def index_block(years: list[int], nl: str = "\n") -> str:
    links = "".join(f"- [{year}](archive/{year}.md){nl}" for year in years)
    return f"{INDEX_START}{nl}## Archive{nl}{nl}{links}{INDEX_END}{nl}"


def restore(text: str, archives: dict[int, str]) -> str:
    """The log with every archived month back in place and no index: `archive`'s inverse."""
    body, _ = split_index(text)
    return body + "".join(archives[year] for year in sorted(archives, reverse=True))
