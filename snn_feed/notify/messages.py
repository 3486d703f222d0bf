"""What the `[notify]` services are sent, rendered three ways: plain text, Markdown (for the
chats that take it) and HTML (for mail). Pure: records in, text out.

Titles come from arXiv and the translators, so they are data: in Markdown what could open
markup or an autolink is backslash-escaped (`md`), in HTML every text is escaped, and
controls and whitespace are collapsed, so nothing in a title can open a link, an image,
emphasis, a heading or a tag, or start a line of its own. Links are only ones snn-feed built
(the abs page) or checked (an http(s) code link, the configured `link`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from snn_feed.journal.markdown import clean, no_block

_INLINE = re.compile(r"([\\`*_\[\]<>~|])")
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_SCHEME = re.compile(r"(?i)(?<=[a-z])(:)(?=//)")
_WWW = re.compile(r"(?i)(?<![a-z0-9])(www)(\.)")

ALERTS: dict[str, tuple[str, str]] = {
    "sync": ("the sync failed", "syncs work again"),
    "push": ("the log could not be pushed", "the log is pushed again"),
    "translator": ("the translation engine cannot be used", "translation works again"),
    "pending": ("papers are waiting for a translation", "no paper waits too long any more"),
    "quiet": ("no paper found for days", "papers are found again"),
}
"""Condition -> (what an alert says happened, what its "recovered" says)."""


@dataclass(frozen=True)
class DigestPaper:
    arxiv_id: str
    score: int
    title: str
    title_zh: str | None = None
    """The Chinese title, when the log's entry shows one."""
    venue: str | None = None
    """The venue tag ("NeurIPS 2025"), if any."""
    code_url: str | None = None
    tldr: str | None = None
    """Its one-sentence summary (`[summary]`), if made by the time the digest is sent."""

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"


@dataclass(frozen=True)
class Message:
    title: str
    text: str
    markdown: str
    html: str


def one_line(text: str) -> str:
    """Controls dropped, whitespace collapsed: one line, as the log shows a title."""
    return clean(text)


def md(text: str) -> str:
    """`text` as Markdown that shows exactly it, on one line, with as few backslashes as will
    do (a chat that does not read CommonMark's escapes shows them): the characters that open
    inline markup, an entity's `&`, and what would make an autolink (the `:` of `x://`, the
    `.` of `www.`, and the `@` of an address, which GFM links even escaped: a zero-width space
    after it breaks the address)."""
    text = _INLINE.sub(r"\\\1", one_line(text))
    text = _ENTITY.sub(r"\\&", text)
    text = _SCHEME.sub(r"\\\1", text)
    text = _WWW.sub(r"\1\\\2", text)
    return text.replace("@", "@\u200b")


