"""`[notify]` end to end: syncs against the fake arXiv and translator, delivering through
Apprise to real local services (a `json://` webhook and an SMTP server), as a user would set
them up; what each service received is what is checked."""

from __future__ import annotations

import html
import os
import re
import signal
import sqlite3
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import cmarkgfm
import forks
import pytest
from conftest import git, run_cli, snn_entries, utc_now
from fake_notify import FakeMailServer, FakeWebhook, bodies, mail_server
from fakes import FakeArxiv, FakeTranslator, Reply, running
from test_cli import Env

pytestmark = pytest.mark.clock  # papers are submitted in the hours before now

LINK = "https://github.com/you/SNN_arxiv_daily"


@pytest.fixture
def env(tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path):
    papers = snn_entries(5, utc_now())
    fake_arxiv.entries = list(papers)
    return Env(tmp_path, fake_arxiv, fake_translator, log_repo, papers)


@pytest.fixture
def webhook() -> Iterator[FakeWebhook]:
    with running(FakeWebhook()) as server:
        yield server


@pytest.fixture
def other_webhook() -> Iterator[FakeWebhook]:
    with running(FakeWebhook()) as server:
        yield server


@pytest.fixture
def mail() -> Iterator[FakeMailServer]:
    with mail_server() as server:
        yield server


def titles(hook: FakeWebhook) -> list[str]:
    return [m["title"] for m in hook.taken]


def chat_text(markdown: str) -> str:
    """What a chat that renders Markdown shows: the text, without its tags."""
    page = cmarkgfm.github_flavored_markdown_to_html(markdown)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def chat_links(markdown: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)"', cmarkgfm.github_flavored_markdown_to_html(markdown))


def test_a_sync_sends_one_digest_to_a_chat_and_a_mailbox(
    env: Env, webhook: FakeWebhook, mail: FakeMailServer
) -> None:
    urls = [webhook.url(), mail.url()]

    result = env.sync(notify__urls=urls, notify__link=LINK)

    assert result.returncode == 0, result.stderr
    assert len(webhook.taken) == 1 and len(mail.mails) == 1
    chat = webhook.taken[0]
    assert chat["title"].startswith("SNN_arxiv_daily: 5 new papers, ")
    abs_links = [f"https://arxiv.org/abs/{p.arxiv_id}" for p in env.papers]
    # As the chat shows it: each paper linked to its abs page, best first, then the log.
    links = [link for link in chat_links(chat["message"]) if "github.com/snn-lab" not in link]
    assert sorted(links[:-1]) == sorted(abs_links) and links[-1] == LINK
    scores = [int(s) for s in re.findall(r"\\\[(\d)\\\]", chat["message"])]
    assert len(scores) == 5 and scores == sorted(scores, reverse=True)
    shown = chat_text(chat["message"])
    for paper in env.papers:
        assert " ".join(paper.title.split()) in shown

    message = mail.mails[0]
    assert message["Subject"] == chat["title"] and message["To"] == "reader@example.org"
    parts = bodies(message)
    for link in abs_links:
        assert f'href="{link}"' in parts["html"]
        assert link.removeprefix("https://") in parts["plain"]  # a text-only mail reader too

    again = env.sync(notify__urls=urls, notify__link=LINK)
    assert again.returncode == 0
    assert len(webhook.taken) == 1 and len(mail.mails) == 1  # nothing new: nothing sent


def test_each_service_gets_only_the_events_it_asked_for(
    env: Env, webhook: FakeWebhook, other_webhook: FakeWebhook
) -> None:
    urls = [{"url": webhook.url(), "events": ["digest"]},
            {"url": other_webhook.url(), "events": ["failure"]}]  # fmt: skip

    assert env.sync(notify__urls=urls).returncode == 0
    env.arxiv.fault = lambda r: Reply(503, b"down")
    assert env.sync(notify__urls=urls).returncode == 1

    assert titles(webhook) == [webhook.taken[0]["title"]] and "new papers" in titles(webhook)[0]
    assert titles(other_webhook) == ["SNN_arxiv_daily: alert: the sync failed"]


