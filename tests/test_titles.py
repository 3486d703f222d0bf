"""`[translate] titles`: a sync gives every paper a Chinese title, through the same engines,
glossary and cache as abstracts, a day's titles in one request; a paper whose title is not
translated yet waits, as for its abstract, and is written once when it is."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import run_cli, snn_entries, utc_now, write_config
from fakes import FakeArxiv, FakeEntry, FakeTranslator, Reply, fake_zh

from snn_feed.config import TranslateSettings
from snn_feed.config.output import titles_wanted
from snn_feed.sanitize import scrub
from snn_feed.translation.glossary import normalize
from snn_feed.translation.protect import protect, restore

DAY = 30


def config(tmp_path: Path, arxiv: FakeArxiv, translator: FakeTranslator, log_repo: Path,
           **extra: object) -> Path:  # fmt: skip
    return write_config(
        tmp_path / "config.toml", arxiv_url=arxiv.url, translator_url=translator.base + "/m",
        log_path=log_repo / "README.md", **extra,
    )  # fmt: skip


def titled(tmp_path: Path) -> dict[str, tuple[str, str | None]]:
    db = sqlite3.connect(tmp_path / "data" / "feed.sqlite3")
    rows = db.execute(
        "select arxiv_id, t.state, p.title_zh from papers p join topic_papers t "
        "using (arxiv_id) order by arxiv_id"
    )
    return {arxiv_id: (state, title_zh) for arxiv_id, state, title_zh in rows}


def expected(title: str) -> str:
    """What the fake engine's answer becomes: spans kept, glossary applied."""
    masked, spans = protect(title)
    return scrub(normalize(restore(fake_zh(masked), spans, "google")))


def title_requests(server: FakeTranslator, titles: list[str]) -> list[str]:
    """What was sent of the titles: batches (several lines) and single titles."""
    sent = [r["params"].get("q", "") for r in server.requests]
    return [q for q in sent if "\n" in q or q in titles]


def entries_of(log_repo: Path, arxiv_id: str) -> int:
    return (
        (log_repo / "README.md")
        .read_text(encoding="utf-8")
        .count(f"(https://arxiv.org/abs/{arxiv_id}")
    )


@pytest.fixture
def day(fake_arxiv: FakeArxiv) -> list[FakeEntry]:
    fake_arxiv.entries = snn_entries(DAY, utc_now())
    return fake_arxiv.entries


def test_a_days_titles_cost_one_request_and_each_is_stored(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path,
    day: list[FakeEntry],
) -> None:  # fmt: skip
    path = config(tmp_path, fake_arxiv, fake_translator, log_repo, translate__titles=True)
    result = run_cli("sync", "--config", str(path))
    assert result.returncode == 0, result.stderr
    assert f"translated {DAY}, written {DAY}" in result.stdout
    titles = [e.title for e in day]
    assert len(title_requests(fake_translator, titles)) == 1  # a day's titles in one request
    assert len(fake_translator.requests) == DAY + 1  # one per abstract, one for the titles
    stored = titled(tmp_path)
    assert {i: zh for i, (_, zh) in stored.items()} == {e.arxiv_id: expected(e.title) for e in day}
    assert {state for state, _ in stored.values()} == {"committed"}

    fake_translator.requests.clear()
    again = run_cli("sync", "--config", str(path))
    assert again.returncode == 0, again.stderr
    retranslated = run_cli("retranslate", "--config", str(path), "--since", "2000-01-01")
    assert retranslated.returncode == 0, retranslated.stderr
    assert f"{DAY} of {DAY} papers translated again" in retranslated.stdout
    assert fake_translator.requests == [], "titles and abstracts came from the cache"

    forced = run_cli("retranslate", "--config", str(path), "--since", "2000-01-01", "--force")
    assert forced.returncode == 0, forced.stderr
    assert len(title_requests(fake_translator, titles)) == 1
    assert len(fake_translator.requests) == DAY + 1


def test_titles_are_off_unless_asked_for(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path,
    day: list[FakeEntry],
) -> None:  # fmt: skip
    path = config(tmp_path, fake_arxiv, fake_translator, log_repo)  # hover style, titles unset
    assert run_cli("sync", "--config", str(path)).returncode == 0
    assert title_requests(fake_translator, [e.title for e in day]) == []
    assert len(fake_translator.requests) == DAY
    assert {zh for _, zh in titled(tmp_path).values()} == {None}


def test_titles_wanted_follows_the_style_unless_set() -> None:
    unset, on, off = (TranslateSettings(titles=value) for value in (None, True, False))
    assert [titles_wanted(unset, s) for s in ("hover", "details", "bilingual")] == [
        False, False, True,
    ]  # fmt: skip
    assert titles_wanted(on, "hover") and not titles_wanted(off, "bilingual")


