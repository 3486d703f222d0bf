"""What a digest and an alert say, in each of the three forms (`notify/messages.py`): pure
functions, checked as a reader of the chat or the mail sees them."""

from __future__ import annotations

from pathlib import Path

import gfm
from hostile import HOSTILE, visible
from hypothesis import given, settings
from hypothesis import strategies as st

from snn_feed.notify.messages import DigestPaper, Message, alert, digest

LINK = "https://github.com/you/SNN_arxiv_daily"


def paper(n: int, score: int, **extra: object) -> DigestPaper:
    return DigestPaper(f"2612.{n:05d}", score, f"Spiking paper {n}", **extra)  # type: ignore[arg-type]


def seen(text: str) -> str:
    """What a reader sees: no spaces, controls or zero-width spaces."""
    return visible(text).replace("\u200b", "")


def abs_links(links: list[gfm.Link]) -> list[str]:
    return [a.href for a in links if "/abs/" in a.href]


def test_the_best_papers_come_first_and_a_long_day_is_cut_with_a_link_to_the_log() -> None:
    papers = [paper(n, score) for n, score in enumerate([2, 5, 3, 5, 1, 4], 1)]

    message = digest("SNN_arxiv_daily", "2026-12-01", papers, limit=4, link=LINK)

    assert message.title == "SNN_arxiv_daily: 6 new papers, 2026-12-01"
    chat = gfm.page(message.markdown)
    # Score 5 twice: the newer id first.
    expected = ["2612.00004", "2612.00002", "2612.00006", "2612.00003"]
    assert abs_links(chat.links) == [f"https://arxiv.org/abs/{i}" for i in expected]
    assert "and 2 more: the log" in chat.outside and chat.links[-1].href == LINK
    mail = gfm.html_page(message.html)
    assert abs_links(mail.links)[::2] == abs_links(chat.links)  # each linked twice in a mail
    assert "and 2 more" in message.text and LINK in message.text
    assert [line for line in message.text.splitlines() if line.startswith("[")] == [
        "[5] Spiking paper 4", "[5] Spiking paper 2", "[4] Spiking paper 6",
        "[3] Spiking paper 3",
    ]  # fmt: skip


def test_a_paper_shows_both_titles_its_venue_and_its_code() -> None:
    p = paper(1, 5, title_zh="脉冲神经网络的新训练方法", venue="NeurIPS 2025",
              code_url="https://github.com/lab/model")  # fmt: skip

    message = digest("log", "2026-12-01", [p], limit=10, link=None)

    for form in (gfm.page(message.markdown), gfm.html_page(message.html)):
        assert form.links[0].text == "脉冲神经网络的新训练方法"
        assert "Spiking paper 1" in form.outside and "NeurIPS 2025" in form.outside
        assert "https://github.com/lab/model" in [a.href for a in form.links]
    assert message.text.splitlines()[2:5] == [
        "[5] 脉冲神经网络的新训练方法",
        "    Spiking paper 1",
        "    NeurIPS 2025 · https://arxiv.org/abs/2612.00001 · code: https://github.com/lab/model",
    ]


def test_only_an_http_code_link_is_linked() -> None:
    p = paper(1, 3, code_url="javascript:alert(1)")
    message = digest("log", "2026-12-01", [p], limit=10, link=None)
    assert "javascript" not in message.markdown + message.html + message.text


@settings(max_examples=300, deadline=None)
@given(title=HOSTILE, zh=HOSTILE, name=HOSTILE)
def test_nothing_in_a_title_becomes_markup_in_a_chat_or_a_mail(
    title: str, zh: str, name: str
) -> None:
    p = DigestPaper("2612.00001", 4, title, zh or None, "ICLR 2026", "https://github.com/a/b")

    message = digest(name, "2026-12-01", [p], limit=10, link=LINK)

    chat, mail = gfm.page(message.markdown), gfm.html_page(message.html)
    expected = ["https://arxiv.org/abs/2612.00001", "https://github.com/a/b", LINK]
    assert [a.href for a in chat.links] == expected
    assert set(chat.tags) <= {"p", "strong", "ul", "li", "a"}
    assert [a.href for a in mail.links] == [expected[0], *expected]
    assert set(mail.tags) <= {"p", "b", "ol", "li", "a", "br", "code"}
    for form in (chat, mail):
        shown = seen(form.outside)
        for text in (title, zh, name):
            assert visible(text) in shown
    assert "\n\n" not in message.text.split("\n\n", 1)[1].split("\n\nthe log")[0]


@given(message=HOSTILE, kind=st.sampled_from(["alert", "recovered"]))
def test_an_alert_shows_its_message_as_text(message: str, kind: str) -> None:
    sent = alert("log", kind, "sync", message)

    chat, mail = gfm.page(sent.markdown), gfm.html_page(sent.html)
    assert chat.links == [] and mail.links == []
    assert set(chat.tags) <= {"p", "strong"} and set(mail.tags) <= {"p", "b"}
    assert visible(message) in seen(chat.outside) and visible(message) in seen(mail.outside)
    assert sent.title == ("log: alert: the sync failed" if kind == "alert"
                          else "log: recovered: syncs work again")  # fmt: skip


EXAMPLE = [
    DigestPaper("2605.10679", 4,
                "Energy-Efficient Implementation of Spiking Recurrent Cells on FPGA",
                "脉冲循环单元在FPGA上的高能效实现", "ISCAS 2026",
                "https://github.com/example/spiking-rnn-fpga"),
    DigestPaper("2605.15058", 5,
                "NeuroTrain: Surveying Local Learning Rules for Spiking Neural Networks with an "
                "Open Benchmarking Framework",
                "NeuroTrain：脉冲神经网络局部学习规则综述与开放基准框架"),
    DigestPaper("2605.14252", 4,
                "Not All Timesteps Matter Equally: Selective Alignment Knowledge Distillation "
                "for Spiking Neural Networks",
                "并非所有时间步同等重要：面向脉冲神经网络的选择性对齐知识蒸馏"),
    DigestPaper("2605.14319", 3,
                "Approximate Macroscopic Dynamics of Spiking Neural Networks Based on Solutions "
                "to the Transport Equation",
                "基于输运方程解的脉冲神经网络近似宏观动力学"),
    DigestPaper("2605.07653", 2, "Aquatic Neuromorphic Optical Flow", "水下神经形态光流"),
]  # fmt: skip
"""The day of docs/notify.md: papers of the recorded feed (tests/fixtures/rss), translated."""

EXAMPLE_ALERT = alert(
    "SNN_arxiv_daily", "alert", "translator",
    "could not translate: deepl: the API key was rejected (HTTP 403). Papers wait "
    "untranslated: check [translate] backend, its api_key and its quota",
)  # fmt: skip


def example_digest() -> Message:
    return digest("SNN_arxiv_daily", "2026-05-15", EXAMPLE, limit=3, link=LINK)


def test_the_notify_page_shows_a_digest_as_a_mail_client_and_a_chat_show_it() -> None:
    page = (Path(__file__).resolve().parents[1] / "docs" / "notify.md").read_text("utf-8")
    message = example_digest()
    quoted_html = "\n".join("> " + line for line in message.html.splitlines())
    quoted_md = "\n".join("> " + line if line else ">" for line in message.markdown.splitlines())
    for block in (f"> **Subject:** {message.title}<br>", quoted_html,
                  f"```text\n{message.text}\n```", f"```markdown\n{message.markdown}\n```",
                  quoted_md, f"```text\n{EXAMPLE_ALERT.text}\n```"):  # fmt: skip
        assert block in page, "docs/notify.md: update the example (see its test)"
