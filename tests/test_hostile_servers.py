"""What arXiv, its feed or a translator may send that no well-behaved server sends: one bad item
costs that item, never the run (issue 14, items 4 and 5), and every request ends at its
deadline, however the server trickles, lies about its totals or floods (item 6)."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gfm
import pytest
from conftest import run_cli, snn_entries, utc_now, write_config
from fake_rss import FakeRss, rss_fixture
from fakes import FakeArxiv, FakeTranslator, Reply, atom_feed, closed_port, fake_zh, running

from snn_feed.config import ArxivSettings, TranslateSettings
from snn_feed.errors import FetchError, TranslationError
from snn_feed.sources import api
from snn_feed.sources.announcements import RssClient
from snn_feed.sources.api import PoliteClient, search
from snn_feed.translation.http_engines import OpenAI
from snn_feed.translation.protect import protect, restore

pytestmark = pytest.mark.clock  # papers are submitted in the hours before now

WEEKDAY = rss_fixture("cs.NE-2026-05-15-fri.xml")


SEED: dict[Path, set[str]] = {}


def paper_links(log: Path) -> list[str]:
    items, _ = gfm.read(log.read_text(encoding="utf-8"))
    return [a.href.split("/abs/")[1] for i in items for a in i.links if a.text == "paper"]


def seeded(repo: Path) -> Path:
    """The log of `repo`, its seed entries remembered so that `logged` leaves them out."""
    log = repo / "README.md"
    SEED[log] = set(paper_links(log))
    return log


def logged(log: Path) -> list[str]:
    """The papers snn-feed logged, as GitHub renders the log."""
    return [i for i in paper_links(log) if i not in SEED[log]]


def sync(tmp: Path, arxiv: FakeArxiv, translator: FakeTranslator, log: Path, **extra: Any):
    config = write_config(tmp / "config.toml", arxiv_url=arxiv.url,
                          translator_url=translator.base + "/m", log_path=log, **extra)  # fmt: skip
    return run_cli("sync", "--config", str(config))


def ends_within(seconds: float, call: Callable[[], Any]) -> Any:
    """`call()`'s result or error; a test failure if it is still running after `seconds` (far
    beyond the deadline under test: this checks that it ends at all, not how fast)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except Exception as err:
            outcome["error"] = err

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still waiting after {seconds} s: no deadline"
    return outcome


# --- item 4: bad dates and broken entries -------------------------------------------------------

BAD_DATES = {"a word": "yesterday", "year 9999": "9999-12-31T23:59:59Z",
             "month 13": "2026-13-01T00:00:00Z"}  # fmt: skip


@pytest.mark.parametrize("published", BAD_DATES.values(), ids=BAD_DATES.keys())
def test_an_api_entry_with_a_bad_date_costs_that_entry_and_no_later_sync(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path,
    published: str,
) -> None:  # fmt: skip
    first, bad, last = snn_entries(3, utc_now())
    fake_arxiv.entries = [first, dataclasses.replace(bad, raw_published=published), last]
    log = seeded(log_repo)

    result = sync(tmp_path, fake_arxiv, fake_translator, log)

    assert result.returncode == 0, result.stderr
    assert sorted(logged(log)) == sorted([first.arxiv_id, last.arxiv_id])
    assert bad.arxiv_id in result.stderr and "skipping entry" in result.stderr
    again = sync(tmp_path, fake_arxiv, fake_translator, log)
    assert again.returncode == 0, again.stderr
    assert sorted(logged(log)) == sorted([first.arxiv_id, last.arxiv_id])


