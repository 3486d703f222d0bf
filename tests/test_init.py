"""A log comes to be only on purpose: `snn-feed init` starts or adopts one, a mistyped
`[log] path` stops the sync, and only the built-in log is started by a sync, saying where."""

from __future__ import annotations

import shutil
from pathlib import Path

import gfm
import pytest
from conftest import SEED_LOG, git, run_cli, snn_entries, utc_now
from fakes import FakeArxiv, FakeEntry, FakeTranslator
from test_cli import Env

from snn_feed.config import DEFAULT_LOG, load_settings


@pytest.fixture
def env(tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path):
    papers = snn_entries(5, utc_now())
    fake_arxiv.entries = list(papers)
    return Env(tmp_path, fake_arxiv, fake_translator, log_repo, papers)


def servers(env: Env) -> dict[str, str]:
    """The fake arXiv and engine through the environment: what `init` writes is left as is."""
    return {
        "SNN_FEED_ARXIV__API_URL": env.arxiv.url, "SNN_FEED_ARXIV__DELAY_SECONDS": "0",
        "SNN_FEED_TRANSLATE__URL": env.translator.base + "/m", "SNN_FEED_SYNC__SOURCE": "api",
    }  # fmt: skip


def bilingual_entries(text: str) -> list[str]:
    """The papers a log shows as bilingual entries: a heading that links the paper."""
    return [links[0] for kind, _, links in gfm.page(text).headings if kind == "h3" and links]


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(folder).parts
    }


@pytest.mark.parametrize("where", ["config", "environment"])
def test_a_mistyped_log_path_stops_the_sync_and_starts_no_second_log(env: Env, where: str) -> None:
    typo = env.repo / "READNE.md"
    head = env.head()
    if where == "config":
        result = env.sync(log__path=str(typo))
        origin = str(env.tmp / "config.toml")
    else:
        result = run_cli("sync", "--config", env.config(),
                         env={"SNN_FEED_LOG__PATH": str(typo)})  # fmt: skip
        origin = "$SNN_FEED_LOG__PATH"
    assert result.returncode == 2, result.stdout + result.stderr
    line = result.stderr.strip()
    assert str(typo) in line and origin in line and "snn-feed init" in line
    assert "\n" not in line
    assert not typo.exists() and env.head() == head
    backfill = run_cli("backfill", "--from", "2026-11-01", "--config",
                       env.config(log__path=str(typo)))  # fmt: skip
    assert backfill.returncode == 2 and "snn-feed init" in backfill.stderr
    assert not typo.exists()


def test_with_no_config_the_first_sync_starts_the_builtin_log_and_says_where_first(
    env: Env, tmp_path: Path
) -> None:
    here = tmp_path / "quick-start"
    here.mkdir()
    result = run_cli("sync", cwd=here, env=servers(env))
    assert result.returncode == 0, result.stderr
    log = here / DEFAULT_LOG
    first = result.stdout.splitlines()[0]
    assert str(log) in first and "snn-feed init" in first
    text = log.read_text()
    assert text.startswith("# SNN arXiv daily")
    assert len(bilingual_entries(text)) == len(env.papers)  # a new log's style
    assert git(log.parent, "log", "--format=%s").strip().endswith(f"{len(env.papers)} new papers")
    again = run_cli("sync", cwd=here, env=servers(env))
    assert again.returncode == 0 and str(log) not in again.stdout  # said once, when it is new


def test_init_starts_a_new_log_that_the_sync_then_adds_to(env: Env, tmp_path: Path) -> None:
    config, log = tmp_path / "etc" / "config.toml", tmp_path / "my-log" / "README.md"
    result = run_cli("init", "--log", str(log.parent), "--config", str(config),
                     "--timezone", "Asia/Shanghai")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"started a new log {log}" in result.stdout and str(config) in result.stdout
    assert f"next: snn-feed sync --config {config} --dry-run" in result.stdout
    assert log.read_text().startswith("# SNN arXiv daily")
    assert (
        git(log.parent, "log", "--format=%s").strip() == "Start the SNN arXiv log (snn-feed init)"
    )
    assert git(log.parent, "status", "--porcelain") == ""
    settings = load_settings(config, environ={})
    assert (settings.log_path, settings.log.timezone) == (log, "Asia/Shanghai")

    synced = run_cli("sync", "--config", str(config), env=servers(env))
    assert synced.returncode == 0, synced.stderr
    assert f"written {len(env.papers)}," in synced.stdout and "new (built-in" not in synced.stdout
    assert len(bilingual_entries(log.read_text())) == len(env.papers)  # a new log's style
    assert git(log.parent, "rev-list", "--count", "HEAD").strip() == "2"


