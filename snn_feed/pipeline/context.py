"""The composition root: the lock, the store, the clients and git, built once per command.

Every command that changes the log (sync, backfill, import, retranslate, archive) runs inside
`open_seams`, under the one cross-process lock (and, on PostgreSQL, the database's own lock,
which hosts sharing the database take turns at), and hands the stages what each one needs.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from time import monotonic
from time import sleep as pause
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from snn_feed.config import RssSettings, Settings
from snn_feed.config.output import titles_wanted
from snn_feed.errors import BusyError, ConfigError, Interrupted, SnnFeedError
from snn_feed.journal.gitrepo import GitRepo, work_tree_of
from snn_feed.journal.paths import safe_config_path, safe_log_path
from snn_feed.journal.presence import Presence
from snn_feed.pipeline import changes
from snn_feed.pipeline.fetching import Lane
from snn_feed.pipeline.guard import LogGuard
from snn_feed.pipeline.reconcile import log_texts
from snn_feed.pipeline.selection import Selection
from snn_feed.pipeline.styles import log_style
from snn_feed.pipeline.translating import Translating
from snn_feed.pipeline.writing import Layout
from snn_feed.sources.announcements import RssClient
from snn_feed.sources.api import PoliteClient
from snn_feed.store import Store, open_store
from snn_feed.store.engine import command_lock
from snn_feed.translation.chain import make_translator
from snn_feed.translation.engines import Translator
from snn_feed.translation.glossary import Glossary

if TYPE_CHECKING:
    from snn_feed.pipeline.summarizing import Summarizing

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


def never() -> bool:
    return False


@dataclass
class Seams:
    """What a command's stages talk to: each replaceable in tests, each built once."""

    settings: Settings
    store: Store
    client: PoliteClient
    translator: Translator
    git: GitRepo | None
    rss: RssClient | None = None
    clock: Callable[[], datetime] = utc_now
    should_stop: Callable[[], bool] = never
    lock_session: str | None = None
    """PostgreSQL: this command's session of the database's lock, which its run records."""
    topics: list[Seams] = field(default_factory=list)
    """The seams of each topic (this one first), on the same store, clients and lock; each
    topic's git is its repository's, shared by the topics whose logs it holds."""
    log_path: Path = field(init=False)
    """The configured log; a symlink is written through unless it leads out of its repository."""
    zone: ZoneInfo = field(init=False)
    """The log's time zone: its months and days are read in it."""
    _layout: Layout | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.log_path = safe_log_path(self.settings.log_path)
        if self.settings.atom_path is not None:  # refused before the run, not after its commit
            safe_config_path(self.settings.atom_path, "[export] atom")
        self.zone = ZoneInfo(self.settings.log.timezone)

    def safe_point(self) -> None:
        """Stop here if asked to: between papers and pages, never inside a write."""
        if self.should_stop():
            raise Interrupted("stopped on request at a safe point; the next sync continues")

    def today(self) -> datetime:
        """Now, in the log's time zone."""
        return self.clock().astimezone(self.zone)

    def selection(self) -> Selection:
        """The topic's rules; with `[score] learn`, its ranker trained on its papers now."""
        score = self.settings.score
        ranker = None
        if score.learn:
            from snn_feed.pipeline.learning import ranker_for

            ranker = ranker_for(self.store)
            if ranker is None:
                log.info("[score] learn: too few papers to learn from yet; the keywords score")
        return Selection(self.settings.feed, score.weights(), ranker, score.learn_weight)

    def lane(self, presence: Presence) -> Lane:
        """This topic as the fetch stage sees it, its log holding `presence`."""
        return Lane(self.settings.topic, self.selection(), presence, str(self.log_path))

    @property
    def name(self) -> str:
        """The topic's name for a reader: empty for the one topic of a config without
        `[[topics]]`."""
        return self.settings.topic_title

    def translating(self) -> Translating:
        """The translate stage of every command that translates (sync, backfill,
        retranslate): built here only, so they all ask for titles alike (when any topic's log
        shows them: a paper is translated once for every topic)."""
        t = self.settings.translate
        titles = any(titles_wanted(t, each.layout().style) for each in self.topics or [self])
        return Translating(self.store, self.translator, Glossary(t.glossary, t.corrections),
                           t.concurrency, self.should_stop, titles=titles)  # fmt: skip

    def summarizing(self) -> Summarizing:
        """The summary stage (`[summary]`), on the translations' glossary."""
        from snn_feed.pipeline.summarizing import Summarizing

        t = self.settings.translate
        return Summarizing(self.store, self.settings.summary, Glossary(t.glossary, t.corrections),
                           self.clock, lambda: self.today().date().isoformat(),
                           self.should_stop)  # fmt: skip

    def guard(self) -> LogGuard:
        return LogGuard(self.store, self.git, self.log_path)

    def layout(self) -> Layout:
        """How this log's new entries look; its style is settled by the first command that
        asks (`pipeline/styles.py`)."""
        if self._layout is None:
            log = self.settings.log
            texts = partial(log_texts, self.log_path)  # read only to settle the style
            style = log_style(self.store, log, self.log_path, texts)
            watch = tuple(self.settings.score.authors)
            self._layout = Layout(style, log.checkbox, log.authors, watch)
        return self._layout


