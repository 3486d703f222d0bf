"""The docs cover every command, option and config key, the generated pages are current, and
every relative link leads somewhere (after sqlite-utils' tests/test_docs.py)."""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import click
import pytest
from click.testing import CliRunner
from gfm import to_html

from snn_feed import reference
from snn_feed.cli import cli
from snn_feed.config import Settings, load_settings
from snn_feed.journal.render import render_entry
from snn_feed.records import LogEntry

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
PAGES = [REPO / "README.md", *sorted(DOCS.glob("*.md"))]
REGENERATE = "run `python -m snn_feed.reference` and commit the result"


def _commands(
    group: click.Group, path: tuple[str, ...] = ("snn-feed",)
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, group
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


# Walked here, not with `reference.commands`: a command the generator's own walk missed would
# be missing from both the page and the check.
COMMANDS = list(_commands(cli))
OPTIONS = [
    (path, name)
    for path, command in COMMANDS
    for param in command.params
    if isinstance(param, click.Option)
    for name in [*param.opts, *param.secondary_opts]
]
KEYS = [
    (section, key, field)
    for section, model in reference.sections()
    for key, field in model.model_fields.items()
]


def _sections(markdown: str) -> dict[str, str]:
    """The text under each `## ` heading, by the heading's text."""
    parts = re.split(r"^## (.+)$", markdown, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


@pytest.fixture(scope="module")
def command_docs() -> dict[str, str]:
    return _sections((DOCS / "commands.md").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def config_headings() -> set[str]:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    return set(re.findall(r"^#{2,3} (.+)$", text, flags=re.MULTILINE))


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_every_command_is_documented(path: tuple[str, ...], command_docs: dict[str, str]) -> None:
    assert " ".join(path) in command_docs, f"docs/commands.md lacks {' '.join(path)}: {REGENERATE}"


@pytest.mark.parametrize(
    ("path", "option"), OPTIONS, ids=[f"{' '.join(p)} {o}" for p, o in OPTIONS]
)
def test_every_option_is_documented(
    path: tuple[str, ...], option: str, command_docs: dict[str, str]
) -> None:
    section = command_docs.get(" ".join(path), "")
    listed = re.compile(rf"^- `(?:[^`]*[ ,] ?)?{re.escape(option)}(?=[ ,`])", re.MULTILINE)
    shared = "(#options-of-every-command)" in section and listed.search(
        command_docs.get("Options of every command", "")
    )
    assert listed.search(section) or shared, (
        f"docs/commands.md does not list {option} under {' '.join(path)}: {REGENERATE}"
    )


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_every_command_help_has_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path[1:], "--help"], prog_name="snn-feed")
    assert result.exit_code == 0, result.output
    examples = re.findall(r"^\s*Example: (.+)$", result.output, flags=re.MULTILINE)
    assert any(e.startswith(" ".join(path)) for e in examples), (
        f"`{' '.join(path)} --help` shows no example of it: add an `Example: ...` epilog"
    )


@pytest.mark.parametrize(("section", "key", "field"), KEYS, ids=[f"[{s}] {k}" for s, k, _ in KEYS])
def test_every_config_key_is_documented(
    section: str, key: str, field: object, config_headings: set[str]
) -> None:
    assert f"`[{section}] {key}`" in config_headings, (
        f"docs/configuration.md lacks [{section}] {key}: {REGENERATE}"
    )


@pytest.mark.parametrize(("section", "key", "field"), KEYS, ids=[f"[{s}] {k}" for s, k, _ in KEYS])
def test_every_config_key_has_a_description(section: str, key: str, field: object) -> None:
    description = getattr(field, "description", None)
    assert description, f"[{section}] {key}: give it Field(description=...) in snn_feed/config/"


@pytest.mark.parametrize("section", [name for name, _ in reference.sections()])
def test_every_config_section_has_a_docstring(section: str) -> None:
    model = dict(reference.sections())[section]
    assert model.__doc__, f"[{section}]: give its class in snn_feed/config/ a docstring"


WITH_EXAMPLES = [(s, k, e) for s, k, f in KEYS for e in f.examples or []]


@pytest.mark.parametrize(
    ("section", "key", "example"), WITH_EXAMPLES, ids=[f"[{s}] {k}" for s, k, _ in WITH_EXAMPLES]
)
def test_every_documented_example_is_a_valid_setting(
    section: str, key: str, example: object, tmp_path: Path
) -> None:
    line = f"{reference.toml_key(key)} = {reference.toml_value(example)}"
    model = dict(reference.sections())[section]
    if section == "topics":  # an array of tables: an entry needs its required keys
        needed = {"name": "t", "keywords": ["x"], "log": {"path": "t.md"}, key: example}
        body = "".join(f"{reference.toml_key(k)} = {reference.toml_value(v)}\n"
                       for k, v in needed.items() if k != "log")  # fmt: skip
        text = f"[[topics]]\n{body}log.path = 't.md'\n"
        (tmp_path / "config.toml").write_text(text, encoding="utf-8")
        loaded = load_settings(tmp_path / "config.toml", environ={})
        assert getattr(loaded.topics[0], key) == getattr(model(**needed), key)
        return
    (tmp_path / "config.toml").write_text(f"[{section}]\n{line}\n", encoding="utf-8")
    loaded = load_settings(tmp_path / "config.toml", environ={})
    # What the model makes of the example given in Python (a URL becomes a service, say).
    assert getattr(getattr(loaded, section), key) == getattr(model(**{key: example}), key)


def test_the_generated_config_toml_loads_to_the_built_in_defaults(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(reference.config_toml(), encoding="utf-8")
    loaded = load_settings(tmp_path / "config.toml", environ={})
    assert loaded.model_dump() == Settings(base_dir=tmp_path).model_dump()


@pytest.mark.parametrize(
    "name",
    [
        "docs/commands.md", "docs/configuration.md", "docs/venue-list.md", "config.toml",
        "examples/github-actions/snn-feed.yml",
    ],
)  # fmt: skip
def test_the_generated_files_are_current(name: str) -> None:
    expected = reference.generated_files(REPO)[REPO / name]
    actual = (REPO / name).read_text(encoding="utf-8") if (REPO / name).is_file() else ""
    if actual != expected:
        diff = difflib.unified_diff(
            actual.splitlines(), expected.splitlines(), "committed", "generated", lineterm=""
        )
        shown = "\n".join(list(diff)[:40])
        pytest.fail(f"{name} is out of date: {REGENERATE}\n{shown}", pytrace=False)


# Links


def _rendered(page: Path) -> str:
    return to_html(page.read_text(encoding="utf-8"))


def _anchors(page: Path) -> set[str]:
    """The ids GitHub gives the page's headings (a repeated one gets -1, -2, ...)."""
    seen: dict[str, int] = {}
    result = set()
    for inner in re.findall(r"<h[1-6][^>]*>(.*?)</h[1-6]>", _rendered(page), flags=re.DOTALL):
        text = html.unescape(re.sub(r"<[^>]+>", "", inner))
        slug = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


def _relative_links(page: Path) -> list[str]:
    hrefs = [html.unescape(h) for h in re.findall(r'<a href="([^"]*)"', _rendered(page))]
    return [h for h in hrefs if not re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:|//", h)]


LINKS = [(page, href) for page in PAGES for href in _relative_links(page)]


@pytest.mark.parametrize(
    ("page", "href"), LINKS, ids=[f"{p.relative_to(REPO)} -> {h}" for p, h in LINKS]
)
def test_every_relative_link_leads_somewhere(page: Path, href: str) -> None:
    target, _, fragment = href.partition("#")
    path = (page.parent / unquote(target)).resolve() if target else page
    assert path.exists(), f"{page.relative_to(REPO)}: {href}: no such file"
    if fragment:
        assert path.suffix == ".md", f"{page.relative_to(REPO)}: {href}: an anchor in a non-page"
        assert unquote(fragment) in _anchors(path), (
            f"{page.relative_to(REPO)}: {href}: no such heading in {path.relative_to(REPO)}"
        )


STYLE_EXAMPLE = LogEntry(
    arxiv_id="2605.10679",
    score=4,
    first_author="Pascal Harmeling",
    title="Energy-Efficient Implementation of Spiking Recurrent Cells on FPGA",
    abstract_zh="我们在低成本FPGA上以定点运算和事件驱动更新实现了脉冲循环单元。"
    "在同一器件上，其每次推理的能耗比等效的LSTM低12倍，而关键词识别的准确率差距保持在1%以内。",
    code_url="https://github.com/example/spiking-rnn-fpga",
    title_zh="脉冲循环单元在FPGA上的高能效实现",
    abstract="We implement spiking recurrent cells on a low-cost FPGA with fixed-point "
    "arithmetic and event-driven updates, and measure a 12-fold lower energy per inference "
    "than an equivalent LSTM on the same device while keeping accuracy on keyword spotting "
    "within 1%.",
    authors=("Pascal Harmeling", "Guillaume Drion", "Damien Ernst"),
    published=date(2026, 5, 11),
    comment="5 pages, 4 figures; accepted at ISCAS 2026",
    venue="ISCAS 2026",
    watched=frozenset({"Guillaume Drion"}),
)
"""The paper of docs/styles.md (tests/fixtures/rss: 2605.10679), with its translation."""


@pytest.mark.parametrize(
    ("style", "options"),
    [("bilingual", {"max_authors": 2}), ("bilingual", {"max_authors": 2, "checkbox": True}),
     ("hover", {}), ("details", {})],
)  # fmt: skip
def test_the_styles_page_shows_each_style_as_snn_feed_writes_and_github_renders_it(
    style: str, options: dict[str, Any]
) -> None:
    page = (DOCS / "styles.md").read_text(encoding="utf-8")
    markdown = render_entry(STYLE_EXAMPLE, style=style, **options)
    assert f"```markdown\n{markdown}\n```\n\nRendered:\n\n{markdown}\n" in page, (
        "docs/styles.md: update the example of " + style
    )
