"""One TOML file, every key overridable from the environment, validated on load.

The file is found via `--config PATH`, then `$SNN_FEED_CONFIG`, then `./config.toml`; without
any, the built-in defaults apply (everything under `./data/`). Relative paths in it are resolved
against its folder (or the working folder when there is none), so a cron job started from
`$HOME` finds the same files as you do.

Every key can be overridden by an environment variable `SNN_FEED_<SECTION>__<KEY>`, e.g.
`SNN_FEED_ARXIV__PAGE_SIZE=500` or `SNN_FEED_FEED__CATEGORIES='["cs.NE"]'`. Values are read as
TOML literals when they parse as one, so `["a", "b"]`, `3.5` and `true` work; text keys such as
`api_key` are taken as written.

An unknown key, a wrong type or a bad value stops the program with one line naming the key and
where it came from (the file or the variable), and exit status 2.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from snn_feed.errors import ConfigError
from snn_feed.translation import glossary as _glossary

if TYPE_CHECKING:
    from snn_feed.pipeline import relevance

ENV_PREFIX = "SNN_FEED_"
ENV_CONFIG = "SNN_FEED_CONFIG"

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

PositiveFloat = Annotated[float, Field(gt=0)]


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown time zone {value!r}") from err
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


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

    def weights(self) -> relevance.Weights:
        from snn_feed.pipeline.relevance import Weights

        return Weights(**self.model_dump())


def http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return value


class ArxivSettings(_Section):
    """arXiv's search API, asked politely: one query for all keywords, restricted to a window
    of submission dates, over one connection, with bounded retries."""

    api_url: str = Field(
        default="https://export.arxiv.org/api/query",
        description="arXiv's export API; override for a mirror or a test server.",
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
    timeout_seconds: PositiveFloat = Field(
        default=30.0, description="Timeout of each request (connect and read)."
    )
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

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return http_url(value)


class RssSettings(_Section):
    """arXiv's daily announcement feeds: a paper is seen on the evening it is announced, often
    before the search API has indexed it. One conditional request for all categories (an
    unchanged feed costs a 304); each item is then checked against `[feed] keywords` like any
    other paper."""

    url: str = Field(
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
    timeout_seconds: PositiveFloat = Field(
        default=30.0, description="Timeout of each request (connect and read)."
    )
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

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return http_url(value)

    @field_validator("categories")
    @classmethod
    def _some(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("needs at least one category (or use sync --source api)")
        return value


class DatabaseSettings(_Section):
    """Where papers, their translations and every run are stored; the schema is migrated on
    every start."""

    url: str = Field(
        default="sqlite:///data/snn-feed.sqlite3",
        description="Any SQLAlchemy URL; a relative SQLite path is relative to the config "
        "file's folder.",
    )


class TranslateSettings(_Section):
    """The translation of each new abstract into Chinese (the title stays in English). A paper
    is not written to the log until it is translated. Changing `glossary` or `corrections`
    changes the glossary version, under which translations are cached."""

    backend: Literal["google", "libre", "mymemory", "deepl", "openai", "baidu", "none"] = Field(
        default="google",
        description="The translation engine: `google`, `libre` or `mymemory` (through "
        "deep-translator), `deepl`, `openai` or `baidu` (snn-feed's own clients), or `none`, "
        "which writes papers without a Chinese abstract.",
    )
    url: str | None = Field(
        default=None,
        description="Base-URL override of the engine (a self-hosted LibreTranslate, a proxy, "
        "a test server); unset: the engine's own.",
        examples=["http://localhost:5000/"],
    )
    api_key: str | None = Field(
        default=None,
        repr=False,
        description="The engine's API key; better set in the environment "
        "(`SNN_FEED_TRANSLATE__API_KEY`) than here. Never logged.",
        examples=["..."],
    )
    target: str = Field(default="zh-CN", description="Target language.")
    timeout_seconds: PositiveFloat = Field(
        default=30.0, description="Deadline of one translation request."
    )
    retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Retries of one failed translation request before the paper is left "
        "pending (a rejected key, HTTP 401 or 403, is not retried).",
    )
    email: str | None = Field(
        default=None,
        description="MyMemory: an e-mail address raises its free daily quota.",
        examples=["you@example.org"],
    )
    engines: list[Literal["google", "libre", "mymemory", "deepl", "openai", "baidu"]] = Field(
        default_factory=list,
        description="A fallback chain, tried in order (overrides `backend`); the engine that "
        "made each translation is recorded.",
        examples=[["google", "mymemory"]],
    )
    urls: dict[str, str] = Field(
        default_factory=dict,
        description="Base-URL overrides per engine of the chain.",
        examples=[{"libre": "http://localhost:5000/"}],
    )
    api_keys: dict[str, str] = Field(
        default_factory=dict,
        repr=False,
        description="API keys per engine of the chain (better in the environment); `baidu` "
        "takes `APPID:SECRET`; `api_key` is the default.",
        examples=[{"deepl": "..."}],
    )
    model: str = Field(
        default="gpt-4o-mini",
        description="`openai`: the chat model of any OpenAI-compatible server (hosted, Ollama, "
        "vLLM); its prompt carries the glossary.",
    )
    concurrency: int = Field(
        default=4,
        ge=1,
        le=64,
        description="Translations in flight at once (sized for free engines; raise it for a "
        "paid API).",
    )
    rate_per_second: float = Field(
        default=5.0, gt=0, description="Most requests per second sent to any one engine."
    )
    cooldown_minutes: float = Field(
        default=60.0,
        ge=0,
        description='An engine answering 429 or "quota used up" is skipped for this long '
        "(kept in the database, so cron runs honour it too).",
    )
    glossary: dict[str, str] = Field(
        default_factory=lambda: dict(_glossary.GLOSSARY),
        description="The terminology table, English term to the canonical Chinese term; "
        "engines that take a prompt (`openai`) are told to use it.",
    )
    corrections: dict[str, str] = Field(
        default_factory=lambda: dict(_glossary.MISTRANSLATIONS),
        description="Mistranslations rewritten to the canonical term in every translation.",
    )


class LogSettings(_Section):
    """The Markdown log that entries are appended to."""

    path: str = Field(
        default="data/SNN_arxiv_daily/README.md",
        description="The log; created, with its own git repository, when it does not exist. To "
        "continue an existing log, point this at the README of its repository, which must "
        "already be a git repository (or set `[git] commit = false`).",
    )
    timezone: str = Field(
        default="America/New_York",
        description="Time zone of the day a paper is logged, which decides its `## YYYY.MM` "
        "month section.",
    )
    intro: str = Field(
        default="# SNN arXiv daily\n\n"
        "Spiking neural network papers from arXiv, with Chinese abstracts.\n",
        description="Text of a newly created log, above the first month.",
    )
    style: Literal["hover", "details"] = Field(
        default="hover",
        description="`hover`: the Chinese abstract is the link's title, as in the original log; "
        "`details`: it follows the entry in a collapsible block, readable on mobile and in "
        "review diffs.",
    )
    keep_months: int | None = Field(
        default=None,
        ge=1,
        description="Archive policy, off when unset: months older than the newest N move, byte "
        "for byte, into `archive/YYYY.md` beside the log, which keeps an index of archived "
        "years.",
        examples=[12],
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _check_zone(value)


class GitSettings(_Section):
    """Committing the log after a sync. Only the log file is committed, only when it changed;
    other changes in its repository are left alone."""

    commit: bool = Field(default=True, description="Commit the log after writing it.")
    push: bool = Field(
        default=False,
        description="Push the commit to `remote` afterwards; if the remote moved on, rebase "
        "onto it and push again (3 attempts).",
    )
    remote: str = Field(default="origin", description="The remote pushed to.")
    message: str = Field(
        default="arxiv {date}: {count} new papers",
        description="Commit message; `{date}` and `{count}` (the entries the commit adds) are "
        "filled in.",
    )
    author_name: str = Field(
        default="snn-feed",
        description="Commit author (your git config's `user.name` and `user.email` win as "
        "committer).",
    )
    author_email: str = Field(default="snn-feed@localhost", description="Commit author's e-mail.")
    timeout_seconds: PositiveFloat = Field(
        default=120.0, description="Deadline of each git command (a push may wait on the network)."
    )

    @field_validator("message")
    @classmethod
    def _template(cls, value: str) -> str:
        try:
            value.format(date="2000-01-01", count=1)
        except (KeyError, IndexError, ValueError) as err:
            raise ValueError(
                f"bad template: only {{date}} and {{count}} are known ({err})"
            ) from err
        return value


class SyncSettings(_Section):
    """One sync: where its papers come from, and the lock that every sync, `serve` and cron
    run of this configuration shares, so two never work at once."""

    lock_file: str = Field(
        default="data/snn-feed.lock",
        description="The lock shared by every snn-feed process using this configuration.",
    )
    lock_timeout_seconds: float = Field(
        default=0.0,
        ge=0,
        description="How long a sync waits for another one to finish before it exits busy "
        "(status 4); 0: at once.",
    )
    source: Literal["api", "rss", "both"] = Field(
        default="both",
        description="Where papers come from: `api`, the search API (a window of submission "
        "dates, late but complete); `rss`, the day's announcement feeds (on the day, but only "
        "that day); or `both`. `sync --source` overrides it.",
    )


class ScheduleSettings(_Section):
    """When `snn-feed serve` syncs, and how it retries a failed run."""

    cron: str = Field(
        default="30 0 * * 1-5",
        description="A crontab line (minute hour day month day-of-week, 0 or 7 = Sunday; an "
        "optional leading seconds field is accepted) in `timezone`. The default runs half an "
        "hour after arXiv rebuilds its announcement feeds (midnight US Eastern, Monday to "
        "Friday, with the 20:00 announcements of Sunday to Thursday evening), so both sources "
        "have the day's papers.",
    )
    timezone: str = Field(
        default="America/New_York",
        description="Time zone of `cron`; local time is kept across daylight-saving changes.",
    )
    retries: int = Field(
        default=3,
        ge=0,
        le=20,
        description="A failed or partial run is tried again this many times, unless the next "
        "regular run comes first.",
    )
    retry_minutes: float = Field(
        default=15.0,
        gt=0,
        description="Wait before the first retry; it doubles for each further one.",
    )
    stop_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        description="On SIGTERM, how long a running sync may take to reach a safe point before "
        "the service exits.",
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _check_zone(value)

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from snn_feed.service.schedule import make_trigger

        try:
            make_trigger(value, "UTC")
        except ValueError as err:
            raise ValueError(f"bad cron expression {value!r}: {err}") from err
        return value


class StatusSettings(_Section):
    """When `snn-feed status` fails (exit status 1, for a health check or a probe), and when it
    warns."""

    max_age_hours: float = Field(
        default=80.0,
        gt=0,
        description="Fail when the last successful sync is older than this (the default "
        "covers arXiv's Friday-Saturday pause of 72 hours, plus retries).",
    )
    quiet_days: int = Field(
        default=5,
        ge=1,
        le=60,
        description="Warn when runs over this many days, with at least three scheduled "
        "announcements, found no paper at all: a broken query looks like a quiet week.",
    )
    max_pending_hours: float = Field(
        default=48.0,
        gt=0,
        description="Fail when a paper has waited longer than this for its translation: "
        "papers are never logged untranslated, so a translator that keeps failing must be "
        "noticed.",
    )


class ExportSettings(_Section):
    """An Atom feed of the latest logged papers, with the Chinese abstract as content, for any
    feed reader; `snn-feed export` writes one by hand."""

    atom: str = Field(
        default="",
        description="The feed file, rewritten after every successful sync, and the default "
        "file of `snn-feed export`; empty: no feed.",
        examples=["data/SNN_arxiv_daily/feed.atom"],
    )
    limit: int = Field(
        default=50,
        ge=1,
        le=10_000,
        description="How many of the latest logged papers the feed holds, newest first.",
    )
    title: str = Field(
        default="SNN arXiv daily",
        min_length=1,
        description="The feed's title, as feed readers list it.",
    )
    link: str = Field(
        default="",
        description="Web address of the log (e.g. its GitHub page): the feed's link and "
        "permanent id. Empty: no link, and an id derived from the log's path that reveals "
        "nothing of it.",
        examples=["https://github.com/you/SNN_arxiv_daily"],
    )

    @field_validator("link")
    @classmethod
    def _http_url_or_empty(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be empty or an http:// or https:// URL")
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
    url: str = Field(
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

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return http_url(value)


class Settings(_Section):
    feed: FeedSettings = Field(default_factory=FeedSettings)
    score: ScoreSettings = Field(default_factory=ScoreSettings)
    arxiv: ArxivSettings = Field(default_factory=ArxivSettings)
    rss: RssSettings = Field(default_factory=RssSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    translate: TranslateSettings = Field(default_factory=TranslateSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    git: GitSettings = Field(default_factory=GitSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    status: StatusSettings = Field(default_factory=StatusSettings)
    export: ExportSettings = Field(default_factory=ExportSettings)
    links: LinksSettings = Field(default_factory=LinksSettings)

    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)
    """Folder that relative paths are resolved against."""

    def resolve(self, path: str) -> Path:
        """A configured path made absolute against the config file's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    @property
    def log_path(self) -> Path:
        return self.resolve(self.log.path)

    @property
    def atom_path(self) -> Path | None:
        """Where the feed goes after every sync, or None when `[export] atom` is empty."""
        return self.resolve(self.export.atom) if self.export.atom else None

    @property
    def lock_path(self) -> Path:
        return self.resolve(self.sync.lock_file)

    @property
    def database_url(self) -> str:
        """The database URL with a relative SQLite path made absolute."""
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and url != "sqlite:///:memory:":
            return prefix + str(self.resolve(url[len(prefix) :]))
        return url


