"""Text from outside on PostgreSQL: no length limit, no NUL, and errors as one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import git, run_cli, snn_entries, utc_now, write_config
from fakes import FakeArxiv, FakeTranslator, fake_zh, running
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.clock  # the papers are today's


def _query(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.begin() as db:
            result = db.execute(text(sql))
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


def _log(tmp_path: Path) -> Path:
    repo = tmp_path / "log"
    repo.mkdir()
    (repo / "README.md").write_text("# My SNN log\n")
    git(repo, "init", "--quiet")
    git(repo, "add", "README.md")
    git(repo, "commit", "--quiet", "-m", "my log")
    return repo / "README.md"


def test_import_keeps_a_long_month_heading_and_a_long_title(
    tmp_path: Path, postgres_url: str
) -> None:
    heading = "## 2021.03 " + "and the spiking papers of the weeks after it, read late " * 2
    title = "Spiking neural networks " + "with surrogate gradients and many more words " * 12
    assert len(heading) > 64 and len(title) > 500
    log = _log(tmp_path)
    log.write_text(f"# My SNN log\n\n{heading.strip()}\n\n### {title.strip()}\n")
    config = write_config(tmp_path / "config.toml", arxiv_url="http://127.0.0.1:9/",
                          translator_url=None, log_path=log,
                          database__url=postgres_url)  # fmt: skip
    result = run_cli("import", "--no-resolve", "--config", str(config))
    assert result.returncode == 0, result.stderr
    rows = _query(postgres_url, "SELECT section, title FROM log_entries")
    assert rows == [(heading.removeprefix("## ").strip(), title.strip())]


def test_a_nul_in_a_translation_is_dropped_and_later_syncs_go_on(
    tmp_path: Path, postgres_url: str, fake_arxiv: FakeArxiv
) -> None:
    now = utc_now()
    papers = snn_entries(4, now)
    fake_arxiv.entries = papers[:2]
    log = _log(tmp_path)
    with running(FakeTranslator(lambda t: fake_zh(t).replace("脉冲", "脉\x00冲"))) as engine:
        config = write_config(tmp_path / "config.toml", arxiv_url=fake_arxiv.url,
                              translator_url=engine.base + "/m", log_path=log,
                              database__url=postgres_url)  # fmt: skip
        first = run_cli("sync", "--config", str(config))
        fake_arxiv.entries = papers
        second = run_cli("sync", "--config", str(config))
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    written = log.read_text()
    assert all(p.arxiv_id in written for p in papers)
    assert "\x00" not in written and "脉冲" in written
    states = _query(postgres_url, "SELECT state, count(*) FROM topic_papers GROUP BY state")
    assert states == [("committed", 4)]


def test_a_database_error_is_one_line_naming_its_kind_and_table(
    tmp_path: Path, postgres_url: str, fake_arxiv: FakeArxiv
) -> None:
    """The sync's error, and the run record `status` shows, say what went wrong and where,
    without the SQL or the abstracts it carried; `-v` gives the server's detail."""
    papers = snn_entries(2, utc_now())
    fake_arxiv.entries = papers
    config = write_config(tmp_path / "config.toml", arxiv_url=fake_arxiv.url,
                          translator_url=None, log_path=_log(tmp_path),
                          database__url=postgres_url)  # fmt: skip
    assert run_cli("db", "upgrade", "--config", str(config)).returncode == 0
    _query(postgres_url, "ALTER TABLE papers ADD CONSTRAINT short CHECK (length(title) < 5)")

    result = run_cli("sync", "--config", str(config))
    assert result.returncode == 1
    (line,) = [ln for ln in result.stderr.splitlines() if "database" in ln]
    assert "CheckViolation in table papers" in line and 'constraint "short"' in line
    for leak in ("INSERT", "[SQL", "parameters", papers[0].abstract[:40], "Failing row"):
        assert leak not in result.stderr
    (stored,) = _query(postgres_url, "SELECT error FROM sync_runs WHERE outcome = 'failed'")
    assert stored[0] is not None and "\n" not in str(stored[0]) and "INSERT" not in str(stored[0])

    verbose = run_cli("sync", "-v", "--config", str(config))
    assert "Failing row contains" in verbose.stderr
