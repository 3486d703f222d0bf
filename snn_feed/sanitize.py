"""Text from outside (arXiv, its feed, a translator) made safe to store and to show.

Bidirectional controls (U+202A-U+202E, U+2066-U+2069, and the marks U+200E, U+200F, U+061C)
reorder what a reader sees, so a title can show one thing and hold another; zero-width
characters (U+200B-U+200D, U+2060, U+FEFF, U+180E) hide inside words and defeat matching
titles and terms. Neither belongs in a paper's metadata or its translation: they are removed
before anything is stored or written. NUL is removed too: PostgreSQL cannot store it in text
(SQLite can), so a NUL a translator answered with would fail every later write of the paper on
one backend only. Pure functions.
"""

from __future__ import annotations

import re

DECEPTIVE = re.compile(
    "[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b-\u200d\u2060\ufeff\u180e]"
)
"""Characters that change what a reader sees without being seen themselves."""


UNSTORABLE = "\x00"
"""What a database cannot store in text: NUL (PostgreSQL refuses it)."""


def storable(text: str) -> str:
    """`text` without the characters a database cannot store, otherwise as it is: for text
    kept as written (a log's entries, an error message)."""
    return text.replace(UNSTORABLE, "")


def scrub(text: str) -> str:
    """`text` without bidirectional controls, zero-width characters and NUL."""
    return DECEPTIVE.sub("", storable(text))


def scrub_optional(text: str | None) -> str | None:
    return None if text is None else scrub(text)
