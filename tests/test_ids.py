"""arXiv ids and the log's line patterns (snn_feed.ids): every real id in the fixtures reads as
itself, and nothing hostile (quotes, a newline, markup, a path, a URL, a number of the wrong
length) reads as an id."""

from __future__ import annotations

import csv
import json
import re

import pytest
from conftest import SEED_LOG
from fakes import FIXTURES

from snn_feed import ids

PAPERS = list(csv.DictReader((FIXTURES / "snn-papers" / "snn-papers.csv").open(encoding="utf-8")))


def recorded_ids() -> list[str]:
    """The versioned ids in the entries arXiv's API sent (tests/fixtures/arxiv)."""
    found = []
    for path in sorted((FIXTURES / "arxiv").glob("*.json")):
        body = json.loads(path.read_text())["body"]
        found += re.findall(r"<id>https?://arxiv\.org/abs/([^<]+)</id>", body)
    return sorted(set(found))


def feed_ids() -> list[str]:
    """The versioned ids in the announcement feed's guids (tests/fixtures/rss)."""
    text = (FIXTURES / "rss" / "cs.NE-2026-05-15-fri.xml").read_text(encoding="utf-8")
    return re.findall(r"<guid[^>]*>oai:arXiv\.org:([^<]+)</guid>", text)


RECORDED = recorded_ids()
OLD_STYLE = ["astro-ph/0601001", "quant-ph/0201082", "cs/0101001", "math.GT/0309136",
             "hep-th/9901001", "q-bio/0501001", "cond-mat/0208415"]  # fmt: skip

HOSTILE = [
    "",
    " ",
    "2011.00888\n",  # a newline after it: not one id
    "2011.00888\nmalicious",
    '2011.00888"',
    "'2011.00888'",
    "2011.00888)",
    "<b>2011.00888</b>",
    "2011.00888<script>",
    "../2011.00888",
    "2011.00888/../../etc/passwd",
    "/etc/passwd",
    "cs/../0101001",
    "https://arxiv.org/abs/2011.00888",  # a URL is not an id (normalize takes it)
    "arxiv.org/abs/2011.00888",
    "2011.008881",  # six digits after the dot
    "201100888",
    "123456",
    "12345.67890",
    "2011.888",
    "2011.00888v",
    "2011.00888v2x",
    "2011.00888.pdf",
    "cs/010100",  # six digits
    "cs/01010011",
    "CS/0101001",  # archives are lowercase
    "-cs/0101001",
    "hep-/9901001",
    "hep--th/9901001",
    "math.G/0309136",  # a one-letter subject class
    "math GT/0309136",
    "２０１１.００８８８",  # full-width digits are digits to \d, not to arXiv
    "2011.00888v２",
]


# --- the id grammar ------------------------------------------------------------------------------


def test_the_fixtures_hold_both_styles_and_both_lengths() -> None:
    versionless = {ids.split_version(v)[0] for v in RECORDED}
    assert {"astro-ph/0601001", "quant-ph/0201082", "1605.08386", "2104.12255"} <= versionless
    assert len(PAPERS) > 3000 and feed_ids()


def test_every_real_snn_paper_id_is_an_id_and_loses_only_its_version() -> None:
    wrong = [
        row["id_with_version"]
        for row in PAPERS
        if not (
            ids.is_id(row["id"])
            and ids.NEW_STYLE_ID.fullmatch(row["id"])
            and ids.split_version(row["id_with_version"])
            == (row["id"], int(row["id_with_version"].rpartition("v")[2]))
            and ids.normalize(row["id_with_version"]) == row["id"]
        )
    ]
    assert wrong == []


@pytest.mark.parametrize("versioned", RECORDED + feed_ids())
def test_ids_arxiv_sent_read_back_with_their_version(versioned: str) -> None:
    match = ids.VERSIONED_ID.fullmatch(versioned)
    assert match, versioned
    assert (match["id"], int(match["version"])) == ids.split_version(versioned)
    assert ids.is_id(match["id"]) and ids.normalize(versioned) == match["id"]


@pytest.mark.parametrize("arxiv_id", [*OLD_STYLE, "0704.0001", "1412.9999", "2605.15058"])
def test_old_and_new_style_ids_are_ids(arxiv_id: str) -> None:
    assert ids.is_id(arxiv_id)
    assert ids.normalize(f"{arxiv_id}v3") == arxiv_id
    assert bool(ids.NEW_STYLE_ID.fullmatch(arxiv_id)) == ("/" not in arxiv_id)


@pytest.mark.parametrize("text", HOSTILE)
def test_nothing_hostile_is_an_id(text: str) -> None:
    assert not ids.is_id(text)
    assert not ids.VERSIONED_ID.fullmatch(text)
    assert not ids.NEW_STYLE_ID.fullmatch(text)


# normalize takes surrounding white space and a URL by design.
@pytest.mark.parametrize(
    "text", [t for t in HOSTILE if t.strip() == t and not t.startswith(("https:", "arxiv."))]
)
def test_nothing_hostile_normalizes_to_an_id(text: str) -> None:
    assert ids.normalize(text) is None


