"""Papers and their pipeline state. A paper is stored once per versionless arXiv id, whatever
the topics that found it, and translated once; each topic it belongs to has its own score and
its own place towards its log (`topic_papers`). That place moves forward only (fetched ->
translated -> written -> committed), each move in the same transaction as the step's effect is
recorded, so a run that stops anywhere is finished by the next one without doing anything
twice.

A `Papers` is bound to one topic (`Repository.topic`): what it reads and moves is that topic's
rows. Translation and code links are the paper's, shared by every topic.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, bindparam, exists, func, select, update
from sqlalchemy.orm import Session

from snn_feed.records import Paper
from snn_feed.store.base import Repository, now, record
from snn_feed.store.records import PaperState, Placement, StoredPaper
from snn_feed.store.tables import LogEntryRow, PaperRow, TopicPaperRow

WAITING = (PaperState.FETCHED, PaperState.TRANSLATED)
PLACED = (PaperState.WRITTEN, PaperState.COMMITTED)


@dataclass(frozen=True)
class Found:
    """A paper a source returned, with its code link and its score in each topic it is on
    topic for (a replacement: in each topic, filtered or not)."""

    paper: Paper
    code_url: str | None
    scores: Mapping[str, int]


@dataclass(frozen=True)
class TopicRules:
    """How one topic takes the papers found: below `min_score` they are skipped; those its log
    already holds (`logged`: id -> the entry that holds it) are committed there, in `log`."""

    min_score: int = 1
    logged: Mapping[str, str] = field(default_factory=dict)
    log: str | None = None


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
        """Store a batch of (paper, score, code URL) for this topic alone (`add_found`);
        return the ids new to it."""
        found = [Found(p, code, {self.topic: score}) for p, score, code in scored]
        rules = {self.topic: TopicRules(min_score, logged or {}, log)}
        return self.add_found(found, rules, origin=origin, known_only=known_only)[self.topic]

    def add_found(
        self,
        found: Iterable[Found],
        rules: Mapping[str, TopicRules],
        *,
        origin: str = "sync",
        known_only: bool = False,
    ) -> dict[str, list[str]]:
        """Store a batch of papers once each, and each in the topics of `rules` that scored
        it, in one transaction; return each topic's new ids (papers to translate and write).

        A paper already stored keeps its state in every topic: a newer version refreshes its
        metadata (but not its first submission date) and its scores, and never sends it
        through translation or a log again. A paper new to a topic whose log holds it already
        (`TopicRules.logged`) is committed there, and the imported entry is linked to its id.
        With `known_only` (replacement announcements), only papers a topic has are touched.
        A paper new to a topic that scores below its `min_score` is skipped there; a paper
        the store has translated already (for another topic) needs no translation.
        """
        batch: dict[str, Found] = {}
        for f in found:
            batch.setdefault(f.paper.arxiv_id, f)
        new: dict[str, list[str]] = {topic: [] for topic in rules}
        if not batch:
            return new
        ids = list(batch)
        with self.session() as s, s.begin():
            papers = {r.arxiv_id: r for r in s.scalars(
                select(PaperRow).where(PaperRow.arxiv_id.in_(ids)))}  # fmt: skip
            places = self._places(s, ids)
            inserted = set() if known_only else self._insert_papers(s, batch, papers)
            if len(inserted) < len(batch) and not known_only:  # stored meanwhile by another
                papers.update({r.arxiv_id: r for r in s.scalars(select(PaperRow).where(
                    PaperRow.arxiv_id.in_(set(ids) - set(papers) - inserted)))})  # fmt: skip
            rows: list[dict[str, Any]] = []
            for arxiv_id, f in batch.items():
                row = papers.get(arxiv_id)
                if row is None and arxiv_id not in inserted:
                    continue  # known_only: never stored
                mine = places.get(arxiv_id, {})
                if row is not None:
                    self._update(row, f, mine, rules, new)
                translated = row is not None and row.translation_engine is not None
                for topic, score in f.scores.items():
                    rule = rules.get(topic)
                    if rule is None or topic in mine or known_only:
                        continue
                    rows.append(_place(topic, arxiv_id, score, rule, origin, translated))
            for topic, arxiv_id in self._insert_places(s, rows):
                rule = rules[topic]
                if entry_key := rule.logged.get(arxiv_id):
                    s.execute(
                        update(LogEntryRow)
                        .where(LogEntryRow.topic == topic, LogEntryRow.key == entry_key,
                               LogEntryRow.arxiv_id.is_(None))
                        .values(arxiv_id=arxiv_id, resolution="matched")
                    )  # fmt: skip
                elif batch[arxiv_id].scores[topic] >= rule.min_score:
                    new[topic].append(arxiv_id)
        return new

    def _insert_papers(
        self, s: Session, batch: Mapping[str, Found], papers: Mapping[str, PaperRow]
    ) -> set[str]:
        """Insert the papers not stored yet, unless another writer stored one since they were
        read (one statement, so it never fails on the key); return the ids inserted."""
        fresh = [
            {**_metadata(f.paper, f.code_url), "arxiv_id": arxiv_id, "first_seen": now(),
             "translate_attempts": 0}
            for arxiv_id, f in batch.items() if arxiv_id not in papers
        ]  # fmt: skip
        if not fresh:
            return set()
        return set(s.scalars(self.upsert(PaperRow).returning(PaperRow.arxiv_id), fresh))

    def _insert_places(self, s: Session, rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
        if not rows:
            return []
        statement = self.upsert(TopicPaperRow).returning(
            TopicPaperRow.topic, TopicPaperRow.arxiv_id
        )
        return [(topic, arxiv_id) for topic, arxiv_id in s.execute(statement, rows)]

    @staticmethod
    def _places(s: Session, ids: Sequence[str]) -> dict[str, dict[str, TopicPaperRow]]:
        """Every topic's row of `ids`: id -> topic -> row."""
        places: dict[str, dict[str, TopicPaperRow]] = {}
        for r in s.scalars(select(TopicPaperRow).where(TopicPaperRow.arxiv_id.in_(ids))):
            places.setdefault(r.arxiv_id, {})[r.topic] = r
        return places

    @staticmethod
    def _update(
        row: PaperRow,
        f: Found,
        mine: Mapping[str, TopicPaperRow],
        rules: Mapping[str, TopicRules],
        new: dict[str, list[str]],
    ) -> None:
        """A stored paper seen again: its metadata and its scores in the topics that have it."""
        paper = f.paper
        unplaced = all(p.state not in PLACED for p in mine.values())
        newer, same = paper.version > row.version, paper.version == row.version
        brings = (paper.comment and not row.comment) or (paper.journal_ref and not row.journal_ref)
        if newer:
            _refresh(row, paper, f.code_url, unplaced=unplaced)
        elif same:
            _complete(row, paper, f.code_url, unplaced=unplaced)
        for topic, place in mine.items():
            score = f.scores.get(topic)
            rule = rules.get(topic)
            if score is None or rule is None:
                continue
            if newer:
                place.score = score or place.score  # a version that lost the keywords keeps it
            elif same and brings and score and place.state not in PLACED:
                # The record that brought a comment or journal ref names a venue, whose
                # `[score.venues]` bonus the first score missed.
                place.score = score
            else:
                continue
            if place.state == PaperState.SKIPPED and place.score >= rule.min_score:
                place.state = (PaperState.TRANSLATED if row.translation_engine is not None
                               else PaperState.FETCHED)  # fmt: skip
                new[topic].append(row.arxiv_id)

    def _joined(self) -> Select[PaperRow, TopicPaperRow]:
        """Papers with this topic's row of each (papers it does not have are left out)."""
        return select(PaperRow, TopicPaperRow).join(
            TopicPaperRow,
            (TopicPaperRow.arxiv_id == PaperRow.arxiv_id) & (TopicPaperRow.topic == self.topic),
        )

    def get(self, arxiv_id: str) -> StoredPaper | None:
        """The paper as this topic has it, or None."""
        with self.session() as s:
            found = s.execute(self._joined().where(PaperRow.arxiv_id == arxiv_id)).first()
            return stored(found[0], found[1]) if found is not None else None

    def get_many(self, ids: Sequence[str]) -> list[StoredPaper]:
        """The papers of `ids` that this topic has, in no particular order."""
        with self.session() as s:
            query = self._joined().where(PaperRow.arxiv_id.in_(list(ids)))
            return [stored(p, t) for p, t in s.execute(query)]

    def in_state(self, state: PaperState) -> list[StoredPaper]:
        """This topic's papers in `state`, oldest submission first."""
        with self.session() as s:
            query = (
                self._joined()
                .where(TopicPaperRow.state == state)
                .order_by(PaperRow.published, PaperRow.arxiv_id)
            )
            return [stored(p, t) for p, t in s.execute(query)]

    def to_translate(self) -> list[StoredPaper]:
        """Papers waiting for a translation in any topic, once each, least-tried first: a
        paper the engine keeps rejecting must not hold back the ones behind it."""
        with self.session() as s:
            query = (
                select(PaperRow, TopicPaperRow)
                .join(TopicPaperRow, TopicPaperRow.arxiv_id == PaperRow.arxiv_id)
                .where(TopicPaperRow.state == PaperState.FETCHED)
                .order_by(
                    PaperRow.translate_attempts,
                    PaperRow.published,
                    PaperRow.arxiv_id,
                    TopicPaperRow.topic,
                )
            )
            seen: dict[str, StoredPaper] = {}
            for p, t in s.execute(query):
                seen.setdefault(p.arxiv_id, stored(p, t))
            return list(seen.values())

    def save_translation(self, arxiv_id: str, text: str, engine: str) -> None:
        self.save_translations([(arxiv_id, text, engine)])

    def save_translations(self, translations: Iterable[tuple[str, str, str]]) -> None:
        """(arXiv id, text, engine) for papers waiting for translation, in one transaction: the
        paper is translated for every topic that waits for it."""
        rows = [{"id": i, "text": text, "engine": engine} for i, text, engine in translations]
        if not rows:
            return
        translate = (
            update(PaperRow)
            .where(PaperRow.arxiv_id == bindparam("id"), PaperRow.translation_engine.is_(None))
            .values(
                abstract_zh=bindparam("text"),
                translation_engine=bindparam("engine"),
                translated_at=now(),
                last_error=None,
                translate_attempts=PaperRow.translate_attempts + 1,
            )
        )
        with self.engine.begin() as connection:  # each statement executed for every row
            connection.execute(translate, rows)
            connection.execute(_moved_on(), [{"id": r["id"]} for r in rows])

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
        """Set `values` on this topic's rows of those of `ids` in one of the `allowed` states."""
        if not ids:
            return
        with self.session() as s, s.begin():
            s.execute(
                update(TopicPaperRow)
                .where(TopicPaperRow.topic == self.topic, TopicPaperRow.arxiv_id.in_(ids),
                       TopicPaperRow.state.in_(list(allowed)))
                .values(**values)
            )  # fmt: skip

    def mark_written(self, ids: Sequence[str], month: str | None, log: str) -> None:
        """Record papers as present in the log file `log` (`month` None: found there
        already, not written by snn-feed)."""
        self._move(
            ids, WAITING, state=PaperState.WRITTEN, written_at=now(), log_month=month, log_path=log
        )

    def claim_unplaced(self, log: str) -> None:
        """Written and committed papers recorded before the database knew logs apart belong
        to `log`, the configured one (what migration 0008 leaves for the first sync)."""
        with self.session() as s, s.begin():
            s.execute(
                update(TopicPaperRow)
                .where(TopicPaperRow.topic == self.topic, TopicPaperRow.state.in_(PLACED),
                       TopicPaperRow.log_path.is_(None))
                .values(log_path=log)
            )  # fmt: skip

    def placements(self) -> list[Placement]:
        """Every paper of this topic that is or may soon be in its log: waiting, written or
        committed."""
        with self.session() as s:
            rows = s.execute(
                select(PaperRow.arxiv_id, PaperRow.title, TopicPaperRow.state,
                       TopicPaperRow.log_path)
                .join(TopicPaperRow, TopicPaperRow.arxiv_id == PaperRow.arxiv_id)
                .where(TopicPaperRow.topic == self.topic,
                       TopicPaperRow.state.in_([*WAITING, *PLACED]))
            )  # fmt: skip
            return [Placement(i, t, PaperState(st), lp) for i, t, st, lp in rows]

    def requeue(self, ids: Sequence[str]) -> None:
        """Papers recorded in a log that does not hold them (another log, or entries since
        removed): back in line to be written, translated first if they never were."""
        if not ids:
            return
        cleared = {"written_at": None, "log_month": None, "committed_at": None,
                   "commit_sha": None, "log_path": None}  # fmt: skip
        placed = (TopicPaperRow.topic == self.topic) & TopicPaperRow.arxiv_id.in_(ids) & (
            TopicPaperRow.state.in_(PLACED))  # fmt: skip
        translated = exists().where(PaperRow.arxiv_id == TopicPaperRow.arxiv_id,
                                    PaperRow.translation_engine.is_not(None))  # fmt: skip
        with self.session() as s, s.begin():
            untranslated = list(s.scalars(select(TopicPaperRow.arxiv_id).where(
                placed, ~translated)))  # fmt: skip
            s.execute(update(TopicPaperRow).where(placed, translated).values(
                state=PaperState.TRANSLATED, **cleared))  # fmt: skip
            s.execute(update(TopicPaperRow).where(placed, ~translated).values(
                state=PaperState.FETCHED, **cleared))  # fmt: skip
            if untranslated:
                s.execute(update(PaperRow).where(PaperRow.arxiv_id.in_(untranslated)).values(
                    translate_attempts=0))  # fmt: skip

    def relocate(self, ids: Sequence[str], log: str) -> None:
        """Written or committed papers found in the log file `log` as well: recorded there now,
        their state and commit kept."""
        self._move(ids, PLACED, log_path=log)

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
        """Papers committed in a commit a rebase replaced are in the one on the branch now
        (in every topic: a commit may hold several topics' logs)."""
        with self.session() as s, s.begin():
            for old, new in rewritten.items():
                s.execute(
                    update(TopicPaperRow)
                    .where(TopicPaperRow.commit_sha == old)
                    .values(commit_sha=new)
                )

    def needing_code_link(self) -> list[str]:
        """Papers waiting for a log that have no code link and were never looked up for one,
        oldest first: a link found for a paper already written would have to rewrite the log,
        which is append-only."""
        with self.session() as s:
            query = (
                select(PaperRow.arxiv_id)
                .where(
                    _waiting_somewhere(),
                    PaperRow.code_url.is_(None),
                    PaperRow.code_checked_at.is_(None),
                )
                .order_by(PaperRow.first_seen, PaperRow.arxiv_id)
            )
            return list(s.scalars(query))

    def save_code_link(self, arxiv_id: str, url: str | None) -> None:
        """Record a lookup (so the paper is never asked about again) and the link it found, if
        the paper still waits for a log and has none."""
        with self.session() as s, s.begin():
            row = s.get(PaperRow, arxiv_id)
            if row is None:
                return
            row.code_checked_at = now()
            waiting = s.scalar(select(_waiting_somewhere().where(PaperRow.arxiv_id == arxiv_id)))
            if url and row.code_url is None and waiting:
                row.code_url = url

    def count_unwritten(self, *, every_topic: bool = False) -> int:
        """Papers waiting for this topic's log (`every_topic`: for any log, once each)."""
        with self.session() as s:
            query = select(func.count(func.distinct(TopicPaperRow.arxiv_id))).where(
                TopicPaperRow.state.in_(WAITING)
            )
            if not every_topic:
                query = query.where(TopicPaperRow.topic == self.topic)
            return int(s.scalar(query) or 0)

    def set_translation(self, arxiv_id: str, text: str, engine: str) -> None:
        """Replace a paper's translation whatever its state (retranslate): in a topic where
        it was not yet written it moves on to be written; a written one keeps its entry."""
        with self.session() as s, s.begin():
            row = s.get(PaperRow, arxiv_id)
            if row is None:
                return
            row.abstract_zh, row.translation_engine, row.translated_at = text, engine, now()
            row.last_error = None
            s.connection().execute(_moved_on(), [{"id": arxiv_id}])


