"""Papers and their pipeline state. A paper is stored once per versionless arXiv id; its
`state` moves forward only (fetched -> translated -> written -> committed), each move in the
same transaction as the step's effect is recorded, so a run that stops anywhere is finished by
the next one without doing anything twice."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, func, select, update

from snn_feed.records import Paper
from snn_feed.store.base import Repository, now, record
from snn_feed.store.records import PaperState, Placement, StoredPaper
from snn_feed.store.tables import LogEntryRow, PaperRow


class Papers(Repository):
    def add(
        self,
        scored: Iterable[tuple[Paper, int, str | None]],
        *,
        origin: str = "sync",
        logged: Mapping[str, str] | None = None,
        log: str | None = None,
        known_only: bool = False,
        min_score: int = 1,
    ) -> list[str]:
        """Store a batch of (paper, score, code URL) in one transaction; return the new ids.

        A paper already stored keeps its state: a newer version refreshes its metadata (but
        not its first submission date) and never sends it through translation or the log
        again. A new paper whose id is in `logged` (id -> log entry key) is already in the log
        `log`: it is stored as committed there, and an imported entry is linked to its id. With
        `known_only`
        (replacement announcements), papers not stored yet are left out. A new paper scoring
        below `min_score` is stored as skipped.
        """
        logged = logged or {}
        batch = list(scored)
        if not batch:
            return []
        ids = [p.arxiv_id for p, _, _ in batch]
        new: list[str] = []
        with self.session() as s, s.begin():
            known = set(s.scalars(select(PaperRow.arxiv_id).where(PaperRow.arxiv_id.in_(ids))))
            fresh: dict[str, dict[str, Any]] = {}
            for paper, score, code in batch:
                if paper.arxiv_id in known or paper.arxiv_id in fresh or known_only:
                    continue
                entry_key = logged.get(paper.arxiv_id)
                if entry_key:
                    state = PaperState.COMMITTED
                elif score < min_score:
                    state = PaperState.SKIPPED
                else:
                    state = PaperState.FETCHED
                fresh[paper.arxiv_id] = {
                    **_metadata(paper, score, code),
                    "arxiv_id": paper.arxiv_id, "state": state, "first_seen": now(),
                    "translate_attempts": 0, "origin": "import" if entry_key else origin,
                    "log_path": log if entry_key else None,
                }  # fmt: skip
            # Inserted unless another writer stored the paper since the select above (one
            # statement, so it never fails on the key); such a paper is updated below instead.
            inserted: set[str] = set()
            if fresh:
                statement = self.upsert(PaperRow).returning(PaperRow.arxiv_id)
                inserted = set(s.scalars(statement, list(fresh.values())))
            for arxiv_id in inserted:
                if entry_key := logged.get(arxiv_id):
                    s.execute(
                        update(LogEntryRow)
                        .where(LogEntryRow.key == entry_key, LogEntryRow.arxiv_id.is_(None))
                        .values(arxiv_id=arxiv_id, resolution="matched")
                    )
                elif fresh[arxiv_id]["state"] == PaperState.FETCHED:
                    new.append(arxiv_id)
            rows = {
                row.arxiv_id: row
                for row in s.scalars(
                    select(PaperRow).where(PaperRow.arxiv_id.in_(set(ids) - inserted))
                )
            }
            done = set(inserted)
            for paper, score, code in batch:
                row = rows.get(paper.arxiv_id)
                if row is None or paper.arxiv_id in done:
                    continue
                done.add(paper.arxiv_id)
                if paper.version > row.version:
                    _refresh(row, paper, score, code)
                    if row.state == PaperState.SKIPPED and row.score >= min_score:
                        row.state = PaperState.FETCHED  # the new version is on topic enough
                        new.append(paper.arxiv_id)
                elif paper.version == row.version:
                    _complete(row, paper, score, code)
                    if row.state == PaperState.SKIPPED and row.score >= min_score:
                        row.state = PaperState.FETCHED  # its comment names a rewarded venue
                        new.append(paper.arxiv_id)
        return new

    def get(self, arxiv_id: str) -> StoredPaper | None:
        with self.session() as s:
            row = s.get(PaperRow, arxiv_id)
            return stored(row) if row is not None else None

    def get_many(self, ids: Sequence[str]) -> list[StoredPaper]:
        """The stored papers of `ids` (those that are stored), in no particular order."""
        with self.session() as s:
            return [stored(r) for r in s.scalars(select(PaperRow).where(
                PaperRow.arxiv_id.in_(list(ids))))]  # fmt: skip

    def in_state(self, state: PaperState) -> list[StoredPaper]:
        """Papers in `state`, oldest submission first."""
        with self.session() as s:
            query = (
                select(PaperRow)
                .where(PaperRow.state == state)
                .order_by(PaperRow.published, PaperRow.arxiv_id)
            )
            return [stored(r) for r in s.scalars(query)]

    def to_translate(self) -> list[StoredPaper]:
        """Papers waiting for a translation, least-tried first: a paper the engine keeps
        rejecting must not hold back the ones behind it."""
        with self.session() as s:
            query = (
                select(PaperRow)
                .where(PaperRow.state == PaperState.FETCHED)
                .order_by(PaperRow.translate_attempts, PaperRow.published, PaperRow.arxiv_id)
            )
            return [stored(r) for r in s.scalars(query)]

    def save_translation(self, arxiv_id: str, text: str, engine: str) -> None:
        self.save_translations([(arxiv_id, text, engine)])

    def save_translations(self, translations: Iterable[tuple[str, str, str]]) -> None:
        """(arXiv id, text, engine) for papers waiting for translation, in one transaction."""
        rows = [{"id": i, "text": text, "engine": engine} for i, text, engine in translations]
        if not rows:
            return
        statement = (
            update(PaperRow)
            .where(PaperRow.arxiv_id == bindparam("id"), PaperRow.state == PaperState.FETCHED)
            .values(
                abstract_zh=bindparam("text"),
                translation_engine=bindparam("engine"),
                translated_at=now(),
                state=PaperState.TRANSLATED,
                last_error=None,
                translate_attempts=PaperRow.translate_attempts + 1,
            )
        )
        with self.engine.begin() as connection:  # one statement, executed for every row
            connection.execute(statement, rows)

    def save_titles(self, titles: Iterable[tuple[str, str]]) -> None:
        """(arXiv id, Chinese title) in one transaction, whatever each paper's state: a title
        alone moves no paper on (the abstract does), and a written paper keeps its entry."""
        rows = [{"id": arxiv_id, "text": text} for arxiv_id, text in titles]
        if not rows:
            return
        statement = (
            update(PaperRow)
            .where(PaperRow.arxiv_id == bindparam("id"))
            .values(title_zh=bindparam("text"))
        )
        with self.engine.begin() as connection:  # one statement, executed for every row
            connection.execute(statement, rows)

    def record_translation_failure(self, arxiv_id: str, error: str) -> None:
        with self.session() as s, s.begin():
            s.execute(
                update(PaperRow)
                .where(PaperRow.arxiv_id == arxiv_id)
                .values(last_error=error, translate_attempts=PaperRow.translate_attempts + 1)
            )

    def _move(self, ids: Sequence[str], allowed: Sequence[PaperState], **values: Any) -> None:
        """Set `values` on those of `ids` that are in one of the `allowed` states."""
        if not ids:
            return
        with self.session() as s, s.begin():
            s.execute(
                update(PaperRow)
                .where(PaperRow.arxiv_id.in_(ids), PaperRow.state.in_(list(allowed)))
                .values(**values)
            )

    def mark_written(self, ids: Sequence[str], month: str | None, log: str) -> None:
        """Record papers as present in the log file `log` (`month` None: found there
        already, not written by snn-feed)."""
        self._move(
            ids, [PaperState.FETCHED, PaperState.TRANSLATED],
            state=PaperState.WRITTEN, written_at=now(), log_month=month, log_path=log,
        )  # fmt: skip

    def claim_unplaced(self, log: str) -> None:
        """Written and committed papers recorded before the database knew logs apart belong
        to `log`, the configured one (what migration 0008 leaves for the first sync)."""
        with self.session() as s, s.begin():
            s.execute(
                update(PaperRow)
                .where(PaperRow.state.in_([PaperState.WRITTEN, PaperState.COMMITTED]))
                .where(PaperRow.log_path.is_(None))
                .values(log_path=log)
            )

    def placements(self) -> list[Placement]:
        """Every paper that is or may soon be in a log: waiting, written or committed."""
        states = [PaperState.FETCHED, PaperState.TRANSLATED, PaperState.WRITTEN,
                  PaperState.COMMITTED]  # fmt: skip
        with self.session() as s:
            rows = s.execute(
                select(PaperRow.arxiv_id, PaperRow.title, PaperRow.state, PaperRow.log_path).where(
                    PaperRow.state.in_(states)
                )
            )
            return [Placement(i, t, PaperState(st), lp) for i, t, st, lp in rows]

    def requeue(self, ids: Sequence[str]) -> None:
        """Papers recorded in a log that does not hold them (another log, or entries since
        removed): back in line to be written, translated first if they never were."""
        placed = [PaperState.WRITTEN, PaperState.COMMITTED]
        cleared = {"written_at": None, "log_month": None, "committed_at": None,
                   "commit_sha": None, "log_path": None}  # fmt: skip
        if not ids:
            return
        base = update(PaperRow).where(PaperRow.arxiv_id.in_(ids), PaperRow.state.in_(placed))
        with self.session() as s, s.begin():
            s.execute(
                base.where(PaperRow.translation_engine.is_not(None)).values(
                    state=PaperState.TRANSLATED, **cleared
                )
            )
            s.execute(
                base.where(PaperRow.translation_engine.is_(None)).values(
                    state=PaperState.FETCHED, translate_attempts=0, **cleared
                )
            )

    def relocate(self, ids: Sequence[str], log: str) -> None:
        """Written or committed papers found in the log file `log` as well: recorded there now,
        their state and commit kept."""
        self._move(ids, [PaperState.WRITTEN, PaperState.COMMITTED], log_path=log)

    def unwrite(self, ids: Sequence[str]) -> None:
        """Papers marked written whose lines never reached a commit: write them again."""
        self._move(
            ids, [PaperState.WRITTEN],
            state=PaperState.TRANSLATED, written_at=None, log_month=None, log_path=None,
        )  # fmt: skip

    def mark_committed(self, ids: Sequence[str], sha: str | None) -> None:
        self._move(
            ids, [PaperState.WRITTEN],
            state=PaperState.COMMITTED, committed_at=now(), commit_sha=sha,
        )  # fmt: skip

    def replace_commits(self, rewritten: dict[str, str]) -> None:
        """Papers committed in a commit a rebase replaced are in the one on the branch now."""
        with self.session() as s, s.begin():
            for old, new in rewritten.items():
                s.execute(update(PaperRow).where(PaperRow.commit_sha == old).values(commit_sha=new))

    def needing_code_link(self) -> list[str]:
        """Papers not yet in the log that have no code link and were never looked up for one,
        oldest first: a link found for a paper already written would have to rewrite the log,
        which is append-only."""
        with self.session() as s:
            query = (
                select(PaperRow.arxiv_id)
                .where(
                    PaperRow.state.in_([PaperState.FETCHED, PaperState.TRANSLATED]),
                    PaperRow.code_url.is_(None),
                    PaperRow.code_checked_at.is_(None),
                )
                .order_by(PaperRow.first_seen, PaperRow.arxiv_id)
            )
            return list(s.scalars(query))

    def save_code_link(self, arxiv_id: str, url: str | None) -> None:
        """Record a lookup (so the paper is never asked about again) and the link it found, if
        the paper is still unwritten and has none."""
        with self.session() as s, s.begin():
            row = s.get(PaperRow, arxiv_id)
            if row is None:
                return
            row.code_checked_at = now()
            if url and row.code_url is None and row.state in (
                PaperState.FETCHED, PaperState.TRANSLATED,
            ):  # fmt: skip
                row.code_url = url

    def count_unwritten(self) -> int:
        with self.session() as s:
            query = select(func.count()).where(
                PaperRow.state.in_([PaperState.FETCHED, PaperState.TRANSLATED])
            )
            return int(s.scalar(query.select_from(PaperRow)) or 0)

    def set_translation(self, arxiv_id: str, text: str, engine: str) -> None:
        """Replace a paper's translation whatever its state (retranslate): a paper not yet
        written moves on to be written; a written one keeps its log entry as it is."""
        with self.session() as s, s.begin():
            row = s.get(PaperRow, arxiv_id)
            if row is None:
                return
            row.abstract_zh, row.translation_engine, row.translated_at = text, engine, now()
            row.last_error = None
            if row.state == PaperState.FETCHED:
                row.state = PaperState.TRANSLATED


def stored(row: PaperRow) -> StoredPaper:
    paper = record(StoredPaper, row)
    return dataclasses.replace(paper, state=PaperState(row.state))


def _refresh(row: PaperRow, paper: Paper, score: int, code: str | None) -> None:
    """A newer version's metadata, keeping what the row had and the new record lacks: the
    first submission date, and the comment, journal ref, DOI and code link that an
    announcement-feed item does not carry; a version that lost the keywords keeps its score."""
    kept = row.published, row.comment, row.journal_ref, row.doi, row.code_url
    if paper.title != row.title and row.state == PaperState.FETCHED:
        row.title_zh = None  # not written yet: the entry shows the new title, so ask again
    _copy_metadata(row, paper, score or row.score, code or kept[4])
    row.published = min(kept[0], paper.published)
    row.comment = paper.comment or kept[1]
    row.journal_ref = paper.journal_ref or kept[2]
    row.doi = paper.doi or kept[3]


def _complete(row: PaperRow, paper: Paper, score: int, code: str | None) -> None:
    """The same version seen by the other source: fill in what the first one lacked (an
    announcement gives the announcement time as its date, and no comment, where the search API
    has the submission time and the comment, often with the code link).

    A paper not written yet takes the score of the record that brought a comment or journal
    ref it lacked: the venue named there has a `[score.venues]` bonus the first score missed."""
    unwritten = row.state in (PaperState.FETCHED, PaperState.TRANSLATED, PaperState.SKIPPED)
    brings = (paper.comment and not row.comment) or (paper.journal_ref and not row.journal_ref)
    if unwritten and brings and score:
        row.score = score
    row.published = min(row.published, paper.published)
    row.comment = row.comment or paper.comment
    row.journal_ref = row.journal_ref or paper.journal_ref
    row.doi = row.doi or paper.doi
    if row.code_url is None and row.state in (PaperState.FETCHED, PaperState.TRANSLATED):
        row.code_url = code  # only for entries not written yet: the log is append-only


def _metadata(paper: Paper, score: int, code: str | None) -> dict[str, Any]:
    """The columns of a paper's row that come from its arXiv record."""
    return {
        "version": paper.version, "title": paper.title, "authors": list(paper.authors),
        "abstract": paper.abstract, "categories": list(paper.categories),
        "primary_category": paper.primary_category, "published": paper.published,
        "updated": paper.updated, "comment": paper.comment, "journal_ref": paper.journal_ref,
        "doi": paper.doi, "score": score, "code_url": code,
    }  # fmt: skip


def _copy_metadata(row: PaperRow, paper: Paper, score: int, code: str | None) -> None:
    for name, value in _metadata(paper, score, code).items():
        setattr(row, name, value)
