"""Pure: the site's months as its files, `{relative path: bytes}`: an index (the chart, every
month with its count), a page per month, and the search data (one JSON file per month, and a
list of the months with a version of each, so a browser fetches a month again only when it
changed).

Every page is rendered by Jinja2 with autoescape on, so a title, an author or an abstract is
text, never markup; links are arXiv's own or http(s) URLs (`model.web_url`). The same months
give the same bytes (no dates, no random ids): a rebuild changes only the files of what changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from snn_feed.site.chart import papers_per_month
from snn_feed.site.model import Month, SitePaper

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'"
)
"""The pages' Content-Security-Policy: only the site's own script, style sheet and search
data; no inline script or style, no request to another host."""
STATIC = ("site.css", "site.js")
"""The files of `snn_feed/site/static/`, copied to the site's `static/` folder."""


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("snn_feed.site", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def version(data: bytes) -> str:
    """A short hash of a file's bytes: its version in the URLs that load it."""
    return hashlib.sha256(data).hexdigest()[:10]


def _venues(papers: Sequence[SitePaper]) -> list[str]:
    return sorted({p.venue for p in papers if p.venue}, key=str.casefold)


def search_records(month: Month) -> list[dict[str, Any]]:
    """What the search needs of a month's papers, in page order: enough to list a hit and
    filter it, and the normalised text a query is matched against."""
    return [
        {"id": p.anchor, "m": p.month, "t": p.title, "z": p.title_zh or "", "s": p.score or 0,
         "v": p.venue or "", "c": 1 if p.code_url else 0, "x": p.search_text}
        for p in month.papers
    ]  # fmt: skip


def _json(data: object) -> bytes:
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def render_site(months: Sequence[Month], title: str, assets: Mapping[str, str]) -> dict[str, bytes]:
    """Every generated file of the site (the static files aside), by path relative to its
    folder. `assets` gives each static file's version (`version`), which the pages' links carry
    so that browsers load a changed style sheet or script at once."""
    env = _environment()
    every = [p for m in months for p in m.papers]
    common = {"site_title": title, "csp": CSP, "assets": assets, "months": months,
              "total": len(every)}  # fmt: skip
    files: dict[str, bytes] = {}
    listing = []
    for i, month in enumerate(months):
        data = _json(search_records(month))
        files[f"search/{month.key}.json"] = data
        listing.append({"m": month.key, "n": len(month.papers), "v": version(data)})
        page = env.get_template("month.html").render(
            common, page="month", current=month.key, month=month, venues=_venues(month.papers),
            newer=months[i - 1] if i > 0 else None,
            older=months[i + 1] if i + 1 < len(months) else None,
        )  # fmt: skip
        files[month.page] = page.encode()
    files["search/months.json"] = _json({"months": listing})
    chart = papers_per_month([(m.key, len(m.papers)) for m in months])
    index = env.get_template("index.html").render(
        common, page="index", current=None, venues=_venues(every), chart=chart
    )
    files["index.html"] = index.encode()
    return files
