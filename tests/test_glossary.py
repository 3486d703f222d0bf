"""The glossary over the original log's machine translations: one term, and URLs that link."""

from __future__ import annotations

import re

import gfm
import pytest
from conftest import SEED_LOG

from snn_feed.journal.logparse import parse_log
from snn_feed.translation.glossary import normalize, normalize_terms, separate_urls

BAD = ["尖峰神经网络", "尖刺神经网络", "加标神经网络", "钉状神经网络"]
SEED = SEED_LOG.read_bytes().decode("utf-8", errors="replace")
ENTRIES, _ = parse_log(SEED)
# The abstracts: the body of every old-format entry (below its ### title line) and the
# hover text of every new-format entry.
ABSTRACTS = [e.text.split("\n", 1)[1] if not e.arxiv_id else e.text for e in ENTRIES]
# A URL as its author meant it: ASCII, up to the first non-ASCII character or space.
_MEANT = re.compile(r"https?://[\x21-\x7e]+?(?=[.,;:!?)\"']*(?:[^\x21-\x7e]|$))")


def test_every_mistranslation_of_spiking_neural_network_is_gone() -> None:
    before = {term: sum(a.count(term) for a in ABSTRACTS) for term in BAD}
    assert sum(before.values()) >= 100  # the log really has them
    after = [normalize(a) for a in ABSTRACTS]
    for term in BAD:
        assert not any(term in a for a in after), term
    assert sum(a.count("脉冲神经网络") for a in after) >= sum(before.values())


def test_every_url_in_the_seed_abstracts_links_to_exactly_itself() -> None:
    found = 0
    for abstract in ABSTRACTS:
        if "[paper](" in abstract:
            continue  # hover text of a link title: not rendered as links at all
        urls = _MEANT.findall(abstract)
        if not urls:
            continue
        found += len(urls)
        items_html = gfm.to_html(normalize(abstract))
        hrefs = re.findall(r'href="([^"]+)"', items_html)
        for url in urls:
            assert url in hrefs, (url, hrefs)
    assert found >= 2  # https://github.com/SRKH/S4NN and http://github.com/romainzimmer/s2net


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "代码在https://github.com/SRKH/S4NN公开获得。",
            "代码在 https://github.com/SRKH/S4NN 公开获得。",
        ),
        ("see https://x.org/a.", "see https://x.org/a."),
        ("already apart https://x.org/a ok", "already apart https://x.org/a ok"),
    ],
)
def test_separate_urls(text: str, expected: str) -> None:
    assert separate_urls(text) == expected


def test_normalize_terms_prefers_the_longest_mistranslation() -> None:
    assert normalize_terms("尖峰神经元和尖峰") == "脉冲神经元和脉冲"


def test_a_configured_table_changes_the_output_and_the_version() -> None:
    from snn_feed.translation.glossary import DEFAULT, Glossary

    custom = Glossary(DEFAULT.terms, {**DEFAULT.corrections, "神经形态": "类脑"})
    assert custom.normalize("神经形态芯片上的尖峰神经网络") == "类脑芯片上的脉冲神经网络"
    assert custom.version != DEFAULT.version


@pytest.mark.clock  # a sync: CI runs it at hard instants too
def test_corrections_from_the_config_reach_the_log(tmp_path, fake_arxiv, fake_translator,
                                                   log_repo) -> None:  # fmt: skip
    from conftest import run_cli, snn_entries, utc_now, write_config

    fake_arxiv.entries = snn_entries(2, utc_now())
    ids = {e.arxiv_id for e in fake_arxiv.entries}
    config = write_config(tmp_path / "c.toml", arxiv_url=fake_arxiv.url,
                          translator_url=fake_translator.base + "/m",
                          log_path=log_repo / "README.md",
                          translate__corrections={"译文": "译者按"})  # fmt: skip
    assert run_cli("sync", "--config", str(config)).returncode == 0
    items, _ = gfm.read((log_repo / "README.md").read_text(errors="replace"))
    titles = [i.links[0].title or "" for i in items
              if i.links and i.links[0].href.rsplit("/", 1)[-1] in ids]  # fmt: skip
    assert len(titles) == 2 and all(t.startswith("译者按") for t in titles)
