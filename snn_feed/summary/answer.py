"""What a summary model is asked, and whether its answer is a summary. Pure functions.

The model is asked for a JSON object: `tldr`, one sentence of Simplified Chinese, and with
`details` the lines `motivation`, `method` and `result`. Its answer is data from outside: each
text must be Chinese, short, one line, free of Markdown and HTML (the log, site, feed and
digest render it as text), and may keep only the URLs the abstract itself has (a model
invents plausible links). An answer that fails is refused as a whole, like a bad translation:
the paper waits, and is asked for again by a later sync.
"""

from __future__ import annotations

import hashlib
import json
import re

from snn_feed.journal.markdown import urls_in
from snn_feed.sanitize import scrub
from snn_feed.store.records import Summary

PROMPT_VERSION = "1"
"""Changed whenever `instructions` changes: part of the cache key, so summaries made under
another prompt are asked for again (and shown meanwhile)."""

TLDR_CHARS = 150
POINT_CHARS = 200
LABELS = {"motivation": "动机", "method": "方法", "result": "结果"}
"""The detail lines, and how they are labelled to a reader."""


class Refused(ValueError):
    """The model answered, but not with a usable summary (the reason is the message)."""


def instructions(glossary: dict[str, str], *, details: bool) -> str:
    """The system prompt, carrying the glossary."""
    terms = "\n".join(f"- {en} -> {zh}" for en, zh in glossary.items())
    fields = '"tldr"'
    if details:
        fields += ', "motivation", "method" and "result"'
    more = (
        ' "motivation", "method" and "result" are each one short sentence (at most 60 Chinese '
        "characters): why the work was done, how, and what it found."
        if details
        else ""
    )
    return (
        "You summarise the abstract of a scientific paper for a Chinese-speaking researcher. "
        f"Reply with one JSON object only, with the string fields {fields}, in Simplified "
        'Chinese. "tldr" is exactly one sentence of at most 80 Chinese characters saying what '
        f"the paper does and finds.{more} Plain text only: no Markdown, no HTML, no line "
        "breaks, no URL unless the abstract has it. Keep model names, datasets and numbers as "
        f"written. Use these terms:\n{terms}"
    )


def question(title: str, abstract: str) -> str:
    return f"Title: {' '.join(title.split())}\n\nAbstract: {' '.join(abstract.split())}"


def cache_key(abstract: str, model: str, glossary_version: str, *, details: bool) -> str:
    """What a summary is made from: the abstract, the model, the prompt and the glossary.
    Any change asks again; nothing else does."""
    made_of = "\x1f".join([abstract, model, PROMPT_VERSION, glossary_version, str(details)])
    return hashlib.sha256(made_of.encode()).hexdigest()


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL | re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_URL = re.compile(r"(?:https?://|www\.)[^\s，。；、）)\]>\"']+", re.IGNORECASE)
_MARKUP = re.compile(
    r"<\s*/?\s*[A-Za-z!][^>]*>"  # an HTML tag or comment
    r"|\*\*|__|`|\]\(|!\["  # bold, code, a link or an image
    r"|^\s*(?:#{1,6}\s|[-*+>]\s|\d+\.\s|\|)",  # a heading, list, quote or table
)
_REFUSAL = re.compile(
    r"\b(?:I'?m sorry|I am sorry|I cannot|I can'?t|as an AI)\b|抱歉|对不起|无法(?:提供|完成|总结)"
    r"|作为(?:一个)?(?:AI|人工智能)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[。！？!?](?=.)")


def check_summary(content: str, abstract: str, *, details: bool) -> Summary:
    """The summary in a model's answer (`content`, the message text), or `Refused`."""
    match = _FENCE.match(content)  # some models fence their JSON even when asked not to
    text = match.group(1) if match else content.strip()
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as err:  # nested a thousand deep is no summary either
        raise Refused("not a JSON object") from err
    if not isinstance(data, dict):
        raise Refused("not a JSON object")
    allowed = urls_in(abstract) | set(_URL.findall(abstract))
    tldr = _text(data.get("tldr"), "tldr", TLDR_CHARS, allowed)
    if tldr is None:
        raise Refused("no tldr")
    if _SENTENCE_END.search(tldr):
        raise Refused("tldr is more than one sentence")
    points: list[tuple[str, str]] = []
    if details:
        for name, label in LABELS.items():
            line = _text(data.get(name), name, POINT_CHARS, allowed)
            if line is not None:
                points.append((label, line))
    return Summary(tldr, tuple(points))


def _text(value: object, name: str, limit: int, allowed: set[str]) -> str | None:
    """One field checked and cleaned: None when it is absent or empty."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise Refused(f"{name} is not text")
    text = " ".join(scrub(value).split())  # one line: the reader's renderers need no breaks
    if not text:
        return None
    if _REFUSAL.search(text):
        raise Refused(f"{name} is a refusal")
    if _MARKUP.search(text):
        raise Refused(f"{name} has Markdown or HTML")
    text = _URL.sub(lambda m: m.group(0) if m.group(0) in allowed else "", text)
    text = " ".join(text.split()).strip(" :：,，")
    if len(text) > limit:
        raise Refused(f"{name} is {len(text)} characters (at most {limit})")
    chinese, latin = len(_CJK.findall(text)), len(_LATIN.findall(text))
    if chinese < 4 or chinese < 0.3 * (chinese + latin):
        raise Refused(f"{name} is not Chinese")
    return text
