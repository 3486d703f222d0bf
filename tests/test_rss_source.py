"""`snn_feed.sources.announcements`: arXiv's announcement feeds parsed from files in the real format
(tests/fixtures/rss), and fetched from a local fake feed server with conditional requests and
scripted faults."""

from __future__ import annotations

import re
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from fake_rss import FakeRss, header, rss_fixture
from fakes import Reply, running

from snn_feed.errors import ConfigError, FeedFormatError, FetchError
from snn_feed.sources.announcements import (
    USER_AGENT,
    AnnounceType,
    Feed,
    RssClient,
    Validators,
    parse_feed,
    split_authors,
)

WEEKDAY = "cs.NE-2026-05-15-fri.xml"
WEEKEND = "cs.NE-2026-05-16-sat-empty.xml"
NS = {"arxiv": "http://arxiv.org/schemas/atom", "dc": "http://purl.org/dc/elements/1.1/"}


def weekday() -> Feed:
    return parse_feed(rss_fixture(WEEKDAY))


def raw_items(name: str = WEEKDAY) -> list[ET.Element]:
    """The fixture's <item>s read with the standard library, to check our parser against."""
    return ET.fromstring(rss_fixture(name)).findall("channel/item")


def with_items(*items: str, source: str = WEEKDAY) -> bytes:
    """The fixture's channel (namespaces, dates, skipDays) with `items` instead of its own."""
    text = rss_fixture(source).decode()
    head = text[: text.index("    </skipDays>\n") + len("    </skipDays>\n")]
    return (head + "".join(items) + "  </channel>\n</rss>\n").encode()


def item_xml(
    *,
    vid: str = "2605.15058v1",
    kind: str = "new",
    title: str = "A spiking paper",
    abstract: str = "Spiking neural networks are studied.",
    creator: str = "Ada Lovelace",
    categories: tuple[str, ...] = ("cs.NE",),
    guid: str | None = None,
    raw_title: str | None = None,
) -> str:
    """One <item> laid out as arXiv's feed service writes it."""
    versionless = vid.rsplit("v", 1)[0]
    cats = "".join(f"      <category>{c}</category>\n" for c in categories)
    return (
        "    <item>\n"
        f"      <title>{raw_title if raw_title is not None else escape(title)}</title>\n"
        f"      <link>https://arxiv.org/abs/{versionless}</link>\n"
        f"      <description>arXiv:{vid} Announce Type: {kind} \n"
        f"Abstract: {escape(abstract)}</description>\n"
        f'      <guid isPermaLink="false">{guid if guid is not None else "oai:arXiv.org:" + vid}'
        "</guid>\n"
        f"{cats}"
        "      <pubDate>Fri, 15 May 2026 00:00:00 -0400</pubDate>\n"
        f"      <arxiv:announce_type>{kind}</arxiv:announce_type>\n"
        "      <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>\n"
        f"      <dc:creator>{escape(creator)}</dc:creator>\n"
        "    </item>\n"
    )


# --- parsing the real format --------------------------------------------------------------------


def test_weekday_feed_has_one_record_per_item_with_each_announce_type() -> None:
    feed = weekday()

    guids = [e.findtext("guid") for e in raw_items()]
    assert [f"oai:arXiv.org:{i.arxiv_id}v{i.version}" for i in feed.items] == guids
    assert [i.announce_type.value for i in feed.items] == [
        e.findtext("arxiv:announce_type", namespaces=NS) for e in raw_items()
    ]
    assert {i.announce_type for i in feed.items} == set(AnnounceType)
    assert feed.skipped == 0


def test_announcement_day_is_the_channels_us_eastern_date() -> None:
    feed = weekday()

    assert feed.announced_on == date(2026, 5, 15)
    assert all(i.announced == datetime(2026, 5, 15, 4, 0, tzinfo=UTC) for i in feed.items)


def test_ids_are_versionless_with_the_version_apart() -> None:
    by_id = {i.arxiv_id: i for i in weekday().items}

    assert by_id["2605.15058"].version == 1
    assert by_id["2605.10679"].version == 2
    assert by_id["2605.07653"].version == 2
    assert all(not re.search(r"v\d+$", arxiv_id) for arxiv_id in by_id)


