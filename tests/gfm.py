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


@dataclass
class Page:
    """What a reader sees of a rendered document: its headings (tag, text, link hrefs), every
    link, every tag, the text outside and inside <details>, and the checkboxes."""

    headings: list[tuple[str, str, list[str]]] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    outside: str = ""
    inside: str = ""
    checkboxes: int = 0


class _PageReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.details = 0
        self.heading: list[str] | None = None
        self.link: Link | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.tags.append(tag)
        a = dict(attrs)
        if tag == "details":
            self.details += 1
        elif tag == "input" and a.get("type") == "checkbox":
            self.page.checkboxes += 1
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.page.headings.append((tag, "", []))
            self.heading = []
        elif tag == "a":
            self.link = Link(a.get("href") or "", a.get("title"))
            self.page.links.append(self.link)
            if self.heading is not None:
                self.page.headings[-1][2].append(self.link.href)

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self.details -= 1
        elif tag == "a":
            self.link = None
        elif tag.startswith("h") and tag[1:].isdigit() and self.heading is not None:
            kind, _, links = self.page.headings[-1]
            self.page.headings[-1] = (kind, "".join(self.heading), links)
            self.heading = None

    def handle_data(self, data: str) -> None:
        if self.heading is not None:
            self.heading.append(data)
        if self.link is not None:
            self.link.text += data
        if self.details:
            self.page.inside += data
        else:
            self.page.outside += data


def page(markdown: str) -> Page:
    """`markdown` as GitHub renders it, read back as a reader sees it."""
    return html_page(to_html(markdown))


def html_page(html: str) -> Page:
    """An HTML page (or a mail's HTML part) read back as a reader sees it."""
    reader = _PageReader()
    reader.feed(html)
    return reader.page
