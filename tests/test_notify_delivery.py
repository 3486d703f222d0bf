"""How a message reaches the services (`notify/delivery.py`): the form each Apprise service
gets, and the deadlines; with an injected send, and Apprise's own parsing of real URLs."""

from __future__ import annotations

import threading

import apprise
import pytest

from snn_feed.notify.delivery import DeliveryError, Job, deliver, form_for, hide
from snn_feed.notify.messages import Message

MESSAGE = Message("t", "text", "markdown", "html")


@pytest.mark.parametrize(
    ("url", "form"),
    [
        ("mailto://127.0.0.1:2525?from=a@example.org&to=b@example.org&mode=insecure", "html"),
        ("tgram://123456789:ABCDEFabcdef/12345", "html"),
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general", "markdown"),
        ("dingtalk://abcdefgh/", "markdown"),
        ("feishu://abcdefghijklmnop", "markdown"),
        ("json://127.0.0.1/hook", "markdown"),
        ("wecombot://abcdefghijklmnop", "text"),
    ],
)
def test_each_service_gets_the_form_it_shows(url: str, form: str) -> None:
    plugin = apprise.Apprise.instantiate(url, asset=apprise.AppriseAsset(storage_mode="memory"))
    assert plugin is not None and form_for(plugin) == form


def test_a_hanging_service_costs_its_timeout_and_the_budget_bounds_them_all() -> None:
    release = threading.Event()
    sent: list[str] = []

    def send(url: str, message: Message, timeout: float) -> None:
        if "hang" in url:
            release.wait(30)  # far longer than any wait below
        elif "bad" in url:
            raise DeliveryError(f"refused by {url}")
        sent.append(url)

    urls = ["json://ok/1", "json://bad/x", "json://hang/TOKEN-abcdefghijkl", "json://hang/2",
            "json://ok/2"]  # fmt: skip
    jobs = [Job(n, url, MESSAGE, str(n)) for n, url in enumerate(urls)]
    try:
        results = deliver(jobs, send, timeout=0.2, budget=1.0)
    finally:
        release.set()

    assert results[0] is None and sent == ["json://ok/1"]
    assert results[1] == "refused by ***"  # the reason given, without the URL
    # The first hang is waited for a little over its timeout, the second for what is left of
    # the budget; the last service is not tried: the next sync sends it its message.
    assert results[2] == "no answer within 0.2 s" and results[3] == "no answer within 0.2 s"
    assert 4 not in results


def test_a_reason_never_shows_the_url() -> None:
    url = "json://user:pass-word-123456@example.org/hook/TOKEN-0123456789abc"
    text = hide(f"failed to post to {url} (token TOKEN-0123456789abc, pass-word-123456)", url)
    assert "TOKEN-0123456789abc" not in text and "pass-word-123456" not in text