def test_abstract_is_the_text_after_abstract_without_the_announce_line() -> None:
    for item, raw in zip(weekday().items, raw_items(), strict=True):
        description = raw.findtext("description") or ""
        assert item.abstract == " ".join(description.split("Abstract:", 1)[1].split())
        assert "Announce Type" not in item.abstract
        assert not item.abstract.startswith(("arXiv:", " "))


def test_escaped_characters_in_an_abstract_come_back_as_text() -> None:
    item = next(i for i in weekday().items if i.arxiv_id == "2605.14252")

    assert "entropy & align" in item.abstract
    assert "$T<4$" in item.abstract
    assert r"$2.3\times$" in item.abstract


def test_titles_categories_and_primary_category_as_listed() -> None:
    feed = weekday()

    for item, raw in zip(feed.items, raw_items(), strict=True):
        assert item.title == raw.findtext("title")
        assert item.categories == [c.text for c in raw.findall("category")]
    cross = next(i for i in feed.items if i.announce_type is AnnounceType.CROSS)
    assert cross.to_paper().primary_category == "q-bio.NC"
    assert "cs.NE" in cross.categories


def test_authors_are_split_on_commas_never_on_and() -> None:
    by_id = {i.arxiv_id: i for i in weekday().items}

    assert by_id["2605.07653"].authors == ["Pei Zhang", "Anand Ramasubramanian", "Andrea Sandberg"]
    assert by_id["2605.15101"].authors == ["Hannah Müller", "Rahul Anand"]
    assert by_id["2605.15058"].authors[1] == "Maria van der Berg"


def test_affiliations_in_parentheses_are_dropped_with_their_commas() -> None:
    by_id = {i.arxiv_id: i for i in weekday().items}

    assert by_id["2605.15058"].authors == [
        "Alessio Caviglia",
        "Maria van der Berg",
        "Luca De Santis",
    ]
    assert by_id["2605.14319"].authors == ["Wilten Nicola", "Sue Ann Campbell"]


@pytest.mark.parametrize(
    ("creator", "names"),
    [
        (" ATLAS Collaboration, Jane Roe", ["ATLAS Collaboration", "Jane Roe"]),
        ("A. Smith (Lab (North), Univ), B. Jones", ["A. Smith", "B. Jones"]),
        ("Dev Anand,  Ana  Lopez ", ["Dev Anand", "Ana Lopez"]),
        ("Unclosed (Univ, B. Jones", ["Unclosed (Univ", "B. Jones"]),
        ("", []),
    ],
)
def test_split_authors_awkward_lines(creator: str, names: list[str]) -> None:
    assert split_authors(creator) == names


def test_replacements_are_marked_and_carry_doi_and_journal_ref() -> None:
    feed = weekday()
    replacements = [i for i in feed.items if i.is_replacement]

    assert {i.announce_type for i in replacements} == {
        AnnounceType.REPLACE,
        AnnounceType.REPLACE_CROSS,
    }
    replaced = next(i for i in replacements if i.arxiv_id == "2605.10679")
    raw = next(e for e in raw_items() if "2605.10679" in (e.findtext("guid") or ""))
    assert replaced.doi == raw.findtext("arxiv:DOI", namespaces=NS)
    assert replaced.journal_ref == raw.findtext("arxiv:journal_reference", namespaces=NS)
    assert not any(i.is_replacement for i in feed.items if i.version == 1)


def test_items_convert_to_papers_dated_by_their_announcement() -> None:
    paper = next(i for i in weekday().items if i.arxiv_id == "2605.10679").to_paper()

    assert paper.arxiv_id == "2605.10679"
    assert paper.version == 2
    assert paper.abs_url == "https://arxiv.org/abs/2605.10679"
    assert paper.first_author == "Pascal Harmeling"
    assert paper.primary_category == "cs.NE"
    assert paper.published == paper.updated == datetime(2026, 5, 15, 4, 0, tzinfo=UTC)
    assert paper.published.tzinfo is not None
    assert paper.doi and paper.journal_ref


def test_weekend_feed_is_empty_but_dated() -> None:
    feed = parse_feed(rss_fixture(WEEKEND))

    assert feed.items == []
    assert feed.papers() == []
    assert feed.announced_on == date(2026, 5, 16)
    assert feed.announced_on.weekday() == 5  # a Saturday


