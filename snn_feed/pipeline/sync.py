"""`snn-feed sync`: fetch -> store -> translate -> write the log -> commit.

Each stage reads its input from the database and records its effect there, so a run that
stops anywhere is completed by the next one: papers fetched but not translated are translated
next time, papers written but not committed are committed next time, and a paper already in
the log file is never written again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from pathlib import Path
from time import monotonic
from time import sleep as pause
from typing import TypeVar
from zoneinfo import ZoneInfo

from snn_feed.config import Settings
from snn_feed.errors import (
    BusyError,
    ExitStatus,
    ExportError,
    FetchError,
    GitError,
    Interrupted,
    TranslationError,
)
from snn_feed.journal import archive, logfile
from snn_feed.journal.gitrepo import GitRepo
from snn_feed.journal.paths import check_inside, safe_log_path
from snn_feed.journal.presence import Presence
from snn_feed.journal.render import render_entry
from snn_feed.pipeline import relevance
from snn_feed.records import LogEntry, Paper, SyncSummary
from snn_feed.sources import api as arxiv_source
from snn_feed.sources.announcements import FetchResult, RssClient, Validators
from snn_feed.sources.codelinks import HfPapers, LinkLookupError
from snn_feed.store import PaperRow, PaperState, Placement, Store, open_store
from snn_feed.translation import glossary
from snn_feed.translation.engines import NoTranslation, Translator, make_translator, translate_many

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
    source: str | None = None
    """api, rss or both; None: `[sync] source`."""


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


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
        should_stop: Callable[[], bool] = lambda: False,
        rss: RssClient | None = None,
    ) -> None:
        self.settings = settings
        self.rss = rss
        self.should_stop = should_stop
        self.store = store
        self.client = client
        self.translator = translator
        self.git = git
        self.clock = clock
        self.zone = ZoneInfo(settings.log.timezone)
        self.weights = settings.score.weights()
        # A symlinked log is written through, unless the link leads out of its repository.
        self.log_path = safe_log_path(settings.log_path)
        self.glossary = glossary.Glossary(
            settings.translate.glossary, settings.translate.corrections
        )

    def _safe_point(self) -> None:
        """Stop here if asked to: between papers and pages, never inside a write."""
        if self.should_stop():
            raise Interrupted("stopped on request at a safe point; the next sync continues")

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
        self,
        since: datetime,
        until: datetime,
        summary: SyncSummary,
        on_page: Callable[[], None] = lambda: None,
    ) -> Iterator[tuple[Paper, int, str | None]]:
        """Papers in the window that pass the local keyword check, with score and code URL."""
        feed = self.settings.feed
        query = relevance.build_query(feed.keywords, feed.exclude, feed.categories, since, until)
        log.info("arXiv query: %s", query)
        for paper in arxiv_source.search(self.client, query):
            on_page()
            summary.found += 1
            if (scored := self._scored(paper)) is not None:
                yield scored

    def _scored(self, paper: Paper) -> tuple[Paper, int, str | None] | None:
        """The paper with its score and code URL, or None when it is off-topic."""
        feed = self.settings.feed
        score = relevance.score(paper, feed.keywords, feed.exclude, self.weights)
        if score == 0:
            log.debug("off-topic, skipped: %s %s", paper.arxiv_id, paper.title)
            return None
        if feed.categories and not set(paper.categories) & set(feed.categories):
            return None
        return paper, score, relevance.code_url(paper.abstract, paper.comment)

    def announcements(
        self, summary: SyncSummary, *, conditional: bool = True
    ) -> tuple[FetchResult, list[tuple[Paper, int, str | None]], list[Paper]]:
        """The day's announcement feed: the fetch result, the relevant new and cross-listed
        papers, and the replacements (which only refresh papers already stored)."""
        assert self.rss is not None
        categories = self.settings.rss.categories
        url = self.rss.feed_url(categories)
        check = self.store.feed_check(url) if conditional else None
        validators = (
            Validators(url=url, etag=check.etag, last_modified=check.last_modified)
            if check
            else None
        )
        result = self.rss.fetch(categories, validators)
        fresh: list[tuple[Paper, int, str | None]] = []
        replaced: list[Paper] = []
        if result.feed is None:
            log.info("announcements: not changed since the last check")
            return result, fresh, replaced
        for item in result.feed.items:
            paper = item.to_paper()
            if item.is_replacement:
                replaced.append(paper)
                continue
            # Only on-topic items count as found: the feed lists every paper of its
            # categories, and `status` warns when nothing is found for days.
            if (scored := self._scored(paper)) is not None:
                summary.found += 1
                fresh.append(scored)
        log.info(
            "announcements of %s: %d items, %d relevant, %d replacements",
            result.feed.announced_on, len(result.feed.items), len(fresh), len(replaced),
        )  # fmt: skip
        return result, fresh, replaced

    def fetch_announcements(self, summary: SyncSummary, presence: Presence | None = None) -> None:
        """Store the relevant papers of the day's announcements; refresh replaced ones. The
        feed's validators are saved last, so a crash before then reads the feed again."""
        result, fresh, replaced = self.announcements(summary)
        if result.feed is None:
            return
        feed = self.settings.feed
        logged = self._already_logged(fresh, presence or self.presence())
        summary.new += len(
            self.store.add_papers(
                fresh, logged=logged, log=str(self.log_path), min_score=feed.min_score
            )
        )
        # Replacements are scored but not filtered: an on-topic paper stays stored whatever
        # its new version says, and one never stored is left out by `known_only`.
        rescored = [
            (
                p,
                relevance.score(p, feed.keywords, feed.exclude, self.weights),
                relevance.code_url(p.abstract),
            )
            for p in replaced
        ]
        summary.new += len(
            self.store.add_papers(rescored, known_only=True, min_score=feed.min_score)
        )
        v = result.validators
        self.store.save_feed_check(
            v.url, etag=v.etag, last_modified=v.last_modified,
            announced=result.feed.announced, items=len(result.feed.items),
        )  # fmt: skip
        self._safe_point()

    def presence(self, text: str | None = None) -> Presence:
        """What the configured log holds now: the entries of its file (`text`, if already
        read) and its archives, and the entries imported from it. Read once per stage."""
        texts = [logfile.read_log(self.log_path) if text is None else text]
        texts += [logfile.read_log(path) for path in sorted(self.archive_dir.glob("*.md"))]
        return Presence.of(texts, self.store.logged_ids(), self.store.unresolved_titles())

    @staticmethod
    def _already_logged(
        batch: list[tuple[Paper, int, str | None]], presence: Presence
    ) -> dict[str, str]:
        """Papers of `batch` the log already holds -> what holds them there."""
        return {
            paper.arxiv_id: key
            for paper, _, _ in batch
            if (key := presence.entry_of(paper.arxiv_id, paper.title))
        }

    def reconcile(self, presence: Presence) -> None:
        """Make the recorded state of papers agree with what this log holds, before anything
        is translated: a paper recorded as written to another log, or to this one but no
        longer in it, goes back in line for it; a waiting paper the log already holds (an
        entry written by hand, or by a run that died before recording it) is written."""
        here = str(self.log_path)
        self.store.claim_unplaced(here)
        requeue, present = plan_reconcile(self.store.placements(), presence, here)
        if requeue:
            log.info("%d papers recorded in another log, or no longer in this one: "
                     "writing them to %s", len(requeue), here)  # fmt: skip
        self.store.requeue(requeue)
        self.store.mark_written(present, None, here)

    def fetch(
        self,
        since: datetime,
        until: datetime,
        summary: SyncSummary,
        origin: str = "sync",
        on_page: Callable[[], None] = lambda: None,
        presence: Presence | None = None,
    ) -> None:
        # One transaction per batch: a failure later in paging keeps what was already read.
        presence = presence or self.presence()
        papers = self.matching(since, until, summary, on_page)
        for batch in _batches(papers, self.client.page_size):
            logged = self._already_logged(batch, presence)
            summary.new += len(
                self.store.add_papers(
                    batch, origin=origin, logged=logged, log=str(self.log_path),
                    min_score=self.settings.feed.min_score,
                )
            )  # fmt: skip
            self._safe_point()

    def _engine_names(self) -> list[str]:
        chain = getattr(self.translator, "engines", None)
        return [e.name for e in chain] if chain else [self.translator.name]

    def _cached(self, row: PaperRow) -> tuple[str, str] | None:
        """(engine, text) when this abstract was translated before by a configured engine
        under this glossary: the same text is never paid for twice."""
        sha = _sha256(row.abstract.encode())
        return self.store.cached_translation(
            row.arxiv_id, sha, self._engine_names(), self.glossary.version
        )

    def _remember(self, row: PaperRow, engine: str, raw: str) -> None:
        sha = _sha256(row.abstract.encode())
        self.store.cache_translation(row.arxiv_id, sha, engine, self.glossary.version, raw)

    def _translation(self, row: PaperRow, *, force: bool = False) -> tuple[str, str]:
        """(engine, Chinese text) for one paper, from the cache unless `force`."""
        cached = None if force else self._cached(row)
        if cached is not None:
            engine, raw = cached
        else:
            raw = self.translator.translate(row.abstract)
            engine = getattr(self.translator, "last_engine", self.translator.name)
            self._remember(row, engine, raw)
        return engine, self.glossary.normalize(raw)  # one term per concept; URLs apart

    def translate(self, summary: SyncSummary) -> None:
        """Translate waiting papers, `[translate] concurrency` at a time."""
        waiting = self.store.to_translate()
        if isinstance(self.translator, NoTranslation):
            # Nothing to ask for or to cache: every waiting paper moves on in one transaction
            # (one lookup, a cached empty text and an update per paper made this stage most of
            # a backfill's time).
            done = [(row.arxiv_id, "", self.translator.name) for row in waiting]
            self.store.save_translations(done)
            summary.translated += len(done)
            self._safe_point()
            return
        todo: dict[str, PaperRow] = {}
        for row in waiting:
            cached = self._cached(row)
            if cached is None:
                todo[row.arxiv_id] = row
                continue
            self.store.save_translation(row.arxiv_id, self.glossary.normalize(cached[1]), cached[0])
            summary.translated += 1
        failures = 0

        def enough() -> bool:
            # After failures in a row the engine is taken to be down: nothing new is sent,
            # but what is already in flight is still received and kept.
            return self.should_stop() or failures >= ENGINE_FAILURES_BEFORE_GIVING_UP

        results = translate_many(
            self.translator,
            ((arxiv_id, row.abstract) for arxiv_id, row in todo.items()),
            self.settings.translate.concurrency,
            enough,
        )
        for arxiv_id, result, engine in results:
            if isinstance(result, TranslationError):
                self.store.record_translation_failure(arxiv_id, str(result))
                summary.messages.append(f"translation failed for {arxiv_id}: {result}")
                failures += 1
                continue
            failures = 0
            self._remember(todo[arxiv_id], engine, result)
            self.store.save_translation(arxiv_id, self.glossary.normalize(result), engine)
            summary.translated += 1
        if failures >= ENGINE_FAILURES_BEFORE_GIVING_UP:
            log.info("%s keeps failing; the rest stay pending", self.translator.name)
        self._safe_point()

    def find_code_links(self) -> int:
        """Ask Hugging Face (`[links] huggingface`) for the repositories of papers about to be
        written that name none; return how many were found. Each paper is asked about once.
        Never on the critical path: the whole step ends within `[links] budget_seconds`, and
        any failure (a 429 included) ends it with a warning, the papers written without."""
        links = self.settings.links
        if not links.huggingface:
            return 0
        todo = self.store.needing_code_link()
        found = 0
        deadline = monotonic() + links.budget_seconds
        with closing(HfPapers(base_url=links.url, timeout_seconds=links.timeout_seconds)) as hf:
            for done, arxiv_id in enumerate(todo):
                self._safe_point()
                try:
                    url = hf.repository(arxiv_id, deadline=deadline)
                except LinkLookupError as err:
                    log.warning(
                        "code links: %s; %d of %d papers not looked up this time",
                        err, len(todo) - done, len(todo),
                    )  # fmt: skip
                    break
                self.store.save_code_link(arxiv_id, url)
                found += url is not None
        log.info("code links: %d found on Hugging Face for %d papers", found, len(todo))
        return found

    def retranslate(self, rows: list[PaperRow], *, force: bool = False) -> tuple[int, list[str]]:
        """Translate `rows` again; (how many succeeded, error lines). Log entries already
        written keep their text: the log is append-only."""
        done, errors = 0, []
        for row in rows:
            self._safe_point()
            try:
                engine, text = self._translation(row, force=force)
            except TranslationError as err:
                errors.append(f"{row.arxiv_id}: {err}")
                continue
            self.store.set_translation(row.arxiv_id, text, engine)
            done += 1
        return done, errors

    def _log_is_ours(self) -> bool:
        """The log equals its last commit, or holds exactly the bytes snn-feed last wrote.

        Anything else is someone's uncommitted edit, which snn-feed must not sweep into its
        own commit."""
        if self.git is None or not self.log_path.exists() or not self.git.log_changed():
            return True
        expected = self.store.expected_log_hash(str(self.log_path))
        return expected == _sha256(self.log_path.read_bytes())

    def _refuse_foreign_edits(self) -> None:
        if not self._log_is_ours():
            raise GitError(
                f"the log {self.log_path} has uncommitted changes that snn-feed did not make: "
                "commit or stash them, then sync again (papers wait until then)"
            )

    @property
    def archive_dir(self) -> Path:
        return self.log_path.parent / "archive"

    def month_of(self, row: PaperRow, today: datetime) -> tuple[int, int]:
        """A backfilled paper goes under the month it was first published; any other under
        the month it is logged in."""
        moment = row.published.astimezone(self.zone) if row.origin == "backfill" else today
        return moment.year, moment.month

    def write(self, summary: SyncSummary) -> None:
        rows = self.store.in_state(PaperState.TRANSLATED)
        if not rows:
            return
        text = logfile.read_log(self.log_path)
        presence = self.presence(text)
        already = [r.arxiv_id for r in rows if presence.holds(r.arxiv_id, r.title)]
        if already:
            # Written by a run that stopped before recording it, or by hand: never twice.
            self.store.mark_written(already, None, str(self.log_path))
        todo = sorted((r for r in rows if not presence.holds(r.arxiv_id, r.title)), key=entry_order)
        if not todo:
            return
        self._refuse_foreign_edits()
        today = self.clock().astimezone(self.zone)
        nl = logfile.newline_of(text) if text else "\n"
        months: dict[tuple[int, int], list[PaperRow]] = {}
        for row in todo:
            months.setdefault(self.month_of(row, today), []).append(row)
        updated = text
        for (year, month), group in sorted(months.items(), reverse=True):
            entries = [
                render_entry(_entry(r), newline=nl, style=self.settings.log.style) for r in group
            ]
            updated = logfile.insert_entries(
                updated, year, month, entries, intro=self.settings.log.intro
            )
        data = updated.encode("utf-8", errors="surrogateescape")
        self.store.expect_log_hash(str(self.log_path), _sha256(data))
        logfile.write_atomic(self.log_path, updated)
        for (year, month), group in months.items():
            self.store.mark_written(
                [r.arxiv_id for r in group], f"{year}.{month:02d}", str(self.log_path)
            )
        summary.written += len(todo)

    def commit(self, summary: SyncSummary, message: str | None = None) -> None:
        if self.git is None:
            return
        rows = self.store.in_state(PaperState.WRITTEN)
        if not rows or not self.log_path.exists():
            return
        ids = [r.arxiv_id for r in rows]
        if not self.git.log_changed():
            # Nothing to commit: papers the last commit holds are committed; papers marked
            # written but missing from it (their lines were discarded) go back in line.
            held = self.presence(self.git.committed_log())
            kept = [r.arxiv_id for r in rows if held.holds(r.arxiv_id, r.title)]
            self.store.mark_committed(kept, None)
            self.store.unwrite(sorted(set(ids) - set(kept)))
            return
        self._refuse_foreign_edits()
        today = self.clock().astimezone(self.zone).date().isoformat()
        # Entries this commit adds: papers found already in the log were not written by us.
        entries = sum(1 for r in rows if r.log_month is not None)
        message = (message or self.settings.git.message).format(date=today, count=entries)
        sha = self.git.commit_log(message)
        self.store.mark_committed(ids, sha)
        summary.commit = sha
        if self.settings.git.push:
            self.git.push()

    # -- archive --------------------------------------------------------------------------

    def _archives(self) -> dict[int, str]:
        return {
            int(path.stem): logfile.read_log(check_inside(path, self.log_path))
            for path in self.archive_dir.glob("*.md")
            if path.stem.isdigit()
        }

    def _replace_log(self, text: str) -> None:
        data = text.encode("utf-8", errors="surrogateescape")
        self.store.expect_log_hash(str(self.log_path), _sha256(data))
        logfile.write_atomic(self.log_path, text)

    def archive_old_months(self, keep_months: int) -> list[int]:
        """Move months after the newest `keep_months` into archive/YYYY.md, in a commit of
        its own. Returns the years whose archive changed."""
        text = logfile.read_log(self.log_path)
        updated, archives, years = archive.archive(text, keep_months, self._archives())
        if not years:
            return []
        self._refuse_foreign_edits()
        paths = [check_inside(self.archive_dir / f"{year}.md", self.log_path) for year in years]
        for year, path in zip(years, paths, strict=True):
            logfile.write_atomic(path, archives[year])
        self._replace_log(updated)
        if self.git is not None:
            shown = ", ".join(str(y) for y in years)
            self.git.commit_files([self.log_path, *paths], f"archive: older months to {shown}")
        return years

    def restore_archive(self) -> list[int]:
        """Put every archived month back into the log, and remove the archive files."""
        archives = self._archives()
        if not archives:
            return []
        self._refuse_foreign_edits()
        self._replace_log(archive.restore(logfile.read_log(self.log_path), archives))
        paths = [self.archive_dir / f"{year}.md" for year in sorted(archives)]
        for path in paths:
            path.unlink()
        if self.git is not None:
            self.git.commit_files([self.log_path, *paths], "archive: months restored to the log")
        return sorted(archives)

    # -- the whole run --------------------------------------------------------------------

    def run(self, options: SyncOptions) -> SyncResult:
        summary = SyncSummary()
        if options.dry_run:
            return self._dry_run(options, summary)
        self.store.close_crashed_runs()
        run_id = self.store.start_run("sync")
        since, until = self.window(options)
        source = options.source or self.settings.sync.source
        fetch_errors: list[FetchError] = []
        # Once the search API's window is read to its end, the next window starts there even
        # if this run fails later (the feed, translation or git): its papers are stored.
        searched = False
        try:
            self.prepare_repository()
            presence = self.presence()  # no stage before writing changes the log
            self.reconcile(presence)
            # Announcements first: on announcement day the search API may not have them yet.
            # The API window then adds what the feed missed; a paper found by both is stored
            # once (by versionless id). Papers already stored are still translated, written
            # and committed below when a source fails.
            if source in ("rss", "both") and self.rss is not None:
                try:
                    self.fetch_announcements(summary, presence)
                except FetchError as err:
                    fetch_errors.append(err)
            if source in ("api", "both"):
                try:
                    self.fetch(since, until, summary, presence=presence)
                    searched = True
                except FetchError as err:
                    fetch_errors.append(err)
            self.translate(summary)
            self._safe_point()
            self.find_code_links()
            self.write(summary)
            if options.commit:
                self.commit(summary)
            if self.settings.log.keep_months and (self.git is None or options.commit):
                self.archive_old_months(self.settings.log.keep_months)
            if fetch_errors:
                # Every source that failed, and what the run did meanwhile (papers from the
                # other source or from earlier pages may well be logged and committed).
                raise FetchError(
                    "; ".join(str(e) for e in fetch_errors) + f" (meanwhile {summary.line()})",
                    url=fetch_errors[-1].url,
                    attempts=fetch_errors[-1].attempts,
                )
        except BaseException as err:  # recorded, then re-raised: a run never stays "running"
            summary.pending = self.store.count_unwritten()
            outcome = "interrupted" if isinstance(err, Interrupted) else "failed"
            self.store.finish_run(
                run_id, outcome, error=str(err) or type(err).__name__, **_counts(summary),
                window_start=since, window_end=until if searched else None,
                commit_sha=summary.commit,
            )  # fmt: skip
            raise
        summary.pending = self.store.count_unwritten()
        status = ExitStatus.PARTIAL if summary.pending else ExitStatus.DONE
        self.store.finish_run(
            run_id, "partial" if summary.pending else "done", **_counts(summary),
            window_start=since if searched else None, window_end=until if searched else None,
            commit_sha=summary.commit,
        )  # fmt: skip
        return SyncResult(summary, status)

    def prepare_repository(self) -> None:
        """A new log gets its own repository; an existing log must already be in one."""
        if self.git is None:
            return
        if self.git.is_repository():
            self.git.check_state()
            return
        if self.log_path.exists():
            raise GitError(
                f"the log {self.log_path} is not in a git repository: run `git init` "
                "in its folder, or set [git] commit = false"
            )
        self.git.init()

    def _dry_run(self, options: SyncOptions, summary: SyncSummary) -> SyncResult:
        """What a sync would add to the log, by the rule the sync itself follows: papers
        waiting or recorded elsewhere, and new ones in the window, that the log does not hold
        and that score at least `[feed] min_score`. Nothing is stored or written."""
        since, until = self.window(options)
        presence = self.presence()
        placements = self.store.placements()
        requeued, _ = plan_reconcile(placements, presence, str(self.log_path))
        waiting = {p.arxiv_id for p in placements if p.state in _WAITING} | set(requeued)
        lines = []
        for row in self.store.papers(ids=sorted(waiting)) if waiting else []:
            if not presence.holds(row.arxiv_id, row.title):
                lines.append(
                    f"[{row.score}] {row.arxiv_id} {_entry(row).first_author}: {row.title}"
                )
        source = options.source or self.settings.sync.source
        candidates: list[tuple[Paper, int, str | None]] = []
        if source in ("rss", "both") and self.rss is not None:
            candidates += self.announcements(summary, conditional=False)[1]
        if source in ("api", "both"):
            candidates += self.matching(since, until, summary)
        seen: set[str] = set()
        min_score = self.settings.feed.min_score
        for paper, score, _ in candidates:
            if paper.arxiv_id in seen or presence.holds(paper.arxiv_id, paper.title):
                continue
            seen.add(paper.arxiv_id)
            stored = self.store.get(paper.arxiv_id)
            if stored is None:
                if score < min_score:
                    continue
            elif not (
                stored.state == PaperState.SKIPPED
                and paper.version > stored.version
                and score >= min_score
            ):
                continue  # stored already: listed above if it is waiting
            summary.new += 1
            lines.append(f"[{score}] {paper.arxiv_id} {paper.first_author}: {paper.title}")
        return SyncResult(summary, ExitStatus.DONE, would_add=lines)


