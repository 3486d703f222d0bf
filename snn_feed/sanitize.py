"""Text from outside (arXiv, its feed, a translator) made safe to store and to show.

Bidirectional controls (U+202A-U+202E, U+2066-U+2069, and the marks U+200E, U+200F, U+061C)
reorder what a reader sees, so a title can show one thing and hold another; zero-width
characters (U+200B-U+200D, U+2060, U+FEFF, U+180E) hide inside words and defeat matching
titles and terms. Neither belongs in a paper's metadata or its translation: they are removed
before anything is stored or written. Pure functions.
"""

from __future__ import annotations

import re

DECEPTIVE = re.compile(
    "[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b-\u200d\u2060\ufeff\u180e]"
)
"""Characters that change what a reader sees without being seen themselves."""


def scrub(text: str) -> str:
    """`text` without bidirectional controls and zero-width characters."""
    return DECEPTIVE.sub("", text)


def scrub_optional(text: str | None) -> str | None:
    return None if text is None else scrub(text)
