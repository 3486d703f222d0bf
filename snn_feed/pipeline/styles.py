"""Which entry style a log gets: `[log] style` when it is set, else the log's own, settled once
in the database so that it never changes under a reader's feet."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from snn_feed.config import LogSettings
from snn_feed.journal.logparse import entry_style, parse_log
from snn_feed.store import Store

NEW_LOG_STYLE = "bilingual"
"""What a log snn-feed starts (or one with no entry in a known style yet) is written in."""


def log_style(
    store: Store, settings: LogSettings, log_path: Path, texts: Callable[[], Sequence[str]]
) -> str:
    """The style new entries of the log at `log_path` are written in; `texts` reads the log's
    file and its archives (`reconcile.log_texts`), only while its style is not settled.

    Unless `[log] style` says, the first call settles it: the style most of the log's entries
    are in (the original log is `hover`), or `bilingual` for a log without such entries. Later
    calls read it back, so entries snn-feed adds never tip an adopted log into another style."""
    if settings.style is not None:
        return settings.style
    settled = store.log_styles.get(str(log_path))
    return settled[0] if settled is not None else settle(store, log_path, texts())


def settle(store: Store, log_path: Path, texts: Sequence[str]) -> str:
    """Record the style of the log at `log_path` from its entries (`texts`: its file and its
    archives), unless one is recorded; return the one that holds (`snn-feed import` calls
    this whatever `[log] style` says). A log with entries in no style snn-feed writes gets
    the new log's style too, recorded as the default rather than as new."""
    detected = entry_style(*texts)
    if detected is not None:
        return store.log_styles.settle(str(log_path), detected, "detected")
    has_entries = any(parse_log(text)[0] for text in texts)
    source = "default" if has_entries else "new"
    return store.log_styles.settle(str(log_path), NEW_LOG_STYLE, source)
