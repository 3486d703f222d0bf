"""One TOML file, every key overridable from the environment, validated on load.

The file is found via `--config PATH`, then `$SNN_FEED_CONFIG`, then `./config.toml`; without
any, the built-in defaults apply (everything under `./data/`). Relative paths in it are resolved
against its folder (or the working folder when there is none), so a cron job started from
`$HOME` finds the same files as you do.

Every key can be overridden by an environment variable `SNN_FEED_<SECTION>__<KEY>`, e.g.
`SNN_FEED_ARXIV__PAGE_SIZE=500` or `SNN_FEED_FEED__CATEGORIES='["cs.NE"]'`. Values are read as
TOML literals when they parse as one, so `["a", "b"]`, `3.5` and `true` work; text keys such as
`api_key` are taken as written.

An unknown key (with the nearest known one suggested), a wrong type (`"200"` is not a number,
`0` is not `false`), a number that is infinite, undefined or over 10,000,000, or another bad
value stops the program with one line naming the key and where it came from (the file or the
variable), and exit status 2.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from snn_feed.config.base import _Section
from snn_feed.config.notify import NotifySettings, NotifyTarget
from snn_feed.config.output import (
    DEFAULT_LOG,
    ExportSettings,
    GitSettings,
    LogSettings,
    TranslateSettings,
)
from snn_feed.config.papers import (
    DEFAULT_KEYWORDS,
    ArxivSettings,
    FeedSettings,
    LinksSettings,
    RssSettings,
    ScoreSettings,
)
from snn_feed.config.running import (
    DatabaseSettings,
    ScheduleSettings,
    StatusSettings,
    SyncSettings,
)
from snn_feed.config.site import SiteSettings
from snn_feed.errors import ConfigError

__all__ = [
    "DEFAULT_KEYWORDS", "DEFAULT_LOG", "ArxivSettings", "DatabaseSettings", "ExportSettings",
    "FeedSettings", "GitSettings", "LinksSettings", "LogSettings", "NotifySettings",
    "NotifyTarget", "RssSettings",
    "ScheduleSettings", "ScoreSettings", "Settings", "SiteSettings", "StatusSettings",
    "SyncSettings",
    "TranslateSettings",
    "find_config_file", "load_settings",
]  # fmt: skip

ENV_PREFIX = "SNN_FEED_"
ENV_CONFIG = "SNN_FEED_CONFIG"


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
    notify: NotifySettings = Field(default_factory=NotifySettings)
    site: SiteSettings = Field(default_factory=SiteSettings)

    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)
    """Folder that relative paths are resolved against."""
    log_origin: str | None = Field(default=None, exclude=True)
    """Where `[log] path` was set (the config file, or `$SNN_FEED_LOG__PATH`); None when it is
    unset and the built-in log is used, the only log a sync may create."""

    def resolve(self, path: str) -> Path:
        """A configured path made absolute against the config file's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    @property
    def log_path(self) -> Path:
        return self.resolve(self.log.path or DEFAULT_LOG)

    @property
    def atom_path(self) -> Path | None:
        """Where the feed goes after every sync, or None when `[export] atom` is empty."""
        return self.resolve(self.export.atom) if self.export.atom else None

    @property
    def site_path(self) -> Path | None:
        """Where the site is rebuilt after every sync, or None when `[site] dir` is empty."""
        return self.resolve(self.site.dir) if self.site.dir else None

    @property
    def lock_path(self) -> Path:
        return self.resolve(self.sync.lock_file)

    def secrets(self) -> list[str]:
        """Every configured secret, for the logs to blank out: the translators' keys and the
        notification URLs (with the tokens inside them)."""
        from snn_feed.config.notify import url_secrets

        t = self.translate
        return [
            s
            for s in (
                t.api_key,
                *t.api_keys.values(),
                *url_secrets(u.url for u in self.notify.urls),
            )
            if s
        ]

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
        return f"config: unknown key {key}{_did_you_mean(loc)} ({source})"
    value = first.get("input")
    secret = len(loc) == 2 and loc in _SECRET_KEYS
    shown = "" if secret or isinstance(value, dict) else f" (got {value!r})"
    return f"config: {key}: {first['msg']}{shown} ({source})"


def _did_you_mean(loc: tuple[str, ...]) -> str:
    """`; did you mean backend?` for `translate.backnd`: the nearest known key or section."""
    import difflib

    if len(loc) == 1:
        known = list(Settings.model_fields)
    else:
        section = Settings.model_fields.get(loc[0])
        model = section.annotation if section else None
        known = list(model.model_fields) if isinstance(model, type) and issubclass(
            model, _Section) else []  # fmt: skip
    near = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.6)
    return f"; did you mean {near[0]}?" if near else ""


_SECRET_KEYS = frozenset(
    (section, key)
    for section, info in Settings.model_fields.items()
    if isinstance(info.annotation, type) and issubclass(info.annotation, _Section)
    for key, field in info.annotation.model_fields.items()
    if field.repr is False
)
"""(section, key) of every key that can hold a secret (`repr=False`): its value is never shown."""


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
    for private in ("base_dir", "log_origin"):
        if private in data:
            raise ConfigError(f"config: unknown key {private} ({source})")
    overrides = env_overrides(environ)
    merged = _merge(data, overrides)
    from_env = {(section, key) for section, values in overrides.items() for key in values}
    base_dir = path.resolve().parent if path else Path.cwd()
    log_origin = (
        f"${ENV_PREFIX}LOG__PATH" if ("log", "path") in from_env
        else source if isinstance(data.get("log"), dict) and "path" in data["log"] else None
    )  # fmt: skip
    try:
        settings = Settings.model_validate(
            {**merged, "base_dir": base_dir, "log_origin": log_origin}
        )
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
