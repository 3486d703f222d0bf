"""Logging set-up: plain lines for people, JSON lines for log collectors, and never a secret."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

_SECRETS: list[str] = []
"""Configured secrets, blanked out of everything snn-feed prints or logs."""


def redact(text: str) -> str:
    for secret in _SECRETS:
        text = text.replace(secret, "***")
    return text


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line; fields given as `extra={"fields": {...}}` are merged in."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(data, ensure_ascii=False, default=str))


def setup(verbose: bool, *, json_lines: bool = False, secrets: list[str] | None = None) -> None:
    """Log to stderr: details (INFO) only with `verbose`; the service always says what each
    run did, since that is what a service's log is for."""
    # Longest first: a password inside a configured URL must not break the URL's own match.
    _SECRETS[:] = sorted({s for s in (secrets or []) if s}, key=len, reverse=True)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("snn_feed.service.scheduler").setLevel(logging.INFO)
    # urllib3 logs full request URLs, and LibreTranslate's key travels in one.
    for noisy in ("urllib3", "alembic", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
