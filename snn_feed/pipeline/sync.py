"""`snn-feed sync`: fetch -> select -> store -> translate -> code links -> write -> commit ->
after-sync outputs, each stage a module of this package.

Each stage reads its input from the database and records its effect there, so a run that
stops anywhere is completed by the next one: papers fetched but not translated are translated
next time, papers written but not committed are committed next time, and a paper already in
the log is never written again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from snn_feed.config import Settings
from snn_feed.config.output import TOPICS_MESSAGE
from snn_feed.errors import (
    DatabaseError,
    ExitStatus,
    ExportError,
    FetchError,
    GitError,
    Interrupted,
    LogFileError,
    PushError,
    SiteError,
    SnnFeedError,
)
from snn_feed.journal.gitrepo import GitRepo
from snn_feed.pipeline import archiving, committing, fetching, linking, notifying, writing
from snn_feed.pipeline.context import Seams, open_seams, process_owner, utc_now
from snn_feed.pipeline.dry_run import dry_run
from snn_feed.pipeline.fetching import Fetched
from snn_feed.pipeline.reconcile import read_presence, reconcile
from snn_feed.records import SyncSummary
from snn_feed.sources.api import PoliteClient
from snn_feed.store.engine import command_lock_holders
from snn_feed.translation.engines import Translator

log = logging.getLogger(__name__)


@dataclass
class SyncOptions:
    since: date | None = None
    """Start of the submission window (overrides the last successful sync)."""
    commit: bool = True
    dry_run: bool = False
    source: str | None = None
    """api, rss or both; None: `[sync] source`."""


@dataclass
class SyncResult:
    summary: SyncSummary
    status: ExitStatus
    would_add: list[str] = field(default_factory=list)
    """Dry run: one line per paper that would be added."""
    unusable: str | None = None
    """Why the translator could not be used at all, when that was so."""


def sync(seams: Seams, options: SyncOptions) -> SyncResult:
    """One sync over `seams` and its topics; the run and its outcome are recorded in the store.

    Every topic is fetched by the same requests (one announcement feed, as few search queries
    as the topics' windows allow), each paper stored and translated once and written to the
    log of each topic it is on topic for; each repository gets one commit. What goes wrong
    with one topic's log (an edit of someone's in it) is that topic's: the others are written
    and committed, and the run fails at its end."""
    settings, store = seams.settings, seams.store
    topics = seams.topics or [seams]
    source = options.source or settings.sync.source
    if options.dry_run:  # each topic by itself: a dry run is rare, and asks arXiv per topic
        summary, lines = SyncSummary(), []
        for t in topics:
            part, added = dry_run(t, options.since, source)
            summary.found += part.found
            summary.new += part.new
            summary.messages += part.messages
            lines += [f"{t.settings.topic}: {line}" if t.name else line for line in added]
        status = ExitStatus.FAILED if summary.messages else ExitStatus.DONE
        return SyncResult(summary, status, would_add=lines)
    # Crashed: runs of owners gone, which on PostgreSQL means no session of theirs holds the
    # database's lock any more (a host's live run is never taken for a dead one).
    store.runs.close_crashed(command_lock_holders(store.engine))
    run_id = store.runs.start("sync", owner=process_owner(), lock_session=seams.lock_session)
    now = seams.clock()
    windows = {
        t.settings.topic: fetching.window(
            t.store, settings.arxiv.lookback_days, t.zone, now, options.since
        )
        for t in topics
    }
    since = min(start for start, _ in windows.values())
    until = now
    summary = SyncSummary()
    fetched = Fetched()
    fetch_errors: list[FetchError] = []
    problems: list[SnnFeedError] = []  # a topic's own failures: the others go on
    # Once a topic's window is read to its end, its next window starts there even if this
    # run fails later (the feed, translation or git): its papers are stored.
    searched: set[str] = set()
    unusable: str | None = None  # why the translator could not be used at all, if so
    try:
        repositories = _repositories(topics)
        for git, members in repositories:
            committing.prepare_repository(git, members[0].log_path)
            for other in members[1:]:
                if git is not None:
                    if not other.log_path.exists():
                        other.log_path.parent.mkdir(parents=True, exist_ok=True)
                    committing.check_not_ignored(git, other.log_path)
            committing.catch_up(store, git, settings.git)
        lanes = []
        for t in topics:
            presence = read_presence(t.log_path, t.store)  # no stage before writing changes it
            reconcile(t.store, presence, str(t.log_path))
            lanes.append(t.lane(presence))
        # Announcements first: on announcement day the search API may not have them yet. The
        # API window then adds what the feed missed; a paper found by both is stored once (by
        # versionless id). Papers already stored are still translated, written and committed
        # below when a source fails.
        if source in ("rss", "both") and seams.rss is not None:
            try:
                announced = fetching.read_announcements(seams.rss, store, _feed_categories(topics),
                                                        lanes)  # fmt: skip
                fetched += fetching.store_announcements(store, announced, lanes)
                seams.safe_point()
            except FetchError as err:
                fetch_errors.append(err)
        if source in ("api", "both"):
            for start, group in _by_window(topics, windows):
                searches = fetching.search_topics(seams.client, [t.settings.feed for t in group],
                                                  start, until)  # fmt: skip
                try:
                    for search in searches:
                        new = 0
                        try:
                            for page_new in fetching.store_window(
                                store, search, lanes,
                                page_size=seams.client.page_size, safe_point=seams.safe_point,
                            ):  # fmt: skip
                                new += page_new
                        finally:
                            fetched += Fetched(search.found, new)
                except FetchError as err:
                    fetch_errors.append(err)
                    continue
                for t in group:
                    t.store.topics.record_window(until)
                    searched.add(t.settings.topic)
        summary.found, summary.new = fetched.found, fetched.new
        translated = seams.translating().run()
        summary.translated = translated.translated
        summary.messages += translated.failures
        unusable = translated.unusable
        seams.safe_point()
        if settings.summary.enabled:  # before writing, so that a summary in time is shown
            summary.summarised = _summarise(seams)
            seams.safe_point()
        linking.find_code_links(store, settings.links, seams.safe_point)
        for t in topics:
            with _own(t, problems, several=len(topics) > 1):
                summary.written += writing.write(t.store, t.log_path, t.settings.log, t.guard(),
                                                 t.today(), t.layout())  # fmt: skip
        if options.commit:
            summary.commit = _commit(repositories, settings, seams.today().date(), problems)
        for t in topics:
            keep = t.settings.log.keep_months
            if keep and (t.git is None or options.commit):
                with _own(t, problems, several=len(topics) > 1):
                    archiving.archive_old_months(t.store, t.log_path, keep, t.guard(), t.git)
        if problems:
            first = problems[0]
            if len(problems) == 1:
                raise first
            raise type(first)("; ".join(str(p) for p in problems))
        if fetch_errors:
            # Every source that failed, and what the run did meanwhile (papers from the other
            # source or from earlier pages may well be logged and committed).
            raise FetchError(
                "; ".join(str(e) for e in fetch_errors) + f" (meanwhile {summary.line()})",
                url=fetch_errors[-1].url,
                attempts=fetch_errors[-1].attempts,
            )
    except BaseException as err:  # recorded, then re-raised: a run never stays "running"
        summary.found, summary.new = fetched.found, fetched.new
        summary.pending = store.papers.count_unwritten(every_topic=True)
        outcome = "interrupted" if isinstance(err, Interrupted) else "failed"
        every = len(searched) == len(topics)
        store.runs.finish(
            run_id, outcome, error=str(err) or type(err).__name__, **_counts(summary),
            window_start=since, window_end=until if every else None,
            commit_sha=summary.commit,
        )  # fmt: skip
        raise
    summary.pending = store.papers.count_unwritten(every_topic=True)
    status = ExitStatus.PARTIAL if summary.pending else ExitStatus.DONE
    every = len(searched) == len(topics)
    store.runs.finish(
        run_id, "partial" if summary.pending else "done", **_counts(summary),
        window_start=since if every else None, window_end=until if every else None,
        commit_sha=summary.commit,
        error=f"could not translate: {unusable}" if unusable and summary.pending else None,
    )  # fmt: skip
    return SyncResult(summary, status, unusable=unusable)


def _summarise(seams: Seams) -> int:
    """The summary stage: summaries made. Whatever goes wrong in it is a warning: a summary is
    an extra, and the papers are written without one (the database's own failures excepted:
    every stage after this one needs it)."""
    try:
        return seams.summarizing().run().made
    except (Interrupted, DatabaseError):
        raise
    except Exception as err:
        log.warning("summary: none made in this run: %s", err)
        return 0


def _repositories(topics: list[Seams]) -> list[tuple[GitRepo | None, list[Seams]]]:
    """The topics grouped by the repository of their logs (all together when not committing),
    in the config's order."""
    groups: dict[int, tuple[GitRepo | None, list[Seams]]] = {}
    for t in topics:
        groups.setdefault(id(t.git), (t.git, []))[1].append(t)
    return list(groups.values())


