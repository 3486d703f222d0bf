"""PostgreSQL, for real: the store migrates and keeps papers there as it does in SQLite."""

from __future__ import annotations

from conftest import snn_entries, utc_now

from snn_feed.records import Paper
from snn_feed.store import open_store


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
