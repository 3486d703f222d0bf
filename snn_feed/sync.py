"""`snn-feed sync`: fetch -> store -> translate -> write the log -> commit.

Each stage reads its input from the database and records its effect there, so a run that
stops anywhere is completed by the next one: papers fetched but not translated are translated
next time, papers written but not committed are committed next time, and a paper already in
the log file is never written again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import TypeVar
from zoneinfo import ZoneInfo

from snn_feed import arxiv_source, logfile, relevance
from snn_feed.config import Settings
from snn_feed.errors import ExitStatus, GitError, SnnFeedError, TranslationError
from snn_feed.gitrepo import GitRepo
from snn_feed.records import LogEntry, Paper, SyncSummary
from snn_feed.render import render_entry
from snn_feed.store import PaperRow, PaperState, Store
from snn_feed.translate import Translator

log = logging.getLogger(__name__)
T = TypeVar("T")

ENGINE_FAILURES_BEFORE_GIVING_UP = 2
"""Consecutive failed papers after which the engine is taken to be down for this run."""


@dataclass
class SyncOptions:
    since: date | None = None
    """Start of the submission window (overrides the last successful sync)."""
    commit: bool = True
    dry_run: bool = False


@dataclass
class SyncResult:
    summary: SyncSummary
    status: ExitStatus
    would_add: list[str] = field(default_factory=list)
    """Dry run: one line per paper that would be added."""


def entry_order(row: PaperRow) -> tuple[int, str]:
    """Within a month, higher score first, then arXiv id (oldest first): stable across runs."""
    return (-row.score, row.arxiv_id)


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class Syncer:
    """One sync over injected seams: the arXiv client, the translator, git and a clock."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        client: arxiv_source.PoliteClient,
        translator: Translator,
        git: GitRepo | None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.store = store
        self.client = client
        self.translator = translator
        self.git = git
        self.clock = clock
        self.zone = ZoneInfo(settings.log.timezone)

    # -- stages ---------------------------------------------------------------------------

    def window(self, options: SyncOptions) -> tuple[datetime, datetime]:
        until = self.clock()
        lookback = timedelta(days=self.settings.arxiv.lookback_days)
        if options.since is not None:
            since = datetime.combine(options.since, time(0), self.zone)
        else:
            last = self.store.last_successful_window_end()
            since = (last or until) - lookback
        return since.astimezone(UTC), until

    def matching(
        self, since: datetime, until: datetime, summary: SyncSummary
    ) -> Iterator[tuple[Paper, int, str | None]]:
        feed = self.settings.feed
        query = relevance.build_query(feed.keywords, feed.exclude, feed.categories, since, until)
        log.info("arXiv query: %s", query)
        for paper in arxiv_source.search(self.client, query):
            summary.found += 1
            score = relevance.score(paper, feed.keywords, feed.exclude)
            if score == 0:
                log.debug("off-topic, skipped: %s %s", paper.arxiv_id, paper.title)
                continue
            if feed.categories and not set(paper.categories) & set(feed.categories):
                continue
            yield paper, score, relevance.code_url(paper.abstract, paper.comment)

    def fetch(self, since: datetime, until: datetime, summary: SyncSummary) -> None:
        # One transaction per batch: a failure later in paging keeps what was already read.
        for batch in _batches(self.matching(since, until, summary), self.client.page_size):
            summary.new += len(self.store.add_papers(batch))

    def translate(self, summary: SyncSummary) -> None:
        failures = 0
        for row in self.store.in_state(PaperState.FETCHED):
            try:
                text = self.translator.translate(row.abstract)
            except TranslationError as err:
                self.store.record_translation_failure(row.arxiv_id, str(err))
                summary.messages.append(f"translation failed for {row.arxiv_id}: {err}")
                failures += 1
                if failures >= ENGINE_FAILURES_BEFORE_GIVING_UP:
                    log.info("%s keeps failing; leaving the rest pending", self.translator.name)
                    break
                continue
            failures = 0
            self.store.save_translation(row.arxiv_id, text, self.translator.name)
            summary.translated += 1

    def write(self, summary: SyncSummary) -> None:
        rows = self.store.in_state(PaperState.TRANSLATED)
        if not rows:
            return
        path = self.settings.log_path
        text = logfile.read_log(path)
        present = logfile.ids_in(text)
        already = [r.arxiv_id for r in rows if r.arxiv_id in present]
        if already:
            # Written by a run that stopped before recording it, or by hand: never twice.
            self.store.mark_written(already, None)
        todo = sorted((r for r in rows if r.arxiv_id not in present), key=entry_order)
        if not todo:
            return
        if (
            self.git is not None
            and path.exists()
            and self.git.log_changed()
            and not self.store.in_state(PaperState.WRITTEN)
        ):
            # Someone is editing the log: committing now would sweep their work into our commit.
            raise GitError(
                f"the log {path} has uncommitted changes that snn-feed did not make: commit or "
                "stash them, then sync again (translated papers wait until then)"
            )
        today = self.clock().astimezone(self.zone)
        nl = logfile.newline_of(text) if text else "\n"
        entries = [render_entry(_entry(r), newline=nl) for r in todo]
        updated = logfile.insert_entries(
            text, today.year, today.month, entries, intro=self.settings.log.intro
        )
        logfile.write_atomic(path, updated)
        self.store.mark_written([r.arxiv_id for r in todo], f"{today.year}.{today.month:02d}")
        summary.written += len(todo)

    def commit(self, summary: SyncSummary) -> None:
        if self.git is None:
            return
        rows = self.store.in_state(PaperState.WRITTEN)
        if not self.settings.log_path.exists():
            return
        if not self.git.log_changed():
            # Nothing to commit: whatever is marked written is already in a commit.
            self.store.mark_committed([r.arxiv_id for r in rows], None)
            return
        today = self.clock().astimezone(self.zone).date().isoformat()
        message = self.settings.git.message.format(date=today, count=len(rows))
        sha = self.git.commit_log(message)
        self.store.mark_committed([r.arxiv_id for r in rows], sha)
        summary.commit = sha
        if self.settings.git.push:
            self.git.push()

    # -- the whole run --------------------------------------------------------------------

    def run(self, options: SyncOptions) -> SyncResult:
        summary = SyncSummary()
        if options.dry_run:
            return self._dry_run(options, summary)
        run_id = self.store.start_run("sync")
        since, until = self.window(options)
        try:
            self._prepare_repository()
            self.fetch(since, until, summary)
            self.translate(summary)
            self.write(summary)
            if options.commit:
                self.commit(summary)
        except SnnFeedError as err:
            summary.pending = self.store.count_unwritten()
            self.store.finish_run(
                run_id, "failed", error=str(err), **_counts(summary),
                window_start=since, window_end=None,
            )  # fmt: skip
            raise
        summary.pending = self.store.count_unwritten()
        status = ExitStatus.PARTIAL if summary.pending else ExitStatus.DONE
        self.store.finish_run(
            run_id, "partial" if summary.pending else "done", **_counts(summary),
            window_start=since, window_end=until, commit_sha=summary.commit,
        )  # fmt: skip
        return SyncResult(summary, status)

    def _prepare_repository(self) -> None:
        """A new log gets its own repository; an existing log must already be in one."""
        if self.git is None or self.git.is_repository():
            return
        if self.settings.log_path.exists():
            raise GitError(
                f"the log {self.settings.log_path} is not in a git repository: run `git init` "
                "in its folder, or set [git] commit = false"
            )
        self.git.init()

    def _dry_run(self, options: SyncOptions, summary: SyncSummary) -> SyncResult:
        since, until = self.window(options)
        present = logfile.ids_in(logfile.read_log(self.settings.log_path))
        lines = []
        for paper, score, _ in self.matching(since, until, summary):
            known = self.store.get(paper.arxiv_id)
            if paper.arxiv_id in present or (known and known.state != PaperState.FETCHED):
                continue
            summary.new += 1
            lines.append(f"[{score}] {paper.arxiv_id} {paper.first_author}: {paper.title}")
        for row in self.store.in_state(PaperState.TRANSLATED):
            if row.arxiv_id not in present:
                lines.append(
                    f"[{row.score}] {row.arxiv_id} {_entry(row).first_author}: {row.title}"
                )
        return SyncResult(summary, ExitStatus.DONE, would_add=lines)


def _counts(summary: SyncSummary) -> dict[str, int]:
    return {
        "found": summary.found,
        "new": summary.new,
        "translated": summary.translated,
        "written": summary.written,
        "pending": summary.pending,
    }


def _entry(row: PaperRow) -> LogEntry:
    return LogEntry(
        arxiv_id=row.arxiv_id,
        score=row.score,
        first_author=row.authors[0] if row.authors else "",
        title=row.title,
        abstract_zh=row.abstract_zh or "",
        code_url=row.code_url,
    )