_WAITING = (PaperState.FETCHED, PaperState.TRANSLATED)


def plan_reconcile(
    placements: Iterable[Placement], presence: Presence, log: str
) -> tuple[list[str], list[str]]:
    """(papers to write again, waiting papers the log already holds): see `reconcile`.
    Papers recorded before logs were told apart (no log) count as this log's."""
    requeue, present = [], []
    for p in placements:
        held = presence.holds(p.arxiv_id, p.title)
        if p.state in _WAITING:
            if held:
                present.append(p.arxiv_id)
        elif (p.log_path or log) != log or not held:
            requeue.append(p.arxiv_id)
    return requeue, present


@contextmanager
def locked_syncer(
    settings: Settings,
    *,
    commit: bool = True,
    dry_run: bool = False,
    client: arxiv_source.PoliteClient | None = None,
    translator: Translator | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    rss: RssClient | None = None,
    announcements: bool = False,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Iterator[Syncer]:
    """A `Syncer` with the configured seams (unless given), under the cross-process lock
    that every sync, backfill, import and archive shares. Only a sync that may read the
    announcement feed (`announcements`) gets a client for it."""
    from filelock import FileLock, Timeout

    lock_path = settings.lock_path
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_path), timeout=settings.sync.lock_timeout_seconds)
    try:
        lock.acquire()
    except Timeout:
        raise BusyError(
            f"another sync is running (lock {lock_path} held); try again later"
        ) from None
    sleep = _stoppable_sleep(should_stop)
    feed_client = rss or (_rss_client(settings, sleep) if announcements else None)
    try:
        store = open_store(settings.database_url, create=not dry_run)
        try:
            yield Syncer(
                settings,
                store,
                client or arxiv_source.PoliteClient(settings.arxiv, sleep=sleep),
                translator or make_translator(settings.translate, cooldowns=store),
                GitRepo(settings.log_path, settings.git)
                if settings.git.commit and commit and not dry_run
                else None,
                clock=clock,
                should_stop=should_stop,
                rss=feed_client,
            )
        finally:
            store.engine.dispose()
    finally:
        if rss is None and feed_client is not None:
            feed_client.close()
        lock.release()


