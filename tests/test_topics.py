"""Several topics from one deployment (`[[topics]]`), end to end against the local fake arXiv
and translator: one fetch for all topics, each paper stored and translated once and written
once to each topic's log, one commit per repository, per-topic feeds, digests and status,
renames and removals, and a sync killed while it writes several logs."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import forks
import pytest
from conftest import git, run_cli, utc_now, write_config
from fake_notify import FakeWebhook
from fakes import FakeArxiv, FakeEntry, FakeTranslator, running, slow_zh

WORDS = ["spiking", "memristor", "reservoir computing", "dendritic", "event camera"]
"""One keyword per topic; topic i also takes topic i+1's, so neighbours overlap."""


def topic_keywords(n: int) -> list[list[str]]:
    return [[WORDS[i], WORDS[(i + 1) % n]] for i in range(n)]


def corpus(now: datetime, n: int) -> list[FakeEntry]:
    """A paper for each keyword alone and for each pair of keywords, plus an off-topic one."""
    texts = [[w] for w in WORDS[:n]]
    texts += [[WORDS[i], WORDS[j]] for i in range(n) for j in range(i + 1, n)]
    entries = [
        FakeEntry(
            arxiv_id=f"{now:%y%m}.{20000 + k:05d}",
            title=f"A study of {' and '.join(words)} systems, part {k}",
            abstract=f"We study {' and '.join(words)} hardware and models. "
            f"Our results improve accuracy by {k} points.",
            authors=[f"Author {k}", "Second Author"],
            published=now - timedelta(hours=1, minutes=k),
        )
        for k, words in enumerate(texts)
    ]
    entries.append(FakeEntry(arxiv_id=f"{now:%y%m}.29999", title="Protein folding at scale",
                             abstract="Nothing about any topic here.", authors=["Z"],
                             published=now - timedelta(hours=1)))  # fmt: skip
    return entries


def members(entries: list[FakeEntry], keywords: list[str]) -> set[str]:
    """What a reader expects in a topic: the papers naming one of its keywords."""
    return {e.arxiv_id for e in entries
            if any(k in f"{e.title} {e.abstract}".lower() for k in keywords)}  # fmt: skip


def logged_ids(log: Path) -> list[str]:
    """The paper of each entry: the link of its heading (a new log's bilingual style)."""
    text = log.read_text(encoding="utf-8")
    return re.findall(r"^### .*arxiv\.org/abs/(\d{4}\.\d{5})", text, re.M)


def new_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "--quiet")
    return path


def topics_config(
    path: Path,
    arxiv: FakeArxiv,
    translator: FakeTranslator,
    topics: list[dict[str, Any]],
    **extra: Any,
) -> Path:
    """`write_config`'s test settings, with `[[topics]]` instead of `[log]`."""
    write_config(path, arxiv_url=arxiv.url, translator_url=translator.base + "/m",
                 log_path=None, **extra)  # fmt: skip
    text = path.read_text(encoding="utf-8").replace("[log]\n", "")
    for t in topics:
        text += "\n[[topics]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in t.items())
    path.write_text(text, encoding="utf-8")
    return path


def topic(name: str, keywords: list[str], log: Path, **more: Any) -> dict[str, Any]:
    return {"name": name, "keywords": keywords, "log.path": str(log), **more}


def searches(arxiv: FakeArxiv) -> list[str]:
    return [r["params"]["search_query"] for r in arxiv.requests]


def abstracts_sent(translator: FakeTranslator) -> Counter[str]:
    """How often each abstract was sent to the engine (titles come batched, apart)."""
    sent: Counter[str] = Counter()
    for r in translator.requests:
        text = r["params"].get("q", "")
        if text.startswith(("We study", "Nothing")):
            sent[text] += 1
    return sent


