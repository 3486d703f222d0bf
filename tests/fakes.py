"""Local stand-ins for arXiv and the translation engines: real HTTP servers on 127.0.0.1
speaking the services' wire formats, with scripted faults; papers for them to serve and a
config that points snn-feed at them (shared by the tests and the benchmarks)."""

from __future__ import annotations

import csv
import html
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass
class Reply:
    """A scripted answer: served instead of the normal one, in order, once each."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering (longer than the client's timeout: a hang)."""
    cut: int | None = None
    """Send only this many bytes of the body (announcing all of it), then hang up."""
    trickle: float | None = None
    """Send the whole answer, status line first, one byte every `trickle` seconds (for at most
    a minute): every read the client makes gets something, so no read timeout ever trips."""


@dataclass
class FakeEntry:
    """One paper as the fake arXiv serves it."""

    arxiv_id: str
    title: str
    abstract: str
    authors: list[str]
    published: datetime
    version: int = 1
    categories: list[str] = field(default_factory=lambda: ["cs.NE"])
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    updated: datetime | None = None
    raw_id: str | None = None
    """The `<id>` text exactly as served, when a test needs an id arXiv would not write."""
    raw_published: str | None = None
    """The `<published>` text exactly as served (`published` still places it in windows)."""


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def atom_entry(e: FakeEntry) -> str:
    """An <entry> laid out as arXiv lays it out (wrapped title, indented abstract)."""
    vid = f"{e.arxiv_id}v{e.version}"
    raw_id = e.raw_id if e.raw_id is not None else f"http://arxiv.org/abs/{vid}"
    parts = [
        "  <entry>",
        f"    <id>{escape(raw_id)}</id>",
        f"    <title>{escape(e.title)}</title>",
        f"    <updated>{_stamp(e.updated or e.published)}</updated>",
        f'    <link href={quoteattr("https://arxiv.org/abs/" + vid)} rel="alternate"'
        ' type="text/html"/>',
        f'    <link href={quoteattr("https://arxiv.org/pdf/" + vid)} rel="related"'
        ' type="application/pdf" title="pdf"/>',
        f"    <summary>  {escape(e.abstract)}\n</summary>",
    ]
    parts += [
        f'    <category term={quoteattr(c)} scheme="http://arxiv.org/schemas/atom"/>'
        for c in e.categories
    ]
    published = e.raw_published if e.raw_published is not None else _stamp(e.published)
    parts.append(f"    <published>{escape(published)}</published>")
    if e.comment:
        parts.append(f"    <arxiv:comment>{escape(e.comment)}</arxiv:comment>")
    parts.append(f"    <arxiv:primary_category term={quoteattr(e.categories[0])}/>")
    if e.journal_ref:
        parts.append(f"    <arxiv:journal_ref>{escape(e.journal_ref)}</arxiv:journal_ref>")
    for author in e.authors:
        parts.append(f"    <author>\n      <name>{escape(author)}</name>\n    </author>")
    if e.doi:
        parts.append(f"    <arxiv:doi>{escape(e.doi)}</arxiv:doi>")
    parts.append("  </entry>")
    return "\n".join(parts)


def atom_feed(entries: list[FakeEntry], total: int, start: int, per_page: int) -> bytes:
    head = (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">\n'
        "  <id>https://arxiv.org/api/fake</id>\n"
        "  <title>arXiv Query: fake</title>\n"
        f"  <updated>{_stamp(datetime.now(UTC))}</updated>\n"
        f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n"
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
    )
    body = "\n".join(atom_entry(e) for e in entries)
    return (head + body + ("\n" if body else "") + "</feed>\n").encode("utf-8")


_WINDOW = re.compile(r"submittedDate:\[(\d{12}) TO (\d{12})\]")


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).replace("_", " ").split())


