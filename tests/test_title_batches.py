"""Titles many to a request (`translate_lines`), through every engine's wire format on a local
server: one request for a day's titles, each line checked and restored on its own, and a
bounded fall back to one request per title when a batch comes back unusable."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from fakes import FakeTranslator, Reply, fake_zh, real_papers

from snn_feed.config import TranslateSettings
from snn_feed.errors import TranslationError
from snn_feed.translation.chain import FallbackChain, make_engine
from snn_feed.translation.engines import Translation
from snn_feed.translation.lines import MAX_LINES, answer_lines, pack

TITLES = [row["title"] for row in real_papers()[:5]]
BASES = {"google": "/m", "libre": "/", "mymemory": "/get", "deepl": "", "openai": "/v1",
         "baidu": ""}  # fmt: skip


def engine(server: FakeTranslator, backend: str, **extra: object):
    values: dict[str, object] = {
        "backend": backend, "url": server.base + BASES[backend], "timeout_seconds": 2,
        "retries": 0, "api_key": "appid:secret" if backend == "baidu" else "k-123", **extra,
    }  # fmt: skip
    made = make_engine(TranslateSettings.model_validate(values))
    made._sleep = lambda seconds: None
    return made


def texts(results: list[Translation | TranslationError]) -> list[str]:
    assert all(isinstance(r, Translation) for r in results), results
    return [r.text for r in results if isinstance(r, Translation)]


def batches(server: FakeTranslator) -> int:
    """Requests that carried more than one title (DeepL: a list of texts)."""
    count = 0
    for request in server.requests:
        params = request["params"]
        sent = (
            params.get("text")
            or params.get("q")
            or next((m["content"] for m in params.get("messages", []) if m["role"] == "user"), "")
        )
        count += len(sent) > 1 if isinstance(sent, list) else "\n" in sent
    return count


@pytest.mark.parametrize("backend", BASES)
def test_a_days_titles_cost_one_request(fake_translator: FakeTranslator, backend: str) -> None:
    results = engine(fake_translator, backend).translate_lines(TITLES)
    assert texts(results) == [fake_zh(t) for t in TITLES]
    assert {r.engine for r in results} == {backend}
    assert len(fake_translator.requests) == 1 and batches(fake_translator) == 1


def test_sixty_titles_cost_two_requests(fake_translator: FakeTranslator) -> None:
    titles = [row["title"] for row in real_papers()[:60]]
    results = engine(fake_translator, "google").translate_lines(titles)
    assert texts(results) == [fake_zh(t) for t in titles]
    assert len(fake_translator.requests) == 2


def test_lines_merged_by_the_engine_are_asked_for_one_by_one(
    fake_translator: FakeTranslator,
) -> None:
    fake_translator.translate = lambda text: fake_zh(text.replace("\n", " "))  # one line back
    results = engine(fake_translator, "libre").translate_lines(TITLES)
    assert texts(results) == [fake_zh(t) for t in TITLES]
    assert len(fake_translator.requests) == 1 + len(TITLES)


def test_only_the_line_that_came_back_untranslated_is_asked_again(
    fake_translator: FakeTranslator,
) -> None:
    def one_left_in_english(text: str) -> str:
        lines = text.split("\n")
        return "\n".join([lines[0], *map(fake_zh, lines[1:])]) if len(lines) > 1 else fake_zh(text)

    fake_translator.translate = one_left_in_english
    results = engine(fake_translator, "google").translate_lines(TITLES)
    assert texts(results) == [fake_zh(t) for t in TITLES]
    assert [r["params"]["q"] for r in fake_translator.requests[1:]] == [TITLES[0]]


def test_numbered_lines_from_a_model_are_read_as_the_lines(
    fake_translator: FakeTranslator,
) -> None:
    fake_translator.translate = lambda text: "\n\n".join(
        f"{i}. {fake_zh(line)}" for i, line in enumerate(text.split("\n"), 1)
    )
    results = engine(fake_translator, "openai").translate_lines(TITLES)
    assert texts(results) == [fake_zh(t) for t in TITLES]
    assert len(fake_translator.requests) == 1
    system = fake_translator.requests[0]["params"]["messages"][0]["content"]
    assert "one line for each line" in system and "脉冲神经网络" in system  # the glossary


def test_falling_back_one_by_one_is_bounded(fake_translator: FakeTranslator) -> None:
    fake_translator.translate = lambda text: "OK"  # no Chinese: never a translation
    results = engine(fake_translator, "google").translate_lines(TITLES)
    assert all(isinstance(r, TranslationError) for r in results)
    assert len(fake_translator.requests) == 1 + 2  # the batch, then two titles: enough


def test_an_engine_that_is_down_is_asked_once_for_all_the_lines(
    fake_translator: FakeTranslator,
) -> None:
    fake_translator.fault = lambda r: Reply(503, b"down")
    titles = [row["title"] for row in real_papers()[:60]]  # two batches' worth
    results = engine(fake_translator, "deepl").translate_lines(titles)
    assert all(isinstance(r, TranslationError) and "HTTP 503" in str(r) for r in results)
    assert len(fake_translator.requests) == 1


def test_protected_spans_come_back_untouched(fake_translator: FakeTranslator) -> None:
    titles = [
        r"$\alpha$-LIF: spiking neurons in snnTorch and torch.nn, arXiv:2401.00001 revisited",
        "Surrogate gradients for spiking_jelly models, see https://github.com/fangwei123456/x",
        "Spiking transformers without protected text",
    ]
    fake_translator.translate = lambda text: "\n".join(  # mangles all but the tokens
        "译文：" + line.upper() for line in text.split("\n")
    )
    results = texts(engine(fake_translator, "libre").translate_lines(titles))
    assert results[0].startswith(r"译文：$\alpha$-LIF: SPIKING NEURONS IN snnTorch AND torch.nn")
    assert results[0].endswith("arXiv:2401.00001 REVISITED")
    assert results[1].endswith("SEE https://github.com/fangwei123456/x")
    assert "spiking_jelly" in results[1]
    assert results[2] == "译文：SPIKING TRANSFORMERS WITHOUT PROTECTED TEXT"
    assert len(fake_translator.requests) == 1


def test_a_token_moved_to_another_line_is_refused_and_asked_for_alone(
    fake_translator: FakeTranslator,
) -> None:
    titles = [r"Spiking $x$ networks one", r"Spiking $y$ networks two"]

    def swap_tokens(text: str) -> str:  # a batch's tokens are numbered across lines: ⟦0⟧, ⟦1⟧
        if "\n" in text:
            text = text.replace("⟦0⟧", "⟦t⟧").replace("⟦1⟧", "⟦0⟧").replace("⟦t⟧", "⟦1⟧")
        return fake_zh(text)

    fake_translator.translate = swap_tokens
    results = texts(engine(fake_translator, "google").translate_lines(titles))
    assert results == [fake_zh(t) for t in titles]
    assert len(fake_translator.requests) == 3


class Rests:
    def __init__(self) -> None:
        self.until: dict[str, datetime] = {}

    def cooling_down(self, engine: str) -> bool:
        return engine in self.until

    def cool_down(self, engine: str, until: datetime) -> None:
        self.until[engine] = until


def test_a_chain_hands_the_whole_batch_to_the_next_engine(
    fake_translator: FakeTranslator,
) -> None:
    fake_translator.fault = lambda r: Reply(429, b"slow down") if r["path"] == "/m" else None
    rests = Rests()
    chain = FallbackChain([engine(fake_translator, "google"), engine(fake_translator, "libre")],
                          rests, cooldown_minutes=5)  # fmt: skip
    results = chain.translate_lines(TITLES)
    assert texts(results) == [fake_zh(t) for t in TITLES]
    assert {r.engine for r in results} == {"libre"}
    assert [r["path"] for r in fake_translator.requests] == ["/m", "/translate"]
    assert set(rests.until) == {"google"}
    again = chain.translate_lines(TITLES[:2])  # google rests: not asked
    assert len(again) == 2 and [r["path"] for r in fake_translator.requests][2:] == ["/translate"]


def test_a_chain_reports_every_engine_for_a_title_none_translated(
    fake_translator: FakeTranslator,
) -> None:
    fake_translator.fault = lambda r: Reply(500, b"down")
    chain = FallbackChain([engine(fake_translator, "google"), engine(fake_translator, "libre")],
                          None, cooldown_minutes=5)  # fmt: skip
    (result,) = chain.translate_lines(TITLES[:1])
    assert isinstance(result, TranslationError)
    assert str(result).startswith("every engine failed: google: ") and "; libre: " in str(result)


def test_pack_respects_the_limit_and_the_most_lines() -> None:
    assert pack([10, 10, 10], limit=21) == [[0, 1], [2]]  # 10 + newline + 10
    assert pack([50, 3, 3], limit=20) == [[0], [1, 2]]  # a long one alone
    assert pack([1] * (MAX_LINES + 1), limit=10_000) == [list(range(MAX_LINES)), [MAX_LINES]]
    assert pack([], limit=10) == []


def test_answer_lines_keeps_numbers_the_titles_had() -> None:
    assert answer_lines("1. 一\n\n2. 二\n", ["a", "b"]) == ["一", "二"]
    assert answer_lines("1. 一\n2. 二", ["1. a", "2. b"]) == ["1. 一", "2. 二"]
    assert answer_lines("3D 一\n2. 二", ["a", "b"]) == ["3D 一", "2. 二"]


@pytest.mark.parametrize(
    "answer",
    [
        lambda lines: "以下是各行标题的中文翻译：\n" + "\n".join(
            f"{i}. {fake_zh(t)}" for i, t in enumerate(lines[:-1], 1)
        ),
        lambda lines: "\n".join(f"{i}. {fake_zh(lines[i - 1])}" for i in [2, 1, 3]),
        lambda lines: "\n".join(fake_zh(t) for t in lines),  # numbers dropped: cannot be checked
    ],
    ids=["a-preamble-and-a-line-dropped", "lines-reordered", "numbers-left-off"],
)  # fmt: skip
def test_a_model_answer_that_is_not_lines_1_to_n_is_never_paired_by_position(
    fake_translator: FakeTranslator, answer: Callable[[list[str]], str]
) -> None:
    """A count that happens to match would give a paper another's title: each title is asked
    for alone instead, and gets its own translation."""

    def chat(user: str) -> str:
        lines = user.split("\n")
        if len(lines) == 1:
            return fake_zh(user)  # one title alone: a plain answer
        return answer([line.split(". ", 1)[1] for line in lines])

    fake_translator._chat = chat  # type: ignore[method-assign]
    results = engine(fake_translator, "openai").translate_lines(TITLES[:3])
    assert texts(results) == [fake_zh(t) for t in TITLES[:3]]
    assert len(fake_translator.requests) == 1 + 3
