"""Where a paper was accepted or published, from its arXiv comment and journal reference.

Pure: text in, a `Venue` from the table in `snn_feed/data/venues.toml` out (docs/venues.md
lists it and gives the rules). A tag should mean accepted or published, so a venue the text
only says the paper was submitted to, or is under review at, is not one. Only the first
`MAX_CHARS` characters of each text are read, with regular expressions that never backtrack
over more than a clause, so hostile text of any length costs little.
"""

from __future__ import annotations

import bisect
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

MAX_CHARS = 4000
"""Characters of a comment or journal reference read: arXiv's are a line or two."""

NOTES = ("best student paper", "best paper", "outstanding paper", "oral", "spotlight",
         "highlight", "poster")  # fmt: skip
"""The distinctions a tag can carry, the more specific first ("best student paper" is also a
"best paper")."""


@dataclass(frozen=True)
class VenueInfo:
    """One venue of the table."""

    name: str
    """The canonical short name: what a tag shows, and the key of `[score.venues]`."""
    kind: str
    """"conference" or "journal"."""
    field: str
    """The field it serves ("ml", "vision", "circuits"...), for the docs."""
    names: tuple[str, ...]
    """Short forms, matched with their case; the canonical name is the first."""
    titles: tuple[str, ...]
    """Full names, matched in any case (with their case for a `cue` venue)."""
    cue: bool
    """Also an ordinary phrase ("Neural Networks", "Nature", "DAC"): a venue only after a word
    of acceptance, before a year, or at the start of a journal reference."""


@dataclass(frozen=True)
class Venue:
    """Where the paper was accepted or published, as its comment or journal reference says."""

    name: str
    """The canonical short name from the table, e.g. "NeurIPS", "IEEE TNNLS"."""
    year: int | None
    """The year written next to the venue (2025 for "NeurIPS 2025" or "NeurIPS'25")."""
    note: str | None
    """A distinction when the text gives one: one of `NOTES`, or "workshop" for a paper at a
    workshop held with the venue."""

    def label(self) -> str:
        """What an entry shows: "NeurIPS 2025", "CVPR 2026 (highlight)", "IEEE TNNLS"."""
        text = f"{self.name} {self.year}" if self.year else self.name
        return f"{text} ({self.note})" if self.note else text

    @property
    def workshop(self) -> bool:
        """At a workshop of the venue, not in its main track: no `[score.venues]` bonus."""
        return self.note == "workshop"


@cache
def table() -> tuple[VenueInfo, ...]:
    """The venues of `snn_feed/data/venues.toml`, in its order."""
    data = tomllib.loads(files("snn_feed").joinpath("data/venues.toml").read_text("utf-8"))
    venues = []
    for item in data["venue"]:
        names = [item["name"], *(n for n in item.get("names", []) if n != item["name"])]
        venues.append(
            VenueInfo(
                name=item["name"],
                kind=item["kind"],
                field=item["field"],
                names=tuple(names),
                titles=tuple(item.get("titles", [])),
                cue=bool(item.get("cue", False)),
            )
        )
    return tuple(venues)


def names() -> list[str]:
    """Every canonical venue name, in the table's order."""
    return [v.name for v in table()]


def canonical(name: str) -> str | None:
    """The table's spelling of the venue `name` (in any case), or None when it is not one."""
    return {v.name.casefold(): v.name for v in table()}.get(name.strip().casefold())


# A title's publisher is often left out or written differently ("IEEE/CVF Conference on..."),
# so titles are stored without it and matched with or without one.
_PUBLISHER = re.compile(r"^(?:IEEE/ACM|IEEE/CVF|IEEE|ACM)\s+")
_OPTIONAL_PUBLISHER = r"(?:(?:IEEE/ACM|IEEE/CVF|IEEE|ACM)\s+)?"


def _title_pattern(title: str) -> str:
    words = re.split(r"[\s-]+", _PUBLISHER.sub("", title).strip())
    return _OPTIONAL_PUBLISHER + r"[\s-]+".join(re.escape(w) for w in words)


def _fold(text: str) -> str:
    return re.sub(r"[\s-]+", " ", _PUBLISHER.sub("", text)).casefold()


@dataclass(frozen=True)
class _Matcher:
    pattern: re.Pattern[str]
    exact: dict[str, VenueInfo]
    """A short form, or a `cue` venue's title, as written -> its venue."""
    folded: dict[str, VenueInfo]
    """A title without its publisher, folded -> its venue."""

    def venue(self, text: str) -> VenueInfo:
        exact = self.exact.get(text) or self.exact.get(_PUBLISHER.sub("", text))
        return exact or self.folded[_fold(text)]


@cache
def _matcher() -> _Matcher:
    exact: dict[str, VenueInfo] = {}
    folded: dict[str, VenueInfo] = {}
    alternatives: list[tuple[int, str]] = []
    for venue in table():
        for name in venue.names:
            exact[name] = venue
            alternatives.append((len(name), re.escape(name)))
        for title in venue.titles if not venue.cue else ():
            folded[_fold(title)] = venue
            alternatives.append((len(title), f"(?i:{_title_pattern(title)})"))
        for title in venue.titles if venue.cue else ():
            exact[_PUBLISHER.sub("", title)] = venue
            alternatives.append((len(title), _title_pattern(title)))
    # Longest first: at one place the longer name wins ("Nature Communications" over "Nature",
    # "ICMLA"'s title over "ICML"'s). Never inside a word, but "ICASSP2023" is ICASSP.
    body = "|".join(a for _, a in sorted(alternatives, key=lambda a: -a[0]))
    return _Matcher(re.compile(rf"(?<!\w)(?:{body})(?![^\W\d])"), exact, folded)


