"""Each engine talks only to its own endpoint, and a key only ever goes to the host it was
given for: `[translate] url` and `api_key` belong to `backend`; every other engine uses its
`urls.<engine>` and `api_keys.<engine>`, or its public endpoint and no key. One function
decides it (`engine_settings`), for the fallback chain and `retranslate --engine` alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli, snn_entries, utc_now, write_config
from fakes import FakeArxiv, FakeTranslator, running

from snn_feed.config import TranslateSettings
from snn_feed.translation.chain import engine_settings, make_engine, make_translator
from snn_feed.translation.http_engines import DeepL

LIBRE_KEY = "libre-KEY-0123456789"
DEEPL_KEY = "deepl-KEY-9876543210"


@pytest.mark.parametrize(
    ("engine", "url", "key"),
    [
        ("libre", "http://libre.local/", LIBRE_KEY),  # the backend: its url and key
        ("deepl", None, None),  # another engine: its public endpoint, no key
        ("mymemory", None, None),
    ],
)
def test_url_and_key_belong_to_the_backend_only(engine: str, url: str | None, key: str | None):
    t = TranslateSettings(backend="libre", url="http://libre.local/", api_key=LIBRE_KEY)
    resolved = engine_settings(t, engine)
    assert (resolved.backend, resolved.url, resolved.api_key) == (engine, url, key)


def test_an_engine_given_its_own_url_and_key_uses_those() -> None:
    t = TranslateSettings(backend="libre", url="http://libre.local/", api_key=LIBRE_KEY,
                          urls={"deepl": "http://deepl.local"},
                          api_keys={"deepl": DEEPL_KEY})  # fmt: skip
    resolved = engine_settings(t, "deepl")
    assert (resolved.url, resolved.api_key) == ("http://deepl.local", DEEPL_KEY)


def test_a_chain_gives_the_backends_key_to_no_other_engine() -> None:
    t = TranslateSettings(backend="libre", api_key=LIBRE_KEY, engines=["libre", "deepl"],
                          urls={"libre": "http://libre.local/"})  # fmt: skip
    chain = make_translator(t)
    deepl = chain.engines[1]  # type: ignore[attr-defined]
    assert isinstance(deepl, DeepL)
    assert (deepl.base, deepl.key) == (DeepL.default_url.rstrip("/"), "")
    assert make_engine(engine_settings(t, "deepl")).settings.api_key is None


@pytest.mark.parametrize("deepl_key", [DEEPL_KEY, None], ids=["its own key", "no key"])
def test_retranslate_with_another_engine_sends_the_backends_key_nowhere(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path,
    deepl_key: str | None,
) -> None:  # fmt: skip
    fake_arxiv.entries = snn_entries(2, utc_now())
    with running(FakeTranslator()) as deepl_host:
        config = write_config(
            tmp_path / "config.toml", arxiv_url=fake_arxiv.url,
            translator_url=fake_translator.base + "/", log_path=log_repo / "README.md",
            translate__backend="libre", translate__api_key=LIBRE_KEY,
            translate__urls={"deepl": deepl_host.base},
            translate__api_keys={"deepl": deepl_key} if deepl_key else {},
        )  # fmt: skip
        assert run_cli("sync", "--config", str(config)).returncode == 0
        configured = len(fake_translator.requests)

        result = run_cli("retranslate", "--config", str(config), "--engine", "deepl",
                         "--force", "--since", "2000-01-01")  # fmt: skip

    assert fake_translator.requests[configured:] == [], result.stderr  # not to the backend
    for request in deepl_host.requests:
        assert LIBRE_KEY not in repr(request), "the backend's key went to DeepL's host"
    if deepl_key:
        assert result.returncode == 0, result.stderr
        assert [r["headers"]["Authorization"] for r in deepl_host.requests] == [
            f"DeepL-Auth-Key {DEEPL_KEY}"
        ] * 2
    else:
        assert (result.returncode, deepl_host.requests) == (3, [])
        assert "deepl: no API key: set [translate] api_keys.deepl" in result.stderr
