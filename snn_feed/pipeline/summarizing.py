"""The summary stage (`[summary]`): a one-sentence Chinese summary for each recent paper a topic
keeps, `concurrency` at a time, within the day's token budget. Never a gate: it runs after
the translations and before the log is written, so a summary made in time shows in the entry,
and a paper whose summary fails, waits for the budget or was given up is written all the same.

Each summary is stored under its key (`summary.answer.cache_key`): a paper is asked for again
only when its abstract, the model, the prompt or the glossary changed. A refused answer counts
an attempt; after `[summary] attempts` under one key the paper is given up. A server that fails
(down, 429, a timeout) costs the paper no attempt, and after two such failures in a row nothing
more is sent in this run. Tokens are counted per request as the server reports them (refused
answers too) against the day in the log's time zone; a request is sent only while its
estimated cost still fits."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from snn_feed.config import SummarySettings
from snn_feed.sanitize import storable
from snn_feed.store import Store, Summary
from snn_feed.summary.answer import cache_key
from snn_feed.translation.engines import bad_answer
from snn_feed.translation.glossary import Glossary

if TYPE_CHECKING:
    from snn_feed.summary.client import Answer, Summarizer

log = logging.getLogger(__name__)

SERVER_FAILURES_BEFORE_GIVING_UP = 2
"""Failures of the server itself in a row after which nothing more is sent in this run."""


@dataclass
class Summarized:
    """What one summary stage did."""

    made: int = 0
    waiting: int = 0
    """Papers still without a summary: not reached (budget, a failing server) or refused."""
    failures: list[str] = field(default_factory=list)
    over_budget: bool = False


@dataclass(frozen=True)
class _Paper:
    arxiv_id: str
    title: str
    abstract: str
    key: str


class Summarizing:
    def __init__(
        self,
        store: Store,
        settings: SummarySettings,
        glossary: Glossary,
        clock: Callable[[], datetime],
        day: Callable[[], str],
        should_stop: Callable[[], bool] = lambda: False,
        client: Summarizer | None = None,
    ) -> None:
        self.store, self.settings, self.glossary = store, settings, glossary
        self.clock, self.day, self.should_stop = clock, day, should_stop
        self._client = client

    def run(self) -> Summarized:
        from snn_feed.summary.client import Summarizer  # httpx: only when summaries are on

        todo = waiting(self.store, self.settings, self.glossary.version, self.clock())
        done = Summarized(waiting=len(todo))
        if not todo:
            return done
        day = self.day()
        budget = self.settings.max_tokens_per_day
        client = self._client or Summarizer(self.settings, self.glossary.terms)
        reserved: dict[Future[Answer], int] = {}
        in_a_row = 0
        # What a request costs is known once one is answered: the prompt's size is a floor,
        # the average of the requests recorded lately (this run's too) a better guess.
        seen = [self.store.summaries.per_request(), 0, 0]  # recorded average, tokens, answers

        def cost(paper: _Paper) -> int:
            average = seen[1] // seen[2] if seen[2] else seen[0]
            return max(client.estimate(paper.title, paper.abstract), average)

        def fits(paper: _Paper) -> bool:
            # The database's count: another host sharing it may be spending the same day.
            spent = self.store.summaries.spent(day)
            if spent + sum(reserved.values()) + cost(paper) <= budget:
                return True
            done.over_budget = True
            return False

        def enough() -> bool:
            return self.should_stop() or in_a_row >= SERVER_FAILURES_BEFORE_GIVING_UP

        for paper, (result, tokens) in _ask_many(client, todo, self.settings.concurrency,
                                                  fits, enough, reserved, cost):  # fmt: skip
            now = self.clock()
            if tokens:
                seen[1:] = [seen[1] + tokens, seen[2] + 1]
                self.store.summaries.spend(day, tokens)
            if isinstance(result, Summary):
                in_a_row = 0
                self.store.summaries.save(paper.arxiv_id, paper.key, self._final(result),
                                          self.settings.model, tokens, now)  # fmt: skip
                done.made += 1
                done.waiting -= 1
                continue
            done.failures.append(f"summary failed for {paper.arxiv_id}: {result}")
            log.warning("%s", done.failures[-1])
            if bad_answer(result):
                in_a_row = 0  # the server works; this paper's answer did not
                self.store.summaries.refuse(paper.arxiv_id, paper.key, storable(str(result)),
                                            self.settings.model, tokens, now)  # fmt: skip
            else:
                in_a_row += 1
        if done.over_budget:
            log.info("summary: the day's budget of %s tokens ([summary] max_tokens_per_day) is "
                     "spent; %d papers wait for the next day", f"{budget:,}",
                     done.waiting)  # fmt: skip
        elif in_a_row >= SERVER_FAILURES_BEFORE_GIVING_UP:
            log.info("summary: the server keeps failing; %d papers wait for the next sync",
                     done.waiting)  # fmt: skip
        return done

    def _final(self, summary: Summary) -> Summary:
        """The glossary's one term per concept in every line, as in translations."""
        return Summary(
            self.glossary.normalize(summary.tldr),
            tuple((label, self.glossary.normalize(text)) for label, text in summary.points),
        )


def waiting(
    store: Store, settings: SummarySettings, glossary_version: str, now: datetime
) -> list[_Paper]:
    """The papers to ask a summary for at `now`, newest first."""
    since = now - timedelta(days=settings.backlog_days)
    papers = [
        _Paper(arxiv_id, title, abstract, cache_key(abstract, settings.model, glossary_version,
                                                    details=settings.details))
        for arxiv_id, title, abstract in store.summaries.candidates(since)
        if abstract.strip()
    ]  # fmt: skip
    settled = store.summaries.settled({p.arxiv_id: p.key for p in papers}, settings.attempts)
    return [p for p in papers if p.arxiv_id not in settled]


def _ask_many(
    client: Summarizer,
    papers: list[_Paper],
    concurrency: int,
    fits: Callable[[_Paper], bool],
    enough: Callable[[], bool],
    reserved: dict[Future[Answer], int],
    cost: Callable[[_Paper], int],
) -> Iterator[tuple[_Paper, Answer]]:
    """Each paper's answer as each finishes, with at most
    `concurrency` in flight; a paper is sent only while `fits` and not `enough`. `reserved`
    holds the estimate of each request in flight, for `fits`."""
    left = iter(papers)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="summary") as pool:
        running: dict[Future[Answer], _Paper] = {}

        def fill() -> None:
            while len(running) < concurrency and not enough():
                paper = next(left, None)
                if paper is None or not fits(paper):
                    return
                future = pool.submit(client.summarize, paper.title, paper.abstract)
                running[future] = paper
                reserved[future] = cost(paper)

        fill()
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                paper = running.pop(future)
                reserved.pop(future, None)
                yield paper, future.result()  # a summary or its error: `summarize` raises none
            fill()
