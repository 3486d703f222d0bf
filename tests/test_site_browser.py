"""The site in a real browser (headless Chromium, `tests/browser.py`): it loads with no
console error and no request leaving 127.0.0.1, a search for a title word shows that paper
(in English and in Chinese), a filter narrows the list, and it is usable at a phone's width.

The screenshots in docs/site.md are made by these tests: with TEST_SCREENSHOTS=docs/images
they are written there (otherwise to the test's own folder)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import serve, visit
from test_site import CHINESE, HOSTILE, Env, built_once

# Not `clock` tests, though the site's papers are dated from now: what they check of the site
# does not depend on the instant (test_site.py's tests, which do, are run at the hard instants),
# and Chromium under libfaketime loads no page.

PHONE = 390  # an iPhone's CSS width


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Env, Path]]:
    """One site for the module's tests, which only read it."""
    yield from built_once(tmp_path_factory)


def newest_month(page: Any) -> str:
    return str(page.locator("#month-list a").first.get_attribute("href"))


def visible_papers(page: Any) -> list[str]:
    return [str(el.get_attribute("id")) for el in page.locator(".paper:visible").all()]


def screenshot(page: Any, name: str, tmp: Path) -> Path:
    wanted = os.environ.get("TEST_SCREENSHOTS")  # relative to the checkout
    folder = Path(__file__).resolve().parents[1] / wanted if wanted else tmp
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    page.screenshot(path=str(path))
    return path


def test_every_page_loads_with_no_error_and_asks_no_other_host(
    chromium: Any, built: tuple[Env, Path], tmp_path: Path
) -> None:
    _, site = built
    with serve(site) as base:
        with visit(chromium, f"{base}/index.html") as index:
            month = newest_month(index.page)
            assert index.page.locator("#chart").is_visible()
            assert index.console_errors == [] and index.outside == []
            screenshot(index.page, "site-index.png", tmp_path)
        with visit(chromium, f"{base}/{month}") as page:
            assert len(visible_papers(page.page)) == 5
            assert page.console_errors == [] and page.outside == []
    assert all(r.startswith(base) for r in index.requests + page.requests)


@pytest.mark.parametrize("query", ["quoted", CHINESE[HOSTILE][:4]])
def test_a_search_for_a_title_word_shows_that_paper(
    chromium: Any, built: tuple[Env, Path], query: str
) -> None:
    env, site = built
    wanted = env.papers[1].arxiv_id  # the paper with the hostile title (and its Chinese one)
    with serve(site) as base, visit(chromium, f"{base}/index.html") as index:
        index.page.fill("#search", query)
        hits = index.page.locator("#hits a")
        hits.first.wait_for(state="visible")
        index.page.wait_for_function(
            "() => !document.getElementById('status').textContent.includes('…')"
        )
        targets = [str(a.get_attribute("href")) for a in hits.all()]
        assert len(targets) == 1 and targets[0].endswith(f"#p-{wanted}"), targets
        hits.first.click()
        index.page.wait_for_load_state("load")
        assert index.page.locator(".paper:target").count() == 1
        assert index.console_errors == [] and index.outside == []


def test_a_filter_narrows_the_list_and_search_narrows_it_further(
    chromium: Any, built: tuple[Env, Path]
) -> None:
    env, site = built
    with serve(site) as base, visit(chromium, f"{base}/index.html") as index:
        month = newest_month(index.page)
        index.page.goto(f"{base}/{month}")
        every = visible_papers(index.page)
        index.page.select_option("#filter-code", "1")
        with_code = visible_papers(index.page)
        assert 0 < len(with_code) < len(every)
        for paper in with_code:
            assert index.page.get_attribute(f'[id="{paper}"]', "data-code") == "1"
        index.page.select_option("#filter-code", "")
        index.page.fill("#search", env.papers[0].title.split()[0])
        index.page.wait_for_function(
            "n => document.querySelectorAll('.paper:not([hidden])').length < n", arg=len(every)
        )
        assert 0 < len(visible_papers(index.page)) < len(every)
        assert "code=" not in index.page.url and "q=" in index.page.url  # kept in the address
        assert index.console_errors == [] and index.outside == []


def test_it_is_usable_at_a_phones_width(
    chromium: Any, built: tuple[Env, Path], tmp_path: Path
) -> None:
    _, site = built
    with serve(site) as base, visit(chromium, f"{base}/index.html", width=PHONE,
                                    height=844) as index:  # fmt: skip
        month = newest_month(index.page)
        for url in (f"{base}/index.html", f"{base}/{month}"):
            index.page.goto(url)
            # Nothing wider than the screen: no sideways scrolling to read a paper.
            width = index.page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= PHONE, f"{url}: {width} px wide"
            box = index.page.locator("#search").bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE
        first = index.page.locator(".paper h3").first
        assert first.is_visible() and first.bounding_box()["width"] <= PHONE
        index.page.locator(".paper details summary").first.click()  # the English abstract
        assert index.page.locator(".paper details[open] p").first.is_visible()
        screenshot(index.page, "site-phone.png", tmp_path)
        assert index.console_errors == [] and index.outside == []