def test_the_glossary_and_protected_spans_apply_to_titles(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path,
) -> None:  # fmt: skip
    (entry,) = snn_entries(1, utc_now())
    entry.title = r"$\alpha$-LIF spiking networks in snnTorch, after arXiv:2401.00001"
    fake_arxiv.entries = [entry]
    fake_translator.translate = lambda text: "\n".join(  # a mistranslation, the tokens kept
        "尖峰神经网络：" + line.upper() for line in text.split("\n")
    )
    path = config(tmp_path, fake_arxiv, fake_translator, log_repo, translate__titles=True)
    assert run_cli("sync", "--config", str(path)).returncode == 0
    ((_, title_zh),) = titled(tmp_path).values()
    assert (
        title_zh
        == r"脉冲神经网络：$\alpha$-LIF SPIKING NETWORKS IN snnTorch, AFTER arXiv:2401.00001"
    )


def test_a_title_that_fails_keeps_its_paper_out_of_the_log_until_it_is_translated(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path,
    day: list[FakeEntry],
) -> None:  # fmt: skip
    hard = day[0].title
    titles = [e.title for e in day]

    def fault(request: dict) -> Reply | None:
        q = request["params"].get("q", "")
        if "\n" in q:  # the batch comes back with the hard title left in English
            return Reply(
                200, page("\n".join(t if t == hard else fake_zh(t) for t in q.split("\n")))
            )
        return Reply(500, b"down") if q == hard else None  # and alone it fails

    fake_translator.fault = fault
    path = config(tmp_path, fake_arxiv, fake_translator, log_repo, translate__titles=True)
    first = run_cli("sync", "--config", str(path))
    assert first.returncode != 0
    assert f"title translation failed for {day[0].arxiv_id}" in first.stderr + first.stdout
    state, title_zh = titled(tmp_path)[day[0].arxiv_id]
    assert (state, title_zh) == ("fetched", None)
    assert entries_of(log_repo, day[0].arxiv_id) == 0
    assert all(entries_of(log_repo, e.arxiv_id) == 1 for e in day[1:])
    abstracts = [r for r in fake_translator.requests if r["params"].get("q") == day[0].abstract]
    assert abstracts == []  # not asked for: the paper could not be written anyway
    status = run_cli("status", "--config", str(path))
    assert "1 pending translation" in status.stdout  # status counts it as waiting

    fake_translator.fault = None
    fake_translator.requests.clear()
    second = run_cli("sync", "--config", str(path))
    assert second.returncode == 0, second.stderr
    assert title_requests(fake_translator, titles) == [hard]  # the others are stored
    assert titled(tmp_path)[day[0].arxiv_id] == ("committed", expected(hard))
    assert all(entries_of(log_repo, e.arxiv_id) == 1 for e in day)  # nothing doubled


def test_when_the_engine_is_down_no_abstract_is_sent_and_every_paper_waits(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path,
    day: list[FakeEntry],
) -> None:  # fmt: skip
    before = (log_repo / "README.md").read_bytes()
    fake_translator.fault = lambda r: Reply(500, b"down")
    path = config(tmp_path, fake_arxiv, fake_translator, log_repo, translate__titles=True)
    result = run_cli("sync", "--config", str(path))
    assert result.returncode != 0
    assert len(fake_translator.requests) == 1  # the batch of titles; nothing after it
    assert (log_repo / "README.md").read_bytes() == before
    assert {state for state, _ in titled(tmp_path).values()} == {"fetched"}


def test_a_title_already_translated_is_not_asked_for_again(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path,
    day: list[FakeEntry],
) -> None:  # fmt: skip
    abstracts = {e.abstract for e in day}
    fake_translator.fault = lambda r: (
        Reply(500, b"down") if r["params"].get("q") in abstracts else None
    )
    path = config(tmp_path, fake_arxiv, fake_translator, log_repo, translate__titles=True,
                  translate__concurrency=1)  # fmt: skip
    assert run_cli("sync", "--config", str(path)).returncode != 0
    assert {(state, zh is not None) for state, zh in titled(tmp_path).values()} == {
        ("fetched", True)
    }  # fmt: skip

    fake_translator.fault = None
    fake_translator.requests.clear()
    assert run_cli("sync", "--config", str(path)).returncode == 0
    assert title_requests(fake_translator, [e.title for e in day]) == []
    assert len(fake_translator.requests) == DAY
    assert {state for state, _ in titled(tmp_path).values()} == {"committed"}


def test_with_translation_off_titles_stay_empty_and_papers_are_written(
    tmp_path: Path, fake_arxiv: FakeArxiv, log_repo: Path, day: list[FakeEntry]
) -> None:
    path = write_config(tmp_path / "config.toml", arxiv_url=fake_arxiv.url, translator_url=None,
                        log_path=log_repo / "README.md", translate__titles=True)  # fmt: skip
    result = run_cli("sync", "--config", str(path))
    assert result.returncode == 0, result.stderr
    assert set(titled(tmp_path).values()) == {("committed", None)}


def page(text: str) -> bytes:
    """Google's mobile page holding `text`, as the fake serves it."""
    import html

    return (
        '<html><body><div class="result-container">' + html.escape(text) + "</div></body></html>"
    ).encode()