def test_last_build_date_dates_a_channel_without_pub_date() -> None:
    data = re.sub(rb"    <pubDate>[^<]*</pubDate>\n", b"", rss_fixture(WEEKDAY), count=1)
    assert data.count(b"<pubDate>") == len(raw_items())  # only the channel's was removed

    feed = parse_feed(data)

    assert feed.announced_on == date(2026, 5, 15)  # 04:00:27 UTC is just after midnight Eastern


def test_old_style_ids_keep_their_archive() -> None:
    feed = parse_feed(
        with_items(
            item_xml(vid="cs/0101001v2", kind="replace-cross"),
            item_xml(vid="math.GT/0309136v1", kind="cross"),
        )
    )

    assert [(i.arxiv_id, i.version) for i in feed.items] == [
        ("cs/0101001", 2),
        ("math.GT/0309136", 1),
    ]
    assert feed.items[0].to_paper().abs_url == "https://arxiv.org/abs/cs/0101001"


def test_id_is_taken_from_the_description_when_the_guid_is_not_arxivs() -> None:
    feed = parse_feed(with_items(item_xml(vid="2605.00001v3", guid="urn:uuid:1234")))

    assert [(i.arxiv_id, i.version) for i in feed.items] == [("2605.00001", 3)]


def test_wrapped_title_and_abstract_are_joined_with_single_spaces() -> None:
    feed = parse_feed(
        with_items(
            item_xml(
                title="Spiking Transformers\n      for Event\tStreams",
                abstract="First line\n  of the abstract.\n\nSecond paragraph.  ",
            )
        )
    )

    assert feed.items[0].title == "Spiking Transformers for Event Streams"
    assert feed.items[0].abstract == "First line of the abstract. Second paragraph."


def test_item_without_any_arxiv_id_is_skipped_and_counted() -> None:
    broken = item_xml(vid="2605.00002v1").replace("2605.00002", "not-an-id")
    feed = parse_feed(with_items(item_xml(vid="2605.00001v1"), broken))

    assert [i.arxiv_id for i in feed.items] == ["2605.00001"]
    assert feed.skipped == 1


def test_item_with_an_unknown_announce_type_is_skipped() -> None:
    feed = parse_feed(with_items(item_xml(vid="2605.00001v1", kind="absonly"), item_xml()))

    assert [i.arxiv_id for i in feed.items] == ["2605.15058"]
    assert feed.skipped == 1


# --- hostile and broken documents ---------------------------------------------------------------


def test_markup_in_a_title_stays_text() -> None:
    hostile = (
        '<script>alert("x")</script> <img src=x onerror=alert(1)> Spiking & [link](javascript:)'
    )
    feed = parse_feed(
        with_items(
            item_xml(vid="2605.00001v1", title=hostile),
            item_xml(vid="2605.00002v1", raw_title="<![CDATA[<b>bold</b> & <i>spiking</i>]]>"),
        )
    )

    assert feed.items[0].title == hostile
    assert feed.items[1].title == "<b>bold</b> & <i>spiking</i>"


def test_entities_are_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    data = with_items(item_xml(raw_title="Spiking &xxe; &local; networks"))
    data = data.replace(
        b"<rss ",
        f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{secret.as_uri()}"><!ENTITY local "EXPANDED">]>\n'
        "<rss ".encode(),
        1,
    )

    feed = parse_feed(data)

    text = repr(feed)
    assert "TOP-SECRET-CONTENT" not in text
    assert "EXPANDED" not in text
    assert feed.items[0].title.startswith("Spiking")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(rss_fixture(WEEKDAY)[: len(rss_fixture(WEEKDAY)) // 2], id="cut-short"),
        pytest.param(b"", id="empty"),
        pytest.param(b"<rss><channel><item></rss>", id="unbalanced"),
        pytest.param(b"\x00\x01binary", id="binary"),
    ],
)
def test_malformed_xml_is_a_feed_format_error(data: bytes) -> None:
    with pytest.raises(FeedFormatError, match="not valid XML"):
        parse_feed(data)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"<html><body><h1>Service unavailable</h1></body></html>", id="html-page"),
        pytest.param(
            b'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>', id="atom"
        ),
    ],
)
def test_a_document_that_is_not_rss_is_a_feed_format_error(data: bytes) -> None:
    with pytest.raises(FeedFormatError, match="not an RSS feed"):
        parse_feed(data)


