"""A local stand-in for arXiv's announcement feeds (rss.arxiv.org): a real HTTP server on
127.0.0.1 serving RSS documents by category path, answering conditional requests with 304, with
scripted faults (the `script` and `fault` of fakes._Server) and a request log."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from fakes import Reply, _Server

RSS_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "rss"


def rss_fixture(name: str) -> bytes:
    return (RSS_FIXTURES / name).read_bytes()


def header(request: dict[str, Any], name: str) -> str | None:
    """A request header, whatever case the client wrote its name in."""
    wanted = name.lower()
    return next((v for k, v in request["headers"].items() if k.lower() == wanted), None)


def error_feed(query: str, reason: str) -> bytes:
    """What arXiv's feed service answers (HTTP 400) for a category it does not know."""
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<rss xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">\n'
        "  <channel>\n"
        f"    <title>Feed error for query: https://rss.arxiv.org/rss/{escape(query)}</title>\n"
        f"    <link>https://rss.arxiv.org/rss/{escape(query)}</link>\n"
        f"    <description>{escape(reason)}</description>\n"
        "  </channel>\n"
        "</rss>\n"
    ).encode()


class FakeRss(_Server):
    """`/rss/<categories>` serves the document set for that exact path (see `serve`), with an
    ETag (arXiv's: the SHA-256 of the body, unquoted) and a Last-Modified; an unknown path gets
    arXiv's error feed with HTTP 400."""

    def __init__(self) -> None:
        super().__init__()
        self.feeds: dict[str, tuple[bytes, datetime]] = {}

    def serve(self, categories: str, body: bytes, *, modified: datetime | None = None) -> None:
        """Serve `body` at /rss/`categories` (e.g. "cs.NE+cs.LG"), last modified at `modified`."""
        when = (modified or datetime(2026, 5, 15, 4, 0, 27, tzinfo=UTC)).replace(microsecond=0)
        self.feeds[f"/rss/{categories}"] = (body, when)

    def fail(self, status: int, times: int = 1, *, retry_after: str | None = None) -> None:
        """The next `times` requests get HTTP `status` (e.g. a 503 burst, a 429)."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self.script += [Reply(status, b"", headers) for _ in range(times)]

    def hang(self, seconds: float, times: int = 1) -> None:
        """The next `times` requests are answered only after `seconds` (past a client timeout)."""
        self.script += [Reply(200, b"", delay=seconds) for _ in range(times)]

    @staticmethod
    def etag(body: bytes) -> str:
        return hashlib.sha256(body).hexdigest()

    def answer(self, request: dict[str, Any]) -> Reply:
        path = request["path"]
        if path not in self.feeds:
            query = path.removeprefix("/rss/")
            return Reply(400, error_feed(query, f"Bad archive '{query.split('.')[0]}'."))
        body, modified = self.feeds[path]
        etag = self.etag(body)
        headers = {
            "Content-Type": "application/rss+xml",
            "ETag": etag,
            "Last-Modified": format_datetime(modified, usegmt=True),
        }
        if _not_modified(request, etag, modified):
            return Reply(304, b"", headers)
        return Reply(200, body, headers)


def _not_modified(request: dict[str, Any], etag: str, modified: datetime) -> bool:
    """RFC 9110 13.1: If-None-Match decides when present; If-Modified-Since only otherwise."""
    if_none_match = header(request, "If-None-Match")
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/").strip('"') for t in if_none_match.split(",")]
        return "*" in tags or etag in tags
    since = header(request, "If-Modified-Since")
    if since is None:
        return False
    try:
        return modified <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
