"""Text a translator must not touch: LaTeX math, URLs, arXiv ids and code identifiers.

Before translation each such span becomes a numbered token (⟦0⟧, ⟦1⟧, ...) that engines pass
through; afterwards the tokens are put back. A translation that lost, invented or reordered a
token is not a translation of this text, and is refused. Pure functions.
"""

from __future__ import annotations

import re

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
    seen = [int(n) for n in _TOKEN.findall(translated)]
    if sorted(seen) != list(range(len(spans))):
        raise TranslationError(
            f"{engine}: bad answer: protected text (math, URLs, ids) was lost or altered",
            engine=engine,
        )
    if seen != sorted(seen):
        # Engines keep placeholders in order; one that moved them may have put a URL or a
        # formula against the wrong claim, so the answer is refused (the next engine tries).
        raise TranslationError(
            f"{engine}: bad answer: protected text (math, URLs, ids) came back out of order",
            engine=engine,
        )
    return _TOKEN.sub(lambda m: spans[int(m.group(1))], translated)