def test_a_channel_without_any_date_is_a_feed_format_error() -> None:
    data = re.sub(rb"<(pubDate|lastBuildDate)>[^<]*</\1>", b"", rss_fixture(WEEKEND))

    with pytest.raises(FeedFormatError, match="no pubDate"):
        parse_feed(data)


def test_feed_format_error_is_a_fetch_error() -> None:
    with pytest.raises(FetchError):
        parse_feed(b"not xml")


# --- fetching -----------------------------------------------------------------------------------


@pytest.fixture
def fake_rss() -> Iterator[FakeRss]:
    with running(FakeRss()) as server:
        yield server


def make_client(base: str, sleeps: list[float] | None = None, **options: Any) -> RssClient:
    """A client for the fake; its backoff sleeps are recorded, not slept."""
    values: dict[str, Any] = {"timeout_seconds": 2.0, "retries": 2, "backoff_seconds": 0.01}
    values.update(options)
    record = sleeps if sleeps is not None else []
    return RssClient(base_url=base, sleep=record.append, **values)


def test_fetch_reads_the_feed_and_remembers_its_validators(fake_rss: FakeRss) -> None:
    fake_rss.serve("cs.NE", rss_fixture(WEEKDAY))

    with make_client(fake_rss.base) as client:
        result = client.fetch(["cs.NE"])

    assert result.feed is not None
    assert [i.arxiv_id for i in result.feed.items] == [i.arxiv_id for i in weekday().items]
    assert result.validators.url == f"{fake_rss.base}/rss/cs.NE"
    assert result.validators.etag == FakeRss.etag(rss_fixture(WEEKDAY))
    assert result.validators.last_modified == "Fri, 15 May 2026 04:00:27 GMT"
    (request,) = fake_rss.requests
    assert request["path"] == "/rss/cs.NE"
    assert header(request, "If-None-Match") is None
    assert header(request, "If-Modified-Since") is None


def test_every_request_names_snn_feed_in_its_user_agent(fake_rss: FakeRss) -> None:
    fake_rss.serve("cs.NE", rss_fixture(WEEKDAY))
    fake_rss.fail(503)

    with make_client(fake_rss.base) as client:
        client.fetch(["cs.NE"])

    assert len(fake_rss.requests) == 2
    for request in fake_rss.requests:
        assert header(request, "User-Agent") == USER_AGENT
        assert USER_AGENT.startswith("snn-feed/")


def test_unchanged_feed_answers_304_and_fetch_returns_none(fake_rss: FakeRss) -> None:
    fake_rss.serve("cs.NE", rss_fixture(WEEKDAY))
    with make_client(fake_rss.base) as client:
        first = client.fetch(["cs.NE"])

        second = client.fetch(["cs.NE"], first.validators)

    assert second.feed is None
    assert second.validators == first.validators
    conditional = fake_rss.requests[1]
    assert header(conditional, "If-None-Match") == first.validators.etag
    assert header(conditional, "If-Modified-Since") == first.validators.last_modified


def test_changed_feed_is_served_despite_old_validators(fake_rss: FakeRss) -> None:
    fake_rss.serve(
        "cs.NE", rss_fixture(WEEKEND), modified=datetime(2026, 5, 16, 4, 0, 2, tzinfo=UTC)
    )
    with make_client(fake_rss.base) as client:
        saturday = client.fetch(["cs.NE"])
        fake_rss.serve("cs.NE", rss_fixture(WEEKDAY), modified=datetime(2026, 5, 18, 4, tzinfo=UTC))

        monday = client.fetch(["cs.NE"], saturday.validators)

    assert saturday.feed is not None and saturday.feed.items == []
    assert monday.feed is not None and len(monday.feed.items) == len(raw_items())
    assert monday.validators.etag != saturday.validators.etag
    assert header(fake_rss.requests[1], "If-None-Match") == saturday.validators.etag