# --- normalize (for the sources' input checks, issue #14; not used yet) --------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2011.00888", "2011.00888"),
        ("  2011.00888\t", "2011.00888"),
        ("2011.00888v2", "2011.00888"),
        ("2011.00888V2", "2011.00888"),
        ("2011.00888/", "2011.00888"),
        ("arXiv:2011.00888v1", "2011.00888"),
        ("ARXIV:2011.00888", "2011.00888"),
        ("https://arxiv.org/abs/2011.00888v2", "2011.00888"),
        ("http://export.arxiv.org/abs/2011.00888/", "2011.00888"),
        ("https://arxiv.org/pdf/cs/0101001v1", "cs/0101001"),
        ("https://www.arxiv.org/abs/math.GT/0309136", "math.GT/0309136"),
        ("2011.00888v0", None),  # versions start at 1
        ("2011.00888\n", "2011.00888"),
        ("2011.00888//", None),
        ("https://evil.example/abs/2011.00888", None),
        ("https://arxiv.org/abs/2011.00888?x=1", None),
        ("arXiv: 2011.00888 2011.00889", None),
    ],
)
def test_normalize_takes_what_people_and_feeds_write(raw: str, expected: str | None) -> None:
    assert ids.normalize(raw) == expected


# --- ids in links --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[paper](https://arxiv.org/abs/2011.00888v2)", ("2011.00888", "2")),
        ("[pdf](https://arxiv.org/pdf/2011.00888.pdf)", ("2011.00888", None)),
        ("http://export.arxiv.org/abs/2401.12345", ("2401.12345", None)),
        ("https://ArXiv.org/abs/2401.12345", ("2401.12345", None)),
        ("[paper](https://arxiv.org/abs/cs/0101001v2)", ("cs/0101001", "2")),
        ("[paper](https://arxiv.org/pdf/quant-ph/0201082v1)", ("quant-ph/0201082", "1")),
        ("[paper](https://arxiv.org/abs/math.GT/0309136)", ("math.GT/0309136", None)),
        ("https://arxiv.org/list/cs.NE/new", None),
        ("https://arxiv.org/abs/", None),
        ("https://arxiv.org/abs/<script>", None),
        ("功耗为0.751~mW，版本1.2.3, 2011.00888 without a link", None),
    ],
)
def test_abs_and_pdf_links_give_their_paper(text: str, expected: tuple[str, str] | None) -> None:
    match = ids.ABS_URL.search(text)
    assert (match["id"], match["version"]) == expected if match else expected is None


# --- the log's lines -----------------------------------------------------------------------------


SEED = SEED_LOG.read_text(encoding="utf-8")


def test_every_paper_the_seed_log_links_is_an_entrys_own_link() -> None:
    linked = {m["id"] for m in ids.ABS_URL.finditer(SEED)}
    own = {ids.linked_id(m.group(1)) for m in ids.OWN_LINK.finditer(SEED)}
    assert len(linked) >= 4 and own == linked
    assert all(ids.is_id(i) for i in own)


@pytest.mark.parametrize(
    ("line", "month", "dated"),
    [
        ("## 2020.11", (2020, 11), (2020, 11)),
        ("## 2026.05 ", (2026, 5), (2026, 5)),
        ("##\t2020.9", (2020, 9), (2020, 9)),
        ("## 2020.7~8", None, (2020, 7)),
        ("##  2020.3.14~3.25", None, (2020, 3)),
        ("## 2019.12.23~31", None, (2019, 12)),
        ("## Archive", None, None),
        ("### 2020.11", None, None),
        ("##2020.11", None, None),
        ("# 2020.11", None, None),
        (" ## 2020.11", None, None),
        ("## 2020.", None, None),
    ],
)
def test_month_and_dated_headings(
    line: str, month: tuple[int, int] | None, dated: tuple[int, int] | None
) -> None:
    def key(m: re.Match[str] | None) -> tuple[int, int] | None:
        return (int(m.group(1)), int(m.group(2))) if m else None

    assert key(ids.MONTH_HEADING.match(line)) == month
    assert key(ids.DATED_HEADING.match(line)) == dated


def test_every_dated_heading_of_the_seed_log_is_dated() -> None:
    headings = [line for line in SEED.splitlines() if re.match(r"##\s+\d", line)]
    assert len(headings) > 20
    assert all(ids.DATED_HEADING.match(h) for h in headings)


@pytest.mark.parametrize(
    ("text", "own"),
    [
        ('- [3] [Ada] T. [paper](https://arxiv.org/abs/2011.00888v2 "摘要")', {"2011.00888"}),
        ("- [3] [Ada] T. [paper](https://arxiv.org/abs/2011.00888/)", {"2011.00888"}),
        ("- [3] [Ada] T. [paper](https://arxiv.org/abs/cs/0101001v1)", {"cs/0101001"}),
        ("  cites [paper](https://arxiv.org/abs/2011.00888)", set()),  # not an entry's first line
        ("- [3] [Ada] T.\n  [paper](https://arxiv.org/abs/2011.00888)", set()),
        ("- [3] [Ada] \\[paper\\](https://arxiv.org/abs/2011.00888)", set()),  # escaped: text
        ("- [3] [Ada] T. see arXiv:2011.00889 [paper](https://arxiv.org/abs/2011.00888)",
         {"2011.00888"}),
    ],
)  # fmt: skip
def test_an_entrys_own_link_is_on_its_first_line(text: str, own: set[str]) -> None:
    assert {ids.linked_id(m.group(1)) for m in ids.OWN_LINK.finditer(text)} == own


def test_lines_end_only_at_markdown_line_endings() -> None:
    text = "a\r\nb\rc\u2028d\ne"
    assert ids.LINE.findall(text) == ["a\r\n", "b\r", "c\u2028d\n", "e"]
    assert "".join(ids.LINE.findall(SEED)) == SEED