def _rss_client(settings: Settings, sleep: Callable[[float], None]) -> RssClient:
    r = settings.rss
    return RssClient(
        base_url=r.url, timeout_seconds=r.timeout_seconds, retries=r.retries,
        backoff_seconds=r.backoff_seconds, sleep=sleep,
    )  # fmt: skip


def _stoppable_sleep(should_stop: Callable[[], bool]) -> Callable[[float], None]:
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


def run_sync(
    settings: Settings,
    options: SyncOptions,
    *,
    client: arxiv_source.PoliteClient | None = None,
    translator: Translator | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> SyncResult:
    """One sync under the cross-process lock, with the configured seams unless given."""
    source = options.source or settings.sync.source
    with locked_syncer(
        settings, commit=options.commit, dry_run=options.dry_run, client=client,
        translator=translator, should_stop=should_stop, announcements=source != "api",
        clock=clock,
    ) as syncer:  # fmt: skip
        result = syncer.run(options)
        if not options.dry_run:
            _refresh_feed(settings, syncer.store, result)
        return result


def _refresh_feed(settings: Settings, store: Store, result: SyncResult) -> None:
    """Rewrite `[export] atom`, if set. The papers are already committed, so a feed that
    cannot be written fails the run's exit status (and the scheduler retries) but nothing else;
    the next sync writes it again."""
    if settings.atom_path is None:
        return
    from snn_feed.service.export import export_atom

    try:
        export_atom(settings, store)
    except ExportError as err:
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


def _entry(row: PaperRow) -> LogEntry:
    return LogEntry(
        arxiv_id=row.arxiv_id,
        score=row.score,
        first_author=row.authors[0] if row.authors else "",
        title=row.title,
        abstract_zh=row.abstract_zh or "",
        code_url=row.code_url,
    )
