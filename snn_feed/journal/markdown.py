"""Text from outside (arXiv, a translator) as GitHub-flavoured Markdown that shows exactly that
text. Pure functions, shared by every entry style.

Everything is escaped so that it renders as plain text on GitHub: it cannot end a link early,
start a block, emphasise, inject HTML or a link, or turn into an autolink. The one exception is
`text_line`'s: a URL that the English abstract itself holds may be a link.
"""

from __future__ import annotations

import re
from collections.abc import Collection

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\ufeff]")
# Characters that mean something inline in GitHub-flavoured Markdown.
_INLINE_SPECIAL = re.compile(r"([`*_\[\]<>&~|$])")
_BACKSLASH = re.compile(r"\\(?=[!-/:-@\[-`{-~]|$)")
# GFM turns bare URLs and www. names into links; an escaped ':' or '.' stops it. E-mail
# addresses are linked after escapes are resolved, so only an (invisible, empty) HTML comment
# after the '@' keeps them text.
_AUTOLINK_SCHEME = re.compile(r"(?i)(?<=[a-z])(:)(?=//)")
_AUTOLINK_WWW = re.compile(r"(?i)(?<![a-z0-9])(www)(\.)")
# GitHub (not cmark-gfm) shows `:octocat:` as an emoji image; an escaped colon keeps it text.
_EMOJI = re.compile(r":(?=[A-Za-z0-9_+\-]+:)")

_SENTENCE_END = re.compile(r"(?<=[。！？；])")
_BLOCK_START = re.compile(r"^(?!\\)([!-/:-@\[-`{-~])")  # a leading backslash starts no block
_ORDERED_START = re.compile(r"^(\d{1,9})([.)])")

# A URL that may become a link: http(s), then only characters cmark keeps as they are in an
# href (no quotes, brackets, backslashes or backticks: those end it); `_trimmed` then takes off
# the sentence's end punctuation.
_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]+")
_TRAILING = ".,;:!?'*_~"
# cmark decodes entities inside an autolink, which would change the URL: such a URL stays text.
_ENTITY = re.compile(r"&#?[A-Za-z0-9]+;")


def clean(text: str) -> str:
    """Drop control characters and collapse whitespace (titles and names are one line)."""
    return " ".join(_CONTROL.sub(" ", text).split())


def _escape(text: str) -> str:
    text = _BACKSLASH.sub(r"\\\\", text)
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    text = _AUTOLINK_SCHEME.sub(r"\\\1", text)
    text = _AUTOLINK_WWW.sub(r"\1\\\2", text)
    text = _EMOJI.sub(r"\\:", text)
    return text.replace("@", "@<!---->")


def escape_inline(text: str) -> str:
    """Text for the body of a Markdown line, shown exactly as written."""
    return _escape(clean(text))


def no_block(line: str) -> str:
    """An escaped line that starts no block (heading, list, quote, fence, table, HTML, setext
    underline): its first character escaped when it is punctuation, or the `.`/`)` of "1."."""
    line = _BLOCK_START.sub(r"\\\1", line)
    return _ORDERED_START.sub(r"\1\\\2", line)


def sentences(text: str) -> list[str]:
    """A text as lines of one sentence each (at Chinese sentence ends and line breaks), as the
    original log writes its abstracts: a review diff then shows which sentence changed."""
    lines: list[str] = []
    for paragraph in _CONTROL.sub(" ", text).splitlines():
        for sentence in _SENTENCE_END.split(paragraph):
            sentence = " ".join(sentence.split())
            if sentence:
                lines.append(sentence)
    return lines


def _trimmed(url: str) -> str:
    """`url` without the punctuation that ends its sentence: a final `.`, `,` and the like,
    and a `)` with no `(` of its own in the URL (as GFM's autolinks do: `.../Spike_(neuron)`
    keeps its parenthesis, "(see https://x.org/a)" does not)."""
    while url and (url[-1] in _TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))):
        url = url[:-1]
    return url


def _found(text: str) -> list[tuple[int, str]]:
    """Where each URL of `text` starts, and the URL."""
    found = []
    for match in _URL.finditer(text):
        url = _trimmed(match.group(0))
        if len(url) > len("https://") and not _ENTITY.search(url):
            found.append((match.start(), url))
    return found


def urls_in(text: str) -> set[str]:
    """The URLs of `text` that may be links, as `text_line` finds them."""
    return {url for _, url in _found(text)}


def text_line(line: str, linkable: Collection[str] = ()) -> str:
    """One line of a paragraph (already one line: see `sentences`), escaped, starting no block;
    a URL in `linkable` becomes an autolink (`<https://...>`), any other is text."""
    out, last = [], 0
    for start, url in _found(line):
        if url not in linkable:
            continue
        out += [_escape(line[last:start]), f"<{url}>"]
        last = start + len(url)
    out.append(_escape(line[last:]))
    if len(out) > 1 and not out[0]:
        return "".join(out)  # `<https://...` at the start of a line starts no block
    return no_block("".join(out))