def _h(text: str) -> str:
    return html.escape(one_line(text), quote=True)


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit for a link target in any of the three forms (spaces, brackets,
    quotes and angle brackets percent-encoded), or None."""
    if not url or not re.match(r"https?://[^\s/]", url):
        return None
    return quote(url, safe="/:?#[]@!$&'*+,;=%~-._").replace("'", "%27")


def ranked(papers: Sequence[DigestPaper]) -> list[DigestPaper]:
    """Best first: the highest score, then the newer id."""
    newest = sorted(papers, key=lambda p: p.arxiv_id, reverse=True)
    return sorted(newest, key=lambda p: -p.score)


def digest(
    name: str,
    day: str,
    papers: Sequence[DigestPaper],
    *,
    limit: int,
    link: str | None,
    late: Sequence[DigestPaper] = (),
) -> Message:
    """One sync's papers: the day, their number, then each paper best first (with its
    summary, if made), cut after `limit` with "and N more" and the log's `link`; then the
    summaries made since of papers told of before (`late`), within the same limit."""
    shown = ranked(papers)[:limit]
    more = len(papers) - len(shown)
    count = f"{len(papers)} new paper{'s' * (len(papers) != 1)}"
    if late and not papers:
        count = f"summaries of {len(late)} earlier paper{'s' * (len(late) != 1)}"
    link = safe_url(link)
    title = f"{one_line(name)}: {count}, {day}"
    text = [f"{one_line(name)}, {day}: {count}", ""]
    mark = [f"**{md(name)}, {day}: {count}**", ""]
    page = [f"<p><b>{_h(name)}, {day}: {count}</b></p>", "<ol>"]
    for p in shown:
        code = safe_url(p.code_url)
        facts = [p.venue or "", p.abs_url, f"code: {code}" if code else ""]
        text += [f"[{p.score}] {one_line(p.title_zh or p.title)}"]
        text += [f"    {one_line(p.title)}"] if p.title_zh else []
        text += ["    " + " · ".join(f for f in facts if f)]
        text += [f"    一句话：{one_line(p.tldr)}"] if p.tldr else []
        heading = md(p.title_zh or p.title)
        line = f"- **\\[{p.score}\\]** [{heading}]({p.abs_url})"
        line += f" · {md(p.title)}" if p.title_zh else ""
        line += f" · {md(p.venue)}" if p.venue else ""
        line += f" · [code]({code})" if code else ""
        mark.append(line)
        mark += [f"  一句话：{md(p.tldr)}"] if p.tldr else []
        # The links' own text is their address: a mail's text part (Apprise makes it from
        # this HTML) keeps only the text.
        item = f'<li><b>[{p.score}]</b> <a href="{p.abs_url}">{_h(p.title_zh or p.title)}</a>'
        item += f"<br>{_h(p.title)}" if p.title_zh else ""
        links = [f"<code>{_h(p.venue)}</code>"] if p.venue else []
        links.append(f'<a href="{p.abs_url}">{p.abs_url.removeprefix("https://")}</a>')
        links += [f'code: <a href="{_h(code)}">{_h(code)}</a>'] if code else []
        told = f"<br>一句话：{_h(p.tldr)}" if p.tldr else ""
        page.append(item + "<br>" + " · ".join(links) + told + "</li>")
    page.append("</ol>")
    if late := ranked([p for p in late if p.tldr]):  # as many as the digest took on (record)
        text += ["", "summaries of papers told of before:"]
        mark += ["", "**summaries of papers told of before:**"]
        page.append("<p><b>summaries of papers told of before:</b></p><ul>")
        for p in late:
            text += [
                f"{one_line(p.title_zh or p.title)} ({p.abs_url})",
                f"    一句话：{one_line(p.tldr or '')}",
            ]
            mark.append(f"- [{md(p.title_zh or p.title)}]({p.abs_url}): {md(p.tldr or '')}")
            page.append(f'<li><a href="{p.abs_url}">{_h(p.title_zh or p.title)}</a>: '
                        f"{_h(p.tldr or '')}</li>")  # fmt: skip
        page.append("</ul>")
    if more:
        text += ["", f"and {more} more" + (f": {link}" if link else " in the log")]
        mark += ["", f"and {more} more" + (f": [the log]({link})" if link else " in the log")]
        page.append(f"<p>and {more} more" + (f': <a href="{_h(link)}">the log</a>' if link
                                            else " in the log") + "</p>")  # fmt: skip
    elif link:
        text += ["", f"the log: {link}"]
        mark += ["", f"[the log]({link})"]
        page.append(f'<p><a href="{_h(link)}">the log</a></p>')
    return Message(title, "\n".join(text), "\n".join(mark), "\n".join(page))


def alert(name: str, kind: str, condition: str, message: str) -> Message:
    """An alert (`kind` "alert"), or the "recovered" that ends one, of `condition`; `message`
    is the alert's own text, which names what to fix."""
    raised, cleared = ALERTS.get(condition, (condition, f"{condition}: cleared"))
    if kind == "recovered":
        head = f"recovered: {cleared}"
        body = f"It had been reported: {one_line(message)}"
    else:
        head = f"alert: {raised}"
        body = f"{one_line(message)} (snn-feed status shows the details.)"
    title = f"{one_line(name)}: {head}"
    return Message(title, f"{title}\n\n{body}", f"**{md(title)}**\n\n{no_block(md(body))}",
                   f"<p><b>{_h(title)}</b></p>\n<p>{_h(body)}</p>")  # fmt: skip


def test(name: str, events: Sequence[str]) -> Message:
    """`snn-feed notify --test`: what this service will be sent."""
    title = f"{one_line(name)}: test message from snn-feed"
    body = f"This service is set up to get: {', '.join(events)}."
    return Message(title, f"{title}\n\n{body}", f"**{md(title)}**\n\n{md(body)}",
                   f"<p><b>{_h(title)}</b></p>\n<p>{_h(body)}</p>")  # fmt: skip
