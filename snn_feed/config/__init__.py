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
from snn_feed.config.summary import SummarySettings
from snn_feed.config.topics import TopicSettings
from snn_feed.errors import ConfigError
from snn_feed.records import DEFAULT_TOPIC

__all__ = [
    "DEFAULT_KEYWORDS", "DEFAULT_LOG", "ArxivSettings", "DatabaseSettings", "ExportSettings",
    "FeedSettings", "GitSettings", "LinksSettings", "LogSettings", "NotifySettings",
    "NotifyTarget", "RssSettings",
    "ScheduleSettings", "ScoreSettings", "Settings", "SiteSettings", "StatusSettings",
    "SummarySettings", "SyncSettings", "TopicSettings",
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
    summary: SummarySettings = Field(default_factory=SummarySettings)
    topics: list[TopicSettings] = Field(default_factory=list)

    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)
    """Folder that relative paths are resolved against."""
    log_origin: str | None = Field(default=None, exclude=True)
    """Where `[log] path` was set (the config file, or `$SNN_FEED_LOG__PATH`); None when it is
    unset and the built-in log is used, the only log a sync may create."""
    topic: str = Field(default=DEFAULT_TOPIC, exclude=True)
    """The topic these settings are of (`for_topics`)."""
    topic_title: str = Field(default="", exclude=True)
    """How that topic is named to readers; empty for the one topic of a config without
    `[[topics]]`, which is named nowhere."""
    renamed_from: list[str] = Field(default_factory=list, exclude=True)
    set_aside: list[str] = Field(default_factory=list, exclude=True)
    """Topics of the config that `--topic` left out (not removed ones)."""

    def for_topics(self) -> list[Settings]:
        """The settings of each topic: the sections of a single-topic config as they are, or
        one copy per `[[topics]]` entry with its `[feed]`, `[score]`, `[log]`, feed and site."""
        if not self.topics:
            return [self]
        return [self._of(t) for t in self.topics]

    def _of(self, t: TopicSettings) -> Settings:
        feed = FeedSettings(keywords=t.keywords, exclude=t.exclude, categories=t.categories,
                            min_score=t.min_score)  # fmt: skip
        export = self.export.model_copy(
            update={"atom": t.atom, "title": f"{self.export.title}: {t.label}"}
        )
        site = self.site.model_copy(
            update={"dir": t.site, "title": f"{self.site.title}: {t.label}"}
        )
        return self.model_copy(update={
            "feed": feed, "score": t.score, "log": t.log, "export": export, "site": site,
            "topics": [], "topic": t.name, "topic_title": t.label,
            "renamed_from": list(t.renamed_from), "log_origin": f"[[topics]] {t.name}",
        })  # fmt: skip

    def select(self, name: str | None, *, one: bool) -> Settings:
        """The settings a command run with `--topic name` works with. `one`: a command of one
        topic's log (import, backfill, archive, export, site, retranslate), which gets that
        topic's settings and needs `--topic` when there are several; otherwise (sync, status)
        the config narrowed to that topic, or all of them."""
        names = [t.name for t in self.topics]
        if name is not None and name not in names:
            known = ", ".join(names) if names else f"only {DEFAULT_TOPIC}, without [[topics]]"
            if not names and name == DEFAULT_TOPIC:
                return self
            raise ConfigError(f"config: --topic {name}: no such topic (the topics: {known})")
        if name is None:
            if one and len(names) > 1:
                raise ConfigError(
                    f"config: this command works on one topic's log: add --topic NAME (the "
                    f"topics: {', '.join(names)})"
                )
            return self.for_topics()[0] if one else self
        chosen = [t for t in self.topics if t.name == name]
        aside = [n for n in names if n != name]
        narrowed = self.model_copy(update={"topics": chosen, "set_aside": aside})
        return narrowed.for_topics()[0] if one else narrowed

    @property
    def several(self) -> bool:
        """Whether the config names its topics (`[[topics]]`): these settings are its, or one
        topic's of it."""
        return bool(self.topics or self.topic_title)

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
                self.summary.api_key,
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
    for private in ("base_dir", "log_origin", "topic", "topic_title", "renamed_from",
                    "set_aside"):  # fmt: skip
        if private in data:
            raise ConfigError(f"config: unknown key {private} ({source})")
    overrides = env_overrides(environ)
    merged = _inherit(_merge(data, overrides), source)
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
    for each in settings.for_topics():
        _check_score_keywords(each, source)
    _check_topics(settings, source)
    return settings