@contextmanager
def open_seams(
    settings: Settings,
    *,
    commit: bool = True,
    dry_run: bool = False,
    client: PoliteClient | None = None,
    translator: Translator | None = None,
    should_stop: Callable[[], bool] = never,
    rss: RssClient | None = None,
    announcements: bool = False,
    clock: Callable[[], datetime] = utc_now,
) -> Iterator[Seams]:
    """The configured seams (unless given), under the cross-process lock that every sync,
    backfill, import and archive shares, and on PostgreSQL the database's lock too (held by
    one host at a time; a dry run, which writes nothing, takes neither the database's lock nor
    creates a database). Only a command that may read the announcement feed
    (`announcements`) gets a client for it."""
    from filelock import FileLock, Timeout

    each = settings.for_topics()
    lock_path = settings.lock_path
    lock = FileLock(str(lock_path), timeout=settings.sync.lock_timeout_seconds)
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except Timeout:
        raise BusyError(
            f"another sync is running (lock {lock_path} held); try again later"
        ) from None
    except OSError as err:  # a full disk, a read-only file system: say which, in one line
        raise SnnFeedError(f"cannot take the lock {lock_path}: {lock_trouble(err)}") from None
    sleep = stoppable_sleep(should_stop)
    feed_client = rss or (rss_client(settings.rss, sleep) if announcements else None)
    try:
        # PostgreSQL's lock after the file's: this host's own runs queue on its file, and
        # only one of them at a time asks the database.
        timeout, owner = settings.sync.lock_timeout_seconds, process_owner()
        database_lock: AbstractContextManager[str | None] = (
            nullcontext(None) if dry_run else command_lock(settings.database_url, timeout, owner)
        )
        with database_lock as lock_session:
            store = open_store(settings.database_url, create=not dry_run)
            try:
                if not dry_run:
                    take_over_renamed(store, each)
                for one in each:
                    require_log(one, store)
                committing_git = settings.git.commit and commit and not dry_run
                repos = Repositories(settings, git_record(lock_path)) if committing_git else None
                shared = {
                    "client": client or PoliteClient(settings.arxiv, sleep=sleep),
                    "translator": translator
                    or make_translator(settings.translate, cooldowns=store.cooldowns),
                    "rss": feed_client, "clock": clock, "should_stop": should_stop,
                    "lock_session": lock_session,
                }  # fmt: skip
                topics = [
                    Seams(one, store.for_topic(one.topic),
                          git=repos.of(one.log_path) if repos is not None else None,
                          **shared)  # type: ignore[arg-type]
                    for one in each
                ]  # fmt: skip
                for seams in topics:
                    seams.topics = topics
                    if not dry_run:
                        finish_interrupted(seams)
                yield topics[0]
            finally:
                store.engine.dispose()
    finally:
        if rss is None and feed_client is not None:
            feed_client.close()
        lock.release()


