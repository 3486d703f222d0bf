"""Configuration: one TOML file, every key overridable from the environment, validated on load.

Found via `--config PATH`, then `$SNN_FEED_CONFIG`, then `./config.toml`; without any file the
defaults below apply. `SNN_FEED_<SECTION>__<KEY>=value` overrides a key (values are read as TOML
literals when they parse as one, so `["a", "b"]`, `3.5` and `true` work, else as plain strings).
Relative paths are resolved against the folder of the config file (or the working folder when
there is none), so a cron job started from `$HOME` finds the same files as you do.
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
    keywords: list[str] = Field(default_factory=lambda: list(DEFAULT_KEYWORDS), min_length=1)
    """Phrases searched in titles and abstracts (one combined arXiv query)."""
    exclude: list[str] = Field(default_factory=list)
    """Negative phrases: a paper whose title or abstract has one is skipped."""
    categories: list[str] = Field(default_factory=list)
    """Optional arXiv category filter, e.g. ["cs.NE", "cs.LG"]; empty means all."""
    min_score: int = Field(default=1, ge=1, le=5)
    """Papers scoring below this are stored (and counted by `status --month`) but never
    translated or logged."""

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
    """Weights of the 1-5 score (see `relevance.score`); the defaults give the README's rule."""

    found: float = Field(default=1.0, ge=0, le=10)
    title: float = Field(default=2.0, ge=0, le=10)
    variety: float = Field(default=1.0, ge=0, le=10)
    repeated: float = Field(default=1.0, ge=0, le=10)
    keywords: dict[str, float] = Field(default_factory=dict)
    """Weight per keyword of `[feed] keywords` (others: 1.0), from 0 to 10."""
    categories: dict[str, float] = Field(default_factory=dict)
    """Bonus points per arXiv category, e.g. {"cs.NE" = 1.0}; negative for a penalty."""

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
    api_url: str = "https://export.arxiv.org/api/query"
    """arXiv's export API; override for a mirror or a test server."""
    page_size: int = Field(default=200, ge=1, le=2000)
    """Results per request (arXiv serves at most 2000)."""
    backfill_page_size: int = Field(default=1000, ge=1, le=2000)
    """Results per request in a backfill, whose months hold hundreds to thousands of papers:
    fewer, larger pages (arXiv serves 1000 reliably; 2000 is its limit and slow)."""
    delay_seconds: float = Field(default=3.0, ge=0)
    """Pause between requests: arXiv asks for one request every 3 seconds."""
    timeout_seconds: PositiveFloat = 30.0
    """Timeout of each request (connect and read)."""
    retries: int = Field(default=3, ge=0, le=10)
    """Retries of one page request after a timeout, connection error, 5xx/429 or empty page."""
    backoff_seconds: float = Field(default=5.0, ge=0)
    """First wait before a retry; it doubles each retry (Retry-After wins when longer)."""
    lookback_days: int = Field(default=5, ge=0, le=60)
    """Window overlap before the last successful sync, so late-indexed papers are not missed."""

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return http_url(value)


class RssSettings(_Section):
    url: str = "https://rss.arxiv.org"
    """arXiv's announcement feeds (RSS); override for a test server."""
    categories: list[str] = Field(
        default_factory=lambda: [
            "cs.NE", "cs.LG", "cs.CV", "cs.AI", "cs.ET", "cs.AR", "cs.RO",
            "eess.SP", "eess.IV", "q-bio.NC",
        ]
    )  # fmt: skip
    """Categories whose daily announcements are read, in one request; each item is then
    checked against `[feed] keywords` (and `[feed] categories`, when set) like any other."""
    timeout_seconds: PositiveFloat = 30.0
    retries: int = Field(default=3, ge=0, le=10)
    backoff_seconds: float = Field(default=5.0, ge=0)

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
    url: str = "sqlite:///data/snn-feed.sqlite3"
    """SQLAlchemy URL; a relative SQLite path is relative to the config file's folder."""


class TranslateSettings(_Section):
    backend: Literal["google", "libre", "mymemory", "deepl", "openai", "baidu", "none"] = "google"
    """Translation engine; `none` writes papers without a Chinese abstract."""
    url: str | None = None
    """Base-URL override of the engine (self-hosted LibreTranslate, a proxy, a test server)."""
    api_key: str | None = Field(default=None, repr=False)
    """Engine API key; prefer the environment: SNN_FEED_TRANSLATE__API_KEY."""
    target: str = "zh-CN"
    """Target language."""
    timeout_seconds: PositiveFloat = 30.0
    """Deadline of one translation request."""
    retries: int = Field(default=2, ge=0, le=10)
    """Retries of one failed translation request before the paper is left pending."""
    email: str | None = None
    """MyMemory: an e-mail address raises its free daily quota."""
    engines: list[Literal["google", "libre", "mymemory", "deepl", "openai", "baidu"]] = Field(
        default_factory=list
    )
    """A fallback chain, tried in order (overrides `backend`), e.g. ["google", "mymemory"]."""
    urls: dict[str, str] = Field(default_factory=dict)
    """Base-URL overrides per engine of the chain, e.g. {libre = "http://localhost:5000/"}."""
    api_keys: dict[str, str] = Field(default_factory=dict, repr=False)
    """API keys per engine of the chain (prefer the environment); `api_key` is the default."""
    model: str = "gpt-4o-mini"
    """openai: the chat model (any OpenAI-compatible server: a hosted model, Ollama, vLLM)."""
    concurrency: int = Field(default=4, ge=1, le=64)
    """Translations in flight at once (sized for free engines; raise for a paid API)."""
    rate_per_second: float = Field(default=5.0, gt=0)
    """Most requests per second sent to any one engine."""
    cooldown_minutes: float = Field(default=60.0, ge=0)
    glossary: dict[str, str] = Field(default_factory=lambda: dict(_glossary.GLOSSARY))
    """English term -> the canonical Chinese term (given to engines that take a prompt)."""
    corrections: dict[str, str] = Field(default_factory=lambda: dict(_glossary.MISTRANSLATIONS))
    """Mistranslation -> canonical term, applied to every translation."""
    """An engine answering 429 or "quota used up" is skipped for this long."""


