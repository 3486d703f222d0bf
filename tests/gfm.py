"""Render Markdown the way GitHub does (cmark-gfm with GitHub's extensions) and read back
what a reader would see: list items, their links and their visible text."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options


def to_html(markdown: str) -> str:
    # UNSAFE keeps raw HTML in the output, so an injection would be visible to the test.
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


@dataclass
class Link:
    href: str
    title: str | None
    text: str = ""


@dataclass
class Item:
    text: str = ""
    links: list[Link] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[Item] = []
        self.tags: list[str] = []
        self.depth = 0
        self.link: Link | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "li":
            self.depth += 1
            if self.depth == 1:
                self.items.append(Item())
            return
        if self.depth and self.items:
            self.items[-1].tags.add(tag)
            if tag == "a":
                a = dict(attrs)
                self.link = Link(a.get("href") or "", a.get("title"))
                self.items[-1].links.append(self.link)

    def handle_endtag(self, tag: str) -> None:
        if tag == "li":
            self.depth -= 1
        if tag == "a":
            self.link = None

    def handle_data(self, data: str) -> None:
        if self.depth and self.items:
            self.items[-1].text += data
            if self.link is not None:
                self.link.text += data


def read(markdown: str) -> tuple[list[Item], list[str]]:
    """Top-level list items of the rendered Markdown, and every HTML tag it produced."""
    reader = _Reader()
    reader.feed(to_html(markdown))
    return reader.items, reader.tags


def squash(text: str) -> str:
    """Text without whitespace, to compare what is shown regardless of line wrapping."""
    return "".join(text.split())
