"""The summary model's client: one chat-completions request per paper to any OpenAI-compatible
server, through the translation engines' HTTP machinery (a deadline on the whole answer, a cap
on its size, bounded retries of timeouts, 429 and 5xx, a rate limit), reporting the tokens each
request cost, refused answers included."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from snn_feed.config import SummarySettings, TranslateSettings
from snn_feed.errors import TranslationError
from snn_feed.store.records import Summary
from snn_feed.summary.answer import Refused, check_summary, instructions, question
from snn_feed.translation.engines import bad_answer, worth_retrying
from snn_feed.translation.http_engines import HttpEngine

MAX_ANSWER_TOKENS = {False: 300, True: 700}
"""`max_tokens` asked for, without and with `details`: a summary needs far less; a model that
rambles is cut there (and its answer then fails the checks)."""


class Answer(NamedTuple):
    """One paper's summary, or the error that kept it from having one, and the tokens its
    requests cost (refused answers are paid for too)."""

    result: Summary | TranslationError
    tokens: int


def _server_trouble(err: BaseException) -> bool:
    """Worth another request: the server failed (timeout, 429, 5xx), the model did not."""
    return worth_retrying(err) and not (isinstance(err, TranslationError) and bad_answer(err))


class Summarizer(HttpEngine):
    """`[summary]`'s model. Every failure is a TranslationError: "bad answer" when the model
    answered with no usable summary (the paper's attempt), anything else the server's."""

    name = "summary"

    def __init__(
        self,
        settings: SummarySettings,
        glossary: dict[str, str],
        transport: object = None,
    ) -> None:
        as_engine = TranslateSettings(
            backend="openai", url=settings.url, api_key=settings.api_key, model=settings.model,
            timeout_seconds=settings.timeout_seconds, retries=settings.retries,
            rate_per_second=settings.rate_per_second, glossary=glossary,
        )  # fmt: skip
        super().__init__(as_engine, transport)  # type: ignore[arg-type]
        self.summary = settings
        self._plain = False
        """The server refused the request's options once (HTTP 400): sent without them."""
        self._instructions = instructions(glossary, details=settings.details)

    def estimate(self, title: str, abstract: str) -> int:
        """The most tokens one request for this paper is expected to cost (a token is three
        characters of English or more; the answer at most `max_tokens`)."""
        chars = len(self._instructions) + len(question(title, abstract))
        return math.ceil(chars / 3) + MAX_ANSWER_TOKENS[self.summary.details]

    def summarize(self, title: str, abstract: str) -> Answer:
        """The paper's summary. A refused answer is not asked for again at once: at
        temperature 0 the same question gets the same answer, and each costs tokens."""
        tokens: list[int] = []
        try:
            summary = self._retrying(lambda: self._once(title, abstract, tokens),
                                     _server_trouble)  # fmt: skip
        except TranslationError as err:
            return Answer(err, sum(tokens))
        return Answer(summary, sum(tokens))

    def _once(self, title: str, abstract: str, tokens: list[int]) -> Summary:
        self._rate.wait()
        data = self._guarded(lambda: self._ask(title, abstract))
        usage = data.get("usage") if isinstance(data, dict) else None
        total = usage.get("total_tokens") if isinstance(usage, dict) else None
        tokens.append(total if isinstance(total, int) and 0 < total < 10**7 else
                      self.estimate(title, abstract))  # fmt: skip
        try:
            content = data["choices"][0]["message"]["content"]
            if not isinstance(content, str):
                raise TypeError("content is not text")
        except (KeyError, IndexError, TypeError) as err:
            raise TranslationError("summary: bad answer: no message", engine=self.name) from err
        try:
            return check_summary(content, abstract, details=self.summary.details)
        except Refused as err:
            raise TranslationError(f"summary: bad answer: {err}", engine=self.name) from err

    def _ask(self, title: str, abstract: str) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.summary.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": self._instructions},
                {"role": "user", "content": question(title, abstract)},
            ],
        }
        # Not every server takes every option: OpenAI's reasoning models refuse `max_tokens`
        # and some local servers `response_format`, with HTTP 400. Refused once, the request
        # goes without them from then on (the prompt asks for JSON, and the checks hold).
        options = {} if self._plain else {
            "max_tokens": MAX_ANSWER_TOKENS[self.summary.details],
            "response_format": {"type": "json_object"},
        }  # fmt: skip
        try:
            data = self._post({**request, **options})
        except TranslationError as err:
            if err.status != 400 or not options:
                raise
            self._plain = True
            data = self._post(request)
        if not isinstance(data, dict):
            raise TranslationError("summary: bad answer: not a JSON object", engine=self.name)
        return data

    def _post(self, body: dict[str, Any]) -> Any:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        return self._send("POST", "/chat/completions", headers=headers, json=body)