class _Server:
    """A ThreadingHTTPServer on 127.0.0.1 with a script of faults and a request log."""

    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.fault: Callable[[dict[str, Any]], Reply | None] | None = None
        """Called for each request after the script: a Reply to serve instead, or None."""
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                query = parse_qs(parts.query, keep_blank_values=True)
                params = {k: v[-1] for k, v in query.items()}
                kind = self.headers.get("Content-Type") or ""
                if body and "json" in kind:
                    params.update(json.loads(body))
                elif body and "form" in kind:
                    form = parse_qs(body.decode(), keep_blank_values=True)
                    params.update({k: v[-1] for k, v in form.items()})
                request = {
                    "method": self.command,
                    "path": parts.path,
                    "params": params,
                    "headers": dict(self.headers),
                    "time": time.monotonic(),
                }
                with owner.lock:
                    owner.requests.append(request)
                    reply = owner.script.pop(0) if owner.script else None
                if reply is None and owner.fault is not None:
                    reply = owner.fault(request)
                if reply is None:
                    reply = owner.answer(request)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.trickle is not None:
                    self._trickle(reply)
                    return
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    if reply.cut is not None:
                        self.wfile.write(reply.body[: reply.cut])
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _trickle(self, reply: Reply) -> None:
                head = f"HTTP/1.1 {reply.status} OK\r\nContent-Length: {len(reply.body)}\r\n"
                head += "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items()) + "\r\n"
                raw = head.encode() + reply.body
                until = time.monotonic() + 60
                self.close_connection = True
                try:
                    for i in range(len(raw)):
                        if time.monotonic() > until:
                            return
                        self.wfile.write(raw[i : i + 1])
                        self.wfile.flush()
                        time.sleep(reply.trickle or 0)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = _handle
            do_POST = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, request: dict[str, Any]) -> Reply:
        raise NotImplementedError

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeArxiv(_Server):
    """arXiv's /api/query: filters by the query's submittedDate window, sorts, pages."""

    def __init__(self, entries: list[FakeEntry] | None = None) -> None:
        super().__init__()
        self.entries = list(entries or [])
        self.replay: dict[tuple[tuple[str, str], ...], Reply] = {}
        """Recorded responses keyed by their query parameters (see `load_fixture`)."""
        self.replayed: set[tuple[tuple[str, str], ...]] = set()

    @property
    def url(self) -> str:
        return self.base + "/api/query"

    def add_fixture(self, recorded: dict[str, Any]) -> None:
        """Serve a response recorded from the live API for the same query parameters."""
        query = urlsplit(recorded["url"]).query
        key = tuple(sorted((k, v[-1]) for k, v in parse_qs(query, keep_blank_values=True).items()))
        self.replay[key] = Reply(recorded["status_code"], recorded["body"].encode("latin-1"))

    def answer(self, request: dict[str, Any]) -> Reply:
        params = request["params"]
        if self.replay:
            key = tuple(sorted(params.items()))
            if key in self.replay:
                self.replayed.add(key)
                return self.replay[key]
            return Reply(404, b"no recorded response for this query")
        query = params.get("search_query", "")
        entries = self.entries
        window = _WINDOW.search(query)
        phrases = [_norm(p) for p in re.findall(r'ti:"([^"]+)"', query)]
        if not window and phrases:  # a title search, as `snn-feed import` makes
            entries = [e for e in entries if any(p in _norm(e.title) for p in phrases)]
        if window:
            low, high = (
                datetime.strptime(w, "%Y%m%d%H%M").replace(tzinfo=UTC) for w in window.groups()
            )
            entries = [e for e in entries if low <= e.published.replace(second=0) <= high]
        reverse = params.get("sortOrder") == "descending"
        entries = sorted(entries, key=lambda e: (e.published, e.arxiv_id), reverse=reverse)
        start = int(params.get("start", 0))
        size = int(params.get("max_results", 10))
        page = entries[start : start + size]
        return Reply(
            200,
            atom_feed(page, len(entries), start, size),
            {"Content-Type": "application/atom+xml; charset=utf-8"},
        )


def fake_zh(text: str) -> str:
    """The fake engine's deterministic 'translation': recognisably Chinese, and it keeps
    every hostile character of the input so escaping is tested on translated text too. Each
    line is translated as a line, as engines do with titles sent one to a line."""
    if "\n" in text:
        return "\n".join(map(fake_zh, text.split("\n")))
    out = text.replace("Spiking neural networks", "脉冲神经网络").replace("spiking", "脉冲")
    return "译文：" + out.replace(". ", "。")


def slow_zh(seconds: float) -> Callable[[str], str]:
    """`fake_zh` that takes `seconds` to answer: a slow engine."""

    def translate(text: str) -> str:
        time.sleep(seconds)
        return fake_zh(text)

    return translate


