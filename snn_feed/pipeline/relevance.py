"""Which papers belong in the log, how relevant they are, and where their code lives.

Pure functions over text: the arXiv query, the local keyword filter (arXiv's search is fuzzy,
so every result is checked again here), the 1-5 score (with its venue and watched-author
bonuses) and the code repository link.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property, lru_cache

from snn_feed.pipeline.authors import same_person
from snn_feed.pipeline.venues import Venue, venue_of
from snn_feed.records import Paper


def _phrase(keyword: str) -> str:
    return f'"{keyword}"' if re.search(r"[\s\-]", keyword) else keyword


def build_query(
    keywords: Sequence[str],
    exclude: Sequence[str],
    categories: Sequence[str],
    since: datetime,
    until: datetime,
) -> str:
    """One combined arXiv query: any keyword in title or abstract, within a submission window.

    One query for all keywords keeps a day to one or two requests (arXiv allows one every
    3 seconds); `submittedDate` bounds it so paging never walks the whole archive.
    """
    terms = " OR ".join(f"ti:{_phrase(k)} OR abs:{_phrase(k)}" for k in keywords)
    query = f"({terms})"
    if categories:
        query += " AND (" + " OR ".join(f"cat:{c}" for c in categories) + ")"
    query += f" AND submittedDate:[{_stamp(since)} TO {_stamp(until)}]"
    if exclude:
        negative = " OR ".join(f"ti:{_phrase(k)} OR abs:{_phrase(k)}" for k in exclude)
        query += f" ANDNOT ({negative})"
    return query


MAX_QUERY_BYTES = 6000
"""The longest `search_query` sent, URL-encoded: arXiv answers a longer request line with HTTP
414, and its servers' usual limit is 8 KiB for the whole line."""


@dataclass(frozen=True)
class Want:
    """What one topic asks arXiv for."""

    keywords: Sequence[str]
    exclude: Sequence[str] = ()
    categories: Sequence[str] = ()


def build_queries(
    wants: Sequence[Want], since: datetime, until: datetime, limit: int = MAX_QUERY_BYTES
) -> list[str]:
    """As few queries as `limit` allows for every topic in `wants` over one window: their
    keywords OR-ed together (each once), packed in order into queries of at most `limit`
    bytes URL-encoded. A query is narrowed to categories only when every topic in it has
    some (then to their union), and excludes only what every topic in it excludes: each
    result is matched again against each topic, so a wider query loses nothing."""
    from urllib.parse import quote_plus

    chunks: list[list[tuple[str, Want]]] = []
    seen: set[str] = set()
    for want in wants:
        for keyword in want.keywords:
            folded = keyword.casefold()
            if folded in seen:
                continue
            seen.add(folded)
            candidate = [*(chunks[-1] if chunks else []), (keyword, want)]
            query = _query_of(candidate, since, until)
            if chunks and len(quote_plus(query)) <= limit:
                chunks[-1] = candidate
            else:
                chunks.append([(keyword, want)])
    return [_query_of(chunk, since, until) for chunk in chunks]


def _query_of(chunk: Sequence[tuple[str, Want]], since: datetime, until: datetime) -> str:
    owners = list({id(w): w for _, w in chunk}.values())
    categories: list[str] = []
    if all(w.categories for w in owners):
        categories = list(dict.fromkeys(c for w in owners for c in w.categories))
    common = [k for k in owners[0].exclude if all(k in w.exclude for w in owners[1:])]
    return build_query([k for k, _ in chunk], common, categories, since, until)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M")


@lru_cache(maxsize=256)
def _pattern(keyword: str) -> re.Pattern[str]:
    # Spaces and hyphens are interchangeable ("integrate-and-fire" / "integrate and fire"),
    # and a plural "s" is accepted, but a keyword never matches inside a longer word.
    parts = [re.escape(p) for p in re.split(r"[\s\-]+", keyword.strip()) if p]
    body = r"[\s\-]+".join(parts)
    return re.compile(rf"(?<![\w-]){body}(?:e?s)?(?![\w])", re.IGNORECASE)


def _concept(keyword: str) -> str:
    words = re.split(r"[\s\-]+", keyword.strip().lower())
    words[-1] = re.sub(r"e?s$", "", words[-1])
    return " ".join(words)


def same_keyword(a: str, b: str) -> bool:
    """Whether two keywords are one for matching (case, hyphens, a plural "s")."""
    return _concept(a) == _concept(b)


def distinct(keywords: Sequence[str]) -> list[str]:
    """Keywords with singular/plural and hyphen variants folded together (first one kept):
    the query lists "SNN" and "SNNs" for arXiv's sake, but they are one hit here."""
    seen: dict[str, str] = {}
    for keyword in keywords:
        seen.setdefault(_concept(keyword), keyword)
    return list(seen.values())


def keyword_hits(text: str, keywords: Sequence[str]) -> dict[str, int]:
    """How often each keyword occurs in `text` (keywords that do not occur are left out)."""
    hits = {}
    for keyword in distinct(keywords):
        count = len(_pattern(keyword).findall(text))
        if count:
            hits[keyword] = count
    return hits


