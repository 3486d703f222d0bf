"""Text that tries to break a Markdown entry: every character GitHub-flavoured Markdown gives a
meaning, controls, odd spaces, and known injections (links, images, HTML, blocks, autolinks),
for the Hypothesis tests of every entry style."""

from __future__ import annotations

import string
import unicodedata

from hypothesis import strategies as st

PUNCTUATION = "\\`*_[]()<>!#&~|$@\"':.-+={}^%/;?,"
SPACES_AND_CONTROLS = [" ", "\t", "\n", "\r", "\x00", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f"]
UNICODE_SPACES = ["\x85", "\xa0", "\u2028", "\u2029", "\u3000", "\ufeff"]
CJK_PUNCTUATION = "。！？；，：（）【】「」"

NASTY = [
    "](http://x)",
    "[x](http://evil.example)",
    "![i](http://evil.example/i.png)",
    "<http://evil.example>",
    "<script>",
    "</script>",
    "<img src=x onerror=alert(1)>",
    "<div>",
    "<!--",
    "-->",
    "https://evil.example",
    "http://evil.example/x?y=1",
    "ftp://evil.example",
    "www.evil.example",
    "WWW.Evil.Example",
    "a@b.cd",
    "mailto:a@b.cd",
    "xmpp:a@b.cd",
    "1. ",
    "1) ",
    "# ",
    "## 2020.11",
    "> ",
    "```",
    "~~~",
    "---",
    "***",
    "===",
    "|a|b|\n|-|-|",
    "&amp;",
    "&#60;",
    "&lt;",
    '\\"',
    '"',
    '")',
    "\\",
    "\\\n",
    "  \n",
    "\n\n",
    "\n \n",
    "\t- ",
    "* ",
    "+ ",
    "[^1]",
    "[x]: http://evil.example",
    "`code`",
    "**bold**",
    "_em_",
    "~~del~~",
    "$x$",
    ":smile:",
    "[paper](https://arxiv.org/abs/9999.99999)",
    "。",
    "！\n",
]

CHARACTERS = st.one_of(
    st.sampled_from(PUNCTUATION),
    st.sampled_from(SPACES_AND_CONTROLS + UNICODE_SPACES),
    st.sampled_from(CJK_PUNCTUATION),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # CJK ideographs
    st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF),  # emoji
    st.sampled_from(string.ascii_letters + string.digits),
    st.characters(categories=["L", "N"]),
)
HOSTILE = st.lists(
    st.one_of(st.text(alphabet=CHARACTERS, max_size=12), st.sampled_from(NASTY)), max_size=8
).map("".join)


def visible(text: str) -> str:
    """What a reader can see of `text`: no whitespace, no control characters."""
    return "".join(
        ch
        for ch in text
        if not ch.isspace() and unicodedata.category(ch) != "Cc" and ch != "\ufeff"
    )
