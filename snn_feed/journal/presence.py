"""Whether a paper is new to a log: the one rule the sync, its dry run, backfill, the
translate stage and the commit message all use.

A log holds a paper when one of its entries, in the log file or in its `archive/` files,
links to the paper as its own (`[paper](https://arxiv.org/abs/ID ...)` on the entry's first
line, as snn-feed writes entries and as the hand-made log has them, or a bilingual entry's
heading `### [4] [中文标题](https://arxiv.org/abs/ID)`), or when `snn-feed
import` recorded an entry of it: by its id, or, for an entry that has none, surely by its
title. An id that is only mentioned in text, such as another entry's abstract citing
"arXiv:2611.90002", does not make the log hold that paper.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from snn_feed.ids import OWN_LINK, linked_id
from snn_feed.journal.logparse import normalize_title, title_similarity


def entry_ids(text: str) -> frozenset[str]:
    """Versionless arXiv ids of the entries in a log's text, each from its own link.

    A sync reads the log before it fetches and again before it writes (someone may have edited
    it meanwhile): an unchanged text is not searched twice. The last few texts are kept (by
    value: a text read again is the same key), the file and its archives."""
    return _entry_ids(text)


@lru_cache(maxsize=4)
def _entry_ids(text: str) -> frozenset[str]:
    if "\r" in text:  # a line ends at a lone \r too, where `^` would not see it start
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return frozenset(linked_id(own or heading) for own, heading in OWN_LINK.findall(text))


@dataclass(frozen=True)
class Presence:
    """What one log already holds: read once per run, asked about every paper."""

    ids: frozenset[str] = frozenset()
    """Ids of the entries in the log file and its archives."""
    imported: Mapping[str, str] = field(default_factory=dict)
    """Ids of imported entries -> their entry key."""
    titles: Mapping[str, str] = field(default_factory=dict)
    """Normalised titles of imported entries without an id -> their entry key."""

    @classmethod
    def of(
        cls,
        texts: Iterable[str],
        imported: Mapping[str, str] | None = None,
        titles: Mapping[str, str] | None = None,
    ) -> Presence:
        """The presence of a log made of `texts` (the file and its archives)."""
        ids: set[str] = set()
        for text in texts:
            ids |= entry_ids(text)
        return cls(frozenset(ids), dict(imported or {}), dict(titles or {}))

    def entry_of(self, arxiv_id: str, title: str) -> str | None:
        """What holds the paper in this log (an imported entry's key, or `log:<id>` for an
        entry of the file), or None when the paper is new to it."""
        if arxiv_id in self.ids:
            return f"log:{arxiv_id}"
        return self.imported.get(arxiv_id) or self._by_title(title)

    def holds(self, arxiv_id: str, title: str) -> bool:
        return self.entry_of(arxiv_id, title) is not None

    def _by_title(self, title: str) -> str | None:
        """The imported entry (no arXiv id) whose title this paper's title surely is."""
        if not self.titles:
            return None
        norm = normalize_title(title)
        if norm in self.titles:
            return self.titles[norm]
        prefix = norm[:40]
        for logged, key in self.titles.items():
            if logged[:40] == prefix and title_similarity(logged, title) >= 0.92:
                return key
        return None