@dataclass(frozen=True)
class Weights:
    """The score's weights (`[score]` in the config); the defaults give the 1-5 rule below."""

    found: float = 1.0
    """Points for any keyword in the title or abstract, times the weightiest keyword found."""
    title: float = 2.0
    """Points for a keyword in the title, times the weightiest keyword in the title."""
    variety: float = 1.0
    """Points for two or more different keywords (title and abstract together)."""
    repeated: float = 1.0
    """Points for keywords occurring three or more times in the abstract."""
    keywords: Mapping[str, float] = field(default_factory=dict)
    """Weight per keyword (matched like the keyword itself); 1.0 for the others."""
    categories: Mapping[str, float] = field(default_factory=dict)
    """Bonus (or, negative, penalty) points per arXiv category; a paper gets its largest
    bonus and its largest penalty."""
    venues: Mapping[str, float] = field(default_factory=dict)
    """Bonus (or, negative, penalty) points per venue, by its canonical name in any case
    ("neurips" is NeurIPS); a workshop held with the venue gets none."""
    authors: Mapping[str, float] = field(default_factory=dict)
    """Bonus points per watched author (matched by `authors.same_person`); a paper gets the
    largest of its watched authors' bonuses, not their sum."""

    def of(self, keyword: str) -> float:
        return self._by_concept.get(_concept(keyword), 1.0)

    def venue_bonus(self, venue: Venue | None) -> float:
        """The points `venue` adds: its bonus, 0 at a workshop or with no venue."""
        if venue is None or venue.workshop:
            return 0.0
        return self._by_venue.get(venue.name.casefold(), 0.0)

    def author_bonus(self, authors: Sequence[str]) -> float:
        """The largest bonus of a watched author among `authors` (0 with none): a paper of
        two watched authors is not twice as relevant."""
        return max(
            (bonus for name, bonus in self.authors.items()
             if any(same_person(name, a) for a in authors)),
            default=0.0,
        )  # fmt: skip

    @cached_property
    def _by_concept(self) -> dict[str, float]:
        return {_concept(k): w for k, w in self.keywords.items()}

    @cached_property
    def _by_venue(self) -> dict[str, float]:
        return {name.casefold(): bonus for name, bonus in self.venues.items()}


DEFAULT_WEIGHTS = Weights()


def score(
    paper: Paper,
    keywords: Sequence[str],
    exclude: Sequence[str] = (),
    weights: Weights = DEFAULT_WEIGHTS,
) -> int:
    """Relevance from 0 (not for the log) to 5; docs/score.md documents the formula.

    0 when no keyword is in the title or abstract, or an excluded phrase is in either.
    Otherwise the points below, rounded and kept within 1..5 (with the default weights:
    1 for a keyword in the abstract, +2 in the title, +1 for two different keywords, +1 for
    three or more mentions in the abstract):

        found x w(weightiest keyword found) + title x w(weightiest keyword in the title)
        + variety (2+ different keywords) + repeated (3+ mentions in the abstract)
        + the largest category bonus + the largest category penalty
        + the venue's bonus (from the comment or journal reference; not for a workshop)
        + the largest bonus among the paper's watched authors
    """
    text = f"{paper.title}\n{paper.abstract}"
    if exclude and keyword_hits(text, exclude):
        return 0
    in_title = keyword_hits(paper.title, keywords)
    in_abstract = keyword_hits(paper.abstract, keywords)
    if not in_title and not in_abstract:
        return 0
    points = weights.found * max(weights.of(k) for k in {**in_abstract, **in_title})
    if in_title:
        points += weights.title * max(weights.of(k) for k in in_title)
    if len(set(in_title) | set(in_abstract)) >= 2:
        points += weights.variety
    if sum(in_abstract.values()) >= 3:
        points += weights.repeated
    bonuses = [weights.categories.get(c, 0.0) for c in paper.categories]
    points += max([0.0, *bonuses]) + min([0.0, *bonuses])  # the best bonus, the worst penalty
    if weights.venues:  # reading the comment costs more than the rest of the score
        points += weights.venue_bonus(venue_of(paper.comment, paper.journal_ref))
    if weights.authors:
        points += weights.author_bonus(paper.authors)
    # Half up, not to even: 2.5 points is a 3, as a reader would round it (rounded to 9
    # places first, so that 2.4999999999999996 from adding decimals counts as 2.5).
    return max(1, min(5, math.floor(round(points, 9) + 0.5)))


# GitHub's owner names (alphanumerics and inner hyphens, at most 39) are the strictest of the
# three hosts; GitLab and Codeberg also allow "_" and "." in them.
_OWNER = r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,38})"
_NAME = r"[A-Za-z0-9_.-]{1,100}"
_REPO = re.compile(
    rf"https?://(?:www\.)?(github\.com|gitlab\.com|codeberg\.org)/({_OWNER})/({_NAME})",
    re.IGNORECASE,
)
_REPO_ONLY = re.compile(rf"{_REPO.pattern}(?:/[A-Za-z0-9_.~/-]*)?", re.IGNORECASE)
"""A whole value that is a repository URL, perhaps of a path inside it, and nothing else."""


def _clean(match: re.Match[str]) -> str | None:
    host, owner = match.group(1).lower(), match.group(2)
    repo = re.sub(r"\.git$", "", match.group(3).rstrip("."))
    if not repo or repo in {".", ".."} or owner.endswith("."):
        return None
    return f"https://{host}/{owner}/{repo}"


def code_url(*texts: str | None) -> str | None:
    """The first GitHub, GitLab or Codeberg repository named in the abstract or comment, as
    a clean URL.

    Only host, owner and repository are kept, from a strict character set, so the URL can be
    put in a Markdown link destination without escaping.
    """
    for text in texts:
        if not text:
            continue
        for match in _REPO.finditer(text):
            if url := _clean(match):
                return url
    return None


def repository_url(value: str) -> str | None:
    """`value` as a clean repository URL (the rules of `code_url`) when the whole of it is a
    GitHub, GitLab or Codeberg repository URL (a path inside the repository is dropped), else
    None: for a field that should hold one URL, where anything more is suspect."""
    match = _REPO_ONLY.fullmatch(value.strip())
    return _clean(match) if match else None
