"""The command and configuration references, and the shipped config.toml, built from the code.

The help of each click command, the description of each config field and the table of venues
are the only copy of that text: docs/commands.md, docs/configuration.md, config.toml and
docs/venue-list.md are rendered from them (and examples/github-actions/ from the
workflow template), so they cannot drift apart, and tests/test_docs.py
fails when a committed copy is stale. Pure functions from the command tree, the config model
and the venue table to text; `main` writes the files.

    python -m snn_feed.reference           # rewrite the five files
    python -m snn_feed.reference --check   # exit 1 when one of them is out of date
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from snn_feed.pipeline.actions import workflow_text
from snn_feed.reference.commands import commands_markdown
from snn_feed.reference.configuration import (
    config_toml,
    configuration_markdown,
    toml_key,
    toml_value,
)
from snn_feed.reference.text import sections
from snn_feed.reference.venues import venues_markdown

__all__ = [
    "commands_markdown", "config_toml", "configuration_markdown", "generated_files", "main",
    "sections", "stale_files", "toml_key", "toml_value", "venues_markdown",
]  # fmt: skip


def generated_files(root: Path) -> dict[Path, str]:
    """Each generated file under the checkout `root`, with the text it should hold."""
    return {
        root / "docs" / "commands.md": commands_markdown(),
        root / "docs" / "configuration.md": configuration_markdown(),
        root / "docs" / "venue-list.md": venues_markdown(),
        root / "config.toml": config_toml(),
        root / "examples" / "github-actions" / "snn-feed.yml": workflow_text(),
    }


def stale_files(root: Path) -> list[Path]:
    """The generated files whose committed text differs from what the code gives now."""
    return [
        path
        for path, text in generated_files(root).items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file():
        print("snn-feed: run this from a checkout of snn-feed", file=sys.stderr)
        return 2
    if args == ["--check"]:
        stale = stale_files(root)
        for path in stale:
            print(f"out of date: {path.relative_to(root)}", file=sys.stderr)
        return 1 if stale else 0
    if args:
        print("usage: python -m snn_feed.reference [--check]", file=sys.stderr)
        return 2
    for path, text in generated_files(root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(root)}")
    return 0
