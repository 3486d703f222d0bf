"""The services `[notify]` talks to, as real servers on 127.0.0.1: a chat webhook receiving
Apprise's `json://` posts, and an SMTP server (aiosmtpd) receiving its `mailto://` mail."""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import default
from typing import Any

from fakes import Reply, _Server


class FakeWebhook(_Server):
    """A chat service's webhook: each message it took (answered 200) is in `taken`, as the
    JSON Apprise posted (`title`, `message`, `type`). `mode` "fail" answers 500, "hang"
    answers 503 after `hang_seconds` (far longer than any timeout): neither is taken."""

    def __init__(self) -> None:
        super().__init__()
        self.taken: list[dict[str, Any]] = []
        self.mode = "ok"
        self.hang_seconds = 30.0
        self.fault = self._fault

    def _fault(self, request: dict[str, Any]) -> Reply | None:
        if self.mode == "fail":
            return Reply(500, b"internal error")
        if self.mode == "hang":
            return Reply(503, b"", delay=self.hang_seconds)
        return None

    def answer(self, request: dict[str, Any]) -> Reply:
        with self.lock:
            self.taken.append(request["params"])
        return Reply(200, b"{}", {"Content-Type": "application/json"})

    def url(self, path: str = "hook/TOKEN-0123456789abcdef") -> str:
        host, port = self.httpd.server_address[:2]
        return f"json://{host}:{port}/{path}"


class FakeMailServer:
    """An SMTP server on 127.0.0.1 (aiosmtpd): every mail it got, parsed, in `mails`."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        owner = self
        self.mails: list[EmailMessage] = []
        self.lock = threading.Lock()

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                mail = email.message_from_bytes(envelope.content, policy=default)
                with owner.lock:
                    owner.mails.append(mail)  # type: ignore[arg-type]
                return "250 OK"

        with socket.socket() as probe:  # aiosmtpd needs the port before it starts
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def url(self, to: str = "reader@example.org") -> str:
        return f"mailto://127.0.0.1:{self.port}?from=snn-feed@example.org&to={to}&mode=insecure"


@contextmanager
def mail_server() -> Iterator[FakeMailServer]:
    server = FakeMailServer()
    server.controller.start()
    try:
        yield server
    finally:
        server.controller.stop()


def bodies(mail: EmailMessage) -> dict[str, str]:
    """A mail's text and HTML parts: {"plain": ..., "html": ...}."""
    return {
        part.get_content_subtype(): part.get_content()
        for part in mail.walk()
        if part.get_content_maintype() == "text"
    }
