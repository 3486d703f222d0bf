"""What is made of them: `[translate]`, `[log]`, `[git]`, `[export]`."""

from __future__ import annotations

import re
import string
from typing import Literal

from pydantic import Field, field_validator

from snn_feed.config.base import PositiveFloat, TimeZone, _Section
from snn_feed.translation import glossary as _glossary

DEFAULT_LOG = "data/SNN_arxiv_daily/README.md"
"""The log when `[log] path` is unset, relative to the config file's folder: the only log a sync
creates by itself, so that a typo in a configured path never starts a second one."""


class TranslateSettings(_Section):
    """The translation of each new abstract, and with `titles` of each title, into Chinese. A
    paper is not written to the log until it is translated. Changing `glossary` or
    `corrections` changes the glossary version, under which translations are cached."""

    backend: Literal["google", "libre", "mymemory", "deepl", "openai", "baidu", "none"] = Field(
        default="google",
        description="The translation engine: `google`, `libre` or `mymemory` (through "
        "deep-translator), `deepl`, `openai` or `baidu` (snn-feed's own clients), or `none`, "
        "which writes papers without a Chinese abstract.",
    )
    url: str | None = Field(
        default=None,
        description="Base-URL override of `backend` (a self-hosted LibreTranslate, a proxy, "
        "a test server); unset: the engine's own. Other engines never use it (see `urls`).",
        examples=["http://localhost:5000/"],
    )
    api_key: str | None = Field(
        default=None,
        repr=False,
        description="The API key of `backend`, sent to its host only; better set in the "
        "environment (`SNN_FEED_TRANSLATE__API_KEY`) than here. Never logged.",
        examples=["..."],
    )
    target: str = Field(default="zh-CN", description="Target language.")
    timeout_seconds: PositiveFloat = Field(
        default=30.0,
        description="Deadline of one translation request: connecting and reading the whole answer.",
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
        description="Base-URL overrides per engine (of the chain, or of `retranslate --engine`); "
        "an engine without one talks to its own public endpoint.",
        examples=[{"libre": "http://localhost:5000/"}],
    )
    api_keys: dict[str, str] = Field(
        default_factory=dict,
        repr=False,
        description="API keys per engine (better in the environment); `baidu` takes "
        "`APPID:SECRET`. Each goes only to its engine's host; `api_key` stands in for the "
        "engine `backend` names only.",
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
    titles: bool | None = Field(
        default=None,
        description="Translate titles too, through the same engines, glossary and cache, many "
        "titles to a request; a paper whose title is not translated yet waits, as for its "
        "abstract. Unset: on in the `bilingual` log style, off otherwise.",
        examples=[True],
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


TITLED_STYLES = ("bilingual",)
"""Log styles whose entries show the Chinese title: `[translate] titles` is on in them unless
set."""


def titles_wanted(translate: TranslateSettings, style: str) -> bool:
    """Whether titles are translated for a log written in `style`: as `[translate] titles`
    says, else as the style needs (a Chinese title nobody shows is not worth a request)."""
    if translate.titles is not None:
        return translate.titles
    return style in TITLED_STYLES


class LogSettings(_Section):
    """The Markdown log that entries are appended to."""

    path: str | None = Field(
        default=None,
        min_length=1,
        description="The log, the README of its git repository; it must exist: `snn-feed init` "
        "adopts an existing log or starts a new one, and sets this key. Unset: the built-in log "
        f"`{DEFAULT_LOG}`, created with its own repository by the first sync.",
        examples=["~/SNN_arxiv_daily/README.md"],
    )
    timezone: TimeZone = Field(
        default="America/New_York",
        description="Time zone of the day a paper is logged, which decides its `## YYYY.MM` "
        "month section.",
    )
    intro: str = Field(
        default="# SNN arXiv daily\n\n"
        "Spiking neural network papers from arXiv, with Chinese abstracts.\n",
        description="Text of a newly created log, above the first month.",
    )
    style: Literal["hover", "details", "bilingual"] | None = Field(
        default=None,
        description="How new entries look (docs/styles.md). `bilingual`: the Chinese title as "
        "the entry's heading, the English title, authors, date, links, venue and arXiv comment, "
        "the Chinese abstract as visible text and the English one folded away; readable on "
        "GitHub and on a phone. `hover`: the Chinese abstract is the link's title, as in the "
        "original log (shown only when a desktop reader hovers). `details`: the hover style's "
        "line with the Chinese abstract in a collapsible block below. Unset: the log's own "
        "style, settled once and kept in the database: `bilingual` for a log snn-feed starts, "
        "or the style most of an adopted log's entries are in. A change applies to new "
        "entries only: old ones are never rewritten.",
        examples=["bilingual"],
    )
    checkbox: bool = Field(
        default=False,
        description="In the `bilingual` style, put a reading checkbox (`- [ ]`) before each "
        "English title, to tick (`- [x]`) in an edit once read.",
    )
    authors: int = Field(
        default=3,
        ge=1,
        description='In the `bilingual` style, how many authors an entry names before "et '
        'al." (a watched author of `[score.authors]` past them is still named).',
    )
    keep_months: int | None = Field(
        default=None,
        ge=1,
        description="Archive policy, off when unset: months older than the newest N move, byte "
        "for byte, into `archive/YYYY.md` beside the log, which keeps an index of archived "
        "years.",
        examples=[12],
    )


TOPICS_MESSAGE = "arxiv {date}: {count} new {papers} ({topics})"
"""The commit message of a config with `[[topics]]` when `[git] message` is not set."""


class GitSettings(_Section):
    """Committing the log after a sync. Only the log file is committed, only when it changed;
    other changes in its repository are left alone."""

    commit: bool = Field(default=True, description="Commit the log after writing it.")
    push: bool = Field(
        default=False,
        description="Push the commit to `remote` afterwards, and any commit an earlier sync "
        "could not push; if the remote moved on, rebase onto it and push again (3 attempts).",
    )
    remote: str = Field(
        default="origin",
        description="The remote pushed to: a remote's name or URL (never starting with `-`, "
        "which git would read as an option).",
    )
    message: str = Field(
        default="arxiv {date}: {count} new {papers}",
        description="Commit message; `{date}`, `{count}` (the entries the commit adds), "
        "`{papers}` (`paper` for one, else `papers`) and `{topics}` (each topic with entries "
        "in the commit, and their count: `snn 3, hardware 2`) are filled in. With "
        f"`[[topics]]` and this key unset: `{TOPICS_MESSAGE}`.",
    )
    author_name: str = Field(
        default="snn-feed",
        description="Commit author (your git config's `user.name` and `user.email` win as "
        "committer).",
    )
    author_email: str = Field(default="snn-feed@localhost", description="Commit author's e-mail.")
    timeout_seconds: PositiveFloat = Field(
        default=120.0,
        description="Deadline of each git command (a push may wait on the network); git and "
        "its hooks are then ended together.",
    )

    @field_validator("message")
    @classmethod
    def _template(cls, value: str) -> str:
        return _commit_message_template(value)

    @field_validator("remote")
    @classmethod
    def _not_an_option(cls, value: str) -> str:
        if not value.strip() or value.startswith("-"):
            raise ValueError("must be a remote's name or URL (one starting with - is an option)")
        return value


MESSAGE_FIELDS = ("date", "count", "papers", "topics")
MESSAGE_MAX_BYTES = 10_000
"""The longest commit message a template may make: git takes the message as one argument, and
the system limits one argument's size (128 KiB on Linux)."""


def _commit_message_template(value: str) -> str:
    """Check `[git] message` at load so that git can take every message it makes: a width
    (`{count:999999999}`) is checked before anything is rendered, as rendering would build the
    huge string itself."""
    known = f"only {{{'}, {'.join(MESSAGE_FIELDS[:-1])}}} and {{{MESSAGE_FIELDS[-1]}}} are known"
    try:
        fields = [(name, spec) for _, name, spec, _ in string.Formatter().parse(value)
                  if name is not None]  # fmt: skip
    except ValueError as err:
        raise ValueError(f"bad template: {known} ({err})") from err
    for name, spec in fields:
        if name not in MESSAGE_FIELDS:
            raise ValueError(f"bad template: {known} (not {{{name}}})")
        if "{" in (spec or ""):
            raise ValueError(f"bad template: the format of {{{name}}} cannot hold another field")
        width = max((int(n) for n in re.findall(r"\d+", spec or "")), default=0)
        if width > MESSAGE_MAX_BYTES:
            raise ValueError(f"{{{name}:{spec}}} would make a message longer than git takes")
    try:
        # The largest count a run could plausibly add, for the longest message.
        rendered = value.format(date="2000-01-01", count=10**6, papers="papers",
                                topics="topic 1, topic 2")  # fmt: skip
    except (KeyError, IndexError, ValueError) as err:
        raise ValueError(f"bad template: {known} ({err})") from err
    if "\0" in rendered:
        raise ValueError("a NUL byte: git cannot take one in a commit message")
    if not rendered.strip():
        raise ValueError("empty: git refuses an empty commit message")
    if len(rendered.encode("utf-8", errors="surrogateescape")) > MESSAGE_MAX_BYTES:
        raise ValueError(f"makes a message of more than {MESSAGE_MAX_BYTES} bytes")
    return value


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
