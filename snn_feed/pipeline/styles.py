"""Which entry style a log gets: `[log] style` when it is set, else the log's own, settled once
in the database so that it never changes under a reader's feet."""

from __future__ import annotations

from pathlib import Path

from snn_feed.config import LogSettings
from snn_feed.journal.logparse import entry_style
from snn_feed.store import Store

NEW_LOG_STYLE = "bilingual"
"""What a log snn-feed starts (or one with no entry in a known style yet) is written in."""


def log_style(store: Store, settings: LogSettings, log_path: Path, text: str) -> str:
    """The style new entries of the log at `log_path` (whose text is `text`) are written in.

    Unless `[log] style` says, the first call settles it: the style most of the log's entries
    are in (the original log is `hover`), or `bilingual` for a log without such entries. Later
    calls read it back, so entries snn-feed adds never tip an adopted log into another style."""
    if settings.style is not None:
        return settings.style
    settled = store.log_styles.get(str(log_path))
    return settled[0] if settled is not None else settle(store, log_path, text)


def settle(store: Store, log_path: Path, text: str) -> str:
    """Record the style of the log at `log_path` from its entries, unless one is recorded;
    return the one that holds (`snn-feed import` calls this whatever `[log] style` says)."""
    detected = entry_style(text)
    if detected is not None:
        return store.log_styles.settle(str(log_path), detected, "detected")
    return store.log_styles.settle(str(log_path), NEW_LOG_STYLE, "new")
