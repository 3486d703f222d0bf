"""Golden files: a recorded feed, a config and the log before a sync -> the log after it, byte
for byte, one test per folder of tests/golden (see tests/golden/README.md). On a mismatch the
test shows a unified diff; `SNN_FEED_UPDATE_GOLDEN=1` rewrites the expected files instead."""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gfm
import pytest
from conftest import write_config
from fake_rss import FakeRss
from fakes import FakeArxiv, FakeTranslator, Reply, fake_zh, running

from snn_feed.config import DEFAULT_LOG, load_settings
from snn_feed.journal.logparse import parse_log
from snn_feed.pipeline.sync import SyncOptions, run_sync

pytestmark = pytest.mark.clock  # a sync: CI also runs it at hard instants, which must not matter

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(p for p in GOLDEN.iterdir() if (p / "case.toml").is_file())

# Read at import: the autouse fixture of conftest removes every SNN_FEED_* variable before a
# test runs (and the product would take it for a config override).
UPDATE = os.environ.get("SNN_FEED_UPDATE_GOLDEN") == "1"
CJK = re.compile(r"[\u4e00-\u9fff]")

HARNESS_KEYS = {
    ("arxiv", "api_url"), ("rss", "url"), ("rss", "categories"), ("translate", "backend"),
    ("translate", "url"), ("log", "path"), ("database", "url"), ("sync", "lock_file"),
    ("sync", "source"),
}  # fmt: skip
"""Keys the test sets itself (servers, files under tmp_path): a case's config must not."""


def _case(folder: Path) -> dict[str, Any]:
    case = tomllib.loads((folder / "case.toml").read_text(encoding="utf-8"))
    unknown = set(case) - {"protects", "now", "rss", "api", "mistranslates"}
    assert not unknown, f"{folder.name}/case.toml: unknown keys {sorted(unknown)}"
    assert case.get("protects"), f"{folder.name}/case.toml: say what the case protects"
    assert isinstance(case.get("now"), datetime) and case["now"].tzinfo is not None, (
        f"{folder.name}/case.toml: `now` must be a TOML date-time with an offset"
    )
    assert ("rss" in case) != ("api" in case), f"{folder.name}/case.toml: one of rss or api"
    return case


def _recorded(path: Path) -> bytes:
    """The document a case serves: an RSS or Atom file as it is, or the body of a response
    recorded from the live arXiv API (tests/fixtures/arxiv: JSON, the body as latin-1 text)."""
    if path.suffix == ".json":
        return json.loads(path.read_text())["body"].encode("latin-1")
    return path.read_bytes()


def _engine(mistranslates: dict[str, str]) -> Callable[[str], str]:
    """The fake engine's `fake_zh`, after rendering some English phrases as a real engine
    mistranslates them (to show the corrections at work)."""

    def translate(text: str) -> str:
        for english, chinese in mistranslates.items():
            text = text.replace(english, chinese)
        return fake_zh(text)

    return translate


def _config_fragment(folder: Path) -> dict[str, Any]:
    path = folder / "config.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    owned = {(s, k) for s, values in data.items() for k in values} & HARNESS_KEYS
    assert not owned, f"{folder.name}/config.toml sets keys the test owns: {sorted(owned)}"
    return {f"{s}__{k}": v for s, values in data.items() for k, v in values.items()}


def _lines(data: bytes) -> list[str]:
    lines = data.decode("utf-8", errors="backslashreplace").splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def _single_insertion(before: bytes, after: bytes) -> bool:
    """Whether `after` is `before` with one run of bytes inserted somewhere: a sync only ever
    adds, it never changes or moves what the log already holds."""
    pairs = zip(before, after, strict=False)
    common = next((i for i, (a, b) in enumerate(pairs) if a != b), min(len(before), len(after)))
    return len(after) >= len(before) and after.endswith(before[common:])


