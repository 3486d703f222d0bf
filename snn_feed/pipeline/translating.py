"""The translate stage: a Chinese abstract for every waiting paper, each abstract paid for
once (the cache is keyed by text, engine and glossary version), `[translate] concurrency` at a
time. Only papers waiting for this log reach it: a paper the log already holds is never sent.

With `[translate] titles` each waiting paper needs its Chinese title as well before it moves on:
the titles go first, many to a request (`Translator.translate_lines`), cached as abstracts are
(by the title's text). A paper whose title failed stays waiting, and its abstract is not asked
for in that run: it could not be written anyway, and an engine that failed a title is likely to
fail the abstract too. The next sync asks for both, the title first."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from snn_feed.errors import Interrupted, TranslationError
from snn_feed.pipeline.guard import sha256
from snn_feed.sanitize import scrub, storable
from snn_feed.store import Store, StoredPaper
from snn_feed.translation.chain import translate_many
from snn_feed.translation.engines import NoTranslation, Translation, Translator, bad_answer
from snn_feed.translation.glossary import Glossary
from snn_feed.translation.lines import MAX_LINES

log = logging.getLogger(__name__)

ENGINE_FAILURES_BEFORE_GIVING_UP = 2
"""Consecutive failed papers after which the engine is taken to be down for this run."""


@dataclass(frozen=True)
class Translated:
    """What one translate stage did: papers translated, and one line per failure."""

    translated: int = 0
    failures: list[str] = field(default_factory=list)
    unusable: str | None = None
    """Why the translator could not be used at all in this run, when that is so: a rejected
    key, a spent quota, or every engine down while no paper was translated. `status` fails on
    it at once (a paper's own unusable answer is not this: that paper alone waits)."""


def engine_unusable(err: TranslationError) -> bool:
    """An error that no retry of this run or the next will mend without someone acting: the
    key is missing, wrong or not allowed, or the quota is spent."""
    text = str(err).lower()
    return err.status in (401, 403, 456) or any(
        word in text for word in ("auth failed", "no api key", "quota", "(http 401)", "(http 403)")
    )


@dataclass
class Titles:
    """What the titles part of a run did: the papers left without a title (failed, or not
    sent once the engine was down), the failures, and how many titles the engines gave."""

    untitled: set[str] = field(default_factory=set)
    errors: list[tuple[str, TranslationError]] = field(default_factory=list)
    translated: int = 0

    @property
    def engine_down(self) -> bool:
        """No title translated, and an engine failed of itself (not a bad answer)."""
        return self.translated == 0 and any(not bad_answer(e) for _, e in self.errors)


class Translating:
    def __init__(
        self,
        store: Store,
        translator: Translator,
        glossary: Glossary,
        concurrency: int,
        should_stop: Callable[[], bool] = lambda: False,
        titles: bool = False,
    ) -> None:
        self.store, self.translator, self.glossary = store, translator, glossary
        self.concurrency, self.should_stop = concurrency, should_stop
        self.titles = titles and not isinstance(translator, NoTranslation)
        """Titles too (`titles_wanted`); never with backend "none", which has nothing to ask."""

    def run(self) -> Translated:
        """Translate the papers waiting for it; a failed paper stays waiting."""
        waiting = self.store.papers.to_translate()
        if isinstance(self.translator, NoTranslation):
            # Nothing to ask for or to cache: every waiting paper moves on in one transaction
            # (a lookup, a cached empty text and an update per paper made this stage most of
            # a backfill's time).
            self.store.papers.save_translations(
                [(r.arxiv_id, "", self.translator.name) for r in waiting]
            )
            return Translated(0)  # moved on to be written, but nothing was translated
        failures: list[str] = []
        unusable: str | None = None
        engine_down = False
        last_error = ""
        in_a_row = 0
        titles = Titles()
        if self.titles:
            titles = self._titles([r for r in waiting if r.title_zh is None], use_cache=True)
            waiting = [r for r in waiting if r.arxiv_id not in titles.untitled]
            for arxiv_id, err in titles.errors:
                self.store.papers.record_translation_failure(arxiv_id, storable(str(err)))
                failures.append(f"title translation failed for {arxiv_id}: {err}")
                if unusable is None and engine_unusable(err):
                    unusable = str(err)
                engine_down = engine_down or not bad_answer(err)
                last_error = str(err)
            if titles.engine_down:  # no abstract is sent to an engine that answered no title
                in_a_row = ENGINE_FAILURES_BEFORE_GIVING_UP
        done, todo = 0, {}
        for row in waiting:
            cached = self._cached(row)
            if cached is None:
                todo[row.arxiv_id] = row
                continue
            self.store.papers.save_translation(row.arxiv_id, self._final(cached.text),
                                        cached.engine)  # fmt: skip
            done += 1

        def enough() -> bool:
            # After failures in a row the engine is taken to be down: nothing new is sent,
            # but what is already in flight is still received and kept.
            return self.should_stop() or in_a_row >= ENGINE_FAILURES_BEFORE_GIVING_UP

        results = translate_many(
            self.translator,
            ((arxiv_id, row.abstract) for arxiv_id, row in todo.items()),
            self.concurrency,
            enough,
        )
        for arxiv_id, result, engine in results:
            if isinstance(result, TranslationError):
                self.store.papers.record_translation_failure(arxiv_id, storable(str(result)))
                failures.append(f"translation failed for {arxiv_id}: {result}")
                in_a_row += 1
                if unusable is None and engine_unusable(result):
                    unusable = str(result)
                engine_down = engine_down or "bad answer" not in str(result)
                last_error = str(result)
                continue
            in_a_row = 0
            self._remember(todo[arxiv_id], Translation(result, engine))
            self.store.papers.save_translation(arxiv_id, self._final(result), engine)
            done += 1
        if in_a_row >= ENGINE_FAILURES_BEFORE_GIVING_UP:
            log.info("%s keeps failing; the rest stay pending", self.translator.name)
        if unusable is None and engine_down and failures and done + titles.translated == 0:
            unusable = last_error  # no engine answered at all: the translator is down
        return Translated(done, failures, unusable)

    def again(self, rows: Iterable[StoredPaper], *, force: bool = False) -> tuple[int, list[str]]:
        """Translate `rows` again (from the cache unless `force`); (how many succeeded, error
        lines). Log entries already written keep their text: the log is append-only."""
        rows = list(rows)
        done, errors = 0, []
        if self.titles:
            titles = self._titles(rows, use_cache=not force)
            errors += [f"{arxiv_id}: {err}" for arxiv_id, err in titles.errors]
            rows = [r for r in rows if r.arxiv_id not in titles.untitled]
        for row in rows:
            if self.should_stop():
                raise Interrupted("stopped on request at a safe point; the next sync continues")
            cached = None if force else self._cached(row)
            try:
                answer = cached or self.translator.translate(row.abstract)
            except TranslationError as err:
                errors.append(f"{row.arxiv_id}: {err}")
                continue
            if cached is None:
                self._remember(row, answer)
            self.store.papers.set_translation(row.arxiv_id, self._final(answer.text), answer.engine)
            done += 1
        return done, errors

    def _titles(self, rows: list[StoredPaper], *, use_cache: bool) -> Titles:
        """Chinese titles for `rows`, from the cache where it has them (unless not
        `use_cache`), else from the translator, `MAX_LINES` to a call; each call's titles stored
        in one transaction. Papers keep their state: the abstract moves them on."""
        found = Titles()
        ask: list[StoredPaper] = []
        hits: list[tuple[str, str]] = []
        for row in rows:
            cached = self._cached_title(row) if use_cache else None
            if cached is None:
                ask.append(row)
            else:
                hits.append((row.arxiv_id, self._final(cached.text)))
        self.store.papers.save_titles(hits)
        for start in range(0, len(ask), MAX_LINES):
            chunk = ask[start : start + MAX_LINES]
            if self.should_stop() or found.engine_down:  # the rest wait for the next run
                found.untitled |= {r.arxiv_id for r in ask[start:]}
                break
            answers = self.translator.translate_lines([r.title for r in chunk])
            made: list[tuple[str, str]] = []
            for row, answer in zip(chunk, answers, strict=True):
                if isinstance(answer, TranslationError):
                    found.untitled.add(row.arxiv_id)
                    found.errors.append((row.arxiv_id, answer))
                    continue
                self._remember_title(row, answer)
                made.append((row.arxiv_id, self._final(answer.text)))
            self.store.papers.save_titles(made)
            found.translated += len(made)
        return found

    def _final(self, answer: str) -> str:
        """What is stored and written of an engine's answer: one term per concept, URLs apart
        (the glossary), and nothing that reorders or hides text (an engine echoes arXiv's bidi
        controls and zero-width characters, or adds its own)."""
        return scrub(self.glossary.normalize(answer))

    def _cached(self, row: StoredPaper) -> Translation | None:
        """This abstract's earlier translation by a configured engine under this glossary."""
        hit = self.store.translations.cached(
            row.arxiv_id, sha256(row.abstract.encode()), self.translator.engine_names,
            self.glossary.version,
        )  # fmt: skip
        return Translation(hit[1], hit[0]) if hit else None

    def _cached_title(self, row: StoredPaper) -> Translation | None:
        """This title's earlier translation: the same table as abstracts, keyed by the title's
        own text, so a title is never paid for twice either."""
        hit = self.store.translations.cached(
            row.arxiv_id, sha256(row.title.encode()), self.translator.engine_names,
            self.glossary.version,
        )  # fmt: skip
        return Translation(hit[1], hit[0]) if hit else None

    def _remember_title(self, row: StoredPaper, answer: Translation) -> None:
        self.store.translations.remember(
            row.arxiv_id, sha256(row.title.encode()), answer.engine, self.glossary.version,
            storable(answer.text),
        )  # fmt: skip

    def _remember(self, row: StoredPaper, answer: Translation) -> None:
        """Cache the engine's answer as it came (the glossary may change), but storable."""
        self.store.translations.remember(
            row.arxiv_id, sha256(row.abstract.encode()), answer.engine, self.glossary.version,
            storable(answer.text),
        )  # fmt: skip