def test_a_feed_item_with_a_bad_date_costs_nothing_and_the_api_papers_still_come_in(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path,
) -> None:  # fmt: skip
    dates = WEEKDAY.count(b"<pubDate>Fri, 15 May 2026 00:00:00 -0400</pubDate>")
    assert dates >= 3  # the channel's and its items'
    body = WEEKDAY.replace(b"<pubDate>Fri, 15 May 2026 00:00:00 -0400</pubDate>",
                           b"<pubDate>Fri, 31 Dec 9999 23:00:00 -0500</pubDate>", 2)  # fmt: skip
    body = body.replace(b"<pubDate>Fri, 15 May 2026 00:00:00 -0400</pubDate>",
                        b"<pubDate>not a date at all</pubDate>", 1)  # fmt: skip
    body = body.replace(
        b"<pubDate>Fri, 31 Dec 9999 23:00:00 -0500</pubDate>",
        b"<pubDate>Fri, 15 May 2026 00:00:00 -0400</pubDate>",
        1,
    )  # the channel's
    (api_paper,) = snn_entries(1, utc_now())
    fake_arxiv.entries = [api_paper]
    log = seeded(log_repo)
    with running(FakeRss()) as feed:
        feed.serve("cs.NE", body)
        result = sync(tmp_path, fake_arxiv, fake_translator, log, sync__source="both",
                      rss__url=feed.base, rss__categories=["cs.NE"], rss__retries=0)  # fmt: skip

    assert result.returncode == 0, result.stderr
    ids = logged(log)
    assert api_paper.arxiv_id in ids
    assert {"2605.15058", "2605.14252", "2605.14319"} <= set(ids)  # the feed's on-topic papers
    assert len(ids) == len(set(ids))


# --- item 5: a translator's unusable answer -----------------------------------------------------


def answering(bad_for: str, answer: str) -> Callable[[str], str]:
    """A translator that gives `answer` for the text containing `bad_for`, else a good one."""
    return lambda text: answer if bad_for in text else fake_zh(text)


UNUSABLE = {
    "a lone surrogate": "脉冲神经网络\ud800的研究",
    "a megabyte for one abstract": "脉冲" * 500_000,
}


@pytest.mark.parametrize("answer", UNUSABLE.values(), ids=UNUSABLE.keys())
def test_an_unusable_translation_fails_that_paper_alone(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path,
    answer: str,
) -> None:  # fmt: skip
    good, bad = snn_entries(2, utc_now())
    fake_arxiv.entries = [good, bad]
    # MyMemory answers JSON; json.dumps writes a lone surrogate as the escape "\ud800".
    fake_translator.translate = answering(bad.title.rstrip("."), answer)
    log = seeded(log_repo)
    size = len(log.read_bytes())
    config = write_config(tmp_path / "config.toml", arxiv_url=fake_arxiv.url,
                          translator_url=fake_translator.base + "/get", log_path=log,
                          translate__backend="mymemory", translate__retries=0)  # fmt: skip

    result = run_cli("sync", "--config", str(config))

    assert result.returncode == 3, result.stderr  # partly done: one paper waits
    assert logged(log) == [good.arxiv_id]
    assert "bad answer" in result.stderr and "unexpected error" not in result.stderr
    fake_translator.translate = fake_zh  # the engine mends its ways
    later = run_cli("sync", "--config", str(config))
    assert later.returncode == 0, later.stderr
    assert sorted(logged(log)) == sorted([good.arxiv_id, bad.arxiv_id])
    assert len(log.read_bytes()) - size < 10_000  # two entries, not a megabyte


def test_protected_spans_that_come_back_out_of_order_are_refused() -> None:
    masked, spans = protect("See https://github.com/a/b for code and $T=4$ time steps.")
    assert masked.count("⟦") == 2
    assert (
        restore("代码见 ⟦0⟧，时间步 ⟦1⟧。", spans, "e")
        == "代码见 https://github.com/a/b，时间步 $T=4$。"
    )
    with pytest.raises(TranslationError, match="out of order"):
        restore("代码见 ⟦1⟧，时间步 ⟦0⟧。", spans, "e")


# --- item 6: deadlines, not only timeouts -------------------------------------------------------


def trickling(body: bytes) -> Reply:
    return Reply(200, body, {"Content-Type": "application/xml"}, trickle=0.2)


