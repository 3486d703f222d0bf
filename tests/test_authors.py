"""Watched authors: one person however arXiv spelled the name, never a namesake with another
given name or a surname one letter off."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snn_feed.pipeline.authors import same_person, watched_authors


@pytest.mark.parametrize(
    ("watched", "author"),
    [
        ("Kaushik Roy", "K. Roy"),
        ("Kaushik Roy", "Kaushik Roy"),
        ("Kaushik Roy", "KAUSHIK ROY"),
        ("Kaushik Roy", "Roy, Kaushik"),
        ("Kaushik Roy", "K.Roy"),
        ("K. Roy", "Kaushik Roy"),
        ("K. Roy", "Kamal Roy"),  # an initial is all it knows
        ("José Pérez-Carrasco", "Jose Perez-Carrasco"),
        ("José Pérez-Carrasco", "J. A. Perez-Carrasco"),
        ("José Pérez-Carrasco", "Jose Perez Carrasco"),
        ("Timothée Masquelier", "Timothee Masquelier"),
        ("Sander Bohté", "Sander M. Bohte"),
        ("Łukasz Kaiser", "Lukasz Kaiser"),
        ("Jean-Pierre Dupont", "J.-P. Dupont"),
        ("Guoqi Li", "Guo-Qi Li"),
        ("Rufin VanRullen", "Rufin Van Rullen"),
        ("Emre O. Neftci", "Emre Neftci"),
        ("Maass", "Wolfgang Maass"),  # a surname alone: everyone of that name
        ("Martin King", "Martin King Jr."),
    ],
)
def test_spellings_of_one_name_are_one_person(watched: str, author: str) -> None:
    assert same_person(watched, author)


@pytest.mark.parametrize(
    ("watched", "author"),
    [
        ("Wolfgang Maass", "Wolfgang Maas"),
        ("Kaushik Roy", "Kamal Roy"),
        ("Yoshua Bengio", "Samy Bengio"),
        ("Emre O. Neftci", "Emre P. Neftci"),
        ("Wolfgang Maass", "Maass"),  # nothing says this Maass is Wolfgang
        ("Guoqi Li", "Li Guoqi"),  # surname last, as arXiv writes names
        ("Kaushik Roy", "Kaushik Royer"),
    ],
)
def test_other_people_are_not_matched(watched: str, author: str) -> None:
    assert not same_person(watched, author)


def test_watched_authors_are_named_as_arxiv_wrote_them_in_paper_order() -> None:
    authors = ["Abhronil Sengupta", "KAUSHIK ROY", "Wolfgang Maas", "W. Maass"]
    assert watched_authors(authors, ["Wolfgang Maass", "Kaushik Roy"]) == [
        "KAUSHIK ROY",
        "W. Maass",
    ]
    assert watched_authors(authors, []) == []


NAME_PART = st.text(
    alphabet=st.characters(categories=["L"]), min_size=1, max_size=12
)  # any script, accents included
NAMES = st.lists(NAME_PART, min_size=1, max_size=4).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(NAMES)
def test_a_name_is_always_its_own_person(name: str) -> None:
    assert same_person(name, name)
    assert same_person(name, name.upper()) or name.upper().casefold() != name.casefold()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400), st.text(max_size=400))
def test_any_text_is_answered_without_an_error(watched: str, author: str) -> None:
    assert same_person(watched, author) in (True, False)
