"""`snn_feed.sources.api` against a local fake arXiv: recorded live responses replayed byte for
byte, generated feeds, and scripted faults (5xx, 429, cut and empty pages, hangs, refusals)."""

from __future__ import annotations

import itertools
import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime
from typing import Any

import arxiv
import pytest
from conftest import recorded, snn_entries, utc_now
from fakes import FakeArxiv, FakeEntry, Reply, atom_feed

from snn_feed.config import ArxivSettings
from snn_feed.errors import FetchError
from snn_feed.retries import TransientFetchError
from snn_feed.sources.api import PoliteClient, search, to_paper

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}
TESTING_PAGES = [f"q_testing_s{start}_m10_" for start in range(0, 60, 10)]
"""The six recorded pages of `testing`, 10 results each (trailing `_` so that
`q_testing_s0_m10` does not also match `q_testing_s0_m100`)."""


def make_client(
    url: str,
    *,
    sleeps: list[float] | None = None,
    sleep: Callable[[float], None] | None = None,
    **settings: Any,
) -> PoliteClient:
    """A client for the fake server; by default its sleeps are recorded, not slept."""
    values: dict[str, Any] = {
        "api_url": url,
        "delay_seconds": 0,
        "backoff_seconds": 0.01,
        "timeout_seconds": 1,
        "retries": 2,
        **settings,
    }
    record = sleeps if sleeps is not None else []
    return PoliteClient(ArxivSettings(**values), sleep=sleep or record.append)


def oldest_first(entries: list[FakeEntry]) -> list[FakeEntry]:
    return sorted(entries, key=lambda e: (e.published, e.arxiv_id))


def starts(fake: FakeArxiv) -> list[int]:
    return [int(r["params"]["start"]) for r in fake.requests]


def first_entry(body: str) -> ET.Element:
    root = ET.fromstring(body.encode("latin-1"))
    entry = root.find("atom:entry", NS)
    assert entry is not None, "the recorded page has no entry"
    return entry


def entry_ids(body: str) -> list[str]:
    root = ET.fromstring(body.encode("latin-1"))
    return [e.findtext("atom:id", namespaces=NS) or "" for e in root.iterfind("atom:entry", NS)]


def xml_time(text: str | None) -> datetime:
    assert text is not None
    return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))


# --- recorded responses of the live API ---------------------------------------------------------


def test_recorded_pages_are_fetched_in_order_and_parsed_faithfully(fake_arxiv: FakeArxiv) -> None:
    pages = [recorded(prefix) for prefix in TESTING_PAGES]
    for page in pages:
        fake_arxiv.add_fixture(page)
    client = make_client(fake_arxiv.url, page_size=10)

    results = list(client.results(arxiv.Search(query="testing", max_results=60)))

    assert len(results) == 60
    assert starts(fake_arxiv) == [0, 10, 20, 30, 40, 50]
    assert {r["params"]["max_results"] for r in fake_arxiv.requests} == {"10"}
    assert fake_arxiv.replayed == set(fake_arxiv.replay), "a recorded page was never requested"
    assert client.requests_made == 6
    expected_ids = [entry_id for page in pages for entry_id in entry_ids(page["body"])]
    assert [r.entry_id for r in results] == expected_ids

    entry = first_entry(pages[0]["body"])
    short_id = (entry.findtext("atom:id", namespaces=NS) or "").split("arxiv.org/abs/")[-1]
    base_id, _, version = short_id.rpartition("v")
    comment = entry.findtext("arxiv:comment", namespaces=NS)
    journal_ref = entry.findtext("arxiv:journal_ref", namespaces=NS)
    doi = entry.findtext("arxiv:doi", namespaces=NS)
    primary = entry.find("arxiv:primary_category", NS)
    assert comment and journal_ref and doi and primary is not None, "fixture lacks fields"
    assert base_id == "2202.12139"

    paper = to_paper(results[0])

    assert paper.arxiv_id == base_id
    assert paper.version == int(version) == 1
    assert paper.title == " ".join((entry.findtext("atom:title", namespaces=NS) or "").split())
    assert paper.authors == [
        a.findtext("atom:name", namespaces=NS) for a in entry.iterfind("atom:author", NS)
    ]
    assert len(paper.authors) > 1
    assert paper.categories == [c.get("term") for c in entry.iterfind("atom:category", NS)]
    assert paper.primary_category == primary.get("term")
    assert paper.comment == comment
    assert paper.journal_ref == journal_ref
    assert paper.doi == doi
    assert paper.published == xml_time(entry.findtext("atom:published", namespaces=NS))
    assert paper.updated == xml_time(entry.findtext("atom:updated", namespaces=NS))
    assert paper.abstract == " ".join((entry.findtext("atom:summary", namespaces=NS) or "").split())


