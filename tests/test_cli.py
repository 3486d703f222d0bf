"""`snn-feed` as a user runs it: exit statuses, flags, and what each leaves behind."""

from __future__ import annotations

import socket
import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
import gfm
import pytest
from click.testing import CliRunner
from conftest import SEED_LOG, git, log_months, run_cli, snn_entries, utc_now, write_config
from fakes import FakeArxiv, FakeEntry, FakeTranslator, Reply, fake_zh
from filelock import FileLock

from snn_feed.cli import cli
from snn_feed.store.migrate import head_revision


@dataclass
class Env:
    tmp: Path
    arxiv: FakeArxiv
    translator: FakeTranslator
    repo: Path
    papers: list[FakeEntry]

    @property
    def log(self) -> Path:
        return self.repo / "README.md"

    def config(self, **extra: Any) -> str:
        extra.setdefault("translator_url", self.translator.base + "/m")
        return str(
            write_config(
                self.tmp / "config.toml", arxiv_url=self.arxiv.url, log_path=self.log, **extra
            )
        )

    def sync(self, *args: str, process: bool = False, **extra: Any):
        return run_cli("sync", "--config", self.config(**extra), *args, process=process)

    def head(self) -> str:
        return git(self.repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def env(tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path):
    papers = snn_entries(5, utc_now())
    fake_arxiv.entries = list(papers)
    return Env(tmp_path, fake_arxiv, fake_translator, log_repo, papers)


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_every_command_help_shows_an_example() -> None:
    runner = CliRunner()
    assert "Example:" in runner.invoke(cli, ["--help"]).output
    commands = list(_commands(cli))
    assert {"sync", "db", "upgrade"} <= {path[-1] for path, _ in commands}
    for path, _ in commands:
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Example:" in result.output, f"{' '.join(path)} --help has no example"


def test_unreachable_arxiv_fails_with_status_1_in_one_line_after_one_per_wait(env: Env) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    before = env.log.read_bytes()
    result = run_cli(
        "sync", "--config",
        str(write_config(env.tmp / "c.toml", arxiv_url=f"http://127.0.0.1:{port}/api/query",
                         translator_url=None, log_path=env.log)),
        process=True,  # what a user's terminal shows: one line, no traceback
    )  # fmt: skip
    assert result.returncode == 1
    wait, error = result.stderr.splitlines()  # [arxiv] retries = 1 in write_config
    assert "arXiv: attempt 1 of 2 failed (cannot connect" in wait and "retrying in" in wait
    assert error.startswith("snn-feed: arXiv: cannot connect")
    assert "Traceback" not in result.stderr
    assert env.log.read_bytes() == before
    db = sqlite3.connect(env.tmp / "data" / "feed.sqlite3")
    assert db.execute("select outcome, error is not null from sync_runs").fetchall() == [
        ("failed", 1)
    ]


def test_failed_translation_leaves_papers_pending_until_a_later_sync(env: Env) -> None:
    env.translator.script = [Reply(503, b"Service Unavailable")] * 10
    head = env.head()
    before = env.log.read_bytes()

    first = env.sync()
    assert first.returncode == 3, first.stderr
    assert f"new {len(env.papers)}, translated 0, written 0, pending {len(env.papers)}" in (
        first.stdout
    )
    assert env.log.read_bytes() == before and env.head() == head

    env.translator.script.clear()
    second = env.sync()
    assert second.returncode == 0, second.stderr
    assert f"new 0, translated {len(env.papers)}, written {len(env.papers)}, pending 0" in (
        second.stdout
    )
    assert git(env.repo, "rev-list", "--count", f"{head}..HEAD").strip() == "1"


def test_a_sync_while_another_holds_the_lock_exits_busy(env: Env) -> None:
    config = env.config()
    with FileLock(str(env.tmp / "data" / "sync.lock")):  # held by another process
        result = run_cli("sync", "--config", config, process=True)
    assert result.returncode == 4
    assert "another sync is running" in result.stderr
    assert env.arxiv.requests == []


def test_dry_run_prints_what_would_be_added_and_changes_nothing(env: Env) -> None:
    head, before = env.head(), env.log.read_bytes()
    result = env.sync("--dry-run")
    assert result.returncode == 0, result.stderr
    added = [line for line in result.stdout.splitlines() if line.startswith("would add:")]
    assert len(added) == len(env.papers)
    for paper in env.papers:
        assert any(paper.arxiv_id in line for line in added)
    assert env.log.read_bytes() == before and env.head() == head
    assert not (env.tmp / "data" / "feed.sqlite3").exists()
    assert env.translator.requests == []


def test_no_commit_writes_the_log_and_the_next_sync_commits_it(env: Env) -> None:
    head = env.head()
    result = env.sync("--no-commit")
    assert result.returncode == 0, result.stderr
    assert env.head() == head
    assert git(env.repo, "status", "--porcelain").strip() == "M README.md"
    written = env.log.read_bytes()

    again = env.sync()
    assert again.returncode == 0, again.stderr
    assert env.log.read_bytes() == written
    assert git(env.repo, "status", "--porcelain").strip() == ""
    subject = git(env.repo, "log", "-1", "--format=%s")
    assert f"{len(env.papers)} new papers" in subject


def test_first_sync_creates_the_log_and_its_repository(env: Env) -> None:
    # With [log] path unset: the built-in log beside the config, the only one a sync starts.
    log = env.tmp / "fresh" / "data" / "SNN_arxiv_daily" / "README.md"
    (env.tmp / "fresh").mkdir()
    config = write_config(
        env.tmp / "fresh" / "config.toml", arxiv_url=env.arxiv.url,
        translator_url=env.translator.base + "/m", log_path=None,
    )  # fmt: skip
    result = run_cli("sync", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert str(log) in result.stdout.splitlines()[0]
    text = log.read_text()
    assert text.startswith("# SNN arXiv daily")
    # A log snn-feed starts is in the bilingual style: one heading per paper, linking it.
    headings = [links for kind, _, links in gfm.page(text).headings if kind == "h3"]
    assert sorted(headings) == sorted([f"https://arxiv.org/abs/{p.arxiv_id}"] for p in env.papers)
    assert git(log.parent, "log", "--format=%s").strip().endswith(f"{len(env.papers)} new papers")


def test_an_existing_log_outside_git_is_refused_untouched(env: Env, tmp_path: Path) -> None:
    loose = tmp_path / "loose" / "README.md"
    loose.parent.mkdir()
    loose.write_bytes(SEED_LOG.read_bytes())
    config = write_config(
        tmp_path / "loose.toml", arxiv_url=env.arxiv.url,
        translator_url=env.translator.base + "/m", log_path=loose,
    )  # fmt: skip
    result = run_cli("sync", "--config", str(config))
    assert result.returncode == 1
    assert "not in a git repository" in result.stderr
    assert loose.read_bytes() == SEED_LOG.read_bytes()


def test_papers_already_in_the_log_are_not_added_again(env: Env) -> None:
    # 2011.00888 is in the hand-made log already
    known = FakeEntry("2011.00888", "Controlled Perturbation-Induced Switching in Spiking "
                      "Neural Networks", "Spiking neural networks.", ["Fabio Schittler Neves"],
                      utc_now() - timedelta(hours=1), version=2)  # fmt: skip
    env.arxiv.entries.append(known)
    result = env.sync()
    assert result.returncode == 0, result.stderr
    text = env.log.read_text()
    assert text.count("arxiv.org/abs/2011.00888") == 1
    assert f"written {len(env.papers)}," in result.stdout


def month_key(heading: str) -> tuple[int, int]:
    """(year, month) of a month heading's text: `2026.9` comes before `2026.10`."""
    year, month = heading.split(".")
    return int(year), int(month)


@pytest.mark.clock  # the month a sync logs under: CI runs it at hard instants too
def test_entries_join_the_current_month_section_when_it_exists(env: Env) -> None:
    first = env.papers[:2]
    env.arxiv.entries = list(first)
    started = utc_now()
    assert env.sync().returncode == 0
    after_first = env.log.read_text()
    env.arxiv.entries = list(env.papers)
    assert env.sync().returncode == 0
    text = env.log.read_text()
    month = after_first.split("\n## ", 2)[1].split("\n")[0]
    assert text.count(f"## {month}\n") == 1
    section = text.split(f"## {month}\n", 1)[1].split("\n## ", 1)[0]
    items, _ = gfm.read(section)
    if len(log_months(started, utc_now())) == 1:
        assert len(items) == len(env.papers)
    else:  # a month ended in New York between the two syncs: the second one opened the next
        newer = text.split("\n## ", 2)[1].split("\n")[0]
        assert month_key(newer) > month_key(month) and len(items) == len(first)
    # the earlier entries stay first, the new ones follow them
    assert text.startswith(after_first.split("\n## 2020.11")[0].rstrip("\n"))


def test_the_api_key_never_appears_in_output_or_storage(env: Env) -> None:
    secret = "sk-SECRET-0123456789"
    env.translator.script = [Reply(500, b"internal error")] * 10
    result = env.sync(
        "--verbose",
        process=True,  # everything the process prints, logging included
        translate__backend="libre",
        translate__api_key=secret,
        translator_url=env.translator.base + "/",
    )
    assert result.returncode == 3, result.stderr
    assert env.translator.requests and env.translator.requests[0]["params"]["api_key"] == secret
    assert secret not in result.stdout + result.stderr
    for path in (env.tmp / "data").iterdir():
        assert secret.encode() not in path.read_bytes(), path


@pytest.mark.parametrize(("backend", "path"), [("libre", "/"), ("mymemory", "/get")])
def test_other_engines_speak_their_own_wire_format(env: Env, backend: str, path: str) -> None:
    result = env.sync(translate__backend=backend, translator_url=env.translator.base + path)
    assert result.returncode == 0, result.stderr
    items, _ = gfm.read(env.log.read_text())
    titles = {i.links[0].href: i.links[0].title for i in items if i.links}
    for paper in env.papers:
        title = titles[f"https://arxiv.org/abs/{paper.arxiv_id}"] or ""
        expected = "".join(fake_zh(p) for p in [" ".join(paper.abstract.split())])
        if backend == "mymemory":  # 500-character requests: each piece translated on its own
            assert all(len(r["params"]["q"]) <= 500 for r in env.translator.requests)
            expected = "".join(title.split())
            assert "".join(fake_zh(" ".join(paper.abstract.split())).split()).replace(
                "译文：", ""
            ) == expected.replace("译文：", "")
        assert gfm.squash(title) == gfm.squash(expected)


def test_since_starts_the_window_at_that_day_in_the_log_time_zone(env: Env) -> None:
    assert env.sync("--since", "2026-11-02").returncode == 0
    query = env.arxiv.requests[0]["params"]["search_query"]
    assert "submittedDate:[202611020500 TO " in query  # midnight in New York (EST) in UTC


def test_db_upgrade_reports_the_revision(env: Env) -> None:
    result = run_cli("db", "upgrade", "--config", env.config())
    assert result.returncode == 0, result.stderr
    assert f"database at revision {head_revision()}" in result.stdout


def test_push_sends_the_commit_to_the_remote(env: Env) -> None:
    remote = env.tmp / "remote.git"
    git(env.tmp, "init", "--quiet", "--bare", str(remote))
    git(env.repo, "remote", "add", "origin", str(remote))
    result = env.sync(git__push=True)
    assert result.returncode == 0, result.stderr
    assert git(remote, "rev-parse", "HEAD").strip() == env.head()


def test_a_log_with_someone_elses_uncommitted_edits_is_left_alone(env: Env) -> None:
    edited = env.log.read_bytes() + b"\n- my own note, not committed yet\n"
    env.log.write_bytes(edited)
    head = env.head()
    result = env.sync()
    assert result.returncode == 1
    assert "uncommitted changes that snn-feed did not make" in result.stderr
    assert env.log.read_bytes() == edited and env.head() == head

    git(env.repo, "commit", "-qam", "note")
    again = env.sync()
    assert again.returncode == 0, again.stderr
    assert f"translated 0, written {len(env.papers)}, pending 0" in again.stdout
    assert env.log.read_bytes().startswith(edited[:100])


def test_a_sync_waits_for_the_lock_up_to_its_timeout(env: Env) -> None:
    import subprocess
    import sys

    config = env.config(sync__lock_timeout_seconds=30)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from filelock import FileLock; "
         "lock = FileLock(sys.argv[1]); lock.acquire(); print('held', flush=True); "
         "time.sleep(1.5)", str(env.tmp / "data" / "sync.lock")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    result = run_cli("sync", "--config", config)
    holder.wait()
    assert result.returncode == 0, result.stderr
    assert f"written {len(env.papers)}" in result.stdout


def test_running_without_any_config_says_so(tmp_path: Path) -> None:
    # From cron without `cd`, defaults would quietly start a second log under ./data.
    result = run_cli("status", cwd=tmp_path)
    assert result.returncode == 1  # never synced
    assert "no config file" in result.stderr and str(tmp_path / "data") in result.stderr
    (tmp_path / "config.toml").write_text("")
    assert "no config file" not in run_cli("status", cwd=tmp_path).stderr


@pytest.mark.parametrize(
    ("command", "option"),
    [("sync", "--since"), ("backfill", "--from"), ("backfill", "--to"), ("retranslate", "--since")],
)
def test_every_day_option_says_it_is_a_day_in_the_logs_time_zone(command: str, option: str):
    from snn_feed.cli import cli

    (param,) = [p for p in cli.commands[command].params if option in getattr(p, "opts", [])]
    assert "[log] timezone" in (param.help or "")  # type: ignore[attr-defined]
