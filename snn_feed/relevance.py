"""Which papers belong in the log, how relevant they are, and where their code lives.

Pure functions over text: the arXiv query, the local keyword filter (arXiv's search is fuzzy,
so every result is checked again here), the 1-5 score and the GitHub link.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache

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


def score(paper: Paper, keywords: Sequence[str], exclude: Sequence[str] = ()) -> int:
    """Relevance from 0 (not for the log) to 5; the README documents the rule.

    - 0: no keyword in the title or abstract, or an excluded phrase in either;
    - 1: a keyword in the abstract;
    - +2: a keyword in the title;
    - +1: two or more different keywords in title and abstract together;
    - +1: keywords occur three or more times in the abstract.
    """
    text = f"{paper.title}\n{paper.abstract}"
    if exclude and keyword_hits(text, exclude):
        return 0
    in_title = keyword_hits(paper.title, keywords)
    in_abstract = keyword_hits(paper.abstract, keywords)
    if not in_title and not in_abstract:
        return 0
    points = 1
    if in_title:
        points += 2
    if len(set(in_title) | set(in_abstract)) >= 2:
        points += 1
    if sum(in_abstract.values()) >= 3:
        points += 1
    return min(points, 5)


_GITHUB = re.compile(
    r"https?://(?:www\.)?github\.com/([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/([A-Za-z0-9_.-]{1,100})",
    re.IGNORECASE,
)


def code_url(*texts: str | None) -> str | None:
    """The first GitHub repository named in the abstract or comment, as a clean URL.

    Only owner and repository are kept, from a strict character set, so the URL can be put
    in a Markdown link destination without escaping.
    """
    for text in texts:
        if not text:
            continue
        match = _GITHUB.search(text)
        if match:
            owner, repo = match.group(1), match.group(2).rstrip(".")
            repo = re.sub(r"\.git$", "", repo)
            if repo and repo not in {".", ".."}:
                return f"https://github.com/{owner}/{repo}"
    return None