@pytest.mark.parametrize("n", [2, 5])
def test_topics_share_one_fetch_and_each_log_gets_its_papers_once(
    n: int,
    tmp_path: Path,
    fake_arxiv: FakeArxiv,
    fake_translator: FakeTranslator,
    migrated_database_url: str,
) -> None:
    now = utc_now()
    entries = corpus(now, n)
    fake_arxiv.entries = entries
    shared, own = new_repo(tmp_path / "lab-logs"), new_repo(tmp_path / "hw-log")
    # Every topic but the last shares one repository (in folders of it); the last has its own.
    logs = [shared / f"t{i}" / "README.md" if i < n - 1 else own / "README.md" for i in range(n)]
    keywords = topic_keywords(n)
    with running(FakeWebhook()) as hook:
        config = topics_config(
            tmp_path / "config.toml", fake_arxiv, fake_translator,
            [topic(f"t{i}", keywords[i], logs[i], title=f"Topic {i}",
                   atom=str(tmp_path / f"t{i}.atom")) for i in range(n)],
            notify__urls=[hook.url()], database__url=migrated_database_url,
        )  # fmt: skip
        first = run_cli("sync", "--config", str(config))
        assert first.returncode == 0, first.stderr

        # arXiv was asked once for every topic: one query, one page.
        assert len(fake_arxiv.requests) == 1
        for words in keywords:
            assert all(w in searches(fake_arxiv)[0] for w in words)
        # Each paper is in the log of each topic it belongs to, once, and nowhere else.
        for i in range(n):
            ids = logged_ids(logs[i])
            assert len(ids) == len(set(ids))
            assert set(ids) == members(entries, keywords[i]), f"topic t{i}"
        # Translated once, however many topics have it.
        on_topic = [e for e in entries if any(members([e], k) for k in keywords)]
        sent = abstracts_sent(fake_translator)
        assert sent == Counter({e.abstract: 1 for e in on_topic})
        # One commit per repository, naming its topics and their counts.
        subject = git(shared, "log", "-1", "--format=%s").strip()
        total = sum(len(members(entries, keywords[i])) for i in range(n - 1))
        assert git(shared, "rev-list", "--count", "HEAD").strip() == "1"
        assert f"{total} new papers" in subject
        for i in range(n - 1):
            assert f"t{i} {len(members(entries, keywords[i]))}" in subject
        assert f"t{n - 1} " in git(own, "log", "-1", "--format=%s")
        # Each topic's feed holds its papers; each topic's digest is a message of its own.
        for i in range(n):
            feed = (tmp_path / f"t{i}.atom").read_text(encoding="utf-8")
            assert set(re.findall(r"abs/(\d{4}\.\d{5})", feed)) == members(entries, keywords[i])
        digests = [m["title"] for m in hook.taken]
        assert len(digests) == n
        for i in range(n):
            assert sum(f"Topic {i}" in title for title in digests) == 1, digests

        # A second sync asks arXiv once more, translates nothing, commits nothing.
        before = [log.read_bytes() for log in logs]
        second = run_cli("sync", "--config", str(config))
        assert second.returncode == 0, second.stderr
    assert len(fake_arxiv.requests) == 2
    assert abstracts_sent(fake_translator) == sent
    assert [log.read_bytes() for log in logs] == before
    assert git(shared, "rev-list", "--count", "HEAD").strip() == "1"

    status = run_cli("status", "--config", str(config), "--json")
    report = json.loads(status.stdout)
    by_name = {t["name"]: t for t in report["topics"]}
    for i in range(n):
        assert by_name[f"t{i}"]["papers"]["written"] == len(members(entries, keywords[i]))
    assert report["papers"]["stored"] == len(on_topic)
    one = json.loads(run_cli("status", "--config", str(config), "--json", "--topic", "t0").stdout)
    assert [t["name"] for t in one["topics"]] == ["t0"]