_REJECTING = r"submitted|submission|submitting|under\s+review|in\s+review|for\s+review|" \
    r"under\s+consideration|under\s+revision|major\s+revision|minor\s+revision|rejected|" \
    r"withdrawn|extended\s+version|extension\s+of|extends\s+our|invited\s+to\s+submit"  # fmt: skip
_ACCEPTING = r"accepted|to\s+appear|appears?\s+in|appeared|published|presented|in\s+press|" \
    r"camera[\s-]ready|proceedings"  # fmt: skip
_CUE = re.compile(rf"(?<!\w)(?:(?P<no>{_REJECTING})|(?P<yes>{_ACCEPTING}))(?!\w)", re.IGNORECASE)
"""The nearest of these before a venue, in its clause, says whether it is one: "accepted at
ICASSP 2023, extended version submitted to TASLP" is ICASSP."""
# A clause ends at a semicolon, a line break or the end of a sentence; a period after a usual
# abbreviation ("Proc. NeurIPS", "Trans. Neural Netw.") ends none.
_ABBREVIATIONS = "".join(rf"(?<!\b{a})" for a in ("Proc", "Trans", "Int", "Intl", "Conf", "Symp",
                                                   "Adv", "vol", "no", "pp"))  # fmt: skip
_BREAK = re.compile(rf"[;\n|]|{_ABBREVIATIONS}[.!?](?=\s+[A-Z])")
_YEAR = r"(?:19[5-9]\d|20\d\d)"
_YEAR_AFTER = re.compile(rf"[\s,(-]{{0,3}}({_YEAR})(?!\d)|\s?['’-](\d\d)(?![\d%\w])")
# "our NeurIPS 2025 submission", "ICLR 2026 (under review)": a rejection just after the venue.
_REJECTED_AFTER = re.compile(
    r"[\s\d'’(,-]{0,12}(?:submission|submitted|under\s+review|in\s+review)(?!\w)", re.IGNORECASE
)
_YEAR_BEFORE = re.compile(rf"({_YEAR})(?:\s+(?:IEEE/CVF|IEEE/ACM|IEEE|ACM))?[\s,]{{1,3}}$")
_ANY_YEAR = re.compile(rf"(?<![\d\-–:])({_YEAR})(?![\d\-–])")
_NOTE = re.compile(r"(?<!\w)(" + "|".join(NOTES) + r"|workshop)s?(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class _Text:
    """One text, with where its clauses break and where its cues are."""

    text: str
    breaks: list[int]
    cues: list[tuple[int, bool]]
    """(end of the cue, whether it accepts), in order."""

    @classmethod
    def of(cls, text: str) -> _Text:
        breaks = [m.end() for m in _BREAK.finditer(text)]
        cues = [(m.end(), m.group("yes") is not None) for m in _CUE.finditer(text)]
        return cls(text, breaks, cues)

    def clause(self, start: int, end: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.breaks, start)
        j = bisect.bisect_left(self.breaks, end)
        return (self.breaks[i - 1] if i else 0), (
            self.breaks[j] if j < len(self.breaks) else len(self.text)
        )

    def cue(self, start: int, clause_start: int) -> bool | None:
        """What the nearest cue before `start` in its clause says (None: there is none)."""
        i = bisect.bisect_right(self.cues, (start, True))
        if i and self.cues[i - 1][0] >= clause_start:
            return self.cues[i - 1][1]
        return None


def _year_after(text: _Text, end: int) -> int | None:
    """The year written just after a venue: "NeurIPS 2025", "ICML2024", "NeurIPS'25"."""
    after = _YEAR_AFTER.match(text.text, end, min(end + 8, len(text.text)))
    if after is None:
        return None
    return int(after.group(1)) if after.group(1) else 2000 + int(after.group(2))


def _year(text: _Text, start: int, end: int, clause_end: int, citation: bool) -> int | None:
    if year := _year_after(text, end):
        return year
    before = _YEAR_BEFORE.search(text.text, max(0, start - 24), start)
    if before:
        return int(before.group(1))
    # "Conference on Neural Information Processing Systems (NeurIPS 2025)"; a journal
    # reference is one citation, whose year is often after its volume: "15, 1234 (2024)".
    rest = _ANY_YEAR.search(text.text, end, len(text.text) if citation else clause_end)
    if rest and (citation or rest.start() - end <= 40):
        return int(rest.group(1))
    return None


def _note(text: str) -> str | None:
    found = {m.group(1).lower() for m in _NOTE.finditer(text)}
    if "workshop" in found:
        return "workshop"
    return next((n for n in NOTES if n in found), None)


def _find(raw: str | None, citation: bool) -> Venue | None:
    if not raw:
        return None
    text = _Text.of(raw[:MAX_CHARS])
    matcher = _matcher()
    for match in matcher.pattern.finditer(text.text):
        start, end = match.span()
        clause_start, clause_end = text.clause(start, end)
        cue = text.cue(start, clause_start)
        if cue is False:
            continue
        if _REJECTED_AFTER.match(text.text, end, clause_end):
            continue
        venue = matcher.venue(match.group())
        if venue.cue and not (cue or (citation and start == 0) or _year_after(text, end)):
            continue  # "spiking Neural Networks", "a 4-bit DAC": not venues
        year = _year(text, start, end, clause_end, citation)
        return Venue(venue.name, year, _note(text.text[clause_start:clause_end]))
    return None


def venue_of(comment: str | None, journal_ref: str | None) -> Venue | None:
    """The venue the paper was accepted at or published in, or None when neither text names
    one of the table (or names it only as submitted to, or under review).

    The journal reference wins: it is where the paper was published; the comment is read when
    it names no venue of the table.
    """
    return _find(journal_ref and journal_ref.strip(), True) or _find(comment, False)
