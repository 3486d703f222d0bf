"""Keeping the log readable: the archive round trip, and the collapsible entry style."""

from __future__ import annotations

from pathlib import Path

import gfm
import pytest
from conftest import SEED_LOG, git, run_cli, snn_entries, utc_now, write_config
from fakes import FakeArxiv, FakeTranslator, fake_zh
from hypothesis import given, settings
from hypothesis import strategies as st

from snn_feed.journal import archive
from snn_feed.journal.render import clean, render_entry
from snn_feed.records import LogEntry

pytestmark = pytest.mark.clock  # reads the wall clock: CI runs it at hard instants too


def test_archive_then_restore_gives_back_the_identical_file(tmp_path: Path, log_repo: Path) -> None:
    config = write_config(tmp_path / "c.toml", arxiv_url="http://127.0.0.1:9/api/query",
                          translator_url=None, log_path=log_repo / "README.md")  # fmt: skip
    head = git(log_repo, "rev-parse", "HEAD").strip()
    result = run_cli("archive", "--config", str(config), "--keep-months", "3")
    assert result.returncode == 0, result.stderr
    assert "months moved to 2019, 2020" in result.stdout
    log = (log_repo / "README.md").read_bytes()
    assert len(log) < len(SEED_LOG.read_bytes()) / 3
    items, _ = gfm.read(log.decode(errors="replace"))
    links = {link.href for item in items for link in item.links}
    assert {"archive/2020.md", "archive/2019.md"} <= links
    changed = git(log_repo, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(changed) == ["README.md", "archive/2019.md", "archive/2020.md"]
    # the log plus its archives hold every byte of the original, once
    archived = (log_repo / "archive" / "2020.md").read_bytes() + (
        log_repo / "archive" / "2019.md"
    ).read_bytes()
    assert len(log) + len(archived) > len(SEED_LOG.read_bytes())

    back = run_cli("archive", "--config", str(config), "--restore")
    assert back.returncode == 0, back.stderr
    assert (log_repo / "README.md").read_bytes() == SEED_LOG.read_bytes()
    assert not (log_repo / "archive").exists()  # the log's folder is as it was
    assert git(log_repo, "rev-list", "--count", f"{head}..HEAD").strip() == "2"
    assert git(log_repo, "diff", head, "HEAD").strip() == ""


def test_archiving_moves_padded_and_unpadded_months_alike() -> None:
    log = ("# Log\n\n## 2027.1\n\n- a\n\n## 2026.12\n\n- b\n\n## 2026.09\n\n- c\n\n"
           "## 2026.7~8\n\n- d\n\n## 2025.3\n\n- e\n")  # fmt: skip
    kept, archives, years = archive.archive(log, 2, {})
    assert years == [2025, 2026]
    assert archives == {2026: "## 2026.09\n\n- c\n\n## 2026.7~8\n\n- d\n\n",
                        2025: "## 2025.3\n\n- e\n"}  # fmt: skip
    assert kept.startswith("# Log\n\n## 2027.1\n\n- a\n\n## 2026.12\n\n- b\n\n")
    assert archive.restore(kept, archives) == log


def test_sync_with_keep_months_archives_and_never_re_adds_archived_papers(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path
) -> None:
    from datetime import timedelta

    from fakes import FakeEntry

    now = utc_now()
    # 2003.11837 is in the seed's 2020.11 section, which the archive moves away
    old = FakeEntry("2003.11837", "Rectified Linear Postsynaptic Potential Function for "
                    "Spiking Neural Networks", "Spiking neural networks.", ["Malu Zhang"],
                    now - timedelta(hours=1), version=3)  # fmt: skip
    fake_arxiv.entries = [*snn_entries(3, now), old]
    config = write_config(tmp_path / "c.toml", arxiv_url=fake_arxiv.url,
                          translator_url=fake_translator.base + "/m",
                          log_path=log_repo / "README.md", log__keep_months=1)  # fmt: skip
    result = run_cli("sync", "--config", str(config))
    assert result.returncode == 0, result.stderr
    text = (log_repo / "README.md").read_text(errors="replace")
    assert text.count("\n## 20") == 1  # only the newest month stays
    assert "2003.11837" not in text
    assert (log_repo / "archive" / "2020.md").exists()
    again = run_cli("sync", "--config", str(config))
    assert again.returncode == 0 and "written 0" in again.stdout
    assert git(log_repo, "status", "--porcelain").strip() == ""


ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs",))
NASTY = st.sampled_from(
    ["</details>", "<summary>x</summary>", "](http://x)", "<script>", "# ", "1. ", "> ", "```",
     "---", "a@b.cd", "www.x.com", "&amp;", "\\", '"']
)  # fmt: skip
TEXT = st.lists(st.one_of(st.text(ALPHABET, max_size=30), NASTY), max_size=8).map("".join)


URLS = ["https://github.com/snn-lab/model", "http://x.example/a?b=1&c=2", "https://y.example/&amp;"]
WITH_URLS = st.lists(st.one_of(TEXT, st.sampled_from(URLS)), max_size=4).map(" ".join)


@settings(max_examples=1000, deadline=None)
@given(title=TEXT, author=TEXT, abstract=WITH_URLS, english=WITH_URLS)
def test_details_style_shows_the_abstract_as_text_in_a_collapsible_block(
    title: str, author: str, abstract: str, english: str
) -> None:
    entry = LogEntry("2611.00001", 3, author, title or "t", abstract, abstract=english)
    items, tags = gfm.read(render_entry(entry, style="details") + "\n")
    assert len(items) == 1
    (item,) = items
    assert item.links[0].href == "https://arxiv.org/abs/2611.00001"
    assert item.links[0].title is None
    # Any other link is a URL of the abstract that the English abstract holds, shown as is.
    for link in item.links[1:]:
        assert link.href == link.text and link.href in english and link.href in abstract, link
    assert set(tags) <= {"ul", "li", "p", "a", "details", "summary"}
    if gfm.squash(clean(abstract)):
        assert "details" in tags and "summary" in tags
        assert gfm.squash(item.text).endswith(gfm.squash(clean(abstract).replace("\u3000", "")))


def test_details_style_end_to_end(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path
) -> None:
    fake_arxiv.entries = snn_entries(3, utc_now())
    config = write_config(tmp_path / "c.toml", arxiv_url=fake_arxiv.url,
                          translator_url=fake_translator.base + "/m",
                          log_path=log_repo / "README.md", log__style="details")  # fmt: skip
    assert run_cli("sync", "--config", str(config)).returncode == 0
    items, tags = gfm.read((log_repo / "README.md").read_text(errors="replace"))
    for entry in fake_arxiv.entries:
        (item,) = [i for i in items if i.links and i.links[0].href.endswith(entry.arxiv_id)]
        assert gfm.squash(fake_zh(entry.abstract)) in gfm.squash(item.text)
    assert "details" in tags