def _moved_on() -> Any:
    """A translated paper moves on in every topic that waited for its translation."""
    return (
        update(TopicPaperRow)
        .where(TopicPaperRow.arxiv_id == bindparam("id"),
               TopicPaperRow.state == PaperState.FETCHED)
        .values(state=PaperState.TRANSLATED)
    )  # fmt: skip


def _waiting_somewhere() -> Any:
    """The paper waits for some topic's log."""
    return exists().where(TopicPaperRow.arxiv_id == PaperRow.arxiv_id,
                          TopicPaperRow.state.in_(WAITING))  # fmt: skip


def _place(
    topic: str, arxiv_id: str, score: int, rule: TopicRules, origin: str, translated: bool
) -> dict[str, Any]:
    """The row of a paper new to `topic`."""
    entry_key = rule.logged.get(arxiv_id)
    if entry_key:
        state = PaperState.COMMITTED
    elif score < rule.min_score:
        state = PaperState.SKIPPED
    else:
        state = PaperState.TRANSLATED if translated else PaperState.FETCHED
    return {"topic": topic, "arxiv_id": arxiv_id, "score": score, "state": state,
            "origin": "import" if entry_key else origin,
            "log_path": rule.log if entry_key else None}  # fmt: skip


def stored(paper: PaperRow, place: TopicPaperRow) -> StoredPaper:
    """The record of a paper as one topic has it."""
    both = {**{c: getattr(paper, c) for c in _PAPER_FIELDS},
            **{c: getattr(place, c) for c in _PLACE_FIELDS}}  # fmt: skip
    return dataclasses.replace(record(StoredPaper, _Row(both)), state=PaperState(place.state))