class FakeTranslator(_Server):
    """Google's mobile page (/m), MyMemory (/get) and LibreTranslate (/translate)."""

    def __init__(self, translate: Callable[[str], str] = fake_zh) -> None:
        super().__init__()
        self.translate = translate

    def _chat(self, user: str) -> str:
        """A model's answer: a JSON array of {"id", "text"} (abstracts, many to a request)
        comes back as {"translations": [...]} matched by id; lines numbered 1..N (titles, as
        snn-feed sends them) come back numbered as asked, each line's text through
        `translate`; anything else is one text."""
        try:
            items = json.loads(user)
        except ValueError:
            items = None
        if isinstance(items, list) and all(isinstance(i, dict) for i in items):
            return json.dumps({"translations": [
                {"id": i["id"], "text": self.translate(i["text"])} for i in items
            ]}, ensure_ascii=False)  # fmt: skip
        lines = user.split("\n")
        prefixes = [f"{i}. " for i in range(1, len(lines) + 1)]
        pairs = list(zip(prefixes, lines, strict=True))
        if len(lines) > 1 and all(line.startswith(p) for p, line in pairs):
            texts = [line[len(p) :] for p, line in pairs]
            answers = self.translate("\n".join(texts)).split("\n")
            if len(answers) == len(texts):
                return "\n".join(p + a for p, a in zip(prefixes, answers, strict=True))
            return "\n".join(answers)  # an engine that merged lines merges them here too
        return self.translate(user)

    def answer(self, request: dict[str, Any]) -> Reply:
        params, path = request["params"], request["path"]
        text = params.get("q", "")
        if path == "/m":
            page = (
                "<!DOCTYPE html><html><head><title>Google Translate</title></head><body>"
                '<div class="frame"><div class="result-container">'
                f"{html.escape(self.translate(text))}</div></div></body></html>"
            )
            return Reply(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
        if path == "/get":
            data = {
                "responseData": {"translatedText": self.translate(text), "match": 0.85},
                "quotaFinished": False,
                "responseStatus": 200,
                "matches": [],
            }
            return Reply(200, json.dumps(data).encode(), {"Content-Type": "application/json"})
        if path == "/v2/translate":  # DeepL
            if not request["headers"].get("Authorization", "").startswith("DeepL-Auth-Key "):
                return Reply(403, b'{"message": "Wrong endpoint or key"}')
            data = {"translations": [
                {"detected_source_language": "EN", "text": self.translate(t)}
                for t in params["text"]
            ]}  # fmt: skip
            return _json(data)
        if path.endswith("/chat/completions"):  # OpenAI-compatible
            user = next(m["content"] for m in params["messages"] if m["role"] == "user")
            data = {"id": "chatcmpl-fake", "object": "chat.completion", "model": params["model"],
                    "choices": [{"index": 0, "finish_reason": "stop", "message": {
                        "role": "assistant", "content": self._chat(user)}}]}  # fmt: skip
            return _json(data)
        if path == "/api/trans/vip/translate":  # Baidu: one result per line of `q`, as Baidu's
            data = {"from": "en", "to": "zh", "trans_result": [
                {"src": line, "dst": self.translate(line)} for line in text.split("\n")
            ]}  # fmt: skip
            return _json(data)
        if path.endswith("/translate"):
            if isinstance(text, list):  # LibreTranslate's batch: `q` a list, one answer each
                data = {"translatedText": [self.translate(t) for t in text]}
                return _json(data)
            data = {"translatedText": self.translate(text)}
            return Reply(200, json.dumps(data).encode(), {"Content-Type": "application/json"})
        return Reply(404, b"not found")


def _json(data: Any) -> Reply:
    return Reply(200, json.dumps(data, ensure_ascii=False).encode(),
                 {"Content-Type": "application/json"})  # fmt: skip


class FakeGitHost(_Server):
    """A git host over smart HTTP that refuses every credential (HTTP 401, as GitHub answers
    a revoked token)."""

    def answer(self, request: dict[str, Any]) -> Reply:
        return Reply(401, b"", {"WWW-Authenticate": 'Basic realm="git"'})


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: a connection to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running(server: _Server) -> Iterator[Any]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


def real_papers() -> list[dict[str, str]]:
    with open(FIXTURES / "snn-papers" / "snn-papers.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def snn_entries(count: int, now: datetime, *, offset: int = 0) -> list[FakeEntry]:
    """Real SNN titles and first authors, with abstracts written around them, submitted in
    the hours before `now`. New-style ids of the current month so they look like today's."""
    rows = real_papers()[offset : offset + count]
    entries = []
    for i, row in enumerate(rows):
        code = f" Code is available at https://github.com/snn-lab/{i}-model." if i % 3 == 0 else ""
        abstract = (
            "Spiking neural networks (SNNs) promise energy-efficient computation. "
            f"In this work we study {row['title'].rstrip('.')}, and we evaluate it on "
            f"neuromorphic benchmarks with surrogate gradient training.{code}"
        )
        entries.append(
            FakeEntry(
                arxiv_id=f"{now:%y%m}.{10000 + offset + i:05d}",
                title=row["title"],
                abstract=abstract,
                authors=[row["first_author"], "Second Author"],
                published=now - timedelta(hours=2 + i),
            )
        )
    return entries


def write_config(
    path: Path,
    *,
    arxiv_url: str,
    translator_url: str | None,
    log_path: Path | None,
    **extra: Any,
) -> Path:
    """A config for tests: fake servers, no politeness delay, files under tmp. `log_path`
    None leaves `[log] path` unset: the built-in log beside the config, which a sync starts."""
    sections: dict[str, dict[str, Any]] = {
        "arxiv": {"api_url": arxiv_url, "delay_seconds": 0.0, "backoff_seconds": 0.01,
                  "timeout_seconds": 5.0, "retries": 1},
        "database": {"url": f"sqlite:///{path.parent / 'data' / 'feed.sqlite3'}"},
        "translate": {"backend": "google" if translator_url else "none", "retries": 0,
                      "timeout_seconds": 5.0, "rate_per_second": 1000.0},
        "log": {} if log_path is None else {"path": str(log_path)},
        # The announcement feeds only where a test serves them (rss__url=...).
        "sync": {"lock_file": str(path.parent / "data" / "sync.lock"), "source": "api"},
    }  # fmt: skip
    if translator_url:
        sections["translate"]["url"] = translator_url
    for key, value in extra.items():
        section, _, name = key.partition("__")
        sections.setdefault(section, {})[name] = value
    lines = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{k} = {_toml(v)}" for k, v in values.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)
