"""Venue tags from the arXiv comment and journal reference: only where the paper was accepted
or published, only venues of the table, and no work wasted on hostile text."""

from __future__ import annotations

import re
import time
import tomllib
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from snn_feed.pipeline.venues import MAX_CHARS, Venue, canonical, names, table, venue_of

REPO = Path(__file__).resolve().parents[1]


def label(comment: str | None, journal_ref: str | None = None) -> str | None:
    venue = venue_of(comment, journal_ref)
    return venue.label() if venue else None


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("Accepted by ICASSP 2023", "ICASSP 2023"),
        ("Accepted at NeurIPS 2025 (spotlight)", "NeurIPS 2025 (spotlight)"),
        ("CVPR 2026 (highlight)", "CVPR 2026 (highlight)"),
        ("9 pages, 4 figures. Accepted to IEEE TNNLS", "IEEE TNNLS"),
        ("To appear in the Proceedings of ISCAS 2024", "ISCAS 2024"),
        ("Published in Nature Electronics", "Nature Electronics"),
        ("NeurIPS'25 oral. Code: https://github.com/a/b", "NeurIPS 2025 (oral)"),
        ("Accepted at ICML2024", "ICML 2024"),
        ("Best paper award at AICAS 2025", "AICAS 2025 (best paper)"),
        ("Best student paper, ISCAS 2023", "ISCAS 2023 (best student paper)"),
        ("Camera-ready version for ECCV 2024 (oral presentation)", "ECCV 2024 (oral)"),
        ("Accepted at ICMLA 2024", "ICMLA 2024"),  # not ICML
        ("Accepted to ASP-DAC 2025", "ASP-DAC 2025"),  # not DAC
        ("Accepted by IEEE TCAS-II: Express Briefs", "IEEE TCAS-II"),
        ("Accepted in Neural Networks", "Neural Networks"),
        ("Accepted for publication in Nature Communications", "Nature Communications"),
        ("ISCA Interspeech 2023", "Interspeech 2023"),  # not the ISCA architecture symposium
        (
            "Published in the 2024 IEEE International Symposium on Circuits and Systems",
            "ISCAS 2024",
        ),
        (
            "Thirty-ninth Conference on Neural Information Processing Systems (NeurIPS 2025)",
            "NeurIPS 2025",
        ),
        (
            "Accepted by IEEE Transactions on Circuits and Systems for Video Technology",
            "IEEE TCSVT",
        ),
        ("Accepted at ICASSP 2023, extended version submitted to IEEE/ACM TASLP", "ICASSP 2023"),
        (
            "Submitted to ICLR 2026; accepted at the NeurIPS 2025 workshop",
            "NeurIPS 2025 (workshop)",
        ),
        (
            "Accepted at the NeurIPS 2025 Workshop on Machine Learning with New Compute Paradigms",
            "NeurIPS 2025 (workshop)",
        ),
    ],
)
def test_an_accepted_or_published_paper_is_tagged_with_its_venue(
    comment: str, expected: str
) -> None:
    assert label(comment) == expected


@pytest.mark.parametrize(
    "comment",
    [
        "Under review at ICLR 2026",
        "10 pages, 5 figures, submitted to IEEE TNNLS",
        "In submission to NeurIPS 2025",
        "Preprint submitted to Neural Networks",
        "Our NeurIPS 2025 submission, code at https://github.com/a/b",
        "ICLR 2026 (under review)",
        "Submitted to the IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)",
        "Extended version of our ICASSP 2023 paper",
        "This work has been submitted to the IEEE for possible publication",
        "Major revision at IEEE TPAMI",
        "Submitted to NeurIPS and ICML",
    ],
)
def test_a_venue_the_paper_is_only_submitted_to_is_no_tag(comment: str) -> None:
    assert venue_of(comment, None) is None


@pytest.mark.parametrize(
    "comment",
    [
        "We train spiking Neural Networks on Loihi",
        "The Nature of spike codes, 12 pages",
        "Uses a 4-bit DAC and a Neuron model",
        "the nice thing about NeurIPSformer",  # neither NICE nor NeurIPS
        "Solves the TSP with a spiking network",  # the travelling salesman, not IEEE TSP
        "ICMLA",  # only ICMLA: the table has it
    ],
)
def test_a_phrase_or_a_longer_word_is_no_venue(comment: str) -> None:
    found = venue_of(comment, None)
    assert found is None or found.name == "ICMLA"