def find_config_file(explicit: str | os.PathLike[str] | None) -> Path | None:
    """The config file in force: `--config`, then $SNN_FEED_CONFIG, then ./config.toml."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"config: file not found: {path}")
        return path
    from_env = os.environ.get(ENV_CONFIG)
    if from_env:
        path = Path(from_env)
        if not path.is_file():
            raise ConfigError(f"config: file not found: {path} (from ${ENV_CONFIG})")
        return path
    local = Path("config.toml")
    return local if local.is_file() else None


def _is_text(section: str, key: str) -> bool:
    """Whether the key holds text, so "20261128" stays a string (an API key, say)."""
    model = Settings.model_fields.get(section)
    sub = getattr(model.annotation, "model_fields", {}) if model else {}
    field = sub.get(key)
    return field is not None and field.annotation in (str, str | None)


def _env_value(raw: str, section: str = "", key: str = "") -> Any:
    """Read an override as a TOML literal when it is one (numbers, booleans, lists)."""
    if _is_text(section, key):
        return raw
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def env_overrides(environ: dict[str, str] | os._Environ[str]) -> dict[str, dict[str, Any]]:
    """SNN_FEED_<SECTION>__<KEY> variables as a nested dict."""
    result: dict[str, dict[str, Any]] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_CONFIG:
            continue
        section, sep, key = name[len(ENV_PREFIX) :].partition("__")
        if not sep or not section or not key:
            raise ConfigError(f"config: ${name}: expected SNN_FEED_<SECTION>__<KEY>")
        section, key = section.lower(), key.lower()
        result.setdefault(section, {})[key] = _env_value(raw, section, key)
    return result


def _merge(base: dict[str, Any], extra: dict[str, dict[str, Any]]) -> dict[str, Any]:
    merged = dict(base)
    for section, values in extra.items():
        current = merged.get(section)
        merged[section] = {**current, **values} if isinstance(current, dict) else values
    return merged


def _one_line(err: ValidationError, source: str, from_env: set[tuple[str, str]]) -> str:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"]) or "(top level)"
    loc = tuple(str(p) for p in first["loc"][:2])
    if len(loc) == 2 and loc in from_env:  # the value came from the environment, not the file
        source = f"${ENV_PREFIX}{loc[0].upper()}__{loc[1].upper()}"
    if first["type"] == "extra_forbidden":
        return f"config: unknown key {key} ({source})"
    value = first.get("input")
    shown = "" if key.endswith("api_key") or isinstance(value, dict) else f" (got {value!r})"
    return f"config: {key}: {first['msg']}{shown} ({source})"


def load_settings(
    explicit: str | os.PathLike[str] | None = None,
    environ: dict[str, str] | os._Environ[str] | None = None,
) -> Settings:
    """Load, merge and validate the configuration; raise ConfigError with a one-line message."""
    environ = os.environ if environ is None else environ
    path = find_config_file(explicit)
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as err:
            raise ConfigError(f"config: cannot read {path}: {err}") from err
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"config: {path} is not valid TOML: {err}") from err
    source = str(path) if path else "defaults"
    if "base_dir" in data:
        raise ConfigError(f"config: unknown key base_dir ({source})")
    overrides = env_overrides(environ)
    merged = _merge(data, overrides)
    from_env = {(section, key) for section, values in overrides.items() for key in values}
    base_dir = path.resolve().parent if path else Path.cwd()
    try:
        settings = Settings.model_validate({**merged, "base_dir": base_dir})
    except ValidationError as err:
        raise ConfigError(_one_line(err, source, from_env)) from None
    _check_score_keywords(settings, source)
    return settings


def _check_score_keywords(settings: Settings, source: str) -> None:
    """A weight for a phrase that is not searched for would silently never apply."""
    if not settings.score.keywords:
        return
    from snn_feed.pipeline.relevance import same_keyword

    for name in settings.score.keywords:
        if not any(same_keyword(name, k) for k in settings.feed.keywords):
            raise ConfigError(
                f"config: score.keywords: {name!r} is not one of [feed] keywords ({source})"
            )
