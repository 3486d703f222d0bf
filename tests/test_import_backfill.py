"""Adopting the hand-made log: import it, backfill its months, never add a paper twice."""

from __future__ import annotations

import difflib
import math
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote_plus

import forks
import pytest
from conftest import (
    LOG_ZONE,
    SEED_LOG,
    git,
    real_papers,
    run_cli,
    snn_entries,
    utc_now,
    write_config,
)
from fakes import FakeArxiv, FakeEntry, FakeTranslator, Reply, atom_feed, fake_zh, slow_zh

from snn_feed.ids import OWN_LINK, linked_id
from snn_feed.journal.logparse import parse_log
from snn_feed.pipeline.importer import title_query

# The clock tests (pytest.mark.clock) are run again at hard instants by CI. Not marked: the
# backfill-after-import and killed-backfill tests, the slowest of the suite, whose windows are
# fixed months of 2020 and whose logs take each paper's publication month, not today's.
CLOCK = pytest.mark.clock

SEED_TEXT = SEED_LOG.read_bytes().decode("utf-8", errors="surrogateescape")
SEED_ENTRIES, SEED_STRAYS = parse_log(SEED_TEXT)
MISSING = {e.title for e in SEED_ENTRIES if not e.arxiv_id}.__iter__()
NOT_ON_ARXIV = {next(MISSING) for _ in range(3)}  # the fake arXiv does not know these titles


def section_date(section: str) -> datetime:
    match = re.match(r"(\d{4})\.(\d{1,2})", section)
    assert match, section
    return datetime(int(match.group(1)), int(match.group(2)), 12, 15, tzinfo=UTC)


def seed_corpus() -> list[FakeEntry]:
    """arXiv as the fake knows it: every seed paper (full titles where the log cut them),
    plus new SNN papers of the same months that the log does not have."""
    entries = []
    for n, entry in enumerate(SEED_ENTRIES):
        if entry.title in NOT_ON_ARXIV:
            continue
        title = entry.title + ("ing" if len(entry.title) >= 90 else "")
        entries.append(FakeEntry(
            arxiv_id=entry.arxiv_id or f"{section_date(entry.section):%y%m}.{n:05d}",
            title=title, abstract=f"Spiking neural networks: {title}.",
            authors=[entry.first_author or "Seed Author"],
            published=section_date(entry.section) + timedelta(minutes=n),
        ))  # fmt: skip
    for n, row in enumerate(real_papers()[:12]):
        month = datetime(2020, 1 + n % 11, 20, 10, tzinfo=UTC)
        entries.append(FakeEntry(
            arxiv_id=f"{month:%y%m}.9{n:04d}", title=f"{row['title']} (new)",
            abstract=f"We train spiking neural networks: {row['title']}.",
            authors=[row["first_author"]], published=month,
        ))  # fmt: skip
    return entries


@pytest.fixture
def corpus(fake_arxiv: FakeArxiv) -> list[FakeEntry]:
    fake_arxiv.entries = seed_corpus()
    return fake_arxiv.entries


@pytest.fixture
def config(tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator,
           log_repo: Path, migrated_database_url: str) -> Path:  # fmt: skip
    """On both backends, a database at the newest revision (these tests are not of migrating)."""
    return write_config(tmp_path / "config.toml", arxiv_url=fake_arxiv.url,
                        translator_url=fake_translator.base + "/m",
                        log_path=log_repo / "README.md", arxiv__page_size=50,
                        database__url=migrated_database_url)  # fmt: skip


def logged_ids(text: str) -> list[str]:
    """The ids of the log's entries, each from its own link, in every entry style (a log
    without hover entries gets bilingual ones)."""
    return [linked_id(m.group(1) or m.group(2)) for m in OWN_LINK.finditer(text)]


def only_insertions(old: str, new: str) -> list[str]:
    """The inserted blocks of whole lines; fails if a byte of `old` was changed, moved or
    removed. (Compared line by line: snn-feed inserts whole lines, and a character-wise diff of
    a 150 KB log costs half a minute.)"""
    before, after = old.splitlines(keepends=True), new.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    inserted = []
    for op, i1, _, j1, j2 in matcher.get_opcodes():
        assert op in ("equal", "insert"), f"{op} at old line {i1 + 1}: {before[i1][:80]!r}"
        if op == "insert":
            inserted.append("".join(after[j1:j2]))
    assert "".join(before) == old and "".join(after) == new
    return inserted