class Repositories:
    """One `GitRepo` per repository that holds a topic's log: topics whose logs share a
    repository share its commits (one per sync) and its recovery."""

    def __init__(self, settings: Settings, record: Path) -> None:
        self.settings, self.record = settings, record
        self._repos: dict[Path, GitRepo] = {}

    def of(self, log_path: Path) -> GitRepo:
        root = repository_root(log_path)
        if root not in self._repos:
            self._repos[root] = GitRepo(log_path, self.settings.git, record=self.record)
        return self._repos[root]


def repository_root(log_path: Path) -> Path:
    """The work tree holding `log_path`, else the log's own folder (where a new log's
    repository is made)."""
    return work_tree_of(log_path) or log_path.resolve().parent


def take_over_renamed(store: Store, each: list[Settings]) -> None:
    """A topic declared renamed (`renamed_from`) takes over the first old name the database
    has, while it has nothing of its own."""
    for one in each:
        for old in one.renamed_from:
            if store.for_topic(one.topic).topics.take_over(old):
                log.warning("topic %s: took over the papers and window of topic %s (renamed)",
                            one.topic, old)  # fmt: skip
                break


def process_owner() -> str:
    """This process as a run records its owner, and as another host is told it holds the
    database's lock: `host pid 123`."""
    return f"{socket.gethostname()} pid {os.getpid()}"


def lock_trouble(err: OSError) -> str:
    if err.errno == errno.ENOSPC:
        return "its disk is full; free some space and run again"
    if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return ("its folder is read-only or not writable; remount it read-write, fix its "
                "permissions, or set [sync] lock_file")  # fmt: skip
    return err.strerror or str(err)


def git_record(lock_path: Path) -> Path:
    """Where the git command running is written down: beside the lock, whose holder alone
    runs git, so that a record found on taking the lock is from a run that was killed."""
    return lock_path.with_name(lock_path.name + ".git.json")


def finish_interrupted(seams: Seams) -> None:
    """Finish an archive or restore that a killed run left half done, before anything else
    reads or writes the log. It is committed as the killed command would have, even by a
    command that does not commit: the step was begun by one that does."""
    settings = seams.settings
    git = seams.git or (
        GitRepo(settings.log_path, settings.git, record=git_record(settings.lock_path))
        if settings.git.commit
        else None
    )
    message = changes.finish(seams.store, seams.log_path, git)
    if message is not None:
        log.warning("finished what a killed run had begun: %s", message)


def require_log(settings: Settings, store: Store | None = None) -> None:
    """A configured log must exist: a typo in `[log] path` (`READNE.md`) would otherwise start
    a second log beside the real one. Only the built-in log, with `[log] path` unset, is
    created by a sync, and the log of a topic of `[[topics]]` while no paper was logged in it
    yet; any other is started or adopted by `snn-feed
    init`."""
    safe_log_path(settings.log_path)  # a path into .git or out of its repository is refused first
    if settings.log_origin is None or settings.log_path.exists():
        return
    if settings.topic_title and store is not None and not store.topics.has_logged():
        return
    if settings.topic_title:
        raise ConfigError(
            f"config: topics[{settings.topic}].log.path {settings.log_path} does not exist, "
            "although papers were logged there: correct the path, or restore the log"
        )
    raise ConfigError(
        f"config: [log] path {settings.log_path} does not exist (set in {settings.log_origin}): "
        "correct the path, or run `snn-feed init` to adopt a log or start a new one"
    )


def rss_client(r: RssSettings, sleep: Callable[[float], None]) -> RssClient:
    return RssClient(
        base_url=r.url, timeout_seconds=r.timeout_seconds, retries=r.retries,
        backoff_seconds=r.backoff_seconds, sleep=sleep,
    )  # fmt: skip


def stoppable_sleep(should_stop: Callable[[], bool]) -> Callable[[float], None]:
    """A sleep for the clients' pauses and retry backoffs that ends the run when asked to
    stop: a backoff can last minutes, longer than a service is given to shut down."""

    def sleep(seconds: float) -> None:
        deadline = monotonic() + seconds
        while (left := deadline - monotonic()) > 0:
            if should_stop():
                raise Interrupted(
                    "stopped on request while waiting to retry; the next sync continues"
                )
            pause(min(left, 0.25))

    return sleep