def test_a_failed_run_alerts_once_and_says_when_it_recovered(
    env: Env, webhook: FakeWebhook, any_database_url: str
) -> None:
    env.arxiv.fault = lambda r: Reply(503, b"down")
    config = {"notify__urls": [webhook.url()], "arxiv__retries": 0,
              "database__url": any_database_url}  # fmt: skip

    first, second = env.sync(**config), env.sync(**config)

    assert (first.returncode, second.returncode) == (1, 1)
    assert titles(webhook) == ["SNN_arxiv_daily: alert: the sync failed"]
    assert "503" in chat_text(
        webhook.taken[0]["message"]
    )  # what failed, in the service's own words
    env.arxiv.fault = None
    assert env.sync(**config).returncode == 0
    assert titles(webhook)[1:] == ["SNN_arxiv_daily: recovered: syncs work again",
                                   titles(webhook)[2]]  # fmt: skip
    assert "5 new papers" in titles(webhook)[2]


def test_a_rejected_key_and_papers_waiting_too_long_are_each_alerted_once(
    env: Env, webhook: FakeWebhook, tmp_path: Path
) -> None:
    env.translator.fault = lambda r: Reply(403, b'{"error": "bad key"}')
    config = {"notify__urls": [webhook.url()]}

    assert env.sync(**config).returncode == 3
    assert titles(webhook) == ["SNN_arxiv_daily: alert: the translation engine cannot be used"]
    assert "[translate]" in chat_text(webhook.taken[0]["message"])  # names what to fix
    # Two days later the papers still wait: that is alerted too, once.
    db = sqlite3.connect(tmp_path / "data" / "feed.sqlite3")
    with db:
        db.execute("UPDATE papers SET first_seen = ?",
                   ((utc_now() - timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S"),))  # fmt: skip
    db.close()
    assert env.sync(**config).returncode == 3
    assert env.sync(**config).returncode == 3
    assert titles(webhook)[1:] == ["SNN_arxiv_daily: alert: papers are waiting for a translation"]

    env.translator.fault = None
    assert env.sync(**config).returncode == 0
    assert sorted(titles(webhook)[2:4]) == [
        "SNN_arxiv_daily: recovered: no paper waits too long any more",
        "SNN_arxiv_daily: recovered: translation works again",
    ]
    assert "5 new papers" in titles(webhook)[4] and len(webhook.taken) == 5


def test_a_failed_push_is_alerted_and_its_papers_still_get_their_digest(
    env: Env, webhook: FakeWebhook, tmp_path: Path
) -> None:
    config = {"notify__urls": [webhook.url()], "git__push": True}

    failed = env.sync(**config)  # the log's repository has no remote yet

    assert failed.returncode == 1
    assert len(webhook.taken) == 2
    assert webhook.taken[0]["title"] == "SNN_arxiv_daily: alert: the log could not be pushed"
    assert "[git] remote" in chat_text(webhook.taken[0]["message"])
    assert "5 new papers" in webhook.taken[1]["title"]  # committed: told of
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    git(env.repo, "remote", "add", "origin", str(remote))
    assert env.sync(**config).returncode == 0
    assert titles(webhook)[2:] == ["SNN_arxiv_daily: recovered: the log is pushed again"]


def test_a_quiet_week_is_alerted_once(env: Env, webhook: FakeWebhook) -> None:
    env.arxiv.entries = []
    # Every minute an "announcement", and one day of them: the week is quiet at once.
    config = {"notify__urls": [webhook.url()], "schedule__cron": "* * * * *",
              "status__quiet_days": 1}  # fmt: skip

    assert env.sync(**config).returncode == 0
    assert env.sync(**config).returncode == 0

    assert titles(webhook) == ["SNN_arxiv_daily: alert: no paper found for days"]
    assert "[feed] keywords" in chat_text(webhook.taken[0]["message"])


def test_a_service_that_fails_is_sent_the_digest_again_and_the_others_are_not(
    env: Env, webhook: FakeWebhook, other_webhook: FakeWebhook, any_database_url: str
) -> None:
    other_webhook.mode = "fail"
    urls = [webhook.url(), other_webhook.url("other/KEY-abcdef0123456789")]
    config = {"notify__urls": urls, "database__url": any_database_url}

    first = env.sync(**config)

    assert first.returncode == 0  # the papers are logged: a service's failure is a warning
    assert "service 2 (json) did not take the digest" in first.stderr and "500" in first.stderr
    assert "KEY-abcdef0123456789" not in first.stderr + first.stdout
    assert (len(webhook.taken), len(other_webhook.taken)) == (1, 0)
    status = run_cli("status", "--config", env.config(**config))
    assert "notify: service 1 (json: digest, failure), service 2 (json: digest, failure); " \
           "1 message owed" in status.stdout  # fmt: skip
    other_webhook.mode = "ok"
    assert env.sync(**config).returncode == 0
    assert env.sync(**config).returncode == 0
    assert (len(webhook.taken), len(other_webhook.taken)) == (1, 1)
    assert other_webhook.taken[0]["message"] == webhook.taken[0]["message"]


def test_a_service_that_hangs_costs_its_timeout_and_the_budget_bounds_them_all(
    env: Env, webhook: FakeWebhook, other_webhook: FakeWebhook
) -> None:
    webhook.mode = other_webhook.mode = "hang"
    urls = [webhook.url(), other_webhook.url()]

    started = time.monotonic()
    result = env.sync(notify__urls=urls, notify__timeout_seconds=0.5,
                      notify__budget_seconds=0.5)  # fmt: skip
    took = time.monotonic() - started

    assert result.returncode == 0, result.stderr
    assert took < webhook.hang_seconds  # not waited out
    assert "service 1 (json) did not take the digest" in result.stderr
    assert "no time left for service 2 (json)" in result.stderr
    assert len(other_webhook.requests) == 0  # never tried: the budget was spent
    webhook.mode = other_webhook.mode = "ok"
    assert env.sync(notify__urls=urls).returncode == 0
    assert (len(webhook.taken), len(other_webhook.taken)) == (1, 1)


def test_a_digest_not_taken_for_retry_hours_is_dropped_with_a_warning(
    env: Env, webhook: FakeWebhook, tmp_path: Path
) -> None:
    webhook.mode = "fail"
    urls = [webhook.url()]
    assert env.sync(notify__urls=urls).returncode == 0
    db = sqlite3.connect(tmp_path / "data" / "feed.sqlite3")
    with db:
        db.execute("UPDATE notices SET created_at = ?",
                   ((utc_now() - timedelta(hours=31)).strftime("%Y-%m-%d %H:%M:%S"),))  # fmt: skip
    db.close()
    webhook.mode = "ok"

    late = env.sync(notify__urls=urls)

    assert late.returncode == 0
    assert "service 1 (json) never took the digest of" in late.stderr and "dropped" in late.stderr
    assert webhook.taken == []


def test_papers_logged_before_a_service_was_set_up_are_not_sent(
    env: Env, webhook: FakeWebhook
) -> None:
    assert env.sync().returncode == 0
    assert env.sync(notify__urls=[webhook.url()]).returncode == 0
    assert webhook.taken == []


@pytest.mark.parametrize("moment", ["after the commit", "while sending"])
def test_a_kill_between_commit_and_delivery_neither_loses_nor_doubles_the_digest(
    env: Env, webhook: FakeWebhook, moment: str
) -> None:
    config = env.config(notify__urls=[webhook.url()])
    assert run_cli("sync", "--config", config, "--dry-run").returncode == 0  # imports warm
    marker = env.tmp / "committed"
    if moment == "after the commit":
        # git's own hook runs once the commit is made: the sync is killed there, before it
        # has recorded the papers as committed, let alone the digest.
        hook = env.repo / ".git" / "hooks" / "post-commit"
        hook.write_text(
            f"#!/bin/sh\nps -o pgid= $$ > '{marker}.tmp'\nmv '{marker}.tmp' '{marker}'\nsleep 20\n"
        )
        hook.chmod(0o755)
        reached = marker.exists
    else:
        webhook.mode = "hang"
        reached = lambda: len(webhook.requests) > 0  # noqa: E731

    child = forks.start(["sync", "--config", config])
    deadline = time.monotonic() + 60
    while not reached():
        assert child.is_alive() and time.monotonic() < deadline, "the sync never got there"
        time.sleep(0.01)
    child.kill()
    child.join()
    if moment == "after the commit":
        # The killed sync's git, still in its hook, is ended as its next run would ask.
        os.killpg(int(marker.read_text()), signal.SIGKILL)
        (env.repo / ".git" / "hooks" / "post-commit").unlink()
    webhook.mode = "ok"

    assert run_cli("sync", "--config", config).returncode == 0
    assert run_cli("sync", "--config", config).returncode == 0

    assert len(webhook.taken) == 1
    links = [link for link in chat_links(webhook.taken[0]["message"]) if "/abs/" in link]
    assert sorted(links) == sorted(f"https://arxiv.org/abs/{p.arxiv_id}" for p in env.papers)


def test_notify_test_reports_each_service(
    env: Env, webhook: FakeWebhook, other_webhook: FakeWebhook, mail: FakeMailServer
) -> None:
    other_webhook.mode = "fail"
    urls: list[Any] = [
        webhook.url(), {"url": mail.url(), "events": ["failure"]},
        other_webhook.url("x/SECRET-TOKEN-424242"), "nosuchservice://abc",
    ]  # fmt: skip

    result = run_cli("notify", "--test", "--config", env.config(notify__urls=urls))

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "notify: service 1 (json: digest, failure): sent"
    assert lines[1] == "notify: service 2 (mailto: failure): sent"
    assert lines[2].startswith("notify: service 3 (json: digest, failure): FAILED: ")
    assert lines[3].startswith("notify: service 4 (nosuchservice: digest, failure): FAILED: ")
    assert "SECRET-TOKEN-424242" not in result.stdout + result.stderr
    assert titles(webhook) == ["SNN_arxiv_daily: test message from snn-feed"]
    assert mail.mails[0]["Subject"] == "SNN_arxiv_daily: test message from snn-feed"
    ok = run_cli("notify", "--test", "--config", env.config(notify__urls=urls[:2]))
    assert ok.returncode == 0
    none = run_cli("notify", "--test", "--config", env.config())
    assert none.returncode == 2 and "[notify] urls" in none.stderr


def test_the_urls_secrets_appear_nowhere(
    env: Env, webhook: FakeWebhook, other_webhook: FakeWebhook, tmp_path: Path
) -> None:
    other_webhook.mode = "fail"
    token = "TOKEN-SECRET-9f8e7d6c5b4a"
    urls = f"{webhook.url('hook/' + token)} json://user:hunter2-PASSWORD@{other_webhook.url()[7:]}"
    environ = {"SNN_FEED_NOTIFY__URLS": urls}

    result = run_cli("sync", "-v", "--config", env.config(), env=environ, process=True)
    status = run_cli("status", "--config", env.config(), env=environ)
    as_json = run_cli("status", "--json", "--config", env.config(), env=environ)

    assert result.returncode == 0, result.stderr
    assert len(webhook.taken) == 1 and "service 2 (json)" in result.stderr
    shown = result.stdout + result.stderr + status.stdout + as_json.stdout
    shown += git(env.repo, "log", "-p") + env.log.read_text()
    for secret in (token, "hunter2-PASSWORD"):
        assert secret not in shown
    assert '"scheme": "json"' in as_json.stdout


def test_without_commits_the_papers_written_get_their_digest(
    env: Env, webhook: FakeWebhook
) -> None:
    config = {"notify__urls": [webhook.url()], "git__commit": False}

    assert env.sync(**config).returncode == 0
    assert env.sync(**config).returncode == 0

    assert titles(webhook) == [webhook.taken[0]["title"]] and "5 new papers" in titles(webhook)[0]
