"""Which style a log's entries get (pipeline/styles.py): a new log is bilingual, an adopted log
keeps its own, the choice is kept in the database, and switching never rewrites an entry. The
logs are read as GitHub renders them (cmark-gfm)."""

from __future__ import annotations

import json
from pathlib import Path

import gfm
import pytest
from conftest import SEED_LOG, git, run_cli, snn_entries, utc_now, write_config
from fakes import FakeArxiv, FakeTranslator, fake_zh
from test_render_log import is_insertion

from snn_feed.config import load_settings
from snn_feed.pipeline.styles import log_style
from snn_feed.store import open_store

pytestmark = pytest.mark.clock  # syncs read the wall clock: CI runs them at hard instants too


def config_for(tmp_path: Path, arxiv: FakeArxiv, translator: FakeTranslator, log: Path | None,
               **extra: object) -> Path:  # fmt: skip
    return write_config(tmp_path / "c.toml", arxiv_url=arxiv.url,
                        translator_url=translator.base + "/m", log_path=log, **extra)  # fmt: skip


def sync(config: Path) -> None:
    result = run_cli("sync", "--config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr


def started_log(tmp_path: Path, arxiv: FakeArxiv, translator: FakeTranslator) -> Path:
    """The built-in log, started by a sync of three papers."""
    arxiv.entries = snn_entries(3, utc_now())
    config = config_for(tmp_path, arxiv, translator, None)
    sync(config)
    return load_settings(config).log_path


def test_a_log_snn_feed_starts_is_bilingual_with_visible_chinese(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator
) -> None:
    log = started_log(tmp_path, fake_arxiv, fake_translator)
    page = gfm.page(log.read_text(encoding="utf-8"))
    titles = {text for kind, text, _ in page.headings if kind == "h3"}
    for paper in fake_arxiv.entries:
        # The Chinese title is the heading; the Chinese abstract is text a reader (and
        # Ctrl-F) sees; the English abstract is folded inside <details>.
        assert any(gfm.squash(fake_zh(paper.title)) in gfm.squash(t) for t in titles), titles
        assert gfm.squash(fake_zh(paper.abstract)) in gfm.squash(page.outside)
        assert gfm.squash(paper.abstract) in gfm.squash(page.inside)
        assert gfm.squash(paper.abstract) not in gfm.squash(page.outside)
    assert not [link for link in page.links if link.title]  # nothing hides in a hover


def test_the_original_log_adopted_keeps_the_hover_style_and_every_byte(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path
) -> None:
    fake_arxiv.entries = snn_entries(3, utc_now())
    config = config_for(tmp_path, fake_arxiv, fake_translator, log_repo / "README.md")
    imported = run_cli("import", "--config", str(config), "--no-resolve")
    assert imported.returncode == 0, imported.stderr
    assert "the log's style is hover; new entries: hover (the log's own)" in imported.stdout
    status = run_cli("status", "--config", str(config), "--json")
    assert json.loads(status.stdout)["log_style"] == {"style": "hover", "source": "detected"}
    sync(config)
    after = (log_repo / "README.md").read_text(encoding="utf-8")
    assert is_insertion(SEED_LOG.read_text(encoding="utf-8"), after)
    page = gfm.page(after)
    assert not [h for h in page.headings if h[0] == "h3" and "arxiv.org/abs/" in str(h[2])]
    for paper in fake_arxiv.entries:
        hover = [link.title for link in page.links if link.href.endswith(paper.arxiv_id)]
        assert hover and gfm.squash(fake_zh(paper.abstract)) == gfm.squash(hover[0] or "")


def test_a_log_synced_without_import_is_read_for_its_style_once(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path
) -> None:
    """The style is settled by the first write and kept: entries of another style added later
    (by a configured style, or by hand) never tip the log into it."""
    log = log_repo / "README.md"
    fake_arxiv.entries = snn_entries(2, utc_now())
    sync(config_for(tmp_path, fake_arxiv, fake_translator, log))  # settles hover
    fake_arxiv.entries = snn_entries(5, utc_now(), offset=2)
    switched = config_for(tmp_path, fake_arxiv, fake_translator, log, log__style="bilingual")
    before = log.read_text(encoding="utf-8")
    sync(switched)
    after = log.read_text(encoding="utf-8")
    assert is_insertion(before, after)  # switching rewrote nothing
    added = after.count("\n### [")
    assert added == 5, after[:3000]
    fake_arxiv.entries = snn_entries(1, utc_now(), offset=7)
    unset = config_for(tmp_path, fake_arxiv, fake_translator, log)
    sync(unset)  # the log now holds more bilingual than hover entries of snn-feed's own
    newest = log.read_text(encoding="utf-8")
    assert newest.count("\n### [") == added
    status = run_cli("status", "--config", str(unset))
    assert "log style: hover (read from the log's entries)" in status.stdout
    entry = fake_arxiv.entries[0].arxiv_id
    assert f"[paper](https://arxiv.org/abs/{entry} " in newest  # hover, as settled


def test_the_style_is_settled_once_per_log_in_the_database(tmp_path: Path) -> None:
    settings = load_settings(
        write_config(
            tmp_path / "c.toml", arxiv_url="http://127.0.0.1:9/", translator_url=None, log_path=None
        )
    )
    store = open_store(settings.database_url)
    try:
        hover_log = SEED_LOG.read_text(encoding="utf-8")
        assert log_style(store, settings.log, tmp_path / "a.md", lambda: [hover_log]) == "hover"
        assert log_style(store, settings.log, tmp_path / "b.md", lambda: ["# New\n"]) == "bilingual"
        # Read back, whatever the text now says; another log has its own.
        assert log_style(store, settings.log, tmp_path / "a.md", lambda: ["# New\n"]) == "hover"

        def unread() -> list[str]:
            raise AssertionError("a settled log's files are not read for its style")

        assert log_style(store, settings.log, tmp_path / "a.md", unread) == "hover"
        assert log_style(store, settings.log, tmp_path / "b.md", lambda: [hover_log]) == "bilingual"
        details = settings.log.model_copy(update={"style": "details"})
        assert log_style(store, details, tmp_path / "a.md", lambda: [hover_log]) == "details"
        assert store.log_styles.get(str(tmp_path / "a.md")) == ("hover", "detected")
        assert store.log_styles.get(str(tmp_path / "b.md")) == ("bilingual", "new")
        # A log whose months are all archived is read in its archives.
        archived = log_style(store, settings.log, tmp_path / "c.md", lambda: ["# Log\n", hover_log])
        assert archived == "hover"
        older_only = "# Log\n\n## 2019.1\n\n### A title\n\n中文摘要。\n"
        older = log_style(store, settings.log, tmp_path / "d.md", lambda: [older_only])
        assert older == "bilingual"
        assert store.log_styles.get(str(tmp_path / "d.md")) == ("bilingual", "default")
    finally:
        store.engine.dispose()


def test_a_bilingual_log_imported_is_read_back_whole(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator
) -> None:
    """`import` reads bilingual entries (id, English title) and no line of them is a stray."""
    log = started_log(tmp_path, fake_arxiv, fake_translator)
    repo = tmp_path / "copy"
    repo.mkdir()
    (repo / "README.md").write_bytes(log.read_bytes())
    git(repo, "init", "--quiet")
    (tmp_path / "other").mkdir()
    other = write_config(tmp_path / "other" / "c.toml", arxiv_url=fake_arxiv.url,
                         translator_url=None, log_path=repo / "README.md")  # fmt: skip
    result = run_cli("import", "--config", str(other), "--no-resolve")
    assert result.returncode == 0, result.stderr
    assert "import: 3 entries (3 new, 0 already known), 3 with an arXiv id" in result.stdout
    assert "0 lines that are not entries" in result.stdout
    assert "the log's style is bilingual" in result.stdout