@pytest.mark.parametrize("folder", CASES, ids=[c.name for c in CASES])
def test_golden(folder: Path, tmp_path: Path, migrated_sqlite: Path) -> None:
    case = _case(folder)
    # The database the config names, at the newest revision: the logs are the subject here.
    (tmp_path / "data").mkdir()
    shutil.copyfile(migrated_sqlite, tmp_path / "data" / "feed.sqlite3")
    now: datetime = case["now"].astimezone(UTC)
    before_file = folder / "before.md"
    before = before_file.read_bytes() if before_file.is_file() else None
    # A new log is the built-in one, the only log a sync starts by itself.
    log = tmp_path / ("SNN_arxiv_daily/README.md" if before is not None else DEFAULT_LOG)
    if before is not None:
        log.parent.mkdir()
        log.write_bytes(before)

    source = "rss" if "rss" in case else "api"
    document = _recorded(folder / case[source])
    translator = FakeTranslator(_engine(case.get("mistranslates", {})))
    # One server, for the source the case reads, stands at both addresses: a request to the
    # other source shows in its request log.
    server: FakeRss | FakeArxiv = FakeRss() if source == "rss" else FakeArxiv()
    with running(server), running(translator):
        if isinstance(server, FakeRss):
            server.serve("cs.NE", document)
        else:
            server.script.append(Reply(200, document, {"Content-Type": "application/atom+xml"}))
        base = server.base
        config = write_config(
            tmp_path / "config.toml", arxiv_url=base + "/api/query",
            translator_url=translator.base + "/m", log_path=log if before is not None else None,
            rss__url=base, rss__categories=["cs.NE"], rss__retries=0,
            rss__timeout_seconds=5.0, **_config_fragment(folder),
        )  # fmt: skip
        settings = load_settings(config, environ={})
        result = run_sync(settings, SyncOptions(source=source, commit=False), clock=lambda: now)
        assert (result.status.name, result.summary.messages) == ("DONE", [])
        # The recorded input was read once, and nothing else was asked for.
        wanted = "/rss/cs.NE" if source == "rss" else "/api/query"
        assert [r["path"] for r in server.requests] == [wanted]
        assert server.script == []

    actual = log.read_bytes() if log.is_file() else b""
    expected_file = folder / "expected.md"
    if UPDATE:
        expected_file.write_bytes(actual)
    elif not expected_file.is_file():
        pytest.fail(f"{folder.name} has no expected.md: write it with SNN_FEED_UPDATE_GOLDEN=1, "
                    "then review it", pytrace=False)  # fmt: skip
    expected = expected_file.read_bytes()
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                _lines(expected), _lines(actual), f"{folder.name}/expected.md", "the log after"
            )
        )
        pytest.fail(
            f"the log differs from {folder.name}/expected.md (SNN_FEED_UPDATE_GOLDEN=1 "
            f"rewrites it; review the result by eye):\n{diff}",
            pytrace=False,
        )
    if before is not None:
        assert _single_insertion(before, actual), "the sync changed bytes the log already held"


BILINGUAL = [c for c in CASES if "\n### [" in (c / "expected.md").read_text(encoding="utf-8")]


@pytest.mark.parametrize("folder", BILINGUAL, ids=[c.name for c in BILINGUAL])
def test_a_bilingual_golden_shows_its_chinese_as_text_and_folds_its_english(folder: Path) -> None:
    """Each bilingual entry of the expected log, rendered as GitHub renders it: its heading is
    the Chinese title, the Chinese abstract is visible text, the English abstract is inside
    <details> and nowhere else."""
    entries, _ = parse_log((folder / "expected.md").read_text(encoding="utf-8"))
    bilingual = [e for e in entries if e.text.startswith("### [")]
    assert bilingual
    for entry in bilingual:
        page = gfm.page(entry.text)
        ((kind, heading, links),) = page.headings
        assert kind == "h3" and links == [f"https://arxiv.org/abs/{entry.arxiv_id}"]
        assert CJK.search(heading), heading
        assert CJK.search(page.outside.replace(heading, "")), entry.text
        assert page.inside.strip() and not CJK.search(page.inside.replace("英文摘要", ""))
        assert gfm.squash(page.inside.replace("英文摘要", "")) not in gfm.squash(page.outside)
