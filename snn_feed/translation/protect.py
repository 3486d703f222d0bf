"""Text a translator must not touch: LaTeX math, URLs, arXiv ids and code identifiers.

Before translation each such span becomes a numbered token (⟦0⟧, ⟦1⟧, ...) that engines pass
through; afterwards the tokens are put back. A translation that lost, invented or reordered a
token is not a translation of this text, and is refused. Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from snn_feed.errors import TranslationError
from snn_feed.ids import NEW_STYLE

_SPANS = re.compile(
    rf"""
      \$\$.+?\$\$                                  # display math
    | \$[^$\n]+?\$                                 # inline math
    | \\\(.+?\\\)                                  # \( ... \)
    | \\\[.+?\\\]                                  # \[ ... \]
    | (?:https?://|www\.)[\x21-\x7e]+?(?=[.,;:!?)\]]*(?:\s|$))   # URLs, without end punctuation
    | \barXiv:{NEW_STYLE}(?:v\d+)?\b                 # arXiv ids
    | (?<![\w.]){NEW_STYLE}(?:v\d+)?(?![\w.])        # bare new-style arXiv ids
    | \b[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+\(?\)?  # dotted names: torch.nn
    | \b[A-Za-z0-9]+_[A-Za-z0-9_]+\b               # snake_case
    | \b[a-z]+[A-Z][A-Za-z0-9]*\b                  # camelCase: snnTorch, spikingJelly
    """,
    re.VERBOSE | re.DOTALL,
)
_TOKEN = re.compile(r"⟦\s*(\d+)\s*⟧")


def protect(text: str) -> tuple[str, list[str]]:
    """`text` with protected spans replaced by tokens, and the spans in token order. A text
    that already contains token brackets is left as it is (its tokens would be ambiguous)."""
    if "⟦" in text or "⟧" in text:
        return text, []
    spans: list[str] = []

    def keep(match: re.Match[str]) -> str:
        spans.append(match.group(0))
        return f"⟦{len(spans) - 1}⟧"

    return _SPANS.sub(keep, text), spans


def restore(translated: str, spans: list[str], engine: str) -> str:
    """The translation with every token replaced by its span; TranslationError if a token is
    missing, repeated or unknown."""
    if not spans:
        return translated
    _check_tokens(_numbers(translated), list(range(len(spans))), engine)
    return _TOKEN.sub(lambda m: spans[int(m.group(1))], translated)


class Masked(NamedTuple):
    """One of several texts sent together (titles, one to a line), protected."""

    text: str
    spans: list[str]
    first: int
    """The number of its first token: numbers go on from the texts before it, so a token that
    came back on another text's line is seen there."""


def protect_lines(texts: Sequence[str]) -> list[Masked]:
    """Each text protected as `protect` does, its tokens numbered on from the previous text's."""
    masked: list[Masked] = []
    first = 0
    for text in texts:
        plain, spans = protect(text)
        if spans:
            plain = _renumbered(plain, first)
        masked.append(Masked(plain, spans, first))
        first += len(spans)
    return masked


def _renumbered(text: str, shift: int) -> str:
    return _TOKEN.sub(lambda m: f"⟦{int(m.group(1)) + shift}⟧", text)


def restore_line(translated: str, masked: Masked, engine: str) -> str:
    """One line of a batch's answer with its tokens replaced by its own spans; TranslationError
    if it lost, repeated or reordered its tokens or holds another line's."""
    _check_tokens(_numbers(translated), _numbers(masked.text), engine)
    if not masked.spans:  # a text with brackets of its own, left as it was
        return translated
    return _TOKEN.sub(lambda m: masked.spans[int(m.group(1)) - masked.first], translated)


def _numbers(text: str) -> list[int]:
    return [int(n) for n in _TOKEN.findall(text)]


def _check_tokens(seen: list[int], expected: list[int], engine: str) -> None:
    if sorted(seen) != sorted(expected):
        raise TranslationError(
            f"{engine}: bad answer: protected text (math, URLs, ids) was lost or altered",
            engine=engine,
        )
    if seen != expected:
        # Engines keep placeholders in order; one that moved them may have put a URL or a
        # formula against the wrong claim, so the answer is refused (the next engine tries).
        raise TranslationError(
            f"{engine}: bad answer: protected text (math, URLs, ids) came back out of order",
            engine=engine,
        )
