"""Which papers, and where they come from: `[feed]`, `[score]`, `[arxiv]`, `[rss]`, `[links]`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from snn_feed.config.base import HttpUrl, PositiveFloat, _Section

if TYPE_CHECKING:
    from snn_feed.pipeline import relevance

DEFAULT_KEYWORDS = [
    "spiking neural network",
    "spiking neural networks",
    "spiking neuron",
    "spiking neurons",
    "spiking neural P system",
    "spiking transformer",
    "SNN",
    "SNNs",
    "neuromorphic",
    "spike-timing-dependent plasticity",
    "STDP",
    "leaky integrate-and-fire",
    "surrogate gradient",
    "event camera",
    "event-based camera",
    "dynamic vision sensor",
    "liquid state machine",
]


class FeedSettings(_Section):
    """What to look for on arXiv, and which of the papers found are kept."""

    keywords: list[str] = Field(
        default_factory=lambda: list(DEFAULT_KEYWORDS),
        min_length=1,
        description="Phrases searched in arXiv titles and abstracts, in one combined query. "
        "Every result is checked again locally: whole words, case-insensitively, with hyphens "
        "and spaces interchangeable and a plural accepted.",
    )
    exclude: list[str] = Field(
        default_factory=list,
        description="Negative phrases: a paper whose title or abstract has one is skipped.",
        examples=[["spiking neural P system"]],
    )
    categories: list[str] = Field(
        default_factory=list,
        description="Only papers in these arXiv categories; empty means all.",
        examples=[["cs.NE", "cs.LG", "cs.CV", "q-bio.NC"]],
    )
    min_score: int = Field(
        default=1,
        ge=1,
        le=5,
        description="Papers scoring below this (see `[score]`) are stored, and counted by "
        "`snn-feed status --month`, but never translated or logged.",
    )

    @field_validator("keywords", "exclude", "categories")
    @classmethod
    def _no_blank(cls, value: list[str]) -> list[str]:
        return phrases(value)


def phrases(value: list[str]) -> list[str]:
    """Keywords, exclusions or categories: trimmed, none empty, none with a double quote (each
    goes into the arXiv query as a quoted phrase)."""
    cleaned = [v.strip() for v in value]
    if any(not v for v in cleaned):
        raise ValueError("entries must not be empty")
    if any('"' in v for v in cleaned):
        raise ValueError("entries must not contain double quotes")
    return cleaned


class ScoreSettings(_Section):
    """The weights of the `[1]`-`[5]` score in each entry: how central the keywords are to the
    paper. Its points, rounded half up and kept within 1..5, are:

        found    x w(the weightiest keyword found anywhere)
      + title    x w(the weightiest keyword in the title)     (if one is there)
      + variety                                             (2+ different keywords)
      + repeated                                            (3+ mentions in the abstract)
      + the largest category bonus + the largest category penalty among its categories
      + the bonus of its venue                   (accepted or published there, not a workshop)
      + the largest bonus among its watched authors

    where w(k) is the weight of keyword k in `[score.keywords]` (1.0 when not listed). A change
    applies to papers found from then on: entries already in the log keep their score.
    """

    found: float = Field(
        default=1.0, ge=0, le=10, description="Points for a keyword in the title or abstract."
    )
    title: float = Field(
        default=2.0, ge=0, le=10, description="Points added for a keyword in the title."
    )
    variety: float = Field(
        default=1.0,
        ge=0,
        le=10,
        description="Points added when two or more different keywords appear (title and "
        "abstract together).",
    )
    repeated: float = Field(
        default=1.0,
        ge=0,
        le=10,
        description="Points added when keywords occur three or more times in the abstract.",
    )
    keywords: dict[str, float] = Field(
        default_factory=dict,
        description="Weight, from 0 to 10, per keyword of `[feed] keywords` (the others weigh "
        "1.0); a weight for a phrase that is not one of them is a config error.",
        examples=[{"event camera": 0.5}],
    )
    categories: dict[str, float] = Field(
        default_factory=dict,
        description="Bonus points, from -5 to 5, per arXiv category; negative for a penalty. A "
        "paper gets its largest bonus and its largest penalty.",
        examples=[{"cs.NE": 1.0, "cs.CV": -1.0}],
    )

    venues: dict[str, float] = Field(
        default_factory=dict,
        description="Bonus points, from -5 to 5, per venue a paper's arXiv comment or journal "
        "reference says it was accepted at or published in (not one it was only submitted to, "
        "nor a workshop held with it). Keys are the venue names of "
        "docs/venue-list.md, in any case; another name is a config error.",
        examples=[{"NeurIPS": 1.0, "IEEE TNNLS": 0.5, "ISSCC": 1.0}],
    )
    authors: dict[str, float] = Field(
        default_factory=dict,
        description="Bonus points, from 0 to 5, per watched author, matched on every author "
        'of a paper with accents, case, hyphens, initials and "Last, First" tolerated ("K. '
        'Roy" is also Kamal Roy; surnames must be equal). A paper gets the largest bonus '
        "among its watched authors, not their sum.",
        examples=[{"Kaushik Roy": 1.0, "Wolfgang Maass": 1.0}],
    )

    learn: bool = Field(
        default=False,
        description="Learn from the log what this reader keeps: a TF-IDF text classifier "
        "(scikit-learn, `pip install 'snn-feed[learn]'`) trained on each sync on the log's "
        "entries (kept) and the papers found that it never kept, its verdict blended into the "
        "1-5 score by `learn_weight`; `status --month` shows the terms that weigh most. Off, "
        "or with too little to learn from, the score is the keywords' alone.",
    )
    learn_weight: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="How much of the score the learned ranking makes, from 0 (none) to 1 "
        "(all); the learned part is 1 + 4 x the classifier's probability that the reader "
        "keeps the paper.",
    )

    @field_validator("learn")
    @classmethod
    def _learnable(cls, value: bool) -> bool:
        """Said at once, not on the day the log first has enough to learn from."""
        import importlib.util

        if value and importlib.util.find_spec("sklearn") is None:
            raise ValueError("needs scikit-learn: pip install 'snn-feed[learn]'")
        return value

    @field_validator("keywords")
    @classmethod
    def _weights(cls, value: dict[str, float]) -> dict[str, float]:
        if any(not 0 <= w <= 10 for w in value.values()):  # also refuses nan
            raise ValueError("keyword weights must be between 0 and 10")
        return value

    @field_validator("categories")
    @classmethod
    def _bonuses(cls, value: dict[str, float]) -> dict[str, float]:
        if any(not -5 <= w <= 5 for w in value.values()):
            raise ValueError("category bonuses must be between -5 and 5")
        return value

    @field_validator("venues")
    @classmethod
    def _venues(cls, value: dict[str, float]) -> dict[str, float]:
        if any(not -5 <= w <= 5 for w in value.values()):
            raise ValueError("venue bonuses must be between -5 and 5")
        if not value:
            return value
        import difflib

        from snn_feed.pipeline import venues

        known: dict[str, float] = {}
        for name, bonus in value.items():
            spelled = venues.canonical(name)
            if spelled is None:
                folded = {n.casefold(): n for n in venues.names()}
                near = difflib.get_close_matches(name.casefold(), folded, n=1, cutoff=0.6)
                hint = f"did you mean {folded[near[0]]}? " if near else ""
                raise ValueError(f"{name!r} is not a venue of the table ({hint}docs/venue-list.md)")
            if spelled in known:
                raise ValueError(f"{spelled} is given twice")
            known[spelled] = bonus
        return known  # the table's spelling: "neurips" is NeurIPS

    @field_validator("authors")
    @classmethod
    def _authors(cls, value: dict[str, float]) -> dict[str, float]:
        if any(not 0 <= w <= 5 for w in value.values()):
            raise ValueError("author bonuses must be between 0 and 5")
        if any(not any(c.isalpha() for c in name) for name in value):
            raise ValueError("an author's name needs letters")
        return value

    def weights(self) -> relevance.Weights:
        from snn_feed.pipeline.relevance import Weights

        return Weights(**self.model_dump(exclude={"learn", "learn_weight"}))


REQUEST_DEADLINE = (
    "Deadline of each request: connecting and reading the whole answer (a server that trickles "
    "its answer is given up at it, and retried as a timeout)."
)


class ArxivSettings(_Section):
    """arXiv's search API, asked politely: one query for all keywords, restricted to a window
    of submission dates, over one connection, with bounded retries."""

    api_url: HttpUrl = Field(
        default="https://export.arxiv.org/api/query",
        description="arXiv's export API; override for a mirror or a test server. The "
        "announcement feed is still read from `[rss] url` (arXiv's own unless set there) while "
        '`[sync] source` is `"both"` or `"rss"`.',
    )
    page_size: int = Field(
        default=200, ge=1, le=2000, description="Results per request (arXiv serves at most 2000)."
    )
    backfill_page_size: int = Field(
        default=1000,
        ge=1,
        le=2000,
        description="Results per request in `snn-feed backfill`, whose months hold hundreds to "
        "thousands of papers: fewer, larger pages (arXiv serves 1000 reliably; 2000 is its "
        "limit and slow).",
    )
    delay_seconds: float = Field(
        default=3.0,
        ge=0,
        description="Pause between requests: arXiv asks for one request every 3 seconds.",
    )
    timeout_seconds: PositiveFloat = Field(default=30.0, description=REQUEST_DEADLINE)
    retries: int = Field(
        default=3,
        ge=0,
        le=10,
        description="Retries of one page after a timeout, a refused connection, HTTP 5xx or "
        "429, or a page that comes back empty or cut short.",
    )
    backoff_seconds: float = Field(
        default=5.0,
        ge=0,
        description="First wait before a retry; it doubles each retry (an HTTP Retry-After "
        "wins when longer).",
    )
    lookback_days: int = Field(
        default=5,
        ge=0,
        le=60,
        description="The window starts this many days before the end of the last successful "
        "sync: arXiv indexes some papers late, and the overlap costs nothing since papers are "
        "stored once.",
    )


class RssSettings(_Section):
    """arXiv's daily announcement feeds: a paper is seen on the evening it is announced, often
    before the search API has indexed it. One conditional request for all categories (an
    unchanged feed costs a 304); each item is then checked against `[feed] keywords` like any
    other paper."""

    url: HttpUrl = Field(
        default="https://rss.arxiv.org",
        description="arXiv's announcement feeds; override for a test server.",
    )
    categories: list[str] = Field(
        default_factory=lambda: [
            "cs.NE", "cs.LG", "cs.CV", "cs.AI", "cs.ET", "cs.AR", "cs.RO",
            "eess.SP", "eess.IV", "q-bio.NC",
        ],
        description="Categories whose daily announcements are read; their items are also "
        "checked against `[feed] categories`, when set.",
    )  # fmt: skip
    timeout_seconds: PositiveFloat = Field(default=30.0, description=REQUEST_DEADLINE)
    retries: int = Field(
        default=3,
        ge=0,
        le=10,
        description="Retries of the request after a timeout, a refused connection or HTTP "
        "5xx or 429.",
    )
    backoff_seconds: float = Field(
        default=5.0, ge=0, description="First wait before a retry; it doubles each retry."
    )

    @field_validator("categories")
    @classmethod
    def _some(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("needs at least one category (or use sync --source api)")
        return value


class LinksSettings(_Section):
    """Code links: a GitHub, GitLab or Codeberg repository named in the abstract or the arXiv
    comment is always linked. Optionally, Hugging Face is asked about the others."""

    huggingface: bool = Field(
        default=False,
        description="Ask the Hugging Face Papers API for the repository of papers whose "
        "abstract and arXiv comment name none (once per paper, just before it is written; an "
        "entry is never rewritten when a link is found later).",
    )
    url: HttpUrl = Field(
        default="https://huggingface.co",
        description="Hugging Face's address; override for a mirror or a test server.",
    )
    timeout_seconds: PositiveFloat = Field(
        default=5.0,
        description="Deadline of one lookup request (one retry after a timeout or HTTP 5xx).",
    )
    budget_seconds: PositiveFloat = Field(
        default=20.0,
        description="The most one sync spends on lookups in all; papers not reached, or every "
        "paper after a failure or a 429, are written without a link.",
    )