def test_last_modified_alone_makes_a_conditional_request(fake_rss: FakeRss) -> None:
    fake_rss.serve("cs.NE", rss_fixture(WEEKDAY))
    url = f"{fake_rss.base}/rss/cs.NE"
    with make_client(fake_rss.base) as client:
        result = client.fetch(
            ["cs.NE"], Validators(url, last_modified="Fri, 15 May 2026 05:00:00 GMT")
        )

    assert result.feed is None
    assert header(fake_rss.requests[0], "If-None-Match") is None


def test_a_feed_served_without_validators_is_fetched_whole_next_time(fake_rss: FakeRss) -> None:
    fake_rss.serve("cs.NE", rss_fixture(WEEKDAY))
    fake_rss.script.append(
        Reply(200, rss_fixture(WEEKDAY), {"Content-Type": "application/rss+xml"})
    )
    with make_client(fake_rss.base) as client:
        first = client.fetch(["cs.NE"])

        second = client.fetch(["cs.NE"], first.validators)

    assert first.validators.etag is None and first.validators.last_modified is None
    assert second.feed is not None
    assert header(fake_rss.requests[1], "If-None-Match") is None
    assert header(fake_rss.requests[1], "If-Modified-Since") is None


def test_validators_of_other_categories_are_not_sent(fake_rss: FakeRss) -> None:
    fake_rss.serve("cs.NE", rss_fixture(WEEKDAY))
    fake_rss.serve("cs.NE+cs.LG", rss_fixture(WEEKDAY))
    with make_client(fake_rss.base) as client:
        only_ne = client.fetch(["cs.NE"])

        both = client.fetch(["cs.NE", "cs.LG"], only_ne.validators)

    assert both.feed is not None
    assert header(fake_rss.requests[1], "If-None-Match") is None
    assert both.validators.url.endswith("/rss/cs.NE+cs.LG")


def test_several_categories_are_one_request(fake_rss: FakeRss) -> None:
    fake_rss.serve("cs.NE+cs.LG+q-bio.NC", rss_fixture(WEEKDAY))

    with make_client(fake_rss.base + "/") as client:
        result = client.fetch(["cs.NE", "cs.LG", "cs.NE", " q-bio.NC"])

    assert result.feed is not None
    assert [r["path"] for r in fake_rss.requests] == ["/rss/cs.NE+cs.LG+q-bio.NC"]


@pytest.mark.parametrize("categories", [[], ["cs.NE", "cs.LG/../../etc"], ["cs.NE?x=1"]])
def test_bad_categories_are_refused_before_any_request(
    fake_rss: FakeRss, categories: list[str]
) -> None:
    with make_client(fake_rss.base) as client, pytest.raises(ConfigError):
        client.fetch(categories)

    assert fake_rss.requests == []


def test_a_category_arxiv_does_not_know_reports_its_reason_without_retrying(
    fake_rss: FakeRss,
) -> None:
    with make_client(fake_rss.base) as client, pytest.raises(FetchError) as caught:
        client.fetch(["cs.NEURO"])

    assert "Bad archive" in str(caught.value)
    assert "400" in str(caught.value)
    assert caught.value.attempts == 1
    assert len(fake_rss.requests) == 1


# --- transient faults ---------------------------------------------------------------------------


def test_a_burst_of_server_errors_is_retried_then_the_feed_is_served(fake_rss: FakeRss) -> None:
    fake_rss.serve("cs.NE", rss_fixture(WEEKDAY))
    fake_rss.fail(500, times=2)
    sleeps: list[float] = []

    with make_client(fake_rss.base, sleeps, retries=2) as client:
        result = client.fetch(["cs.NE"])
        made = client.requests_made

    assert result.feed is not None and result.feed.items
    assert len(fake_rss.requests) == made == 3
    assert len(sleeps) == 2
    assert sleeps[1] > sleeps[0]  # backing off


def test_server_errors_forever_give_up_after_the_named_retries(fake_rss: FakeRss) -> None:
    fake_rss.serve("cs.NE", rss_fixture(WEEKDAY))
    fake_rss.fail(503, times=10)

    with make_client(fake_rss.base, retries=3) as client, pytest.raises(FetchError) as caught:
        client.fetch(["cs.NE"])

    assert len(fake_rss.requests) == 4
    assert caught.value.attempts == 4
    assert caught.value.url == f"{fake_rss.base}/rss/cs.NE"
    assert "503" in str(caught.value)
    assert "gave up after 4 attempts" in str(caught.value)


