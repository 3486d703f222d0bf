"""docs/configuration.md and the shipped config.toml from the config model's descriptions."""

from __future__ import annotations

import json
import re
import textwrap
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from snn_feed import config
from snn_feed.reference.text import (
    GENERATED,
    anchor,
    array_of,
    config_heading,
    is_preformatted,
    link_config_mentions,
    paragraphs,
    sections,
)

TOML_WIDTH = 98
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_PLURAL = {"number": "numbers", "integer": "integers"}


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _type_words(annotation: Any) -> str:
    annotation, optional = _unwrap_optional(annotation)
    if get_origin(annotation) is Annotated:  # `HttpUrl | None`: the checks are not the type
        annotation = get_args(annotation)[0]
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        words = "one of " + ", ".join(f"`{a}`" for a in args)
    elif origin is list:
        inner = args[0]
        if get_origin(inner) is Literal:
            words = "list of " + ", ".join(f"`{a}`" for a in get_args(inner))
        else:
            words = f"list of {_type_words(inner)}"
    elif isinstance(annotation, type) and issubclass(annotation, config.base._Section):
        keys = ", ".join(f"`{k}`" for k in annotation.model_fields)
        words = f"text (a URL) or table ({keys})"
    elif origin is dict:
        words = f"table of {_PLURAL.get(_type_words(args[1]), _type_words(args[1]))}"
    else:
        words = {bool: "true or false", int: "integer", float: "number", str: "text"}[annotation]
    return words + (", or unset" if optional else "")


def _bounds(field: FieldInfo) -> str:
    found: dict[str, Any] = {}
    for item in field.metadata:
        for name in ("ge", "le", "gt", "min_length"):
            if isinstance(item, annotated_types.BaseMetadata) and hasattr(item, name):
                found[name] = getattr(item, name)
    ge, le, gt, min_length = (found.get(n) for n in ("ge", "le", "gt", "min_length"))
    if ge is not None and le is not None:
        return f"{ge} to {le}"
    parts = []
    if ge is not None:
        parts.append(f"at least {ge}")
    if gt is not None:
        parts.append(f"above {gt}")
    if le is not None:
        parts.append(f"at most {le}")
    if min_length == 1:
        parts.append("not empty")
    elif min_length:
        parts.append(f"at least {min_length} items")
    return ", ".join(parts)


def type_text(field: FieldInfo) -> str:
    """What a key takes, in words: `integer, 1 to 5`, `one of api, rss, both`."""
    bounds = _bounds(field)
    words = _type_words(field.annotation)
    return f"{words}, {bounds}" if bounds else words


def toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def toml_value(value: Any) -> str:
    """A value as a TOML literal, on one line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{" + items + "}" if items else "{}"
    raise TypeError(f"no TOML literal for {value!r}")


def _eg(lines: list[str]) -> list[str]:
    """An example's lines, the first as `e.g. ...`, the others indented under it."""
    return [f"e.g. {lines[0]}", *(f"     {line}" for line in lines[1:])]


