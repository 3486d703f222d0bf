"""Math, URLs, arXiv ids and code identifiers come back from translation unchanged."""

from __future__ import annotations

import pytest
from fakes import FakeTranslator, fake_zh
from hypothesis import given
from hypothesis import strategies as st

from snn_feed.config import TranslateSettings
from snn_feed.errors import TranslationError
from snn_feed.translation.engines import DeepTranslatorEngine
from snn_feed.translation.protect import protect, restore

ABSTRACTS = [
    "We train spiking neural networks with a surrogate gradient whose cost is $O(T \\cdot N^2)$ "
    "and whose membrane potential obeys \\(\\tau \\dot{v} = -v + I\\). Code: "
    "https://github.com/fangwei123456/spikingjelly. Compare arXiv:2003.11837v2.",
    "Our neuromorphic pipeline, built on snnTorch and torch.nn.functional, reaches 98.2% on "
    "DVS-Gesture; see www.example.org/dvs and the appendix (https://x.org/a_(b)).",
    "$$E = \\sum_i w_i s_i$$ defines the energy of spike_train; 2011.00888 extends it.",
]


def mangling(text: str) -> str:
    """A translator that would ruin math and URLs if it saw them."""
    return fake_zh(text).replace("$", "＄").replace("://", "：//").replace("\\", "＼")


@pytest.mark.parametrize("backend,path", [("google", "/m"), ("libre", "/"), ("mymemory", "/get")])
def test_math_and_urls_survive_a_round_trip_through_each_engine(
    fake_translator: FakeTranslator, backend: str, path: str
) -> None:
    fake_translator.translate = mangling
    engine = DeepTranslatorEngine(TranslateSettings(
        backend=backend, url=fake_translator.base + path, timeout_seconds=5, retries=0,  # type: ignore[arg-type]
    ))  # fmt: skip
    for abstract in ABSTRACTS:
        result = engine.translate(abstract).text
        _, spans = protect(abstract)
        assert spans
        for span in spans:
            assert span in result, (span, result)
        assert "译文" in result


def test_an_engine_that_drops_a_token_is_refused() -> None:
    masked, spans = protect("Cost $O(n)$ at https://x.org/a.")
    with pytest.raises(TranslationError, match="protected text"):
        restore(masked.replace("⟦1⟧", ""), spans, "x")


@given(st.text(max_size=300))
def test_protect_then_restore_is_the_identity(text: str) -> None:
    masked, spans = protect(text)
    assert restore(masked, spans, "x") == text