@pytest.mark.parametrize(
    ("fixture", "asked", "arxiv_id", "version", "authors"),
    [
        ("id_astro-ph_0601001", "astro-ph/0601001", "astro-ph/0601001", 1, 4),
        ("id_quant-ph_0201082v1", "quant-ph/0201082v1", "quant-ph/0201082", 1, 1),
        ("id_2104.12255v1", "2104.12255v1", "2104.12255", 1, 1),
    ],
)
def test_old_style_ids_and_versions_are_split_correctly(
    fake_arxiv: FakeArxiv, fixture: str, asked: str, arxiv_id: str, version: int, authors: int
) -> None:
    fake_arxiv.add_fixture(recorded(fixture))
    client = make_client(fake_arxiv.url, page_size=100)

    results = list(client.results(arxiv.Search(id_list=[asked], max_results=100)))

    assert fake_arxiv.replayed == set(fake_arxiv.replay)
    assert len(results) == 1
    paper = to_paper(results[0])
    assert paper.arxiv_id == arxiv_id
    assert paper.version == version
    assert len(paper.authors) == authors
    assert paper.abs_url == f"https://arxiv.org/abs/{arxiv_id}"


def test_recorded_empty_result_yields_nothing_without_error(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add_fixture(recorded("id_0000.0000"))
    client = make_client(fake_arxiv.url, page_size=100)

    results = list(client.results(arxiv.Search(id_list=["0000.0000"], max_results=100)))

    assert results == []
    assert fake_arxiv.replayed == set(fake_arxiv.replay)
    assert len(fake_arxiv.requests) == 1


def test_refused_query_reports_arxivs_error_text_without_retrying(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add_fixture(recorded("id_abc"))
    client = make_client(fake_arxiv.url, page_size=100)

    with pytest.raises(FetchError) as caught:
        list(client.results(arxiv.Search(id_list=["abc"], max_results=100)))

    assert "incorrect id format for abc" in str(caught.value)
    assert "400" in str(caught.value)
    assert not isinstance(caught.value, TransientFetchError)
    assert len(fake_arxiv.requests) == 1
    assert caught.value.attempts == 1


# --- transient faults ---------------------------------------------------------------------------


def test_two_server_errors_are_retried_then_the_page_is_served(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.entries = snn_entries(3, utc_now())
    fake_arxiv.script += [Reply(503), Reply(503)]
    client = make_client(fake_arxiv.url)

    papers = list(search(client, "all:spiking"))

    assert [p.arxiv_id for p in papers] == [e.arxiv_id for e in oldest_first(fake_arxiv.entries)]
    assert len(fake_arxiv.requests) == 3
    assert client.requests_made == 3


def test_server_errors_forever_give_up_after_the_bounded_retries(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.entries = snn_entries(3, utc_now())
    fake_arxiv.script += [Reply(503) for _ in range(6)]
    client = make_client(fake_arxiv.url, retries=2)

    with pytest.raises(FetchError) as caught:
        list(search(client, "all:spiking"))

    assert len(fake_arxiv.requests) == 3
    assert caught.value.attempts == 3
    assert "gave up" in str(caught.value)
    assert "503" in str(caught.value)


def test_too_many_requests_waits_at_least_retry_after(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.entries = snn_entries(2, utc_now())
    fake_arxiv.script.append(Reply(429, b"slow down", {"Retry-After": "2"}))
    sleeps: list[float] = []
    client = make_client(fake_arxiv.url, sleeps=sleeps)

    papers = list(search(client, "all:spiking"))

    assert len(papers) == 2
    assert len(fake_arxiv.requests) == 2
    assert sleeps, "the client retried without waiting"
    assert max(sleeps) >= 2


def test_truncated_page_is_retried_not_taken_for_a_short_page(fake_arxiv: FakeArxiv) -> None:
    entries = snn_entries(4, utc_now())
    fake_arxiv.entries = entries
    whole = atom_feed(oldest_first(entries), len(entries), 0, 10)
    fake_arxiv.script.append(Reply(200, whole[: len(whole) // 2]))
    client = make_client(fake_arxiv.url, page_size=10)

    papers = list(search(client, "all:spiking"))

    assert [p.arxiv_id for p in papers] == [e.arxiv_id for e in oldest_first(entries)]
    # the same page again: not the salvaged half taken as a short page and paged on from there
    assert starts(fake_arxiv) == [0, 0]


def test_empty_first_page_with_results_reported_is_retried(fake_arxiv: FakeArxiv) -> None:
    entries = snn_entries(5, utc_now())
    fake_arxiv.entries = entries
    fake_arxiv.script.append(Reply(200, atom_feed([], 5, 0, 10)))
    client = make_client(fake_arxiv.url, page_size=10)

    papers = list(search(client, "all:spiking"))

    assert len(papers) == 5
    assert starts(fake_arxiv) == [0, 0]


def test_empty_page_in_the_middle_of_paging_is_retried(fake_arxiv: FakeArxiv) -> None:
    entries = snn_entries(6, utc_now())
    fake_arxiv.entries = entries
    ordered = oldest_first(entries)
    fake_arxiv.script += [
        Reply(200, atom_feed(ordered[0:2], 6, 0, 2)),
        Reply(200, atom_feed([], 6, 2, 2)),
    ]
    client = make_client(fake_arxiv.url, page_size=2)

    papers = list(search(client, "all:spiking"))

    assert [p.arxiv_id for p in papers] == [e.arxiv_id for e in ordered]
    assert starts(fake_arxiv) == [0, 2, 2, 4]


def test_hanging_server_times_out_and_gives_up_after_retries(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.entries = snn_entries(2, utc_now())
    fake_arxiv.script += [Reply(delay=3) for _ in range(3)]
    client = make_client(fake_arxiv.url, timeout_seconds=0.5, retries=2)

    with pytest.raises(FetchError) as caught:
        list(search(client, "all:spiking"))

    assert "no answer within 0.5 s" in str(caught.value)
    assert "gave up" in str(caught.value)
    assert len(fake_arxiv.requests) == 3
    assert caught.value.attempts == 3


def test_refused_connection_says_it_cannot_connect() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(f"http://127.0.0.1:{port}/api/query", retries=2)

    with pytest.raises(FetchError) as caught:
        list(search(client, "all:spiking"))

    assert "cannot connect" in str(caught.value)
    assert caught.value.attempts == 3
    assert client.requests_made == 3


# --- politeness and the query we send -----------------------------------------------------------


def test_requests_are_spaced_by_the_politeness_delay(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.entries = snn_entries(6, utc_now())
    client = make_client(fake_arxiv.url, delay_seconds=0.3, page_size=2, sleep=time.sleep)

    papers = list(search(client, "all:spiking"))

    assert len(papers) == 6
    times = [r["time"] for r in fake_arxiv.requests]
    assert len(times) == 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert all(gap >= 0.3 - 0.02 for gap in gaps), gaps
    assert client.requests_made == 3


def test_search_asks_for_and_returns_oldest_submission_first(fake_arxiv: FakeArxiv) -> None:
    entries = snn_entries(5, utc_now())
    fake_arxiv.entries = entries
    client = make_client(fake_arxiv.url, page_size=2)

    papers = list(search(client, "all:spiking"))

    assert [p.arxiv_id for p in papers] == [e.arxiv_id for e in oldest_first(entries)]
    published = [p.published for p in papers]
    assert published == sorted(published)
    assert published[0] < published[-1]
    for request in fake_arxiv.requests:
        assert request["params"]["sortBy"] == "submittedDate"
        assert request["params"]["sortOrder"] == "ascending"
        assert request["params"]["search_query"] == "all:spiking"


def test_every_request_identifies_snn_feed_in_its_user_agent(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.entries = snn_entries(4, utc_now())
    fake_arxiv.script.append(Reply(503))
    client = make_client(fake_arxiv.url, page_size=2)

    list(search(client, "all:spiking"))

    assert len(fake_arxiv.requests) == 3  # a retry and a second page
    for request in fake_arxiv.requests:
        assert request["headers"]["User-Agent"].startswith("snn-feed/")
