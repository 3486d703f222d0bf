"""A real browser for the tests: Debian's headless Chromium, driven by Playwright's Python
package pointed at the installed browser (no browser download). Pages are served from a folder
by a local HTTP server; every request the page makes is recorded, and one that leaves
127.0.0.1 is refused and reported, as is every console error.

Without Chromium the tests skip, saying so; `.ci/run` installs it and sets
TEST_BROWSER_REQUIRED, which turns the skip into a failure (CI never skips them)."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

SKIP_REASON = "no Chromium for the browser tests: install Debian's chromium (.ci/chromium does)"
FLAGS = [
    # As root in a container, and without the services a desktop browser calls home to: the
    # machine's closed network refuses them, and they are requests leaving 127.0.0.1.
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions",
]  # fmt: skip


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Visit:
    """What a page did while a test looked at it."""

    page: Any
    """Playwright's Page."""
    console_errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    """Requests to anywhere but the local server (refused)."""
    requests: list[str] = field(default_factory=list)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """`folder` over HTTP on 127.0.0.1; yields its base URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()


def launched() -> Iterator[Any]:
    """A headless Chromium, for the session's `chromium` fixture (conftest.py): starting
    one costs about a second."""
    path = chromium_path()
    if path is None:
        if os.environ.get("TEST_BROWSER_REQUIRED"):
            pytest.fail(SKIP_REASON + " (TEST_BROWSER_REQUIRED is set: CI must have it)")
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def visit(chromium: Any, url: str, *, width: int = 1280, height: int = 900) -> Iterator[Visit]:
    """A fresh page (its own context: no cache or storage shared) at `url`, `width` pixels
    wide; requests leaving the page's own host are refused and recorded."""
    own = urlsplit(url).netloc
    context = chromium.new_context(viewport={"width": width, "height": height},
                                   is_mobile=width < 600, has_touch=width < 600)  # fmt: skip
    page = context.new_page()
    seen = Visit(page)

    def route(route: Any) -> None:
        request_url = route.request.url
        seen.requests.append(request_url)
        if urlsplit(request_url).netloc == own or request_url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            seen.outside.append(request_url)
            route.abort()

    page.route("**/*", route)
    page.on("console", lambda m: seen.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda err: seen.console_errors.append(str(err)))
    try:
        page.goto(url, wait_until="load")
        yield seen
    finally:
        context.close()