def _by_window(
    topics: list[Seams], windows: dict[str, tuple[datetime, datetime]]
) -> list[tuple[datetime, list[Seams]]]:
    """Topics sharing a window's start are searched together: every topic after a sync, so
    one window; a topic added since starts its own, a lookback before now, without asking
    arXiv again for the others' windows."""
    groups: dict[datetime, list[Seams]] = {}
    for t in topics:
        groups.setdefault(windows[t.settings.topic][0], []).append(t)
    return sorted(groups.items(), key=lambda item: item[0])


def _feed_categories(topics: list[Seams]) -> list[str]:
    """The announcement feed's categories: `[rss] categories` and every topic's categories,
    read in one request."""
    wanted = list(topics[0].settings.rss.categories)
    for t in topics:
        wanted += t.settings.feed.categories
    return list(dict.fromkeys(wanted))


@contextmanager
def _own(t: Seams, problems: list[SnnFeedError], *, several: bool) -> Iterator[None]:
    """With several topics, a failure of one topic's log is noted and the others go on; with
    one, it is the run's."""
    if not several:
        yield
        return
    try:
        yield
    except (GitError, LogFileError) as err:
        log.error("topic %s: %s", t.settings.topic, err)
        problems.append(type(err)(f"topic {t.settings.topic}: {err}"))