def test_a_topic_added_later_searches_its_own_window_and_reuses_translations(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator
) -> None:
    now = utc_now()
    entries = corpus(now, 2)
    fake_arxiv.entries = entries
    repo = new_repo(tmp_path / "logs")
    spiking = topic("snn", ["spiking"], repo / "snn.md")
    config = topics_config(tmp_path / "config.toml", fake_arxiv, fake_translator, [spiking])
    assert run_cli("sync", "--config", str(config)).returncode == 0
    sent = abstracts_sent(fake_translator)

    hardware = topic("hw", ["memristor"], repo / "hw.md")
    topics_config(tmp_path / "config.toml", fake_arxiv, fake_translator, [spiking, hardware])
    fake_arxiv.requests.clear()
    result = run_cli("sync", "--config", str(config))
    assert result.returncode == 0, result.stderr
    # Two windows: the old topic's since its last sync, the new one's a lookback back; each
    # asked with its own keywords only.
    queries = searches(fake_arxiv)
    assert len(queries) == 2
    assert sorted(("spiking" in q, "memristor" in q) for q in queries) == [
        (False, True), (True, False),
    ]  # fmt: skip
    assert set(logged_ids(repo / "hw.md")) == members(entries, ["memristor"])
    # The paper both topics have was translated for the first; the new topic reuses it.
    both = [
        e.abstract for e in entries if members([e], ["spiking"]) and members([e], ["memristor"])
    ]
    assert both
    assert all(abstracts_sent(fake_translator)[a] == sent[a] == 1 for a in both)
    # Later syncs search both topics together again.
    fake_arxiv.requests.clear()
    assert run_cli("sync", "--config", str(config)).returncode == 0
    assert len(searches(fake_arxiv)) == 1