@CLOCK
def test_import_records_entries_resolves_titles_and_lists_the_rest(
    config: Path, corpus: list[FakeEntry], fake_arxiv: FakeArxiv
) -> None:
    result = run_cli("import", "--config", str(config))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    linked = sum(1 for e in SEED_ENTRIES if e.arxiv_id)
    titled = len(SEED_ENTRIES) - linked
    assert (
        f"import: {len(SEED_ENTRIES)} entries ({len(SEED_ENTRIES)} new, 0 already known), "
        f"{linked} with an " in out
    )
    assert f"{titled - len(NOT_ON_ARXIV)} found by title, {len(NOT_ON_ARXIV)} unresolved" in out
    for entry in SEED_ENTRIES:
        if entry.title in NOT_ON_ARXIV:
            assert f"unresolved: line {entry.line}: {entry.title}" in out
    for stray in SEED_STRAYS:
        assert f"not an entry, left as is: line {stray.line}:" in out
    # Many titles to a request, each title in one, and the requests within arXiv's length.
    # (A query may take pages; a title whose paper no batch brought is asked alone, as before.)
    queries = list(dict.fromkeys(r["params"]["search_query"] for r in fake_arxiv.requests))
    batched = [q for q in queries if " OR " in q]
    phrases = [p for q in batched for p in q.split(" OR ")]
    titles = [e for e in SEED_ENTRIES if not e.arxiv_id]
    assert sorted(phrases) == sorted(title_query(e.title) for e in titles)
    assert len(batched) == math.ceil(sum(len(quote_plus(p + " OR ")) for p in phrases) / 6000)
    assert sorted(set(queries) - set(batched)) == sorted(title_query(t) for t in NOT_ON_ARXIV)
    assert f"import: titles done ({titled}/{titled} titles looked up" in result.stderr

    before = len(fake_arxiv.requests)
    again = run_cli("import", "--config", str(config))
    assert again.returncode == 0
    assert f"(0 new, {len(SEED_ENTRIES)} already known)" in again.stdout
    asked = [r["params"]["search_query"] for r in fake_arxiv.requests[before:]]
    unresolved = sorted(NOT_ON_ARXIV, key=lambda t: next(e.line for e in titles if e.title == t))
    assert asked[0] == " OR ".join(title_query(t) for t in unresolved)  # only the unresolved
    assert sorted(asked[1:]) == sorted(title_query(t) for t in unresolved)


def test_titles_looked_up_many_to_a_request_find_what_one_by_one_found(
    fake_arxiv: FakeArxiv, corpus: list[FakeEntry]
) -> None:
    from snn_feed.config import ArxivSettings
    from snn_feed.pipeline.importer import RESULTS_PER_TITLE, _best, resolve_titles
    from snn_feed.sources.api import PoliteClient, search_titles

    client = PoliteClient(ArxivSettings(api_url=fake_arxiv.url, delay_seconds=0.0))
    titles = [e for e in SEED_ENTRIES if not e.arxiv_id]

    def search(query: str, limit: int) -> list:  # type: ignore[type-arg]
        return search_titles(client, query, limit)

    one_by_one = {}
    for e in titles:
        paper = _best(e, search(title_query(e.title), RESULTS_PER_TITLE))
        if paper is not None:
            one_by_one[e.line] = paper.arxiv_id
    asked = len(fake_arxiv.requests)
    batched, errors = resolve_titles(titles, search)
    assert errors == [] and len(one_by_one) == len(titles) - len(NOT_ON_ARXIV)
    assert {line: p.arxiv_id for line, p in batched.items()} == one_by_one
    batch_queries = {r["params"]["search_query"] for r in fake_arxiv.requests[asked:]}
    # 126 titles in a few queries, not 126: the titles arXiv does not know are asked alone.
    assert len(batch_queries) <= 3 + len(NOT_ON_ARXIV)


@CLOCK
def test_a_second_import_after_a_sync_reports_its_entries_as_known_not_new(
    config: Path, fake_arxiv: FakeArxiv, log_repo: Path
) -> None:
    first = run_cli("import", "--config", str(config), "--no-resolve")
    assert first.returncode == 0, first.stderr
    total = len(SEED_ENTRIES)
    assert f"import: {total} entries ({total} new, 0 already known)," in first.stdout
    fake_arxiv.entries = snn_entries(3, utc_now())
    synced = run_cli("sync", "--config", str(config))
    assert synced.returncode == 0, synced.stderr
    assert "written 3," in synced.stdout

    # the log now holds the seed's entries, which the first import recorded, and the three
    # the sync wrote: the database knows every one of them
    again = run_cli("import", "--config", str(config), "--no-resolve")
    assert again.returncode == 0, again.stderr
    total += 3
    assert f"import: {total} entries (0 new, {total} already known)," in again.stdout
    head = git(log_repo, "rev-parse", "HEAD")
    assert run_cli("sync", "--config", str(config)).returncode == 0
    assert git(log_repo, "rev-parse", "HEAD") == head  # and nothing is written again