def _commit(
    repositories: list[tuple[GitRepo | None, list[Seams]]],
    settings: Settings,
    today: date,
    problems: list[SnnFeedError],
) -> str | None:
    """One commit per repository, of every topic log in it; the last commit made."""
    several = sum(len(members) for _, members in repositories) > 1
    message = (TOPICS_MESSAGE if settings.several and "message" not in
               settings.git.model_fields_set else None)  # fmt: skip
    last: str | None = None
    for git, members in repositories:
        if git is None:
            continue
        together = [committing.Member(t.store, t.log_path, t.guard(), t.settings.topic_title and
                                      t.settings.topic) for t in members]  # fmt: skip
        try:
            sha, refused = committing.commit_together(together, git, settings.git, today, message)
        except GitError as err:
            if not several or isinstance(err, PushError):
                raise
            problems.append(err)
            continue
        problems.extend(refused)  # each names its log
        last = sha or last
    return last


def run_sync(
    settings: Settings,
    options: SyncOptions,
    *,
    client: PoliteClient | None = None,
    translator: Translator | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    clock: Callable[[], datetime] = utc_now,
) -> SyncResult:
    """One sync under the cross-process lock, with the configured seams unless given; then the
    after-sync outputs."""
    source = options.source or settings.sync.source
    with open_seams(
        settings, commit=options.commit, dry_run=options.dry_run, client=client,
        translator=translator, should_stop=should_stop, announcements=source != "api",
        clock=clock,
    ) as seams:  # fmt: skip
        if options.dry_run:
            return sync(seams, options)
        try:
            result = sync(seams, options)
        except Interrupted:
            raise  # stopped on request: exit now; the next sync tells what there is to tell
        except Exception as err:
            notifying.after_run(seams, err)
            raise
        _refresh_feed(seams, result)
        _refresh_site(seams, result)
        s = result.summary
        notifying.after_run(seams, None, translated=s.translated, pending=s.pending,
                            unusable=result.unusable)  # fmt: skip
        return result


def _refresh_feed(seams: Seams, result: SyncResult) -> None:
    """Rewrite each topic's `[export] atom`, if set. The papers are already committed, so a
    feed that cannot be written fails the run's exit status (and the scheduler retries) but
    nothing else; the next sync writes it again."""
    for t in seams.topics or [seams]:
        if t.settings.atom_path is None:
            continue
        from snn_feed.service.export import export_atom

        try:
            export_atom(t.settings, t.store)
        except ExportError as err:
            _failed_after(result, err)


def _refresh_site(seams: Seams, result: SyncResult) -> None:
    """Rebuild each topic's `[site] dir`, if set, as the feed is rewritten: the papers are
    committed already, so a site that cannot be written fails the exit status only; the next
    sync writes what is missing (it compares every file, not what this run changed)."""
    for t in seams.topics or [seams]:
        if t.settings.site_path is None:
            continue
        from snn_feed.site.build import rebuild

        try:
            report = rebuild(t.settings, t.store)
        except SiteError as err:
            _failed_after(result, err)
            continue
        if report is not None:
            log.info("site%s: %s", f" of {t.settings.topic}" if t.name else "", report.line())


def _failed_after(result: SyncResult, err: Exception) -> None:
    result.summary.messages.insert(0, str(err))
    if result.status == ExitStatus.DONE:
        result.status = ExitStatus.FAILED


def _counts(summary: SyncSummary) -> dict[str, int]:
    return {
        "found": summary.found,
        "new": summary.new,
        "translated": summary.translated,
        "written": summary.written,
        "pending": summary.pending,
    }
