"""Storage: one row per paper, states only move forward, migrations reach the models."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, inspect, text

from snn_feed.records import Paper
from snn_feed.store import PaperState, Store, make_engine, migrate
from snn_feed.store.tables import Base

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(migrated_database_url: str) -> Iterator[Store]:
    """A store on a database at the newest revision (a copy of one migrated once a session)."""
    engine = make_engine(migrated_database_url)
    try:
        migrate.upgrade(engine)  # nothing left to do
        yield Store(engine)
    finally:
        engine.dispose()


def paper(arxiv_id: str = "2611.00001", version: int = 1, **changes: object) -> Paper:
    base = Paper(arxiv_id, version, "Title", ["Ada", "Bob"], "Abstract.", ["cs.NE"], "cs.NE",
                 NOW, NOW, comment="12 pages", journal_ref=None, doi="10.1/x")  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def test_migrations_create_exactly_the_models_schema(any_database_url: str) -> None:
    engine = make_engine(any_database_url)  # a new database, migrated here
    try:
        migrate.upgrade(engine)
        inspector = inspect(engine)
        for table in Base.metadata.sorted_tables:
            columns = {c["name"] for c in inspector.get_columns(table.name)}
            assert columns == {c.name for c in table.columns}, table.name
        assert migrate.current_revision(engine) is not None
        migrate.upgrade(engine)  # idempotent
    finally:
        engine.dispose()


def test_a_paper_is_stored_once_and_all_metadata_is_kept(store: Store) -> None:
    assert store.papers.add([(paper(), 4, None)]) == ["2611.00001"]
    assert store.papers.add([(paper(), 4, None), (paper(), 4, None)]) == []
    row = store.papers.get("2611.00001")
    assert row is not None
    assert (row.authors, row.categories, row.comment, row.doi) == (
        ["Ada", "Bob"], ["cs.NE"], "12 pages", "10.1/x",
    )  # fmt: skip
    assert row.published == NOW and row.state == PaperState.FETCHED
    with store.engine.connect() as conn:
        assert conn.execute(text("select count(*) from papers")).scalar() == 1


def test_a_new_version_updates_metadata_but_is_never_logged_again(store: Store) -> None:
    store.papers.add([(paper(), 3, None)])
    store.papers.save_translation("2611.00001", "译文", "google")
    store.papers.mark_written(["2611.00001"], "2026.11", "/logs/README.md")
    store.papers.add([(paper(version=2, title="Better title"), 3, None)])
    row = store.papers.get("2611.00001")
    assert row is not None
    assert (row.version, row.title, row.state) == (2, "Better title", PaperState.WRITTEN)
    assert store.papers.in_state(PaperState.FETCHED) == []
    # an older version arriving late changes nothing
    store.papers.add([(paper(version=1, title="Old"), 3, None)])
    assert store.papers.get("2611.00001").title == "Better title"  # type: ignore[union-attr]


def test_the_search_api_completes_what_the_announcement_feed_lacked(store: Store) -> None:
    # The feed: the announcement time as date, no comment. The API, same version: the
    # submission time, and a comment naming the code.
    announced = NOW + timedelta(days=2)
    from_feed = paper(published=announced, comment=None, doi=None)
    from_api = paper(comment="Code: https://github.com/a/b", journal_ref="J. 1")
    store.papers.add([(from_feed, 3, None)])
    store.papers.add([(from_api, 3, "https://github.com/a/b")])
    row = store.papers.get("2611.00001")
    assert row is not None
    assert (row.published, row.comment, row.journal_ref, row.doi, row.code_url) == (
        NOW, "Code: https://github.com/a/b", "J. 1", "10.1/x", "https://github.com/a/b",
    )  # fmt: skip
    # ...and a replacement announced later loses none of it
    store.papers.add([(paper(version=2, published=announced, comment=None, doi=None), 3, None)],
                     known_only=True)  # fmt: skip
    row = store.papers.get("2611.00001")
    assert row is not None and row.version == 2
    assert (row.published, row.comment, row.doi, row.code_url) == (
        NOW, "Code: https://github.com/a/b", "10.1/x", "https://github.com/a/b",
    )  # fmt: skip


def test_a_comment_the_search_api_brings_rescores_a_paper_not_yet_written(store: Store) -> None:
    # The feed's item scored 1 (held back by min_score 2); the API's comment says "Accepted at
    # NeurIPS 2025", which the config rewards: the paper is logged after all.
    assert store.papers.add([(paper(comment=None), 1, None)], min_score=2) == []
    accepted = paper(comment="Accepted at NeurIPS 2025")
    assert store.papers.add([(accepted, 3, None)], min_score=2) == ["2611.00001"]
    row = store.papers.get("2611.00001")
    assert row is not None and (row.state, row.score) == (PaperState.FETCHED, 3)
    # The feed seen again (no comment, its lower score) takes nothing back
    store.papers.add([(paper(comment=None), 1, None)], min_score=2)
    assert store.papers.get("2611.00001").score == 3  # type: ignore[union-attr]


def test_a_written_entry_keeps_its_score_when_the_comment_comes_later(store: Store) -> None:
    store.papers.add([(paper(comment=None), 2, None)])
    store.papers.save_translation("2611.00001", "译文", "google")
    store.papers.mark_written(["2611.00001"], "2026.11", "/logs/README.md")
    store.papers.add([(paper(comment="Accepted at NeurIPS 2025"), 4, None)])
    row = store.papers.get("2611.00001")
    assert row is not None and (row.score, row.comment) == (2, "Accepted at NeurIPS 2025")


def test_a_written_entry_gets_no_code_link_afterwards(store: Store) -> None:
    store.papers.add([(paper(comment=None), 3, None)])
    store.papers.save_translation("2611.00001", "译文", "google")
    store.papers.mark_written(["2611.00001"], "2026.11", "/logs/README.md")
    store.papers.add([(paper(comment="https://github.com/a/b"), 3, "https://github.com/a/b")])
    assert store.papers.get("2611.00001").code_url is None  # type: ignore[union-attr]


def test_a_held_back_paper_whose_new_version_is_on_topic_enters_the_pipeline(
    store: Store,
) -> None:
    assert store.papers.add([(paper(), 1, None)], min_score=3) == []
    assert store.papers.get("2611.00001").state == PaperState.SKIPPED  # type: ignore[union-attr]
    assert store.papers.add([(paper(version=2), 2, None)], min_score=3) == []
    assert store.papers.add([(paper(version=3), 4, None)], min_score=3) == ["2611.00001"]
    row = store.papers.get("2611.00001")
    assert row is not None and (row.state, row.score) == (PaperState.FETCHED, 4)


def test_states_only_move_forward(store: Store) -> None:
    store.papers.add([(paper(), 3, None)])
    store.papers.mark_written(["2611.00001"], "2026.11", "/logs/README.md")
    store.papers.mark_committed(["2611.00001"], "abc")
    store.papers.mark_written(
        ["2611.00001"], "2026.12", "/logs/README.md"
    )  # a stale step must not move it back
    store.papers.save_translation("2611.00001", "x", "google")
    row = store.papers.get("2611.00001")
    assert row is not None
    assert (row.state, row.log_month, row.commit_sha) == (PaperState.COMMITTED, "2026.11", "abc")


def test_runs_are_recorded_and_the_last_successful_window_is_found(store: Store) -> None:
    assert store.runs.last_window_end() is None
    ok = store.runs.start("sync")
    store.runs.finish(ok, "done", window_start=NOW, window_end=NOW, found=3)
    failed = store.runs.start("sync")
    store.runs.finish(failed, "failed", error="arXiv down", window_start=NOW, window_end=None)
    assert store.runs.last_window_end() == NOW


@settings(max_examples=50, deadline=None)
@given(
    title=st.text(min_size=1, max_size=300),
    authors=st.lists(st.text(max_size=80), min_size=1, max_size=5),
    abstract=st.text(max_size=2000),
)
def test_any_text_round_trips_through_the_database(
    tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path, title: str,
    authors: list[str], abstract: str,
) -> None:  # fmt: skip
    db = tmp_path_factory.mktemp("db") / "db.sqlite3"
    shutil.copyfile(migrated_sqlite, db)  # a new database at the head, without migrating it
    engine = make_engine(f"sqlite:///{db}")
    s = Store(engine)
    s.papers.add([(paper(title=title, authors=authors, abstract=abstract), 2, None)])
    row = s.papers.get("2611.00001")
    assert row is not None
    assert (row.title, row.authors, row.abstract) == (title, authors, abstract)
    engine.dispose()


def test_the_head_read_from_the_scripts_is_alembics_head() -> None:
    # Opening a database skips Alembic when it is at this head: it must be the real one.
    assert migrate.scripted_head() == migrate.head_revision()


def test_an_older_database_is_still_migrated_to_the_head(any_database_url: str) -> None:
    engine = make_engine(any_database_url)
    try:
        migrate.upgrade(engine, "0004")
        assert migrate.current_revision(engine) == "0004"
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert "translations" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def old_paper(engine: Engine, revision: str) -> None:
    """A database at `revision` holding paper 2611.00001, inserted with SQL as that revision's
    table had it (today's ORM has columns added since)."""
    migrate.upgrade(engine, revision)
    with engine.begin() as conn:
        conn.execute(text(
            "insert into papers (arxiv_id, version, title, authors, abstract, categories, "
            "primary_category, published, updated, score, state, first_seen, "
            "translate_attempts, origin) values ('2611.00001', 1, 'T', '[]', 'A', '[]', "
            "'cs.NE', '2026-11-28 12:00:00', '2026-11-28 12:00:00', 3, 'fetched', "
            "'2026-11-28 12:00:00', 0, 'sync')"
        ))  # fmt: skip


def test_a_database_from_before_0011_keeps_its_rows_and_takes_text_of_any_length(
    any_database_url: str,
) -> None:
    engine = make_engine(any_database_url)
    try:
        old_paper(engine, "0010")
        migrate.upgrade(engine)
        store = Store(engine)
        long = "x" * 5000
        store.papers.add([(paper("2611.00002", doi=long, primary_category=long), 3, long)])
        store.imported.save(f"title:{long[:2000]}", arxiv_id=None, title=long,
                            norm_title=long[:2000], section=long, line=1, text=long,
                            resolution="unresolved")  # fmt: skip
        assert [p.arxiv_id for p in store.papers.in_state(PaperState.FETCHED)] == [
            "2611.00001", "2611.00002",
        ]  # fmt: skip
        assert store.papers.get("2611.00002").doi == long  # type: ignore[union-attr]
        assert [e.section for e in store.imported.all()] == [long]
    finally:
        engine.dispose()


def test_opening_an_up_to_date_database_does_not_load_alembic(tmp_path: Path) -> None:
    # Alembic costs more start-up time than anything else `snn-feed status` does.
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    migrate.upgrade(make_engine(url))
    code = (
        "import sys\n"
        "from snn_feed.store import open_store\n"
        f"open_store({url!r}, create=False)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_papers_logged_before_0008_belong_to_the_log_the_next_sync_writes(
    any_database_url: str,
) -> None:
    # Migration 0008 cannot know the configured log; the next sync claims the papers for it.
    engine = make_engine(any_database_url)
    migrate.upgrade(engine, "0007")
    with engine.begin() as conn:
        conn.execute(text(
            "insert into papers (arxiv_id, version, title, authors, abstract, categories, "
            "primary_category, published, updated, score, state, first_seen, translate_attempts, "
            "origin, translation_engine) values ('2611.00001', 1, 'T', '[]', 'A', '[]', 'cs.NE', "
            "'2026-11-28 12:00:00', '2026-11-28 12:00:00', 3, 'committed', "
            "'2026-11-28 12:00:00', 0, 'sync', 'google')"
        ))  # fmt: skip
    migrate.upgrade(engine)
    store = Store(engine)
    store.papers.add([(paper("2611.00002"), 3, None)])
    store.papers.claim_unplaced("/logs/README.md")
    placed = {p.arxiv_id: (p.state, p.log_path) for p in store.papers.placements()}
    assert placed == {
        "2611.00001": (PaperState.COMMITTED, "/logs/README.md"),
        "2611.00002": (PaperState.FETCHED, None),  # not written yet: no log
    }
    store.papers.requeue(["2611.00001"])  # another log is configured later: it goes back in line
    assert store.papers.get("2611.00001").state == PaperState.TRANSLATED  # type: ignore[union-attr]
    engine.dispose()


def test_a_title_translation_moves_no_paper_on(store: Store) -> None:
    store.papers.add([(paper("2611.00001"), 3, None), (paper("2611.00002"), 3, None)])
    store.papers.save_titles([("2611.00001", "标题一"), ("2611.00002", "标题二")])
    rows = [store.papers.get(i) for i in ("2611.00001", "2611.00002")]
    assert [(r.state, r.title_zh) for r in rows if r] == [
        (PaperState.FETCHED, "标题一"), (PaperState.FETCHED, "标题二"),
    ]  # fmt: skip
    assert [r.arxiv_id for r in store.papers.to_translate()] == ["2611.00001", "2611.00002"]


def test_a_new_version_with_another_title_is_asked_for_its_title_again(store: Store) -> None:
    store.papers.add([(paper("2611.00001"), 3, None), (paper("2611.00002"), 3, None)])
    store.papers.save_titles([("2611.00001", "旧标题"), ("2611.00002", "标题")])
    store.papers.add([(paper("2611.00001", 2, title="A new title"), 3, None),
                      (paper("2611.00002", 2), 3, None)])  # fmt: skip
    assert store.papers.get("2611.00001").title_zh is None  # type: ignore[union-attr]
    assert store.papers.get("2611.00002").title_zh == "标题"  # type: ignore[union-attr]


def test_a_database_from_before_0012_keeps_its_papers_without_chinese_titles(
    any_database_url: str,
) -> None:
    engine = make_engine(any_database_url)
    try:
        old_paper(engine, "0011")
        migrate.upgrade(engine)
        row = Store(engine).papers.get("2611.00001")
        assert row is not None and (row.title, row.title_zh) == ("T", None)
    finally:
        engine.dispose()


def test_summaries_are_kept_per_key_and_tokens_per_day(store: Store) -> None:
    from snn_feed.store import Summary

    store.papers.add([(paper("2611.00001"), 4, None), (paper("2611.00002"), 4, None)])
    assert [c[0] for c in store.summaries.candidates(NOW)] == ["2611.00002", "2611.00001"]
    old = Summary("本文提出旧的方法。", (("方法", "旧。"),))
    store.summaries.save("2611.00001", "k1", old, "m", 900, NOW)
    store.summaries.save("2611.00001", "k2", Summary("本文提出新的方法。"), "m", 800,
                         NOW + timedelta(hours=1))  # fmt: skip
    store.summaries.refuse("2611.00002", "k1", "bad answer", "m", 700, NOW)
    store.summaries.refuse("2611.00002", "k1", "bad answer", "m", 700, NOW)
    made = store.summaries.of(["2611.00001", "2611.00002"])
    assert list(made) == ["2611.00001"] and made["2611.00001"].tldr == "本文提出新的方法。"
    keys = {"2611.00001": "k1", "2611.00002": "k1"}
    assert store.summaries.settled(keys, attempts=3) == {"2611.00001"}
    assert store.summaries.settled(keys, attempts=2) == {"2611.00001", "2611.00002"}
    assert store.summaries.counts(attempts=2) == {"summarised": 1, "refused": 1}
    for tokens in (1000, 500):
        store.summaries.spend("2026-11-28", tokens)
    store.summaries.spend("2026-11-29", 300)
    assert store.summaries.spent("2026-11-28") == 1500 and store.summaries.spent("x") == 0
    assert store.summaries.per_request() == 600
