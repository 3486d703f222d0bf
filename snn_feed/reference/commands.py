"""docs/commands.md from the click command tree: every command, its help, example and options."""

from __future__ import annotations

from collections.abc import Iterator

import click

from snn_feed.cli import cli
from snn_feed.reference.text import GENERATED, anchor, link_config_mentions, paragraphs


def commands(
    group: click.Group = cli, path: tuple[str, ...] = ("snn-feed",)
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command and group, depth first, in the order cli.py defines them."""
    yield path, group
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name), command


def contexts(root: click.Group = cli) -> dict[tuple[str, ...], click.Context]:
    """A click context for each command, as `--help` would build it."""
    result: dict[tuple[str, ...], click.Context] = {}
    for path, command in commands(root):
        parent = result.get(path[:-1])
        settings = root.context_settings if parent is None else {}
        result[path] = click.Context(command, info_name=path[-1], parent=parent, **settings)
    return result


def option_records(
    command: click.Command, ctx: click.Context
) -> list[tuple[click.Option, str, str]]:
    """(option, its names and metavar, its help) as `--help` lists them, help option last."""
    records = []
    for param in [*command.params, command.get_help_option(ctx)]:
        if not isinstance(param, click.Option):  # arguments are in the usage line
            continue
        record = param.get_help_record(ctx)
        if record is not None:
            records.append((param, record[0], record[1]))
    return records


def common_options(root: click.Group = cli) -> list[str]:
    """The options every command (not group) takes, by their names and metavar."""
    ctxs = contexts(root)
    shared: list[str] | None = None
    for path, command in commands(root):
        if isinstance(command, click.Group):
            continue
        names = [names for _, names, _ in option_records(command, ctxs[path])]
        shared = names if shared is None else [n for n in shared if n in names]
    return shared or []


def example(command: click.Command) -> str | None:
    """The command's example: its epilog, or a help paragraph, starting with `Example:`."""
    for text in (command.epilog or "", command.help or ""):
        for paragraph in paragraphs(text) if text else []:
            if paragraph.startswith("Example:"):
                return paragraph.removeprefix("Example:").strip()
    return None


def _shell(example_line: str) -> str:
    """`cmd   (then: other)` as a shell line whose note is a comment."""
    line, sep, note = example_line.partition("   (")
    return f"{line}  # {note.removesuffix(')')}" if sep else example_line


def command_heading(path: tuple[str, ...]) -> str:
    return " ".join(path)


def commands_markdown(root: click.Group = cli) -> str:
    """docs/commands.md: every command's usage, help, options and example."""
    ctxs = contexts(root)
    shared = common_options(root)
    out = [
        "# Commands",
        "",
        GENERATED.format(source="the click help in snn_feed/cli.py"),
        "",
        "What `snn-feed COMMAND --help` shows, with links into the "
        "[configuration reference](configuration.md). Options go after the command's name: "
        "`snn-feed sync --config PATH`, not `snn-feed --config PATH sync`.",
        "",
    ]
    for path, command in commands(root):
        if path != ("snn-feed",):
            summary = link_config_mentions(
                command.get_short_help_str(limit=200), "configuration.md"
            )
            link = anchor(command_heading(path))
            out.append(f"- [{command_heading(path)}](#{link}): {summary}")
    out += ["", "## Options of every command", ""]
    groups = ", ".join(f"`{' '.join(p)}`" for p, c in commands(root) if isinstance(c, click.Group))
    out.append(f"Every command that is not a group ({groups}) also takes:")
    out.append("")
    leaf, leaf_command = next((p, c) for p, c in commands(root) if not isinstance(c, click.Group))
    for _, names, help_text in option_records(leaf_command, ctxs[leaf]):
        if names in shared:
            out.append(f"- `{names}`: {link_config_mentions(help_text, 'configuration.md')}")
    for path, command in commands(root):
        out += ["", f"## {command_heading(path)}", ""]
        ctx = ctxs[path]
        usage = " ".join([ctx.command_path, *command.collect_usage_pieces(ctx)])
        out += ["```", usage, "```", ""]
        for paragraph in paragraphs(command.help or ""):
            if not paragraph.startswith("Example:"):
                out += [link_config_mentions(paragraph, "configuration.md"), ""]
        if isinstance(command, click.Group):
            out += ["Commands:", ""]
            for name, sub in command.commands.items():
                link = anchor(command_heading((*path, name)))
                summary = link_config_mentions(
                    sub.get_short_help_str(limit=200), "configuration.md"
                )
                out.append(f"- [{name}](#{link}): {summary}")
            out.append("")
        common = not isinstance(command, click.Group)
        own = [(n, h) for _, n, h in option_records(command, ctx) if not common or n not in shared]
        if own or common:
            out += ["Options:", ""]
            for names, help_text in own:
                out.append(f"- `{names}`: {link_config_mentions(help_text, 'configuration.md')}")
            if common:
                out.append("- and [the options of every command](#options-of-every-command)")
            out.append("")
        text = example(command)
        if text:
            out += ["Example:", "", "```sh", _shell(text), "```"]
    return "\n".join(out).rstrip("\n") + "\n"