def test_init_adopts_an_existing_log_and_imports_it(env: Env, tmp_path: Path) -> None:
    head, before = env.head(), env.log.read_bytes()
    here = tmp_path / "service"
    here.mkdir()
    result = run_cli("init", "--log", str(env.repo), "--no-resolve", cwd=here)
    assert result.returncode == 0, result.stderr
    assert f"adopted the log {env.log}" in result.stdout
    assert "import: " in result.stdout and " entries (" in result.stdout
    assert "next: snn-feed sync --dry-run" in result.stdout  # ./config.toml is found by itself
    assert env.log.read_bytes() == before and env.head() == head
    assert load_settings(here / "config.toml", environ={}).log_path == env.log

    # A paper the hand-made log holds already is not added again.
    known = FakeEntry("2011.00888", "Controlled Perturbation-Induced Switching in Spiking "
                      "Neural Networks", "Spiking neural networks.", ["Fabio Schittler Neves"],
                      env.papers[0].published, version=2)  # fmt: skip
    env.arxiv.entries.append(known)
    synced = run_cli("sync", cwd=here, env=servers(env))
    assert synced.returncode == 0, synced.stderr
    assert env.log.read_text().count("arxiv.org/abs/2011.00888") == 1
    assert f"written {len(env.papers)}," in synced.stdout


def _existing_config(tmp: Path) -> list[str]:
    (tmp / "config.toml").write_text("# mine\n")
    return ["--log", str(tmp / "new-log")]


def _typo_in_a_repository(tmp: Path) -> list[str]:
    return ["--log", str(tmp / "SNN_arxiv_daily" / "READNE.md")]


def _new_folder_in_a_repository(tmp: Path) -> list[str]:
    return ["--log", str(tmp / "SNN_arxiv_daily" / "READNE")]  # a folder, nested in the clone


def _busy_folder(tmp: Path) -> list[str]:
    (tmp / "home").mkdir()
    (tmp / "home" / "notes.txt").write_text("mine\n")
    return ["--log", str(tmp / "home" / "README.md")]


def _log_outside_git(tmp: Path) -> list[str]:
    (tmp / "loose").mkdir()
    shutil.copyfile(SEED_LOG, tmp / "loose" / "README.md")
    return ["--log", str(tmp / "loose" / "README.md")]


def _ignored_log(tmp: Path) -> list[str]:
    repo = tmp / "SNN_arxiv_daily"
    (repo / ".gitignore").write_text("README.md\n")
    git(repo, "rm", "--cached", "--quiet", "README.md")
    return ["--log", str(repo)]


def _bad_time_zone(tmp: Path) -> list[str]:
    return ["--log", str(tmp / "new-log"), "--timezone", "Mars/Olympus_Mons"]


@pytest.mark.parametrize(
    ("arrange", "says"),
    [
        (_existing_config, "exists already"),
        (_typo_in_a_repository, "did you mean"),
        (_new_folder_in_a_repository, "lies in the git repository"),
        (_busy_folder, "is not empty"),
        (_log_outside_git, "not in a git repository"),
        (_ignored_log, "ignored by git (rule .gitignore:1:README.md)"),
        (_bad_time_zone, "unknown time zone"),
    ],
    ids=lambda v: getattr(v, "__name__", "")[1:] or None,
)
def test_init_refuses_with_one_line_and_writes_nothing(
    tmp_path: Path, log_repo: Path, arrange, says: str
) -> None:
    args = arrange(tmp_path)
    before = files_under(tmp_path)
    result = run_cli("init", "--no-resolve", *args, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert says in result.stderr and result.stderr.count("\n") == 1
    assert files_under(tmp_path) == before


def test_the_shipped_config_leaves_the_log_unset_so_the_quick_start_runs_on_it() -> None:
    shipped = Path(__file__).resolve().parents[1] / "config.toml"
    assert load_settings(shipped, environ={}).log_origin is None