def test_too_many_requests_waits_at_least_retry_after(fake_rss: FakeRss) -> None:
    fake_rss.serve("cs.NE", rss_fixture(WEEKDAY))
    fake_rss.fail(429, retry_after="7")
    sleeps: list[float] = []

    with make_client(fake_rss.base, sleeps) as client:
        result = client.fetch(["cs.NE"])

    assert result.feed is not None
    assert len(fake_rss.requests) == 2
    assert sleeps and max(sleeps) >= 7


def test_a_retry_after_beyond_the_cap_fails_at_once(fake_rss: FakeRss) -> None:
    fake_rss.serve("cs.NE", rss_fixture(WEEKDAY))
    fake_rss.fail(429, retry_after="86400")
    sleeps: list[float] = []

    with make_client(fake_rss.base, sleeps) as client, pytest.raises(FetchError) as caught:
        client.fetch(["cs.NE"])

    assert "asks to wait 86400 s" in str(caught.value)
    assert len(fake_rss.requests) == 1
    assert sleeps == []


def test_a_hanging_server_times_out_and_gives_up_after_the_retries(fake_rss: FakeRss) -> None:
    fake_rss.serve("cs.NE", rss_fixture(WEEKDAY))
    fake_rss.hang(3.0, times=2)

    with (
        make_client(fake_rss.base, timeout_seconds=0.3, retries=1) as client,
        pytest.raises(FetchError) as caught,
    ):
        client.fetch(["cs.NE"])

    assert "no answer within 0.3 s" in str(caught.value)
    assert "gave up after 2 attempts" in str(caught.value)
    assert caught.value.attempts == 2
    assert len(fake_rss.requests) == 2


def test_a_cut_short_feed_is_fetched_again(fake_rss: FakeRss) -> None:
    whole = rss_fixture(WEEKDAY)
    fake_rss.serve("cs.NE", whole)
    fake_rss.script.append(Reply(200, whole[: len(whole) // 2]))

    with make_client(fake_rss.base) as client:
        result = client.fetch(["cs.NE"])

    assert result.feed is not None
    assert len(result.feed.items) == len(raw_items())
    assert len(fake_rss.requests) == 2


def test_a_feed_that_stays_garbled_is_a_feed_format_error(fake_rss: FakeRss) -> None:
    fake_rss.script += [Reply(200, b"<html>maintenance</html>") for _ in range(3)]

    with make_client(fake_rss.base, retries=2) as client, pytest.raises(FeedFormatError) as caught:
        client.fetch(["cs.NE"])

    assert "not an RSS feed" in str(caught.value)
    assert caught.value.attempts == 3
    assert caught.value.url.endswith("/rss/cs.NE")


def test_a_connection_broken_mid_answer_is_retried(fake_rss: FakeRss) -> None:
    whole = rss_fixture(WEEKDAY)
    fake_rss.serve("cs.NE", whole)
    fake_rss.script.append(Reply(200, whole, cut=100))

    with make_client(fake_rss.base) as client:
        result = client.fetch(["cs.NE"])

    assert result.feed is not None and result.feed.items
    assert len(fake_rss.requests) == 2


def test_a_refused_connection_says_it_cannot_connect() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with make_client(f"http://127.0.0.1:{port}", retries=1) as client:
        with pytest.raises(FetchError) as caught:
            client.fetch(["cs.NE"])
        made = client.requests_made

    assert "cannot connect" in str(caught.value)
    assert caught.value.attempts == made == 2


def test_an_http_date_in_retry_after_is_honoured(fake_rss: FakeRss) -> None:
    fake_rss.serve("cs.NE", rss_fixture(WEEKDAY))
    later = datetime.now(UTC) + timedelta(seconds=60)
    fake_rss.fail(503, retry_after=later.strftime("%a, %d %b %Y %H:%M:%S GMT"))
    sleeps: list[float] = []

    with make_client(fake_rss.base, sleeps) as client:
        client.fetch(["cs.NE"])

    assert sleeps and 30 <= max(sleeps) <= 60