_PLACE_FIELDS = ("score", "state", "origin", "written_at", "log_month", "committed_at",
                 "commit_sha", "log_path", "notice_id")  # fmt: skip
_PAPER_FIELDS = tuple(
    f.name for f in dataclasses.fields(StoredPaper) if f.name not in _PLACE_FIELDS
)


class _Row:
    """Attribute access to a dict, for `record`."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def _refresh(row: PaperRow, paper: Paper, code: str | None, *, unplaced: bool) -> None:
    """A newer version's metadata, keeping what the row had and the new record lacks: the
    first submission date, and the comment, journal ref, DOI and code link that an
    announcement-feed item does not carry."""
    kept = row.published, row.comment, row.journal_ref, row.doi, row.code_url
    if paper.title != row.title and unplaced and row.translation_engine is None:
        row.title_zh = None  # not written yet: the entry shows the new title, so ask again
    for name, value in _metadata(paper, code or kept[4]).items():
        setattr(row, name, value)
    row.published = min(kept[0], paper.published)
    row.comment = paper.comment or kept[1]
    row.journal_ref = paper.journal_ref or kept[2]
    row.doi = paper.doi or kept[3]


def _complete(row: PaperRow, paper: Paper, code: str | None, *, unplaced: bool) -> None:
    """The same version seen by the other source: fill in what the first one lacked (an
    announcement gives the announcement time as its date, and no comment, where the search API
    has the submission time and the comment, often with the code link)."""
    row.published = min(row.published, paper.published)
    row.comment = row.comment or paper.comment
    row.journal_ref = row.journal_ref or paper.journal_ref
    row.doi = row.doi or paper.doi
    if row.code_url is None and unplaced:
        row.code_url = code  # only for entries not written yet: the log is append-only


def _metadata(paper: Paper, code: str | None) -> dict[str, Any]:
    """The columns of a paper's row that come from its arXiv record."""
    return {
        "version": paper.version, "title": paper.title, "authors": list(paper.authors),
        "abstract": paper.abstract, "categories": list(paper.categories),
        "primary_category": paper.primary_category, "published": paper.published,
        "updated": paper.updated, "comment": paper.comment, "journal_ref": paper.journal_ref,
        "doi": paper.doi, "code_url": code,
    }  # fmt: skip
