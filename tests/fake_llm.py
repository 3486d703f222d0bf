"""A local OpenAI-compatible chat-completions server for the summary tests: it answers each
request with `summarize(system, user)`'s content and a `usage` block, like a hosted model or
Ollama's `/v1`. Faults (429, slow answers, a body that is no JSON) come from the shared
`Reply` script."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from fakes import Reply, _json, _Server

TOKENS_PER_REQUEST = 1000
"""What the fake reports each request to cost (`usage.total_tokens`)."""


def tldr_of(user: str) -> str:
    """A deterministic Chinese one-sentence summary naming the paper's title."""
    title = re.search(r"Title: (.*)", user)
    return f"本文研究{(title.group(1) if title else '')[:40]}并提出新的脉冲神经网络方法。"


def good_answer(system: str, user: str) -> str:
    answer = {"tldr": tldr_of(user)}
    if '"motivation"' in system:
        answer |= {"motivation": "降低神经形态芯片上的能耗。",
                   "method": "采用替代梯度训练脉冲神经网络。",
                   "result": "在基准上取得更高的准确率。"}  # fmt: skip
    return json.dumps(answer, ensure_ascii=False)


class FakeModel(_Server):
    """`/v1/chat/completions` answering with `content(system, user)`."""

    def __init__(self, content: Callable[[str, str], str] = good_answer) -> None:
        super().__init__()
        self.content = content

    @property
    def url(self) -> str:
        return self.base + "/v1"

    def chats(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].endswith("/chat/completions")]

    def answer(self, request: dict[str, Any]) -> Reply:
        if not request["path"].endswith("/chat/completions"):
            return Reply(404, b"not found")
        params = request["params"]
        system = next(m["content"] for m in params["messages"] if m["role"] == "system")
        user = next(m["content"] for m in params["messages"] if m["role"] == "user")
        return _json({
            "id": "chatcmpl-fake", "object": "chat.completion", "model": params["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": self.content(system, user)}}],
            "usage": {"prompt_tokens": TOKENS_PER_REQUEST - 100, "completion_tokens": 100,
                      "total_tokens": TOKENS_PER_REQUEST},
        })  # fmt: skip
