"""Every engine against its own wire format on a local server: success, rate limit, server
error, hang and garbage, each ending in a translation or one TranslationError."""

from __future__ import annotations

import json

import pytest
from fakes import FakeTranslator, Reply, fake_zh

from snn_feed.config import TranslateSettings
from snn_feed.errors import TranslationError
from snn_feed.translation.chain import FallbackChain, make_engine

ABSTRACT = "Spiking neural networks are trained with surrogate gradients. They run on chips."
ENGINES = {
    # backend: (path of the base URL, the request path, how this engine says "rate limit")
    "google": ("/m", "/m", Reply(429, b"Too Many Requests")),
    "libre": ("/", "/translate", Reply(429, b'{"error": "Slowdown"}')),
    "mymemory": ("/get", "/get", Reply(429, b"{}")),
    "deepl": ("", "/v2/translate", Reply(429, b'{"message": "Too many requests"}')),
    "openai": ("/v1", "/v1/chat/completions", Reply(429, b'{"error": {"type": "rate_limit"}}')),
    "baidu": ("", "/api/trans/vip/translate",
              Reply(200, json.dumps({"error_code": "54003"}).encode())),
}  # fmt: skip


def engine(server: FakeTranslator, backend: str, **extra: object):
    base, _, _ = ENGINES[backend]
    values: dict[str, object] = {
        "backend": backend, "url": server.base + base, "timeout_seconds": 1, "retries": 1,
        "api_key": "appid:secret" if backend == "baidu" else "k-123", **extra,
    }  # fmt: skip
    settings = TranslateSettings.model_validate(values)
    made = make_engine(settings)
    made._sleep = lambda seconds: None
    return made


@pytest.mark.parametrize("backend", ENGINES)
def test_success(fake_translator: FakeTranslator, backend: str) -> None:
    result = engine(fake_translator, backend).translate(ABSTRACT).text
    assert "".join(result.split()) == "".join(fake_zh(ABSTRACT).split())
    assert fake_translator.requests[0]["path"] == ENGINES[backend][1]


@pytest.mark.parametrize("backend", ENGINES)
def test_rate_limit_is_reported_as_429(fake_translator: FakeTranslator, backend: str) -> None:
    fake_translator.script = [ENGINES[backend][2]] * 4
    with pytest.raises(TranslationError) as err:
        engine(fake_translator, backend).translate(ABSTRACT)
    assert err.value.status == 429 and err.value.engine == backend


@pytest.mark.parametrize("backend", ENGINES)
def test_server_errors_are_retried_then_reported(fake_translator: FakeTranslator,
                                                 backend: str) -> None:  # fmt: skip
    fake_translator.script = [Reply(503, b"down")] * 4
    with pytest.raises(TranslationError, match=r"\(gave up after 2 attempts\)$"):
        engine(fake_translator, backend).translate(ABSTRACT)
    assert len(fake_translator.requests) == 2  # retries = 1


@pytest.mark.parametrize("backend", ENGINES)
def test_a_hanging_engine_times_out(fake_translator: FakeTranslator, backend: str) -> None:
    fake_translator.script = [Reply(200, b"", delay=1.5)] * 2
    with pytest.raises(TranslationError, match=r"no answer within 0\.3 s"):
        engine(fake_translator, backend, timeout_seconds=0.3).translate(ABSTRACT)
    assert len(fake_translator.requests) == 2  # tried again once ([translate] retries = 1)


@pytest.mark.parametrize("backend", ENGINES)
def test_garbage_is_not_a_translation(fake_translator: FakeTranslator, backend: str) -> None:
    fake_translator.translate = lambda text: text  # the English comes back
    with pytest.raises(TranslationError, match="bad answer"):
        engine(fake_translator, backend).translate(ABSTRACT)


def test_deepl_sends_the_auth_header_and_zh_hans(fake_translator: FakeTranslator) -> None:
    engine(fake_translator, "deepl").translate(ABSTRACT)
    request = fake_translator.requests[0]
    assert request["headers"]["Authorization"] == "DeepL-Auth-Key k-123"
    assert request["params"]["target_lang"] == "ZH-HANS"


def test_openai_prompt_carries_the_glossary(fake_translator: FakeTranslator) -> None:
    engine(fake_translator, "openai", model="qwen2.5:7b").translate(ABSTRACT)
    params = fake_translator.requests[0]["params"]
    system = params["messages"][0]["content"]
    assert params["model"] == "qwen2.5:7b" and "spiking neural network -> 脉冲神经网络" in system


def test_a_chain_moves_past_a_spent_quota(fake_translator: FakeTranslator) -> None:
    fake_translator.fault = lambda r: Reply(456, b"{}") if r["path"] == "/v2/translate" else None
    chain = FallbackChain([engine(fake_translator, "deepl"), engine(fake_translator, "openai")],
                          None, 60)  # fmt: skip
    answer = chain.translate(ABSTRACT)
    assert "译文" in answer.text and answer.engine == "openai"
    assert [r["path"] for r in fake_translator.requests].count("/v2/translate") == 1