@pytest.mark.parametrize(
    ("journal_ref", "expected"),
    [
        ("IEEE Transactions on Neural Networks and Learning Systems, 2024", "IEEE TNNLS 2024"),
        ("Nature Communications 15, 1234 (2024)", "Nature Communications 2024"),
        ("Frontiers in Neuroscience 17:1234", "Frontiers in Neuroscience"),
        ("Neural Networks 170 (2024) 1-12", "Neural Networks 2024"),
        ("IEEE TNNLS 35(2):2001-2012, 2024", "IEEE TNNLS 2024"),  # not the first page
        ("IEEE Transactions on Neural Networks, 22(3), 2011", "IEEE TNN 2011"),
        ("Proc. ICASSP 2023, pp. 1-5", "ICASSP 2023"),
    ],
)
def test_a_journal_reference_names_where_it_was_published(journal_ref: str, expected: str) -> None:
    assert label(None, journal_ref) == expected


def test_the_journal_reference_wins_over_the_comment() -> None:
    found = venue_of("Accepted at ICONS 2024", "Neuromorphic Computing and Engineering 5 (2025)")
    assert found == Venue("Neuromorphic Computing and Engineering", 2025, None)
    assert label("Accepted at ICONS 2024", "Some Unlisted Journal 3 (2025)") == "ICONS 2024"


def test_a_label_reads_as_the_entry_shows_it() -> None:
    assert Venue("CVPR", 2026, "highlight").label() == "CVPR 2026 (highlight)"
    assert Venue("IEEE TNNLS", None, None).label() == "IEEE TNNLS"
    assert Venue("NeurIPS", 2025, None).label() == "NeurIPS 2025"


def test_names_are_looked_up_in_any_case() -> None:
    assert canonical("neurips") == "NeurIPS"
    assert canonical(" ieee tnnls ") == "IEEE TNNLS"
    assert canonical("Neurip") is None


def test_every_venue_in_the_table_is_found_by_each_of_its_names_and_titles() -> None:
    for venue in table():
        for text in (*venue.names, *venue.titles):
            found = venue_of(f"Accepted at {text} 2024", None)
            assert found == Venue(venue.name, 2024, None), text


def test_the_table_is_well_formed() -> None:
    data = tomllib.loads((REPO / "snn_feed/data/venues.toml").read_text(encoding="utf-8"))
    assert len(names()) == len(set(names())) == len(data["venue"])
    owners: dict[str, set[str]] = {}
    for venue in table():
        for spelling in (*venue.names, *venue.titles):
            owners.setdefault(spelling.casefold(), set()).add(venue.name)
    assert {s: v for s, v in owners.items() if len(v) > 1} == {}, "a spelling names two venues"
    for item in data["venue"]:
        assert set(item) <= {"name", "kind", "field", "names", "titles", "cue"}, item["name"]
        assert item["kind"] in {"conference", "journal"}, item["name"]


def test_docs_list_every_venue_of_the_table() -> None:
    page = (REPO / "docs" / "venue-list.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| \*\*(.+?)\*\* \|", page, flags=re.MULTILINE))
    assert listed == set(names())


TABLE_NAMES = set(names())
COMMENTS = st.one_of(
    st.text(max_size=300),
    st.lists(
        st.sampled_from(
            [*TABLE_NAMES, "Accepted at", "submitted to", "2025", "'25", "(oral)", "workshop",
             ";", ".", "\n", " ", ",", "Proc.", "IEEE", "(", "Nature", "ICMLA", "-"]
        ),
        max_size=40,
    ).map(" ".join),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(COMMENTS, st.one_of(st.none(), COMMENTS))
@example("Accepted at NeurIPS 2025", None)
def test_any_text_gives_a_venue_of_the_table_or_none(comment: str, journal_ref: str | None) -> None:
    found = venue_of(comment, journal_ref)
    assert found is None or found.name in TABLE_NAMES
    if found is not None:
        assert found.year is None or 1950 <= found.year <= 2099
        assert found.label().startswith(found.name)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(TABLE_NAMES)), st.sampled_from(["Submitted to", "Under review at"]))
def test_submitted_to_any_venue_is_never_a_tag(name: str, cue: str) -> None:
    assert venue_of(f"12 pages, {cue} {name} 2026", None) is None


@pytest.mark.parametrize(
    "text",
    [
        "submitted to " + "ICML " * 100_000,
        "(" * 1_000_000,
        "Accepted at " * 100_000,
        "Nature " * 200_000,
        "a" * 2_000_000,
    ],
)
def test_hostile_text_of_any_length_costs_little(text: str) -> None:
    started = time.perf_counter()
    venue_of(text, text)
    assert time.perf_counter() - started < 1.0


def test_only_the_start_of_a_long_comment_is_read() -> None:
    assert venue_of("x" * MAX_CHARS + " Accepted at NeurIPS 2025", None) is None
