"""Translation engines against a local fake: limits, deadlines, failures."""

from __future__ import annotations

import time

import pytest
from fakes import FakeTranslator, Reply, fake_zh, slow_zh
from hypothesis import given, settings
from hypothesis import strategies as st

from snn_feed.config import TranslateSettings
from snn_feed.deadlines import within
from snn_feed.errors import TranslationError
from snn_feed.translation.engines import DeepTranslatorEngine, split_text


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=3000),
    limit=st.integers(20, 600),
)
def test_split_text_keeps_every_word_and_respects_the_limit(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    assert all(0 < len(p) <= limit for p in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())


def test_split_text_cuts_at_sentence_ends() -> None:
    sentences = [f"Sentence number {i} talks about spiking neurons." for i in range(40)]
    pieces = split_text(" ".join(sentences), 200)
    assert len(pieces) > 1
    assert all(p.endswith("neurons.") for p in pieces)


def engine(url: str, backend: str = "google", **extra: object) -> DeepTranslatorEngine:
    options: dict[str, object] = {"timeout_seconds": 1, "retries": 0, **extra}
    return DeepTranslatorEngine(TranslateSettings(backend=backend, url=url, **options))  # type: ignore[arg-type]


def test_google_long_abstract_is_sent_in_pieces_under_its_limit(
    fake_translator: FakeTranslator,
) -> None:
    text = " ".join(f"Spiking neural networks sentence {i} is here." for i in range(300))
    result = engine(fake_translator.base + "/m").translate(text).text
    sent = [r["params"]["q"] for r in fake_translator.requests]
    assert len(sent) >= 3 and all(len(q) < 5000 for q in sent)
    assert "".join(result.split()) == "".join("".join(fake_zh(q) for q in sent).split())


def test_an_engine_error_is_one_project_error_with_the_status(
    fake_translator: FakeTranslator,
) -> None:
    fake_translator.script = [Reply(429, b"Too Many Requests")]
    with pytest.raises(TranslationError) as err:
        engine(fake_translator.base + "/m").translate("Spiking neural networks.")
    assert err.value.engine == "google"
    assert "429" in str(err.value) or err.value.status == 429


def test_a_hanging_engine_is_abandoned_at_the_deadline(fake_translator: FakeTranslator) -> None:
    fake_translator.script = [Reply(200, b"", delay=5)]
    started = time.monotonic()
    with pytest.raises(TranslationError, match="no answer within 1 s"):
        engine(fake_translator.base + "/m").translate("Spiking neural networks.")
    assert time.monotonic() - started < 4, "the deadline did not cut the call short"


def test_retries_are_bounded(fake_translator: FakeTranslator) -> None:
    fake_translator.script = [Reply(503, b"busy")] * 5
    eng = DeepTranslatorEngine(
        TranslateSettings(
            backend="mymemory", url=fake_translator.base + "/get", timeout_seconds=1, retries=1
        )
    )
    with pytest.raises(TranslationError):
        eng.translate("Spiking neural networks.")
    assert len(fake_translator.requests) == 2


def test_within_passes_results_and_errors_through() -> None:
    assert within(1, lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        within(1, lambda: 1 / 0)


def test_concurrent_translations_never_swap_papers(fake_translator: FakeTranslator) -> None:
    from snn_feed.translation.chain import translate_many

    fake_translator.translate = slow_zh(0.05)
    # A generous deadline: this test is about which answer goes to which paper, and eight
    # threads of a cold engine can take over a second on a busy 2-core machine.
    eng = engine(fake_translator.base + "/m", rate_per_second=1000, timeout_seconds=10)
    texts = {f"p{i}": f"Spiking neural network paper number {i} is unique." for i in range(24)}
    results = {key: text for key, text, _ in translate_many(eng, texts.items(), 8)}
    assert results == {key: fake_zh(text) for key, text in texts.items()}


def test_requests_to_one_engine_respect_its_rate(fake_translator: FakeTranslator) -> None:
    from snn_feed.translation.chain import translate_many

    eng = engine(fake_translator.base + "/m", rate_per_second=20)
    texts = [(str(i), f"Spiking neural networks, sentence {i} of many.") for i in range(8)]
    assert len(list(translate_many(eng, texts, 8))) == 8
    times = sorted(r["time"] for r in fake_translator.requests)
    # 8 requests at 20 a second span at least 7 intervals (less the first one's jitter),
    # although 8 threads were free to send at once
    assert times[-1] - times[0] >= 7 * 0.05 - 0.05
