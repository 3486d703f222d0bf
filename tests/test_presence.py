"""One rule decides whether a paper is new to a log (snn_feed/presence.py): the sync, its
dry run, the translate stage and the commit message agree, and a paper's state is kept per log.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED_LOG, git, run_cli, snn_entries, utc_now, write_config
from fakes import FakeArxiv, FakeEntry, FakeTranslator, fake_zh

from snn_feed.config import DEFAULT_LOG
from snn_feed.journal.logfile import insert_entries
from snn_feed.journal.logparse import normalize_title
from snn_feed.journal.presence import Presence, entry_ids
from snn_feed.journal.render import render_entry
from snn_feed.records import LogEntry

pytestmark = pytest.mark.clock  # reads the wall clock: CI runs it at hard instants too

WOULD_ADD = re.compile(r"^would add: \[\d\] (\S+) ", re.MULTILINE)


def entry(e: FakeEntry) -> str:
    """The entry snn-feed itself would have written for `e`."""
    return render_entry(LogEntry(e.arxiv_id, 3, e.authors[0], e.title, fake_zh(e.abstract)))


def log_holding(repo: Path, papers: list[FakeEntry], *, extra: str = "") -> None:
    """Put entries of `papers` (and `extra` lines) into the log, committed by its owner."""
    log = repo / "README.md"
    entries = [entry(e) for e in papers] + ([extra] if extra else [])
    log.write_text(insert_entries(log.read_text(errors="surrogateescape"), 2020, 12, entries),
                   errors="surrogateescape")  # fmt: skip
    git(repo, "commit", "--quiet", "-am", "papers I logged myself")


@dataclass
class Setup:
    tmp: Path
    arxiv: FakeArxiv
    translator: FakeTranslator
    repo: Path

    def config(self, **extra: Any) -> str:
        extra.setdefault("log_path", self.repo / "README.md")
        return str(write_config(self.tmp / "config.toml", arxiv_url=self.arxiv.url,
                                translator_url=self.translator.base + "/m", **extra))  # fmt: skip

    def run(self, *args: str, **extra: Any):
        result = run_cli(*args, "--config", self.config(**extra))
        assert result.returncode in (0, 3), result.stderr
        return result

    def logged(self, log: Path | None = None) -> set[str]:
        return entry_ids((log or self.repo / "README.md").read_text(errors="surrogateescape"))


@pytest.fixture
def setup(tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator,
          log_repo: Path) -> Setup:  # fmt: skip
    return Setup(tmp_path, fake_arxiv, fake_translator, log_repo)


def test_the_dry_run_leaves_out_an_entry_imported_by_title_as_the_sync_does(setup: Setup) -> None:
    imported, other = snn_entries(2, utc_now())
    log_holding(setup.repo, [], extra=f"### {imported.title}\n\n中文摘要。")
    assert run_cli("import", "--no-resolve", "--config", setup.config()).returncode == 0
    setup.arxiv.entries = [imported, other]

    dry = setup.run("sync", "--dry-run")
    assert WOULD_ADD.findall(dry.stdout) == [other.arxiv_id]
    assert "found 2, new 1," in dry.stdout
    real = setup.run("sync")
    assert "found 2, new 1," in real.stdout
    assert setup.logged() - entry_ids(SEED_LOG.read_text(errors="replace")) == {other.arxiv_id}


def test_papers_the_log_already_holds_are_neither_translated_nor_counted(setup: Setup) -> None:
    papers = snn_entries(28, utc_now())
    log_holding(setup.repo, papers[:20])
    setup.arxiv.entries = papers

    result = setup.run("sync")
    assert "found 28, new 8, translated 8, written 8," in result.stdout
    assert len(setup.translator.requests) == 8, "paid only for the new entries"
    subject = git(setup.repo, "log", "-1", "--format=%s").strip()
    assert subject.endswith(": 8 new papers"), subject
    diff = git(setup.repo, "diff", "HEAD~1", "--", "README.md")
    assert len(re.findall(r"^\+- \[\d\]", diff, re.MULTILINE)) == 8


def test_an_id_cited_in_another_entrys_abstract_does_not_make_it_logged(setup: Setup) -> None:
    cited, citing = snn_entries(2, utc_now())
    citing = replace(citing, abstract=f"{citing.abstract} It extends arXiv:{cited.arxiv_id}.")
    log_holding(setup.repo, [citing])
    setup.arxiv.entries = [cited, citing]

    result = setup.run("sync")
    assert "new 1, translated 1, written 1," in result.stdout
    assert cited.arxiv_id in setup.logged()


def test_papers_written_to_another_log_reach_the_configured_one(setup: Setup) -> None:
    # The quick start's sync writes the default log; then the user points [log] path at
    # their real one and syncs again: every paper arrives there too, each once.
    papers = snn_entries(5, utc_now())
    setup.arxiv.entries = papers
    first = setup.tmp / DEFAULT_LOG  # the built-in log, with [log] path unset
    setup.run("sync", log_path=None)
    assert setup.logged(first) == {e.arxiv_id for e in papers}

    dry = setup.run("sync", "--dry-run")
    assert sorted(WOULD_ADD.findall(dry.stdout)) == sorted(e.arxiv_id for e in papers)
    result = setup.run("sync")
    assert "written 5," in result.stdout
    assert {e.arxiv_id for e in papers} <= setup.logged()
    assert "written 0," in setup.run("sync").stdout


def test_a_paper_removed_from_the_log_is_written_again(setup: Setup) -> None:
    papers = snn_entries(3, utc_now())
    setup.arxiv.entries = papers
    setup.run("sync")
    log = setup.repo / "README.md"
    gone = papers[1].arxiv_id
    kept = [line for line in log.read_text().split("\n- [") if f"abs/{gone} " not in line]
    log.write_text("\n- [".join(kept))
    git(setup.repo, "commit", "--quiet", "-am", "not this one")
    assert gone not in setup.logged()

    assert "written 1," in setup.run("sync").stdout
    text = log.read_text()
    assert text.count(f"https://arxiv.org/abs/{gone} ") == 1


# Every scenario the suite fetches in: what the dry run lists is exactly what the sync adds.


def fresh(s: Setup) -> dict[str, Any]:
    s.arxiv.entries = snn_entries(5, utc_now())
    return {}


def imported(s: Setup) -> dict[str, Any]:
    papers = snn_entries(4, utc_now())
    log_holding(s.repo, [papers[0]], extra=f"### {papers[1].title}\n\n中文摘要。")
    assert run_cli("import", "--no-resolve", "--config", s.config()).returncode == 0
    s.arxiv.entries = papers
    return {}


def already_logged(s: Setup) -> dict[str, Any]:
    papers = snn_entries(5, utc_now())
    log_holding(s.repo, papers[:2])
    s.arxiv.entries = papers
    return {}


def replaced_versions(s: Setup) -> dict[str, Any]:
    papers = snn_entries(5, utc_now())
    s.arxiv.entries = papers[:3]
    s.run("sync")
    s.arxiv.entries = [replace(papers[0], version=2, title=papers[0].title + " (v2)"),
                       *papers[1:]]  # fmt: skip
    return {}


def below_min_score(s: Setup) -> dict[str, Any]:
    papers = snn_entries(3, utc_now())
    mention = FakeEntry(f"{utc_now():%y%m}.39999", "Graph learning at scale",
                        "Related work includes spiking neural networks.", ["C. Mention"],
                        utc_now())  # fmt: skip
    s.arxiv.entries = [*papers, mention]
    return {"feed__min_score": 3}


def another_log(s: Setup) -> dict[str, Any]:
    papers = snn_entries(4, utc_now())
    s.arxiv.entries = papers[:3]
    s.run("sync", log_path=None)  # the built-in log, as the quick start's first sync
    s.arxiv.entries = papers
    return {}


@pytest.mark.parametrize(
    "scenario", [fresh, imported, already_logged, replaced_versions, below_min_score, another_log]
)
def test_the_dry_run_lists_exactly_what_the_sync_adds(
    setup: Setup, scenario: Callable[[Setup], dict[str, Any]]
) -> None:
    extra = scenario(setup)
    before = setup.logged()
    dry = setup.run("sync", "--dry-run", **extra)
    assert setup.logged() == before, "a dry run writes nothing"
    listed = WOULD_ADD.findall(dry.stdout)
    setup.run("sync", **extra)
    added = setup.logged() - before
    assert sorted(listed) == sorted(added)
    assert len(listed) == len(set(listed))


def test_presence_counts_an_entrys_own_link_and_nothing_else() -> None:
    text = (
        "## 2026.12\n\n"
        '- [3] [A] Title. [paper](https://arxiv.org/abs/2612.00001v2 "它扩展了 2612.00002 和\n'
        '  https://arxiv.org/abs/2612.00003。") .\n'
        "- [2] [B] Cites [paper](https://arxiv.org/abs/2612.00004) in its title. "
        "[paper](https://arxiv.org/abs/2612.00005) .\n"
        "See also https://arxiv.org/abs/2612.00006 and arXiv:2612.00007.\n"
    )
    assert entry_ids(text) == {"2612.00001", "2612.00004"}
    titles = {normalize_title("A surrogate gradient study"): "title:x"}
    presence = Presence.of([text], {"2612.00008": "id:2612.00008"}, titles)
    assert presence.holds("2612.00001", "whatever")
    assert not presence.holds("2612.00002", "whatever")
    assert presence.entry_of("2612.00008", "t") == "id:2612.00008"
    assert presence.entry_of("2612.00009", "A Surrogate-Gradient Study") == "title:x"
