"""Calm under failure: what a sync does when an engine, arXiv, git or a person gets in the way,
and that the next sync finishes the job with nothing lost or doubled."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import gfm
import pytest
from conftest import git, run_cli, snn_entries, utc_now, write_config
from fakes import FakeArxiv, FakeEntry, FakeTranslator, Reply, atom_feed, fake_zh
from test_cli import Env

from snn_feed.config import ArxivSettings, load_settings
from snn_feed.errors import TranslationError
from snn_feed.pipeline.context import Seams
from snn_feed.pipeline.sync import SyncOptions, sync
from snn_feed.store import open_store
from snn_feed.translation.engines import Translation, check_translation


@pytest.fixture
def env(tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path):
    papers = snn_entries(5, utc_now())
    fake_arxiv.entries = list(papers)
    return Env(tmp_path, fake_arxiv, fake_translator, log_repo, papers)


def logged_ids(log: Path) -> list[str]:
    items, _ = gfm.read(log.read_text())
    return [i.links[0].href.rsplit("/abs/", 1)[1] for i in items if i.links]


def test_papers_the_engine_always_rejects_do_not_hold_back_the_others(env: Env) -> None:
    poison = [
        FakeEntry(f"2611.9000{i}", f"Spiking neural network poison {i}", "POISON spiking neural "
                  "networks.", ["P"], utc_now() - timedelta(days=2, hours=i))
        for i in range(2)
    ]  # fmt: skip
    env.arxiv.entries += poison
    env.translator.fault = lambda r: Reply(500, b"no") if "POISON" in r["params"]["q"] else None

    first = env.sync()
    second = env.sync()
    assert (first.returncode, second.returncode) == (3, 3)
    logged = logged_ids(env.log)
    assert sorted(logged[: len(env.papers)]) == sorted(p.arxiv_id for p in env.papers)
    assert not {p.arxiv_id for p in poison} & set(logged)
    assert "pending 2" in second.stdout


def test_a_symlinked_log_is_written_through_and_committed(env: Env, tmp_path: Path) -> None:
    link = tmp_path / "elsewhere" / "log.md"
    link.parent.mkdir()
    link.symlink_to(env.log)
    head = env.head()
    config = write_config(tmp_path / "link.toml", arxiv_url=env.arxiv.url,
                          translator_url=env.translator.base + "/m", log_path=link)  # fmt: skip
    result = run_cli("sync", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert link.is_symlink()
    assert set(logged_ids(env.log)) >= {p.arxiv_id for p in env.papers}
    assert git(env.repo, "rev-list", "--count", f"{head}..HEAD").strip() == "1"
    assert git(env.repo, "status", "--porcelain").strip() == ""


@pytest.mark.parametrize("commit", [True, False])
def test_a_link_in_the_repository_leading_out_of_it_is_refused(
    env: Env, tmp_path: Path, commit: bool
) -> None:
    # A clone can carry a committed symlink; writing through it would change a file elsewhere.
    outside = tmp_path / "outside.txt"
    outside.write_text("not the log\n")
    trap = env.repo / "TRAP.md"
    trap.symlink_to(outside)
    git(env.repo, "add", "TRAP.md")
    git(env.repo, "commit", "-qm", "a link")
    head = env.head()
    result = env.sync(log__path=str(trap), git__commit=commit)
    assert result.returncode == 2
    assert "leads out of its repository" in result.stderr and "[log] path" in result.stderr
    assert outside.read_text() == "not the log\n"
    assert env.head() == head


def test_a_log_path_inside_the_git_folder_is_refused(env: Env) -> None:
    result = env.sync(log__path=str(env.repo / ".git" / "README.md"), git__commit=False)
    assert result.returncode == 2
    assert ".git folder" in result.stderr
    assert not (env.repo / ".git" / "README.md").exists()


def test_an_archive_folder_linked_out_of_the_repository_is_refused(
    env: Env, tmp_path: Path
) -> None:
    assert env.sync().returncode == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (env.repo / "archive").symlink_to(elsewhere, target_is_directory=True)
    before = env.log.read_bytes()
    result = run_cli("archive", "--keep-months", "1", "--config", env.config())
    assert result.returncode == 2, result.stderr
    assert "leads out of the log repository" in result.stderr
    assert list(elsewhere.iterdir()) == []
    assert env.log.read_bytes() == before


def test_a_feed_folder_linked_out_of_the_log_repository_is_refused(
    env: Env, tmp_path: Path
) -> None:
    # `[export] atom = "site/feed.atom"` in a clone whose `site` is a committed link elsewhere.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (env.repo / "site").symlink_to(elsewhere, target_is_directory=True)
    head, before = env.head(), env.log.read_bytes()
    result = env.sync(export__atom=str(env.repo / "site" / "feed.atom"))
    assert result.returncode == 2, result.stderr
    assert "[export] atom" in result.stderr and "leads out of its repository" in result.stderr
    assert list(elsewhere.iterdir()) == []
    assert env.head() == head and env.log.read_bytes() == before  # refused before any work
    exported = run_cli("export", "--config", env.config(export__atom=str(env.repo / "site" /
                                                                       "feed.atom")))  # fmt: skip
    assert exported.returncode == 2 and "leads out of its repository" in exported.stderr
    assert list(elsewhere.iterdir()) == []


def test_a_log_that_git_ignores_is_a_config_error_not_an_endless_partial_sync(env: Env) -> None:
    assert env.sync().returncode == 0
    env.arxiv.entries = snn_entries(2, utc_now(), offset=10)
    (env.repo / ".gitignore").write_text("notes/\n*.md\n")
    git(env.repo, "rm", "--cached", "--quiet", "README.md")  # untracked now, and ignored
    git(env.repo, "add", ".gitignore")
    git(env.repo, "commit", "--quiet", "-m", "ignore markdown")
    head, before = env.head(), env.log.read_bytes()
    for _ in range(2):
        result = env.sync()
        assert result.returncode == 2, result.stdout + result.stderr
        assert str(env.log) in result.stderr and ".gitignore:2:*.md" in result.stderr
    assert env.head() == head and env.log.read_bytes() == before
    status = run_cli("status", "--config", env.config())
    assert status.returncode == 1, status.stdout  # unhealthy: the last run failed


def test_someone_elses_edit_is_never_committed_even_with_nothing_new(env: Env) -> None:
    assert env.sync().returncode == 0
    head = env.head()
    edited = env.log.read_bytes() + b"\nmy note\n"
    env.log.write_bytes(edited)
    result = env.sync()
    assert result.returncode == 0, result.stderr
    assert env.head() == head and env.log.read_bytes() == edited


def test_an_edit_after_a_no_commit_run_is_not_swept_into_the_commit(env: Env) -> None:
    head = env.head()
    assert env.sync("--no-commit").returncode == 0
    edited = env.log.read_bytes() + b"\nmy note\n"
    env.log.write_bytes(edited)
    result = env.sync()
    assert result.returncode == 1
    assert "did not make" in result.stderr
    assert env.head() == head and env.log.read_bytes() == edited


def test_a_translator_down_for_days_keeps_papers_pending_and_status_says_so(env: Env) -> None:
    env.translator.fault = lambda r: Reply(503, b"Service Unavailable")
    before = set(logged_ids(env.log))
    first = env.sync()
    assert first.returncode == 3, first.stderr
    assert "pending 5" in first.stdout
    fresh = run_cli("status", "--config", env.config())
    # No engine answered at all: status fails at once, not after max_pending_hours.
    assert fresh.returncode == 1, fresh.stdout
    assert "5 pending translation" in fresh.stdout
    assert "problem: last run could not translate: google: " in fresh.stdout

    # Three days later, still down: nothing is ever logged untranslated, and status fails.
    db = sqlite3.connect(env.tmp / "data" / "feed.sqlite3")
    with db:
        db.execute("UPDATE papers SET first_seen = datetime(first_seen, '-3 days')")
    db.close()
    again = env.sync()
    assert again.returncode == 3
    assert set(logged_ids(env.log)) == before
    late = run_cli("status", "--config", env.config())
    assert late.returncode == 1
    problem = next(line for line in late.stdout.splitlines() if "waiting for a translation" in line)
    assert "5 papers" in problem and "oldest for 72 h" in problem
    assert "last error: google: " in problem  # which engine, and what it said

    env.translator.fault = None
    back = env.sync()
    assert back.returncode == 0, back.stderr
    ids = logged_ids(env.log)
    assert sorted(set(ids) - before) == sorted(p.arxiv_id for p in env.papers)
    assert len(ids) == len(set(ids))
    assert run_cli("status", "--config", env.config()).returncode == 0


def test_a_rejected_api_key_is_not_retried_and_never_shown(env: Env) -> None:
    secret = "sk-TOPSECRET-42"
    env.translator.fault = lambda r: Reply(403, b'{"error": "Invalid API key"}')
    result = env.sync(
        "-v", translate__backend="libre", translate__api_key=secret, translate__retries=2,
        translator_url=env.translator.base + "/",
    )  # fmt: skip
    assert result.returncode == 3
    assert "403" in result.stderr
    assert secret not in result.stdout + result.stderr
    # LibreTranslate takes its texts as a list, many to a request: count the texts.
    sent = [r["params"]["q"] for r in env.translator.requests]
    asked = [t for q in sent for t in (q if isinstance(q, list) else [q])]
    assert len(asked) == len(set(asked)) <= len(env.papers)  # no paper was asked twice
    for path in (env.tmp / "data").iterdir():
        assert secret.encode() not in path.read_bytes()


@pytest.mark.parametrize(
    "answer",
    [
        "MYMEMORY WARNING: YOU USED ALL AVAILABLE FREE TRANSLATIONS FOR TODAY. NEXT AVAILABLE IN "
        "10 HOURS 20 MINUTES 10 SECONDS",
        "",
        "<html><body><form id=captcha>Our systems have detected unusual traffic</form></body>",
    ],
)
def test_an_answer_that_is_not_a_translation_is_not_stored(env: Env, answer: str) -> None:
    env.translator.translate = lambda text: answer
    before = env.log.read_bytes()
    result = env.sync(translate__backend="mymemory", translator_url=env.translator.base + "/get")
    assert result.returncode == 3
    assert env.log.read_bytes() == before
    db = sqlite3.connect(env.tmp / "data" / "feed.sqlite3")
    assert db.execute("select count(*) from papers where abstract_zh is not null").fetchone() == (
        0,
    )


@pytest.mark.parametrize(
    ("source", "answer", "accepted"),
    [
        ("Spiking neural networks are efficient.", "脉冲神经网络是高效的。", True),
        ("Spiking neural networks are efficient.", "Spiking neural networks are efficient.", False),
        (
            "Spiking neural networks are efficient.",
            "Les réseaux de neurones sont efficaces.",
            False,
        ),
        ("We use <script> tags.", "我们使用 <script> 标签。", True),
        ("SNN.", "SNN.", True),  # too short to tell: kept
    ],
)
def test_check_translation(source: str, answer: str, accepted: bool) -> None:
    if accepted:
        assert check_translation(source, answer, "zh-CN", "x") == answer
    else:
        with pytest.raises(TranslationError):
            check_translation(source, answer, "zh-CN", "x")


def test_a_connection_dropped_mid_answer_is_retried(env: Env) -> None:
    body = atom_feed(env.arxiv.entries, len(env.arxiv.entries), 0, 200)
    env.arxiv.script = [Reply(200, body, cut=len(body) // 2)]
    result = env.sync()
    assert result.returncode == 0, result.stderr
    assert len(env.arxiv.requests) == 2


def test_arxiv_failing_on_page_two_still_logs_page_one_then_catches_up(env: Env) -> None:
    env.arxiv.fault = lambda r: Reply(503, b"down") if r["params"]["start"] != "0" else None
    first = env.sync(arxiv__page_size=2)
    assert first.returncode == 1
    assert "HTTP 503" in first.stderr
    first_page = {p.arxiv_id for p in env.papers} & set(logged_ids(env.log))
    assert len(first_page) == 2  # page one is in the log and committed
    assert git(env.repo, "status", "--porcelain").strip() == ""

    env.arxiv.fault = None
    second = env.sync(arxiv__page_size=2)
    assert second.returncode == 0, second.stderr
    ids = [i for i in logged_ids(env.log) if i.startswith(env.papers[0].arxiv_id[:4])]
    assert sorted(ids) == sorted(p.arxiv_id for p in env.papers)


def test_an_unexpected_error_is_recorded_as_a_failed_run(env: Env) -> None:
    class Broken:
        name = "broken"

        engine_names = ("broken",)

        def translate(self, text: str) -> Translation:
            raise RuntimeError("bug in an engine")

    settings = load_settings(env.config(), environ={})
    store = open_store(settings.database_url)
    from snn_feed.sources.api import PoliteClient

    client = PoliteClient(ArxivSettings(api_url=env.arxiv.url, delay_seconds=0))
    with pytest.raises(RuntimeError):
        sync(Seams(settings, store, client, Broken(), None), SyncOptions())
    with store.session() as s:
        from snn_feed.store.tables import SyncRun

        (run,) = s.query(SyncRun).all()
    assert (run.outcome, run.error, run.finished_at is not None) == (
        "failed", "bug in an engine", True,
    )  # fmt: skip


def test_config_errors_from_the_engine_are_usage_errors(env: Env) -> None:
    result = run_cli("sync", "--config", env.config(), env={"SNN_FEED_TRANSLATE__TARGET": "xx"})
    assert result.returncode == 2
    assert "translate.target" in result.stderr and result.stderr.count("\n") == 1


def test_a_numeric_looking_api_key_stays_text(env: Env) -> None:
    settings = load_settings(env.config(), environ={"SNN_FEED_TRANSLATE__API_KEY": "20261128"})
    assert settings.translate.api_key == "20261128"


def test_the_fake_translation_is_what_ends_up_in_the_log(env: Env) -> None:
    assert env.sync().returncode == 0
    items, _ = gfm.read(env.log.read_text())
    titles = {i.links[0].href.rsplit("/", 1)[1]: i.links[0].title for i in items if i.links}
    for paper in env.papers:
        assert gfm.squash(titles[paper.arxiv_id] or "") == gfm.squash(
            fake_zh(" ".join(paper.abstract.split()))
        )


def test_api_keys_appear_in_no_log_line_status_output_or_commit(env: Env) -> None:
    secret, other = "sk-LIVE-7777777777", "dl-SECOND-KEY-99"
    extra = {
        "translate__backend": "libre",
        "translate__api_key": secret,
        "translate__api_keys": {"deepl": other},
        "translator_url": env.translator.base + "/",
    }
    outputs = [
        env.sync("-v", **extra),
        env.sync("-v", "--log-format", "json", **extra),
        run_cli("status", "--config", env.config(**extra), "--json", "-v"),
        run_cli("status", "--config", env.config(**extra)),
    ]
    assert outputs[0].returncode == 0, outputs[0].stderr
    assert env.translator.requests[0]["params"]["api_key"] == secret  # it was really used
    for result in outputs:
        assert secret not in result.stdout + result.stderr
        assert other not in result.stdout + result.stderr
    history = git(env.repo, "log", "-p", "--all")
    assert secret not in history and other not in history
