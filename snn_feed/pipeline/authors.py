"""Watched authors (`[score.authors]`): whether an author of a paper is someone the reader
follows, however arXiv spelled the name.

Pure functions over names. Two names are one person when their surnames are equal once
accents, case, hyphens and spaces are folded away, and their given names agree as far as both
go, where an initial agrees with any name it starts ("K. Roy" is Kaushik Roy, and Kamal Roy:
an initial is all the name says). "Last, First" is read as "First Last"; otherwise the surname
is the last word, as arXiv writes names ("Guoqi Li", not "Li Guoqi"). docs/venues.md gives
the rules with examples.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

# Letters NFKD leaves whole, as an English spelling of the name writes them.
_LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae",
                          "œ": "oe", "ı": "i", "ħ": "h"})  # fmt: skip
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
MAX_CHARS = 300
"""Characters of a name read: an author's name is a few words."""


class _Name(NamedTuple):
    given: tuple[str, ...]
    """Given names and initials, folded, in order ("j", "antonio")."""
    surname: str
    """Folded, without spaces or hyphens ("perezcarrasco")."""


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.translate(_LETTERS)


def _words(part: str) -> list[str]:
    """Words of a name, folded; an apostrophe joins ("O'Neil" is "oneil")."""
    return [w for w in re.split(r"[^\w']+|_", _fold(part)) if w.strip("'")]


@lru_cache(maxsize=4096)
def _readings(name: str) -> tuple[_Name, ...]:
    """The ways of reading `name` as given names and a surname: its last word as the
    surname, and, when it has three words or more, its last two ("José Pérez Carrasco" may be
    Pérez-Carrasco written without the hyphen)."""
    name = name[:MAX_CHARS]
    if name.count(",") == 1:
        last, first = name.split(",")
        if _words(first) and not set(_words(first)) <= _SUFFIXES:
            name = f"{first} {last}"
    # A hyphen inside the surname folds away; between given names it separates them
    # ("Jean-Pierre" and "J.-P." are two given names, "Pérez-Carrasco" one surname).
    spaced = [w for w in re.split(r"\s+|(?<=\.)", name) if _words(w)]
    while len(spaced) > 1 and "".join(_words(spaced[-1])).strip("'") in _SUFFIXES:
        spaced.pop()
    if not spaced:
        return ()
    given = [w.replace("'", "") for part in spaced[:-1] for w in _words(part)]
    surname = "".join(_words(spaced[-1])).replace("'", "")
    readings = [_Name(tuple(given), surname)]
    if len(spaced) >= 3:
        *rest, tail = given
        readings.append(_Name(tuple(rest), tail + surname))
    return tuple(readings)


def _given_agree(a: Sequence[str], b: Sequence[str]) -> bool:
    if "".join(a) == "".join(b):  # "Guo-Qi" and "Guoqi"
        return True
    return all(x == y or _initial_of(x, y) or _initial_of(y, x) for x, y in zip(a, b, strict=False))


def _initial_of(initial: str, name: str) -> bool:
    return len(initial) == 1 and name.startswith(initial)


def same_person(watched: str, author: str) -> bool:
    """Whether `author`, as arXiv wrote it, may be the watched name.

    A watched surname alone ("Maass") matches every author of that surname; a watched name
    with given names needs an author with some.
    """
    for w in _readings(watched):
        for a in _readings(author):
            if w.surname != a.surname:
                continue
            if not w.given or (a.given and _given_agree(w.given, a.given)):
                return True
    return False


def watched_authors(authors: Sequence[str], watch: Iterable[str]) -> list[str]:
    """The paper's authors (as arXiv wrote them, in the paper's order) who match any watched
    name."""
    watched = list(watch)
    return [a for a in authors if any(same_person(w, a) for w in watched)]