@pytest.mark.parametrize("resolve", [True, False], ids=["ids-by-title-search", "no-resolve"])
def test_backfill_after_import_adds_no_seed_paper_and_keeps_the_seed_bytes(
    config: Path, corpus: list[FakeEntry], log_repo: Path, resolve: bool
) -> None:
    args = ["import", "--config", str(config)] + ([] if resolve else ["--no-resolve"])
    assert run_cli(*args).returncode == 0
    head = git(log_repo, "rev-parse", "HEAD").strip()
    result = run_cli("backfill", "--config", str(config), "--from", "2019-11-01", "--to",
                     "2020-11-30")  # fmt: skip
    assert result.returncode == 0, result.stderr
    new = (log_repo / "README.md").read_bytes().decode("utf-8", errors="surrogateescape")
    only_insertions(SEED_TEXT, new)  # every byte of the seed is still there, in order
    fresh = [e for e in corpus if e.title.endswith("(new)")]
    before, after = logged_ids(SEED_TEXT), logged_ids(new)
    assert sorted(after) == sorted(before + [e.arxiv_id for e in fresh]), "only the new papers"
    for entry in fresh:  # each under its publication month ("## 2020.9" counts as September)
        heading = re.search(rf"^## {entry.published.year}\.0?{entry.published.month}[ \t]*$",
                            new, re.MULTILINE)  # fmt: skip
        assert heading, entry.published
        assert entry.arxiv_id in new[heading.end() :].split("\n## ", 1)[0]
    assert git(log_repo, "rev-list", "--count", f"{head}..HEAD").strip() == "1"
    assert git(log_repo, "status", "--porcelain").strip() == ""


# SQLite only: a minute on PostgreSQL, whose crash safety the sync and migration tests cover.
@pytest.mark.parametrize("migrated_database_url", ["sqlite"], indirect=True)
def test_backfill_killed_halfway_finishes_with_every_paper_once(
    tmp_path: Path, config: Path, corpus: list[FakeEntry], fake_translator: FakeTranslator,
    log_repo: Path,
) -> None:  # fmt: skip
    fake_translator.translate = slow_zh(0.05)
    args = ["backfill", "--config", str(config), "--from", "2019-11-01", "--to", "2020-11-30"]
    for kill_after in (5, 25):
        # A fork of this process, whose imports are done (a new interpreter would import first).
        process = forks.start(args)
        start = len(fake_translator.requests)
        deadline = time.monotonic() + 60
        while len(fake_translator.requests) - start < kill_after and process.is_alive():
            assert time.monotonic() < deadline
            time.sleep(0.02)
        process.kill()  # SIGKILL
        process.join()
    fake_translator.translate = fake_zh
    final = run_cli(*args)
    assert final.returncode == 0, final.stderr
    text = (log_repo / "README.md").read_bytes().decode("utf-8", errors="surrogateescape")
    only_insertions(SEED_TEXT, text)
    ids = logged_ids(text)
    assert len(ids) == len(set(ids)), "a paper was written twice"
    # without an import, every paper of the corpus is new to the log, and each is there once
    assert set(ids) == {e.arxiv_id for e in corpus} | set(logged_ids(SEED_TEXT))
    assert git(log_repo, "status", "--porcelain").strip() == ""


PADDED_LOG = (
    "# My log\n\n## 2020.04\n\n- [3] [A] Old. [paper](https://arxiv.org/abs/2004.00001) .\n"
)


@pytest.mark.parametrize(
    ("log", "heading"),
    [
        (SEED_TEXT, "## 2021.3"),
        (PADDED_LOG, "## 2021.03"),
        ("# My log\n\nno month yet\n", "## 2021.03"),
    ],
    ids=["unpadded-seed-log", "padded-log", "log-without-months"],
)
def test_a_new_months_heading_is_zero_padded_only_where_the_log_pads_its_months(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log: str, heading: str
) -> None:
    repo = tmp_path / "log"
    repo.mkdir()
    (repo / "README.md").write_bytes(log.encode("utf-8", errors="surrogateescape"))
    git(repo, "init", "--quiet")
    git(repo, "add", "README.md")
    git(repo, "commit", "--quiet", "-m", "my log")
    config = write_config(tmp_path / "config.toml", arxiv_url=fake_arxiv.url,
                          translator_url=fake_translator.base + "/m",
                          log_path=repo / "README.md")  # fmt: skip
    # March 2021: a month before October, which the seed log writes `2021.3`, and a fixed
    # month in the past, whatever today is
    fake_arxiv.entries = snn_entries(2, datetime(2021, 3, 15, 12, tzinfo=UTC))
    result = run_cli("backfill", "--config", str(config), "--from", "2021-03-01", "--to",
                     "2021-03-31")  # fmt: skip
    assert result.returncode == 0, result.stderr
    new = (repo / "README.md").read_bytes().decode("utf-8", errors="surrogateescape")
    at = next((i for i, (a, b) in enumerate(zip(log, new, strict=False)) if a != b), len(log))
    added = new[at : at + len(new) - len(log)]
    assert new[:at] + new[at + len(added) :] == log  # one insertion: no byte changed or moved
    assert re.findall(r"(?m)^## 2021\.0?3$", new) == [heading]
    assert sorted(logged_ids(added)) == sorted(e.arxiv_id for e in fake_arxiv.entries)


