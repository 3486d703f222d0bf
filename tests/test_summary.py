"""`[summary]`: a one-sentence Chinese summary per paper from a local OpenAI-compatible server
(`fake_llm.FakeModel`), checked, cached and budgeted; never a gate for the log, and shown in
the site, the feed and the next digest even when it comes after the entry was written."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import write_config
from fake_llm import TOKENS_PER_REQUEST, FakeModel, good_answer, tldr_of
from fake_notify import FakeWebhook
from fakes import FakeArxiv, FakeTranslator, Reply, running, snn_entries

from snn_feed.config import SummarySettings, load_settings
from snn_feed.errors import TranslationError
from snn_feed.pipeline.sync import SyncOptions, run_sync
from snn_feed.service.status import report
from snn_feed.store import open_store
from snn_feed.summary.answer import check_summary
from snn_feed.summary.client import Summarizer
from snn_feed.translation.glossary import GLOSSARY

NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
ABSTRACT = (
    "Spiking neural networks promise energy-efficient inference. We train them with surrogate "
    "gradients. Code: https://github.com/snn-lab/model."
)


@pytest.fixture
def model() -> Any:
    with running(FakeModel()) as server:
        yield server


def summarizer(model: FakeModel, **settings: Any) -> Summarizer:
    values = {"enabled": True, "url": model.url, "model": "qwen2.5:7b", "retries": 1,
              "timeout_seconds": 2.0, "rate_per_second": 1000.0, **settings}  # fmt: skip
    client = Summarizer(SummarySettings(**values), dict(GLOSSARY))
    client._sleep = lambda seconds: None  # no backoff waits between retries
    return client


def answer_of(content: str, **extra: Any) -> bytes:
    body = {"choices": [{"message": {"role": "assistant", "content": content}}],
            "usage": {"total_tokens": 321}, **extra}  # fmt: skip
    return json.dumps(body, ensure_ascii=False).encode()


# -- the client against the local server -----------------------------------------------------


def test_a_summary_comes_back_checked_with_its_tokens_and_the_glossary_in_the_prompt(
    model: FakeModel,
) -> None:
    result, tokens = summarizer(model, details=True).summarize("Spiking Transformers", ABSTRACT)
    assert not isinstance(result, TranslationError)
    assert result.tldr == tldr_of("Title: Spiking Transformers")
    assert [label for label, _ in result.points] == ["动机", "方法", "结果"]
    assert tokens == TOKENS_PER_REQUEST
    (request,) = model.chats()
    params = request["params"]
    system = params["messages"][0]["content"]
    assert params["model"] == "qwen2.5:7b" and params["temperature"] == 0
    assert "spiking neural network -> 脉冲神经网络" in system  # the glossary, as translations
    assert "Spiking Transformers" in params["messages"][1]["content"]


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("抱歉，我无法总结这篇论文。", "not a JSON object"),
        ('{"tldr": "I\'m sorry, but I cannot help with that request today."}', "a refusal"),
        ('{"tldr": "抱歉，作为一个人工智能，我无法完成这项任务。"}', "a refusal"),
        ('{"tldr": "本文提出**脉冲**网络的新训练方法。"}', "Markdown or HTML"),
        ('{"tldr": "本文提出<b>脉冲</b>网络的新训练方法。"}', "Markdown or HTML"),
        ('{"tldr": "This paper proposes a new training method for spiking networks."}',
         "not Chinese"),
        ('{"tldr": "本文提出新方法。实验表明它更好。"}', "more than one sentence"),
        ('{"tldr": "' + "很长" * 80 + '"}', "at most 150"),
        ('{"summary": "本文提出一种新的脉冲网络训练方法。"}', "no tldr"),
        ('["本文提出一种新的脉冲网络训练方法。"]', "not a JSON object"),
        ("[" * 5000 + "]" * 5000, "not a JSON object"),  # deeper than the JSON parser goes
    ],
)  # fmt: skip
def test_an_answer_that_is_no_summary_is_refused_and_not_asked_for_again_at_once(
    model: FakeModel, content: str, why: str
) -> None:
    model.script.append(Reply(200, answer_of(content), {"Content-Type": "application/json"}))
    result, tokens = summarizer(model).summarize("A title", ABSTRACT)
    assert isinstance(result, TranslationError) and "bad answer" in str(result)
    assert why in str(result)
    assert tokens == 321  # a refused answer is paid for too
    assert len(model.chats()) == 1


def test_only_urls_of_the_abstract_survive_in_a_summary() -> None:
    content = json.dumps(
        {
            "tldr": "本文开源了代码 https://github.com/snn-lab/model 以及 "
            "https://evil.example/x 的脉冲网络。"
        },
        ensure_ascii=False,
    )
    summary = check_summary(content, ABSTRACT, details=False)
    assert "https://github.com/snn-lab/model" in summary.tldr
    assert "evil.example" not in summary.tldr
    fenced = "```json\n" + json.dumps({"tldr": "本文提出一种脉冲网络训练方法。"}) + "\n```"
    assert check_summary(fenced, ABSTRACT, details=False).tldr == "本文提出一种脉冲网络训练方法。"


@pytest.mark.parametrize(
    "fault",
    [
        Reply(200, b"{not json", {"Content-Type": "application/json"}),
        Reply(200, answer_of("x", choices=[])),
        Reply(200, b'{"choices": [{"message": {"content": null}}]}'),
    ],
    ids=["body not JSON", "no choice", "no content"],
)
def test_a_malformed_response_is_a_bad_answer(model: FakeModel, fault: Reply) -> None:
    model.script.append(fault)
    result, _ = summarizer(model).summarize("A title", ABSTRACT)
    assert isinstance(result, TranslationError) and "bad answer" in str(result)


def test_a_slow_server_is_given_up_at_the_deadline_after_its_retries(model: FakeModel) -> None:
    model.script += [Reply(200, b"", delay=1.5), Reply(200, b"", delay=1.5)]
    result, tokens = summarizer(model, timeout_seconds=0.5, retries=1).summarize("T", ABSTRACT)
    assert isinstance(result, TranslationError) and "no answer within 0.5 s" in str(result)
    assert "bad answer" not in str(result) and tokens == 0
    assert len(model.chats()) == 2


def test_a_429_is_retried_and_a_key_goes_only_to_the_server(model: FakeModel) -> None:
    model.script.append(Reply(429, b'{"error": {"type": "rate_limit"}}'))
    result, _ = summarizer(model, api_key="sk-secret-1").summarize("A title", ABSTRACT)
    assert not isinstance(result, TranslationError)
    assert [r["headers"].get("Authorization") for r in model.chats()] == ["Bearer sk-secret-1"] * 2
    model.script += [Reply(429, b"{}")] * 2
    result, _ = summarizer(model, retries=1).summarize("A title", ABSTRACT)
    assert isinstance(result, TranslationError) and result.status == 429


# -- in a sync -------------------------------------------------------------------------------


def setup_sync(tmp_path: Path, arxiv: FakeArxiv, translator: FakeTranslator, model: FakeModel,
               **extra: Any) -> Path:  # fmt: skip
    arxiv.entries = snn_entries(4, NOW)
    values = {"summary__enabled": True, "summary__url": model.url, "summary__retries": 0,
              "summary__timeout_seconds": 2.0, "summary__rate_per_second": 1000.0,
              "export__atom": "feed.xml", "site__dir": "site", **extra}  # fmt: skip
    return write_config(tmp_path / "config.toml", arxiv_url=arxiv.url,
                        translator_url=translator.base + "/m", log_path=None, **values)  # fmt: skip


def sync_at(config: Path, when: datetime) -> Any:
    return run_sync(load_settings(config, environ={}), SyncOptions(), clock=lambda: when)


def status_at(config: Path, when: datetime) -> Any:
    settings = load_settings(config, environ={})
    store = open_store(settings.database_url)
    try:
        return report(store, settings, when)
    finally:
        store.engine.dispose()


def test_summaries_show_in_new_entries_and_are_never_asked_for_twice(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, model: FakeModel
) -> None:
    config = setup_sync(tmp_path, fake_arxiv, fake_translator, model)
    result = sync_at(config, NOW)
    assert result.status.name == "DONE" and result.summary.summarised == 4
    log = (tmp_path / "data" / "SNN_arxiv_daily" / "README.md").read_text(encoding="utf-8")
    for entry in fake_arxiv.entries:
        tldr = tldr_of(f"Title: {entry.title}")
        assert re.search(rf"^> \*\*一句话：\*\*.*{re.escape(tldr[6:20])}", log, re.M), entry.title
    assert "summarised 4" in result.summary.line()
    lines = status_at(config, NOW).lines()
    assert "summaries: 4 made, 0 waiting, 0 given up; tokens today 4,000 of 200,000 " \
           "(2026-11-24)" in lines  # fmt: skip
    asked = len(model.chats())
    assert sync_at(config, NOW + timedelta(hours=1)).summary.summarised == 0
    assert len(model.chats()) == asked == 4


def test_a_summary_that_comes_late_reaches_site_feed_and_digest_but_not_the_log(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, model: FakeModel
) -> None:
    with running(FakeWebhook()) as hook:
        config = setup_sync(tmp_path, fake_arxiv, fake_translator, model,
                            notify__urls=[hook.url()])  # fmt: skip
        model.fault = lambda request: Reply(503, b"{}")  # the model's server is down
        first = sync_at(config, NOW)
        assert first.status.name == "DONE" and first.summary.summarised == 0
        assert first.summary.written == 4  # an extra, never a gate
        log_path = tmp_path / "data" / "SNN_arxiv_daily" / "README.md"
        before = log_path.read_bytes()
        assert "一句话" not in before.decode() and len(hook.taken) == 1
        assert "一句话" not in hook.taken[0]["message"]

        model.fault = None
        second = sync_at(config, NOW + timedelta(hours=1))
        assert second.summary.summarised == 4
        assert log_path.read_bytes() == before  # the log is append-only
        titles = [e.title for e in fake_arxiv.entries]
        feed = (tmp_path / "feed.xml").read_text(encoding="utf-8")
        site = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "site").glob("*.html"))
        for title in titles:
            tldr = tldr_of(f"Title: {title}")
            assert f"一句话：{tldr}" in feed
            assert tldr in site.replace("&#39;", "'").replace("&amp;", "&")
        (late,) = hook.taken[1:]
        assert "summaries of papers told of before" in late["message"]
        assert sum(tldr_of(f"Title: {t}") in late["message"] for t in titles) == 4
        sync_at(config, NOW + timedelta(hours=2))
        assert len(hook.taken) == 2  # each late summary is told of once


def test_the_day_budget_caps_the_tokens_and_the_next_day_goes_on(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, model: FakeModel
) -> None:
    config = setup_sync(tmp_path, fake_arxiv, fake_translator, model,
                        summary__max_tokens_per_day=2500)  # fmt: skip
    first = sync_at(config, NOW)
    # A request is sent only while its estimated cost still fits: once one is answered,
    # the others are taken to cost as much (1,000 tokens), and a third would not fit.
    assert first.summary.summarised == 2 and first.summary.written == 4
    assert "tokens today 2,000 of 2,500" in "\n".join(status_at(config, NOW).lines())
    assert sync_at(config, NOW + timedelta(hours=1)).summary.summarised == 0
    nxt = NOW + timedelta(days=1)
    assert sync_at(config, nxt).summary.summarised == 2
    assert "summaries: 4 made, 0 waiting" in "\n".join(status_at(config, nxt).lines())


def test_a_paper_whose_answers_are_refused_is_given_up_after_its_attempts(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, model: FakeModel
) -> None:
    config = setup_sync(tmp_path, fake_arxiv, fake_translator, model, summary__attempts=2)
    refused = fake_arxiv.entries[0].title

    def content(system: str, user: str) -> str:
        return "Sorry, I can't." if refused in user else good_answer(system, user)

    model.content = content
    assert sync_at(config, NOW).summary.summarised == 3
    assert sync_at(config, NOW + timedelta(hours=1)).summary.summarised == 0
    asked = len(model.chats())
    assert sync_at(config, NOW + timedelta(hours=2)).summary.summarised == 0
    assert len(model.chats()) == asked == 3 + 2  # two attempts, then no more
    assert "summaries: 3 made, 0 waiting, 1 given up" in "\n".join(
        status_at(config, NOW + timedelta(hours=2)).lines())  # fmt: skip


@pytest.mark.clock  # a sync from the command line reads the wall clock
def test_the_servers_key_is_sent_to_it_and_never_shown(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, model: FakeModel
) -> None:
    from conftest import run_cli, utc_now

    secret = "sk-SUMMARY-SECRET-0123456789"
    fake_arxiv.entries = snn_entries(2, utc_now())
    model.fault = lambda request: Reply(401, f'{{"error": "bad key {secret}"}}'.encode())
    config = setup_sync(tmp_path, fake_arxiv, fake_translator, model)
    fake_arxiv.entries = snn_entries(2, utc_now())
    env = {"SNN_FEED_SUMMARY__API_KEY": secret}
    synced = run_cli("sync", "--config", str(config), "-v", env=env)
    assert synced.returncode == 0, synced.stderr  # the papers are logged all the same
    assert "summary: auth failed (HTTP 401)" in synced.stderr
    shown = run_cli("status", "--config", str(config), "--json", env=env)
    assert all(r["headers"]["Authorization"] == f"Bearer {secret}" for r in model.chats())
    database = (tmp_path / "data" / "feed.sqlite3").read_bytes()
    for text in (synced.stdout, synced.stderr, shown.stdout, shown.stderr):
        assert secret not in text
    assert secret.encode() not in database


def test_a_server_that_refuses_the_requests_options_is_asked_without_them(
    model: FakeModel,
) -> None:
    model.script.append(Reply(400, b'{"error": {"message": "Unsupported parameter: max_tokens"}}'))
    client = summarizer(model)
    for _ in range(2):
        result, _ = client.summarize("A title", ABSTRACT)
        assert not isinstance(result, TranslationError)
    sent = [r["params"] for r in model.chats()]
    assert "max_tokens" in sent[0] and "response_format" in sent[0]
    assert all("max_tokens" not in p and "response_format" not in p for p in sent[1:])
    assert len(sent) == 3  # refused, asked again without them, and so from then on


def test_a_summary_stage_that_breaks_costs_the_sync_nothing(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, model: FakeModel,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    from snn_feed.pipeline.summarizing import Summarizing

    def broken(self: Summarizing) -> None:
        raise RuntimeError("a bug in the summary stage")

    monkeypatch.setattr(Summarizing, "run", broken)
    config = setup_sync(tmp_path, fake_arxiv, fake_translator, model)
    result = sync_at(config, NOW)
    assert result.status.name == "DONE" and result.summary.written == 4
    assert result.summary.summarised == 0
    assert "summary: none made in this run: a bug in the summary stage" in caplog.text


def test_late_summaries_beyond_a_digests_papers_wait_and_none_is_told_twice(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, model: FakeModel
) -> None:
    with running(FakeWebhook()) as hook:
        config = setup_sync(tmp_path, fake_arxiv, fake_translator, model,
                            notify__urls=[hook.url()], notify__max_papers=3)  # fmt: skip
        model.fault = lambda request: Reply(503, b"{}")
        sync_at(config, NOW)
        model.fault = None
        sync_at(config, NOW + timedelta(hours=1))
        sync_at(config, NOW + timedelta(hours=2))
        told = [m["message"] for m in hook.taken[1:]]
        tldrs = [tldr_of(f"Title: {e.title}") for e in fake_arxiv.entries]
        assert [sum(t in m for t in tldrs) for m in told] == [3, 1]  # 3 a digest, then the rest
        assert all(sum(m.count(t) for m in told) == 1 for t in tldrs)
        # A new model makes every summary again: nobody is told of them a second time.
        config = setup_sync(tmp_path, fake_arxiv, fake_translator, model, summary__model="m2",
                            notify__urls=[hook.url()], notify__max_papers=3)  # fmt: skip
        assert sync_at(config, NOW + timedelta(hours=3)).summary.summarised == 4
        assert len(hook.taken) == 3


def test_a_server_that_reports_no_tokens_is_charged_its_estimate(model: FakeModel) -> None:
    model.script.append(Reply(200, answer_of('{"tldr": "本文提出一种新的脉冲网络训练方法。"}',
                                             usage={"total_tokens": 0})))  # fmt: skip
    client = summarizer(model)
    result, tokens = client.summarize("A title", ABSTRACT)
    assert not isinstance(result, TranslationError)
    assert tokens == client.estimate("A title", ABSTRACT) > 0