def test_an_arxiv_api_that_trickles_is_given_up_at_the_deadline(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.script = [trickling(atom_feed(snn_entries(3, utc_now()), 3, 0, 10))] * 2
    settings = ArxivSettings(api_url=fake_arxiv.url, delay_seconds=0, timeout_seconds=1, retries=1)
    client = PoliteClient(settings, sleep=lambda s: None)

    outcome = ends_within(30, lambda: list(search(client, "all:spiking")))

    assert isinstance(outcome.get("error"), FetchError)
    assert "no answer within 1 s" in str(outcome["error"])
    assert client.requests_made == 2  # the deadline counts as a timeout: retried once


def test_an_announcement_feed_that_trickles_is_given_up_at_the_deadline() -> None:
    with running(FakeRss()) as feed:
        feed.script = [trickling(WEEKDAY)] * 2
        client = RssClient(base_url=feed.base, timeout_seconds=1, retries=1,
                           sleep=lambda s: None)  # fmt: skip
        outcome = ends_within(30, lambda: client.fetch(["cs.NE"]))
    assert isinstance(outcome.get("error"), FetchError)
    assert "no answer within 1 s" in str(outcome["error"])
    assert client.requests_made == 2


def test_a_translator_that_trickles_is_given_up_at_the_deadline(
    fake_translator: FakeTranslator,
) -> None:
    answer = json.dumps({"choices": [{"message": {"content": "脉冲神经网络"}}]}).encode()
    fake_translator.script = [trickling(answer)] * 2
    engine = OpenAI(TranslateSettings(backend="openai", url=fake_translator.base + "/v1",
                                      timeout_seconds=1, retries=1))  # fmt: skip
    engine._sleep = lambda s: None

    outcome = ends_within(30, lambda: engine.translate("Spiking neural networks are efficient."))

    assert isinstance(outcome.get("error"), TranslationError)
    assert "no answer within 1 s" in str(outcome["error"])
    assert len(fake_translator.requests) == 2


def test_a_total_that_lies_stops_at_the_page_that_brings_nothing_new(
    fake_arxiv: FakeArxiv,
) -> None:
    entries = snn_entries(3, utc_now())
    fake_arxiv.fault = lambda request: Reply(200, atom_feed(entries, 1_000_000, 0, 3))
    client = PoliteClient(ArxivSettings(api_url=fake_arxiv.url, delay_seconds=0, page_size=3),
                          sleep=lambda s: None)  # fmt: skip

    outcome = ends_within(60, lambda: list(search(client, "all:spiking")))

    assert [p.arxiv_id for p in outcome["value"]] == [e.arxiv_id for e in entries]
    assert client.requests_made == 2


def test_a_total_that_lies_is_paged_no_further_than_arxivs_result_limit(
    fake_arxiv: FakeArxiv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api, "MAX_RESULTS", 300)  # arXiv's is 30,000: 15 pages of 2,000
    (template,) = snn_entries(1, utc_now())

    def endless(request: dict[str, Any]) -> Reply:  # new papers on every page, without end
        start, size = int(request["params"]["start"]), int(request["params"]["max_results"])
        page = [dataclasses.replace(template, arxiv_id=f"2611.{start + i:05d}")
                for i in range(size)]  # fmt: skip
        return Reply(200, atom_feed(page, 10_000_000, start, size))

    fake_arxiv.fault = endless
    client = PoliteClient(ArxivSettings(api_url=fake_arxiv.url, delay_seconds=0,
                                        page_size=100), sleep=lambda s: None)  # fmt: skip

    outcome = ends_within(60, lambda: sum(1 for _ in search(client, "all:spiking")))

    assert outcome["value"] == 300
    assert client.requests_made == 3


def test_an_answer_larger_than_any_page_is_refused_unread(
    fake_arxiv: FakeArxiv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api, "MAX_PAGE_BYTES", 50_000)  # the real cap is 64 MB
    fake_arxiv.entries = snn_entries(100, utc_now())  # about 90 KB of Atom
    client = PoliteClient(ArxivSettings(api_url=fake_arxiv.url, delay_seconds=0, page_size=100,
                                        retries=3), sleep=lambda s: None)  # fmt: skip

    with pytest.raises(FetchError, match="larger than 50,000 bytes"):
        list(search(client, "all:spiking"))
    assert client.requests_made == 1  # not worth asking again


def test_an_abstract_far_longer_than_arxiv_allows_is_skipped_not_translated(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path,
) -> None:  # fmt: skip
    good, huge = snn_entries(2, utc_now())
    fake_arxiv.entries = [good, dataclasses.replace(huge, abstract="Spiking neurons. " * 5000)]
    log = seeded(log_repo)

    result = sync(tmp_path, fake_arxiv, fake_translator, log)

    assert result.returncode == 0, result.stderr
    assert logged(log) == [good.arxiv_id]
    assert huge.arxiv_id in result.stderr
    assert len(fake_translator.requests) < 5


# --- item 11: no silent waits, and one line when a name does not resolve -----------------------


def test_each_wait_is_announced_on_one_line_without_verbose(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path,
) -> None:  # fmt: skip
    fake_arxiv.entries = snn_entries(1, utc_now())
    fake_arxiv.script = [Reply(503, b"", {"Retry-After": "0"})]

    result = sync(tmp_path, fake_arxiv, fake_translator, log_repo / "README.md")

    assert result.returncode == 0, result.stderr
    (line,) = [ln for ln in result.stderr.splitlines() if "retrying in" in ln]
    assert "arXiv" in line and "HTTP 503" in line and "attempt 1 of 2" in line


@pytest.fixture
def no_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Names under .invalid do not resolve (as with no network); 127.0.0.1 still works. Yields
    the names looked up."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                 "all_proxy"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, bytes):
            host = host.decode()
        if str(host).endswith(".invalid"):
            asked.append(str(host))
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield asked


def test_a_name_that_does_not_resolve_is_said_once_not_retried(
    tmp_path: Path, fake_translator: FakeTranslator, log_repo: Path, no_dns: list[str]
) -> None:
    config = write_config(tmp_path / "config.toml",
                          arxiv_url="http://export.arxiv.invalid/api/query",
                          translator_url=fake_translator.base + "/m",
                          log_path=log_repo / "README.md", arxiv__retries=3,
                          rss__url="http://rss.arxiv.invalid", rss__retries=3,
                          sync__source="both")  # fmt: skip

    result = run_cli("sync", "--config", str(config))

    assert result.returncode == 1
    assert sorted(no_dns) == ["export.arxiv.invalid", "rss.arxiv.invalid"]  # one try each
    assert "cannot resolve host export.arxiv.invalid" in result.stderr
    assert "cannot resolve host rss.arxiv.invalid" in result.stderr
    assert "retrying" not in result.stderr and "Traceback" not in result.stderr
    assert max(len(line) for line in result.stderr.splitlines()) < 400


def test_an_unreachable_translator_is_one_short_line_naming_engine_and_host(
    tmp_path: Path, fake_arxiv: FakeArxiv, log_repo: Path
) -> None:
    port = closed_port()
    fake_arxiv.entries = snn_entries(1, utc_now())
    config = write_config(tmp_path / "config.toml", arxiv_url=fake_arxiv.url,
                          translator_url=f"http://127.0.0.1:{port}/m",
                          log_path=log_repo / "README.md", translate__retries=1)  # fmt: skip

    result = run_cli("sync", "--config", str(config))

    assert result.returncode == 3
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    about = [ln for ln in lines if f"127.0.0.1:{port}" in ln]
    assert about and all("google" in ln and "Connection refused" in ln for ln in about)
    assert not any("urllib3" in ln or "HTTPConnectionPool" in ln for ln in lines)
    assert max(len(ln) for ln in lines) < 400