def test_a_renamed_topic_keeps_its_state_and_a_removed_ones_papers_stay(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path
) -> None:
    now = utc_now()
    entries = corpus(now, 2)
    fake_arxiv.entries = entries
    log = log_repo / "README.md"
    # A single-topic config first: its topic is `default`.
    config = write_config(tmp_path / "config.toml", arxiv_url=fake_arxiv.url,
                          translator_url=fake_translator.base + "/m", log_path=log,
                          feed__keywords=["spiking"])  # fmt: skip
    assert run_cli("sync", "--config", str(config)).returncode == 0
    written = log.read_bytes()
    head = git(log_repo, "rev-parse", "HEAD")
    expected = members(entries, ["spiking"])
    assert expected <= set(re.findall(r"abs/(\d{4}\.\d{5})", written.decode()))  # hover style

    # The same log as a named topic, declared renamed: nothing is written or translated again.
    translated = len(fake_translator.requests)
    snn = topic("snn", ["spiking"], log, renamed_from=["default"])
    hw = topic("hw", ["memristor"], tmp_path / "hw" / "README.md")
    (tmp_path / "hw").mkdir()
    topics_config(tmp_path / "config.toml", fake_arxiv, fake_translator, [snn, hw])
    result = run_cli("sync", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert log.read_bytes() == written
    assert git(log_repo, "rev-parse", "HEAD") == head
    status = json.loads(run_cli("status", "--config", str(config), "--json").stdout)
    by_name = {t["name"]: t for t in status["topics"]}
    assert by_name["snn"]["papers"]["written"] == len(expected)
    assert "default" not in by_name
    # The new topic's papers were translated only where the first topic did not have them.
    only_hw = members(entries, ["memristor"]) - expected
    assert len(fake_translator.requests) - translated >= len(only_hw)

    # Removed from the config: its papers stay in the database, and status says so.
    topics_config(tmp_path / "config.toml", fake_arxiv, fake_translator, [snn])
    status_text = run_cli("status", "--config", str(config)).stdout
    count = len(members(entries, ["memristor"]))
    assert f"topic hw: not in the config any more; its {count} papers are kept" in status_text
    db = sqlite3.connect(tmp_path / "data" / "feed.sqlite3")
    assert db.execute("select count(*) from topic_papers where topic = 'hw'").fetchone() == (count,)


def test_a_sync_killed_while_writing_several_logs_leaves_each_paper_once_per_log(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator
) -> None:
    fake_translator.translate = slow_zh(0.05)
    now = utc_now()
    entries = corpus(now, 3)
    keywords = topic_keywords(3)
    shared, own = new_repo(tmp_path / "lab-logs"), new_repo(tmp_path / "hw-log")
    logs = [shared / "a.md", shared / "b.md", own / "README.md"]
    config = topics_config(
        tmp_path / "config.toml", fake_arxiv, fake_translator,
        [topic(f"t{i}", keywords[i], logs[i]) for i in range(3)], translate__concurrency=1,
    )  # fmt: skip
    argv = ["sync", "--config", str(config)]
    assert run_cli(*argv, "--dry-run").returncode in (0, 3)  # imports done before the forks
    for kill in range(8):
        fake_arxiv.entries = entries[: kill + 2]
        seen = len(fake_translator.requests) + kill % 3
        process = forks.start(argv)
        deadline = time.monotonic() + 60
        while len(fake_translator.requests) <= seen and process.is_alive():
            assert time.monotonic() < deadline, "the sync never got there"
            time.sleep(0.005)
        time.sleep((0.0, 0.05, 0.15, 0.3)[kill % 4])
        process.kill()
        process.join()
        assert process.exitcode in (0, 3, -signal.SIGKILL)
    fake_arxiv.entries = entries
    final = run_cli(*argv)
    assert final.returncode == 0, final.stderr
    for i in range(3):
        ids = logged_ids(logs[i])
        assert len(ids) == len(set(ids)), f"a paper was written twice to t{i}"
        assert set(ids) == members(entries, keywords[i]), f"topic t{i}"
    db = sqlite3.connect(tmp_path / "data" / "feed.sqlite3")
    assert db.execute("pragma integrity_check").fetchone() == ("ok",)
    assert {s for (s,) in db.execute("select distinct state from topic_papers")} == {"committed"}
    for repo in (shared, own):
        assert git(repo, "status", "--porcelain").strip() == ""


def test_topic_config_mistakes_are_one_line_errors(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator
) -> None:
    config = tmp_path / "config.toml"
    log = tmp_path / "a.md"
    cases = [
        ([topic("a", ["x"], log), topic("a", ["y"], tmp_path / "b.md")], "named twice"),
        ([topic("a", ["x"], log), topic("b", ["y"], log)], "each topic needs its own"),
        ([topic("a", ["x"], log, renamed_from=["b"]), topic("b", ["y"], tmp_path / "b.md")],
         "never merged"),
        ([topic("A b", ["x"], log)], "topics.0.name"),
    ]  # fmt: skip
    for topics, message in cases:
        topics_config(config, fake_arxiv, fake_translator, topics)
        result = run_cli("status", "--config", str(config))
        assert result.returncode == 2 and message in result.stderr, (message, result.stderr)
    topics_config(config, fake_arxiv, fake_translator, [topic("a", ["x"], log)])
    config.write_text(config.read_text() + '\n[feed]\nkeywords = ["x"]\n')
    assert "[feed] is set beside [[topics]]" in run_cli("status", "--config", str(config)).stderr

    two = [topic("a", ["x"], log), topic("b", ["y"], tmp_path / "b.md")]
    topics_config(config, fake_arxiv, fake_translator, two)
    needs = run_cli("export", "--config", str(config), "--atom", "-")
    assert needs.returncode == 2 and "add --topic NAME (the topics: a, b)" in needs.stderr
    unknown = run_cli("sync", "--config", str(config), "--topic", "c")
    assert unknown.returncode == 2 and "--topic c: no such topic" in unknown.stderr


def test_the_documented_three_topic_example_loads(tmp_path: Path) -> None:
    from snn_feed.config import load_settings

    docs = Path(__file__).parent.parent / "docs" / "topics.md"
    example = re.search(r"```toml\n(.*?)```", docs.read_text(encoding="utf-8"), re.S)
    assert example is not None
    (tmp_path / "config.toml").write_text(example.group(1), encoding="utf-8")
    settings = load_settings(tmp_path / "config.toml", environ={})
    assert [s.topic for s in settings.for_topics()] == [t.name for t in settings.topics]
    assert len(settings.topics) == 3
