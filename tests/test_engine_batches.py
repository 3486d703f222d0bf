"""Abstracts many to a request, for the engines whose API takes several texts (DeepL's `text`
list, LibreTranslate's `q` list, an OpenAI-compatible model's JSON array), against the local
fake engine: as few requests as their limits allow, each answer matched to its paper, and a
text that fails alone leaves only its paper without a translation."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from fakes import FakeTranslator, Reply, fake_zh

from snn_feed.config import TranslateSettings
from snn_feed.errors import TranslationError
from snn_feed.translation.chain import make_engine, translate_many
from snn_feed.translation.engines import Engine

BASES = {"deepl": "", "libre": "/", "openai": "/v1"}


def engine(server: FakeTranslator, backend: str) -> Engine:
    return make_engine(TranslateSettings(
        backend=backend, url=server.base + BASES[backend], api_key="k", retries=0,
        rate_per_second=1000.0, timeout_seconds=5.0,
    ))  # fmt: skip


def abstracts(count: int) -> list[tuple[str, str]]:
    return [(f"p{i}", (f"Spiking neural networks, paper {i}. We train them with surrogate "
             f"gradients and report {i} results. " * 8).strip()) for i in range(count)]  # fmt: skip


def texts_sent(request: dict[str, Any]) -> list[str]:
    params = request["params"]
    if "text" in params:  # DeepL
        return list(params["text"])
    if "messages" in params:  # a model: the JSON array of the user's message
        return [item["text"] for item in json.loads(params["messages"][-1]["content"])]
    q = params["q"]
    return q if isinstance(q, list) else [q]


@pytest.mark.parametrize("backend", sorted(BASES))
def test_a_days_abstracts_go_in_as_few_requests_as_the_engines_limits_allow(
    fake_translator: FakeTranslator, backend: str
) -> None:
    eng = engine(fake_translator, backend)
    items = abstracts(30)
    results = {key: text for key, text, _ in translate_many(eng, items, 4)}
    assert results == {key: fake_zh(text) for key, text in items}  # each to its own paper
    cap = eng.batch_chars or eng.limit
    assert all(sum(len(t) for t in texts_sent(r)) <= cap for r in fake_translator.requests)
    total = sum(len(text) for _, text in items)
    assert len(fake_translator.requests) == len(eng.batches([t for _, t in items]))
    assert len(fake_translator.requests) <= math.ceil(total / cap) + 1  # packed, not one each
    if backend == "deepl":
        assert len(fake_translator.requests) == 1  # 30 texts in one of DeepL's 50
    assert all(len(texts_sent(r)) <= eng.batch_limit for r in fake_translator.requests)
    assert sorted(t for r in fake_translator.requests for t in texts_sent(r)) == sorted(
        " ".join(text.split()) for _, text in items)  # fmt: skip


@pytest.mark.parametrize("backend", sorted(BASES))
def test_a_text_whose_answer_is_unusable_fails_alone(
    fake_translator: FakeTranslator, backend: str
) -> None:
    fake_translator.translate = lambda text: text if "paper 3." in text else fake_zh(text)
    items = abstracts(6)
    results = {key: text for key, text, _ in translate_many(engine(fake_translator, backend),
                                                            items, 4)}  # fmt: skip
    assert isinstance(results.pop("p3"), TranslationError)  # the English came back: no answer
    assert results == {key: fake_zh(text) for key, text in items if key != "p3"}


def test_a_model_that_leaves_a_text_out_is_asked_for_it_alone(
    fake_translator: FakeTranslator,
) -> None:
    items = abstracts(5)

    def leaves_one_out(request: dict[str, Any]) -> Reply | None:
        content = request["params"]["messages"][-1]["content"]
        sent = json.loads(content) if content.startswith("[") else None
        if not sent or len(sent) < 2:
            return None
        answer = {"translations": [{"id": i["id"], "text": fake_zh(i["text"])}
                                   for i in sent[1:]]}  # fmt: skip
        body = {"choices": [{"message": {"content": json.dumps(answer, ensure_ascii=False)}}]}
        return Reply(200, json.dumps(body, ensure_ascii=False).encode(),
                     {"Content-Type": "application/json"})  # fmt: skip

    fake_translator.fault = leaves_one_out
    results = {key: text for key, text, _ in translate_many(engine(fake_translator, "openai"),
                                                            items, 4)}  # fmt: skip
    assert results == {key: fake_zh(text) for key, text in items}
    assert len(fake_translator.requests) == 2  # the batch, then the one it left out


def test_an_engine_that_fails_a_batch_is_not_asked_for_the_rest(
    fake_translator: FakeTranslator,
) -> None:
    fake_translator.fault = lambda request: Reply(503, b"down")
    eng = engine(fake_translator, "deepl")
    eng.batch_limit = 4  # several requests' worth
    results = [r for _, r, _ in translate_many(eng, abstracts(12), 1)]
    assert all(isinstance(r, TranslationError) and r.status == 503 for r in results)
    assert len(fake_translator.requests) == 3  # one request a batch of four, none again


def test_the_engine_and_import_benchmarks_still_run() -> None:
    import runpy
    import subprocess
    import sys
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "benchmarks"
    bench = runpy.run_path(str(folder / "engine_batches.py"))
    requests, _, done = bench["measure"]("deepl", 8, 0.01)
    assert (requests, done) == (1, 8)
    imported = subprocess.run(
        [sys.executable, str(folder / "import_titles.py"), "--delay", "0"],
        capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "NO_PROXY": "127.0.0.1,localhost"},
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    row = next(line for line in imported.stdout.splitlines() if line.startswith("| import |"))
    assert row.split("|")[2].strip() == "2"  # the original log's 126 titles in two requests