class LogSettings(_Section):
    path: str = "data/SNN_arxiv_daily/README.md"
    """The Markdown log; created (with a git repository) when it does not exist."""
    timezone: str = "America/New_York"
    """Time zone of the day a paper is logged, which decides its month section."""
    intro: str = (
        "# SNN arXiv daily\n\nSpiking neural network papers from arXiv, with Chinese abstracts.\n"
    )
    """Text of a newly created log, above the first month."""
    style: Literal["hover", "details"] = "hover"
    """hover: the Chinese abstract is the link's title, as in the original log; details: it
    follows the entry in a collapsible block, readable on mobile and in review diffs."""
    keep_months: int | None = Field(default=None, ge=1)
    """Archive policy (off when unset): months older than the newest N move, byte for byte,
    into archive/YYYY.md beside the log, which keeps an index of archived years."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _check_zone(value)


class GitSettings(_Section):
    commit: bool = True
    """Commit the log after writing it."""
    push: bool = False
    """Push the commit to `remote` afterwards."""
    remote: str = "origin"
    message: str = "arxiv {date}: {count} new papers"
    """Commit message; {date} and {count} are filled in."""
    author_name: str = "snn-feed"
    author_email: str = "snn-feed@localhost"
    timeout_seconds: PositiveFloat = 120.0
    """Deadline of each git command (a push may wait on the network)."""

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
    lock_file: str = "data/snn-feed.lock"
    """Lock shared by every snn-feed process using this configuration."""
    lock_timeout_seconds: float = Field(default=0.0, ge=0)
    """How long a sync waits for another one to finish before it exits busy (status 4)."""
    source: Literal["api", "rss", "both"] = "both"
    """Where papers come from: the search API (a window of submission dates, late but
    complete), the day's announcement feeds (on the day, but only that day), or both."""


class ScheduleSettings(_Section):
    cron: str = "30 0 * * 1-5"
    """Crontab line (minute hour day month day-of-week, 0 or 7 = Sunday) in `timezone`. The
    default runs half an hour after arXiv's announcement feeds are rebuilt (midnight US
    Eastern, Monday to Friday, with the 20:00 announcements of Sunday to Thursday evening), so
    both sources have the day's papers."""
    timezone: str = "America/New_York"
    retries: int = Field(default=3, ge=0, le=20)
    """A failed or partial run is tried again this many times before the next slot."""
    retry_minutes: float = Field(default=15.0, gt=0)
    """Wait before the first retry; it doubles for each further one."""
    stop_timeout_seconds: float = Field(default=60.0, gt=0)
    """On SIGTERM, how long a running sync may take to reach a safe point before exit."""

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
    max_age_hours: float = Field(default=80.0, gt=0)
    """`status` fails when the last successful sync is older than this (the default covers
    arXiv's Friday-Saturday pause of 72 hours plus retries)."""
    quiet_days: int = Field(default=5, ge=1, le=60)
    """Warn when runs over this many days with announcements found no paper at all."""
    max_pending_hours: float = Field(default=48.0, gt=0)
    """`status` fails when a paper has waited longer than this for its translation: papers
    are never logged untranslated, so a translator that keeps failing must be noticed."""


class ExportSettings(_Section):
    atom: str = ""
    """Atom feed of the log, rewritten after every successful sync; empty: no feed."""
    limit: int = Field(default=50, ge=1, le=10_000)
    """How many of the latest logged papers the feed holds."""
    title: str = Field(default="SNN arXiv daily", min_length=1)
    """The feed's title, as feed readers list it."""
    link: str = ""
    """Web address of the log (e.g. its GitHub page): the feed's link and permanent id. Empty:
    no link, and an id derived from the log's path that reveals nothing of it."""

    @field_validator("link")
    @classmethod
    def _http_url_or_empty(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be empty or an http:// or https:// URL")
        return value


class LinksSettings(_Section):
    huggingface: bool = False
    """Ask the Hugging Face Papers API for the repository of papers whose abstract and arXiv
    comment name none (once per paper, before it is written; never rewritten afterwards)."""
    url: str = "https://huggingface.co"
    """Hugging Face's address; override for a mirror or a test server."""
    timeout_seconds: PositiveFloat = 5.0
    """Deadline of one lookup request (one retry after a timeout or HTTP 5xx)."""
    budget_seconds: PositiveFloat = 20.0
    """The most one sync spends on lookups in all; papers not reached are written without."""

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