def _check_score_keywords(settings: Settings, source: str) -> None:
    """A weight for a phrase that is not searched for would silently never apply."""
    if not settings.score.keywords:
        return
    from snn_feed.pipeline.relevance import same_keyword

    where, of = ((f"topics[{settings.topic}].score", "its keywords") if settings.topic_title
                 else ("score", "[feed] keywords"))  # fmt: skip
    for name in settings.score.keywords:
        if not any(same_keyword(name, k) for k in settings.feed.keywords):
            raise ConfigError(f"config: {where}.keywords: {name!r} is not one of {of} ({source})")


TOPIC_ONLY = {"feed": None, "log": "path", "export": "atom", "site": "dir"}
"""What a config with `[[topics]]` sets per topic only: a section (None) or one of its keys."""


def _inherit(data: dict[str, Any], source: str) -> dict[str, Any]:
    """Each `[[topics]]` entry with the keys of `[log]` and `[score]` it does not set; the
    sections and keys that only a topic may set are refused beside `[[topics]]`."""
    topics = data.get("topics")
    if not isinstance(topics, list) or not topics:
        return data
    for section, key in TOPIC_ONLY.items():
        value = data.get(section)
        if value is not None and (key is None or (isinstance(value, dict) and key in value)):
            what = f"[{section}]" if key is None else f"[{section}] {key}"
            instead = "its keys" if key is None else "it"
            raise ConfigError(
                f"config: {what} is set beside [[topics]]: set {instead} in each topic "
                f"instead ({source})"
            )
    shared = {name: data.get(name) for name in ("log", "score")}
    inherited = []
    for topic in topics:
        if isinstance(topic, dict):
            topic = dict(topic)
            for name, base in shared.items():
                own = topic.get(name, {})
                if isinstance(base, dict) and isinstance(own, dict):
                    topic[name] = {**base, **own}
        inherited.append(topic)
    return {**data, "topics": inherited}


def _check_topics(settings: Settings, source: str) -> None:
    """Names, logs, feeds and sites each a topic's own; a rename from a name still in use
    would merge two topics."""
    names = [t.name for t in settings.topics]
    for t in settings.topics:
        if names.count(t.name) > 1:
            raise ConfigError(f"config: topics: {t.name!r} is named twice ({source})")
        if t.log.path is None:
            raise ConfigError(f"config: topics[{t.name}].log.path: required ({source})")
        for old in t.renamed_from:
            if old in names:
                raise ConfigError(
                    f"config: topics[{t.name}].renamed_from: {old!r} is a topic of the config "
                    f"still; two topics' papers are never merged ({source})"
                )
    for n, target in enumerate(settings.notify.urls, 1):
        for name in target.topics:
            if name not in names:
                raise ConfigError(
                    f"config: notify.urls: service {n} ({target.scheme}) names the topic "
                    f"{name!r}, which is not one of [[topics]] ({source})"
                )
    for what, path_of in (
        ("log.path", lambda s: s.log_path),
        ("atom", lambda s: s.atom_path),
        ("site", lambda s: s.site_path),
    ):
        seen: dict[Path, str] = {}
        for each in settings.for_topics():
            path = path_of(each)
            if path is None:
                continue
            if path.resolve() in seen:
                raise ConfigError(
                    f"config: topics[{each.topic}].{what}: also topics[{seen[path.resolve()]}]'s; "
                    f"each topic needs its own ({source})"
                )
            seen[path.resolve()] = each.topic