@CLOCK
def test_backfill_commits_per_month_on_request_and_reports_progress_lines(
    config: Path, corpus: list[FakeEntry], log_repo: Path
) -> None:
    head = git(log_repo, "rev-parse", "HEAD").strip()
    result = run_cli("backfill", "--config", str(config), "--from", "2020-01-01", "--to",
                     "2020-03-31", "--commit-every", "month")  # fmt: skip
    assert result.returncode == 0, result.stderr
    # not a terminal: plain progress lines, one per month
    assert [line.split(" done")[0] for line in result.stderr.splitlines()] == [
        "backfill: 2020-01", "backfill: 2020-02", "backfill: 2020-03",
    ]  # fmt: skip
    subjects = git(log_repo, "log", "--format=%s", f"{head}..HEAD").splitlines()
    assert [s.split(":")[0] for s in reversed(subjects)] == [
        "backfill 2020-01", "backfill 2020-02", "backfill 2020-03",
    ]  # fmt: skip


@CLOCK
def test_a_month_arxiv_wrongly_answered_empty_is_asked_again_on_the_next_backfill(
    config: Path, corpus: list[FakeEntry], fake_arxiv: FakeArxiv, log_repo: Path
) -> None:
    march = [e for e in corpus if e.published.strftime("%Y-%m") == "2020-03" and "(new)" in e.title]
    assert march
    fake_arxiv.script = [Reply(200, atom_feed([], 0, 0, 50))]  # the first month: "nothing"
    args = ["backfill", "--config", str(config), "--from", "2020-03-01", "--to", "2020-04-30"]
    assert run_cli(*args).returncode == 0
    assert not {e.arxiv_id for e in march} & set(logged_ids((log_repo / "README.md").read_text()))

    asked = len(fake_arxiv.requests)
    assert run_cli(*args).returncode == 0
    assert len(fake_arxiv.requests) == asked + 1  # March again; April was done
    # a backfill asks for [arxiv] backfill_page_size results at once, not the daily page_size
    assert {r["params"]["max_results"] for r in fake_arxiv.requests} == {"1000"}
    ids = logged_ids((log_repo / "README.md").read_text())
    assert {e.arxiv_id for e in march} <= set(ids)
    assert len(ids) == len(set(ids))


@CLOCK
def test_import_stops_looking_up_titles_when_arxiv_is_down(
    config: Path, corpus: list[FakeEntry], fake_arxiv: FakeArxiv
) -> None:
    from fakes import Reply

    fake_arxiv.fault = lambda request: Reply(503, b"down")
    result = run_cli("import", "--config", str(config))
    assert result.returncode == 3, result.stderr  # partly done
    assert "were not looked up (run import again later)" in result.stdout
    assert "were not looked up (run import again later)" in result.stderr
    assert len(fake_arxiv.requests) == 2  # one title, retried once, then no more asking

    fake_arxiv.fault = None
    again = run_cli("import", "--config", str(config))
    assert f"{len(NOT_ON_ARXIV)} unresolved" in again.stdout


@CLOCK
@pytest.mark.parametrize(
    "dates", [["--from", "2020-03-01", "--to", "2020-02-01"], ["--from", "2999-01-01"]]
)
def test_backfill_refuses_a_window_that_ends_before_it_starts(
    config: Path, fake_arxiv: FakeArxiv, dates: list[str]
) -> None:
    result = run_cli("backfill", "--config", str(config), *dates)
    assert result.returncode == 2
    assert "is after --to" in result.stderr
    assert fake_arxiv.requests == []


@CLOCK
def test_backfill_refuses_a_window_starting_tomorrow_in_the_logs_time_zone(
    config: Path, fake_arxiv: FakeArxiv
) -> None:
    # Today is the log's (New York) day: in its evening UTC's date is already tomorrow's.
    for _ in range(2):  # once more if New York's midnight passed while it ran
        before = utc_now().astimezone(LOG_ZONE).date()
        tomorrow = before + timedelta(days=1)
        result = run_cli("backfill", "--config", str(config), "--from", tomorrow.isoformat())
        if utc_now().astimezone(LOG_ZONE).date() == before:
            break
    assert result.returncode == 2, result.stdout
    assert f"--from {tomorrow} is after --to {before} (today)" in result.stderr
    assert fake_arxiv.requests == []