def toml_assignment(key: str, value: Any) -> list[str]:
    """`key = value`, a long list wrapped over several lines."""
    line = f"{toml_key(key)} = {toml_value(value)}"
    if len(line) <= TOML_WIDTH or not isinstance(value, list):
        return [line]
    if any(isinstance(v, dict) for v in value):  # an inline table must stay on one line
        return [f"{toml_key(key)} = [", *(f"    {toml_value(v)}," for v in value), "]"]
    items = textwrap.wrap(
        " ".join(toml_value(v) + "," for v in value),
        width=TOML_WIDTH - 4,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [f"{toml_key(key)} = [", *("    " + item for item in items), "]"]


def _is_table(value: Any) -> bool:
    """A table with entries is written as its own [section.key] table."""
    return isinstance(value, dict) and bool(value)


def _default(field: FieldInfo) -> Any:
    return field.get_default(call_default_factory=True)


def _comment(text: str) -> list[str]:
    lines: list[str] = []
    for paragraph in paragraphs(text):
        if lines:
            lines.append("#")
        if is_preformatted(paragraph):
            lines += [f"#   {line}".rstrip() for line in paragraph.splitlines()]
        else:
            lines += [
                f"# {line}"
                for line in textwrap.wrap(
                    paragraph, TOML_WIDTH - 2, break_long_words=False, break_on_hyphens=False
                )
            ]
    return lines


def config_toml(model: type[config.Settings] = config.Settings) -> str:
    """The shipped config.toml: every key at its default, its description above it."""
    out = _comment(config.__doc__ or "")
    out += [
        "#",
        "# Every key below is at its default; docs/configuration.md has the same text. In the",
        "# snn-feed repository this file is generated by `python -m snn_feed.reference`.",
    ]
    for name, section in sections(model):
        if array_of(model.model_fields[name].annotation) is not None:
            out += ["", *_comment(section.__doc__ or ""), *_array_example(name, section)]
            continue
        out += ["", *_comment(section.__doc__ or ""), f"[{name}]"]
        tables = []
        for key, field in section.model_fields.items():
            value = _default(field)
            if _is_table(value):
                tables.append((key, field, value))
                continue
            out += _comment(field.description or "")
            examples = field.examples or []
            if value is None:
                if not examples:
                    raise ValueError(f"[{name}] {key}: an unset default needs an example")
                out += [f"# {line}" for line in toml_assignment(key, examples[0])]
                continue
            out += [f"# {line}" for e in examples
                    for line in _eg(toml_assignment(key, e))]  # fmt: skip
            out += toml_assignment(key, value)
        for key, field, value in tables:
            out += ["", *_comment(field.description or ""), f"[{name}.{key}]"]
            out += [f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()]
    return "\n".join(out) + "\n"


def _array_example(name: str, section: type[BaseModel]) -> list[str]:
    """An array of tables is empty by default: one entry of it, commented out, with the keys
    that have an example (its sub-sections are described in docs/configuration.md)."""
    out = [f"# [[{name}]]"]
    for key, field in section.model_fields.items():
        if field.examples:
            out += [f"# {line}" for line in toml_assignment(key, field.examples[0])]
    return out


def _markdown_paragraphs(text: str) -> list[str]:
    out = []
    for paragraph in paragraphs(text):
        if is_preformatted(paragraph):
            out += ["```", paragraph, "```", ""]
        else:
            out += [link_config_mentions(paragraph), ""]
    return out


def _key_facts(section: str, key: str, field: FieldInfo) -> list[str]:
    """A key's type, default and examples, as a short list."""
    out = [f"- type: {type_text(field)}"]
    if field.is_required():
        return [*out, "- required"]
    value = _default(field)
    if isinstance(value, BaseModel):
        return [*out, "- default: the keys of its section"]
    if value is None:
        out.append("- default: unset")
    else:
        literal = toml_assignment(key, value)
        if _is_table(value):
            block = [
                f"[{section}.{key}]",
                *(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()),
            ]
        elif len(literal) > 1 or len(literal[0]) > 80:
            block = literal
        else:
            block = []
        if block:
            out += ["- default:", "", "  ```toml", *(f"  {line}" for line in block), "  ```"]
        else:
            out.append(f"- default: `{toml_value(value)}`")
    out += [f"- example: `{toml_key(key)} = {toml_value(e)}`" for e in field.examples or []]
    return out


def configuration_markdown(model: type[config.Settings] = config.Settings) -> str:
    """docs/configuration.md: every section and key, its type, default and meaning."""
    intro = paragraphs(config.__doc__ or "")
    out = [
        "# Configuration",
        "",
        GENERATED.format(source="the field descriptions in snn_feed/config/"),
        "",
    ]
    out += _markdown_paragraphs("\n\n".join(intro))
    out += [
        "The shipped [config.toml](../config.toml) is this page as comments, with every key at "
        "its default.",
        "",
    ]
    for name, section in sections(model):
        keys = ", ".join(
            f"[{key}](#{anchor(config_heading(name, key))})" for key in section.model_fields
        )
        out.append(f"- [`[{name}]`](#{anchor(config_heading(name))}): {keys}")
    out.append("")
    for name, section in sections(model):
        heading = f"`[[{name}]]`" if array_of(model.model_fields[name].annotation) else None
        out += [f"## {heading or config_heading(name)}", ""]
        out += _markdown_paragraphs(section.__doc__ or "")
        for key, field in section.model_fields.items():
            out += [f"### {config_heading(name, key)}", ""]
            out += _markdown_paragraphs(field.description or "")
            out += _key_facts(name, key, field)
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
