"""Where the log is published as web pages: `[site]`."""

from __future__ import annotations

from pydantic import Field

from snn_feed.config.base import _Section


class SiteSettings(_Section):
    """A static web site of the log, built from the database: a page per month, newest first,
    with filters and a search that works offline; `snn-feed site` builds one by hand."""

    dir: str = Field(
        default="",
        description="The site's folder, rebuilt after every successful sync (only pages whose "
        "content changed are written), and the default folder of `snn-feed site`; empty: no "
        "site. Publish it with GitHub Pages, e.g. as the `docs/` folder of the log's repository.",
        examples=["data/SNN_arxiv_daily/docs"],
    )
    title: str = Field(
        default="SNN arXiv daily",
        min_length=1,
        description="The site's title, at the top of every page.",
    )
