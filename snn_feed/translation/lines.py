"""Many short texts (titles) in one request: packed one to a line within an engine's size
limit, and the answer read back line by line. Pure functions; the engine decides what to do
with an answer whose lines do not match (`Engine.translate_lines`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

MAX_LINES = 50
"""Lines in one request at most: DeepL takes 50 texts to a request, and a model asked for 50
lines keeps count where it may not for 500. A day's titles still go in one or two."""

_NUMBERED = re.compile(r"^\s*(\d+)\s*[.)、:：]\s*")


def pack(lengths: Sequence[int], limit: int, most: int = MAX_LINES) -> list[list[int]]:
    """Indices of consecutive texts, grouped so that each group joined by newlines is at most
    `limit` characters and `most` texts. A text longer than `limit` is a group of its own
    (the engine sends it alone, in pieces)."""
    groups: list[list[int]] = []
    current: list[int] = []
    size = 0
    for index, length in enumerate(lengths):
        grown = size + (1 if current else 0) + length
        if current and (grown > limit or len(current) >= most):
            groups.append(current)
            current, grown = [], length
        current.append(index)
        size = grown
    if current:
        groups.append(current)
    return groups


def answer_lines(answer: str, sent: Sequence[str]) -> list[str]:
    """The lines of an answer to `sent` (texts joined by newlines), blank lines dropped. A
    model that numbered every line 1, 2, 3... has the numbers taken off, unless the texts sent
    were numbered so themselves. The caller compares the count with what it sent."""
    lines = [line.strip() for line in answer.splitlines() if line.strip()]
    if len(lines) > 1 and _numbered(lines) and not _numbered(sent):
        lines = [_NUMBERED.sub("", line, count=1) for line in lines]
    return lines


def numbered(lines: Sequence[str]) -> str:
    """`lines` numbered 1, 2, 3... one to a line: what a model is sent, so that its answer
    can be checked line by line (`numbered_answer`)."""
    return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))


def numbered_answer(answer: str, count: int) -> list[str]:
    """The lines of a model's answer to `count` numbered lines, numbers taken off; empty (so
    every text is asked for alone) unless it is exactly lines 1 to `count`, in order. A model
    may add a preamble, drop a line or reorder them: a count alone would then pair a
    translation with the wrong title."""
    lines = [line.strip() for line in answer.splitlines() if line.strip()]
    if len(lines) != count or not _numbered(lines):
        return []
    return [_NUMBERED.sub("", line, count=1) for line in lines]


def _numbered(lines: Sequence[str]) -> bool:
    numbers = [_NUMBERED.match(line) for line in lines]
    return all(m is not None and int(m.group(1)) == i for i, m in enumerate(numbers, 1))
