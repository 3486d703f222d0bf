"""PostgreSQL, for real: the store migrates and keeps papers there as it does in SQLite."""

from __future__ import annotations

import threading

from conftest import snn_entries, utc_now
from sqlalchemy import create_engine, text

from snn_feed.records import Paper
from snn_feed.store import Store, open_store


def test_a_new_postgresql_database_is_migrated_and_keeps_papers(postgres_url: str) -> None:
    (entry,) = snn_entries(1, utc_now())
    store = open_store(postgres_url)
    try:
        paper = Paper(arxiv_id=entry.arxiv_id, version=1, title=entry.title,
                      authors=entry.authors, abstract=entry.abstract, categories=["cs.NE"],
                      primary_category="cs.NE", published=entry.published,
                      updated=entry.published)  # fmt: skip
        store.papers.add([(paper, 3, None)])
        stored = store.papers.get(entry.arxiv_id)
        assert stored is not None and stored.title == entry.title
    finally:
        store.engine.dispose()


def _paper(arxiv_id: str, version: int = 1) -> Paper:
    stamp = utc_now()
    return Paper(arxiv_id=arxiv_id, version=version, title=f"Spiking paper {arxiv_id}",
                 authors=["A. Author"], abstract=f"Spiking neural networks, {arxiv_id}.",
                 categories=["cs.NE"], primary_category="cs.NE", published=stamp,
                 updated=stamp)  # fmt: skip


def test_writers_of_the_same_ids_at_once_never_collide_and_leave_one_row_each(
    postgres_url: str,
) -> None:
    """Two hosts on one database storing the same papers, translations and imported entries
    at the same instant: no unique-key error, and one row per key afterwards."""
    open_store(postgres_url).engine.dispose()  # migrated once, before the writers start
    writers, rounds = 6, 8
    stores = [open_store(postgres_url) for _ in range(writers)]
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(store: Store, n: int) -> None:
        try:
            for r in range(rounds):
                ids = [f"2601.{r:02d}{i:03d}" for i in range(5)]
                barrier.wait(timeout=60)
                store.papers.add([(_paper(i, version=1 + (n + r) % 2), 3, None) for i in ids])
                barrier.wait(timeout=60)
                for i in ids:
                    store.translations.remember(i, "sha", "google", "v1", f"译文 {n}")
                barrier.wait(timeout=60)
                store.imported.save(
                    f"title:entry {r}", arxiv_id=ids[0] if n % 2 else None, title=f"Entry {r}",
                    norm_title=f"entry {r}", section="## 2026-01", line=r, text="### Entry",
                    resolution="title" if n % 2 else "unresolved",
                )  # fmt: skip
        except BaseException as err:  # every writer's failure is reported, not only the first
            errors.append(err)
            barrier.abort()

    threads = [threading.Thread(target=write, args=(s, n)) for n, s in enumerate(stores)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    finally:
        for store in stores:
            store.engine.dispose()
    assert [
        f"{type(e).__name__}: {str(e)[:200]}"
        for e in errors
        if not isinstance(e, threading.BrokenBarrierError)
    ] == []
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as db:
            counts = {
                table: tuple(
                    db.execute(text(f"SELECT count(*), count(DISTINCT {key}) FROM {table}")).one()
                )
                for table, key in [("papers", "arxiv_id"), ("translations", "arxiv_id"),
                                   ("log_entries", "key")]
            }  # fmt: skip
    finally:
        engine.dispose()
    assert counts == {"papers": (5 * rounds, 5 * rounds),
                      "translations": (5 * rounds, 5 * rounds),
                      "log_entries": (rounds, rounds)}  # fmt: skip


def test_an_error_quoting_a_nul_is_recorded_on_postgresql(postgres_url: str) -> None:
    store = open_store(postgres_url)
    try:
        run = store.runs.start("sync")
        store.runs.finish(run, "failed", error="arXiv sent \x00 in a title")
        (recorded,) = store.runs.recent(limit=1)
        assert recorded.outcome == "failed" and recorded.error == "arXiv sent  in a title"
    finally:
        store.engine.dispose()
