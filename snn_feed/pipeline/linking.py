"""The code-link stage: ask Hugging Face for the repositories of papers about to be written
that name none. Never on the critical path: the whole stage ends within
`[links] budget_seconds`, and any failure (a 429 included) ends it with a warning, the papers
written without. Each paper is asked about once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import closing
from time import monotonic

from snn_feed.config import LinksSettings
from snn_feed.store import Store

log = logging.getLogger(__name__)


def find_code_links(
    store: Store, links: LinksSettings, safe_point: Callable[[], None] = lambda: None
) -> int:
    """How many repositories were found (0 when `[links] huggingface` is off)."""
    if not links.huggingface:
        return 0
    # httpx and the client only when links are looked up.
    from snn_feed.sources.codelinks import HfPapers, LinkLookupError

    todo = store.papers.needing_code_link()
    found = 0
    deadline = monotonic() + links.budget_seconds
    with closing(HfPapers(base_url=links.url, timeout_seconds=links.timeout_seconds)) as hf:
        for done, arxiv_id in enumerate(todo):
            safe_point()
            try:
                url = hf.repository(arxiv_id, deadline=deadline)
            except LinkLookupError as err:
                log.warning(
                    "code links: %s; %d of %d papers not looked up this time",
                    err, len(todo) - done, len(todo),
                )  # fmt: skip
                break
            store.papers.save_code_link(arxiv_id, url)
            found += url is not None
    log.info("code links: %d found on Hugging Face for %d papers", found, len(todo))
    return found
