"""`snn-feed sync`: fetch -> select -> store -> translate -> code links -> write -> commit ->
after-sync outputs, each stage a module of this package.

Each stage reads its input from the database and records its effect there, so a run that
stops anywhere is completed by the next one: papers fetched but not translated are translated
next time, papers written but not committed are committed next time, and a paper already in
the log is never written again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from snn_feed.config import Settings
from snn_feed.errors import ExitStatus, ExportError, FetchError, Interrupted, SiteError
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
    """One sync over `seams`; the run and its outcome are recorded in the store."""
    settings, store = seams.settings, seams.store
    source = options.source or settings.sync.source
    if options.dry_run:
        summary, lines = dry_run(seams, options.since, source)
        status = ExitStatus.FAILED if summary.messages else ExitStatus.DONE
        return SyncResult(summary, status, would_add=lines)
    # Crashed: runs of owners gone, which on PostgreSQL means no session of theirs holds the
    # database's lock any more (a host's live run is never taken for a dead one).
    store.runs.close_crashed(command_lock_holders(store.engine))
    run_id = store.runs.start("sync", owner=process_owner(), lock_session=seams.lock_session)
    since, until = fetching.window(store, settings.arxiv.lookback_days, seams.zone, seams.clock(),
                                   options.since)  # fmt: skip
    log_path = str(seams.log_path)
    guard = seams.guard()
    pick = seams.selection()
    summary = SyncSummary()
    fetched = Fetched()
    fetch_errors: list[FetchError] = []
    # Once the search API's window is read to its end, the next window starts there even if
    # this run fails later (the feed, translation or git): its papers are stored.
    searched = False
    unusable: str | None = None  # why the translator could not be used at all, if so
    try:
        committing.prepare_repository(seams.git, seams.log_path)
        committing.catch_up(store, seams.git, settings.git)
        presence = read_presence(seams.log_path, store)  # no stage before writing changes it
        reconcile(store, presence, log_path)
        # Announcements first: on announcement day the search API may not have them yet. The
        # API window then adds what the feed missed; a paper found by both is stored once (by
        # versionless id). Papers already stored are still translated, written and committed
        # below when a source fails.
        if source in ("rss", "both") and seams.rss is not None:
            try:
                announced = fetching.read_announcements(seams.rss, store, settings.rss.categories,
                                                        pick)  # fmt: skip
                fetched += fetching.store_announcements(store, announced, pick, presence, log_path)
                seams.safe_point()
            except FetchError as err:
                fetch_errors.append(err)
        if source in ("api", "both"):
            search = fetching.search_window(seams.client, settings.feed, since, until)
            new = 0
            try:
                for page_new in fetching.store_window(
                    store, search, pick, presence, log_path,
                    page_size=seams.client.page_size, safe_point=seams.safe_point,
                ):  # fmt: skip
                    new += page_new
                searched = True
            except FetchError as err:
                fetch_errors.append(err)
            finally:
                fetched += Fetched(search.found, new)
        summary.found, summary.new = fetched.found, fetched.new
        translated = seams.translating().run()
        summary.translated = translated.translated
        summary.messages += translated.failures
        unusable = translated.unusable
        seams.safe_point()
        linking.find_code_links(store, settings.links, seams.safe_point)
        summary.written = writing.write(store, seams.log_path, settings.log, guard,
                                        seams.today(), seams.layout())  # fmt: skip
        if options.commit and seams.git is not None:
            summary.commit = committing.commit(store, seams.git, settings.git, seams.log_path,
                                               guard, seams.today().date())  # fmt: skip
        if settings.log.keep_months and (seams.git is None or options.commit):
            archiving.archive_old_months(store, seams.log_path, settings.log.keep_months,
                                         guard, seams.git)  # fmt: skip
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
        summary.pending = store.papers.count_unwritten()
        outcome = "interrupted" if isinstance(err, Interrupted) else "failed"
        store.runs.finish(
            run_id, outcome, error=str(err) or type(err).__name__, **_counts(summary),
            window_start=since, window_end=until if searched else None,
            commit_sha=summary.commit,
        )  # fmt: skip
        raise
    summary.pending = store.papers.count_unwritten()
    status = ExitStatus.PARTIAL if summary.pending else ExitStatus.DONE
    store.runs.finish(
        run_id, "partial" if summary.pending else "done", **_counts(summary),
        window_start=since if searched else None, window_end=until if searched else None,
        commit_sha=summary.commit,
        error=f"could not translate: {unusable}" if unusable and summary.pending else None,
    )  # fmt: skip
    return SyncResult(summary, status, unusable=unusable)


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
    """Rewrite `[export] atom`, if set. The papers are already committed, so a feed that
    cannot be written fails the run's exit status (and the scheduler retries) but nothing else;
    the next sync writes it again."""
    if seams.settings.atom_path is None:
        return
    from snn_feed.service.export import export_atom

    try:
        export_atom(seams.settings, seams.store)
    except ExportError as err:
        result.summary.messages.insert(0, str(err))
        if result.status == ExitStatus.DONE:
            result.status = ExitStatus.FAILED


def _refresh_site(seams: Seams, result: SyncResult) -> None:
    """Rebuild `[site] dir`, if set, as the feed is rewritten: the papers are committed
    already, so a site that cannot be written fails the exit status only; the next sync
    writes what is missing (it compares every file, not what this run changed)."""
    if seams.settings.site_path is None:
        return
    from snn_feed.site.build import rebuild

    try:
        report = rebuild(seams.settings, seams.store)
    except SiteError as err:
        result.summary.messages.insert(0, str(err))
        if result.status == ExitStatus.DONE:
            result.status = ExitStatus.FAILED
        return
    if report is not None:
        log.info("site: %s", report.line())


def _counts(summary: SyncSummary) -> dict[str, int]:
    return {
        "found": summary.found,
        "new": summary.new,
        "translated": summary.translated,
        "written": summary.written,
        "pending": summary.pending,
    }
