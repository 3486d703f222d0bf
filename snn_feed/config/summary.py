"""`[summary]`: a one-sentence Chinese TL;DR of each paper, from an OpenAI-compatible model."""

from __future__ import annotations

from pydantic import Field

from snn_feed.config.base import HttpUrl, PositiveFloat, _Section


class SummarySettings(_Section):
    """A one-sentence Chinese summary (TL;DR) of each new paper, and with `details` a line each
    for its motivation, method and result, written by a chat model of any OpenAI-compatible
    server (hosted, or local: Ollama, vLLM, llama.cpp's server) with the glossary in its
    prompt. An extra, never a gate: a paper whose summary fails or waits is logged with its
    abstract all the same, and a summary made later shows in the site, the Atom feed and the
    next digest (the log is append-only). Answers are checked (length, Chinese, no Markdown or
    HTML, no URL the abstract does not have) and cached by abstract, model, prompt and glossary
    version (and `details`)."""

    enabled: bool = Field(default=False, description="Summarise papers.")
    url: HttpUrl = Field(
        default="https://api.openai.com/v1",
        description="The server's OpenAI-compatible base URL (`/chat/completions` is added).",
        examples=["http://localhost:11434/v1"],
    )
    model: str = Field(
        default="gpt-4o-mini", min_length=1, description="The chat model.", examples=["qwen2.5:7b"]
    )
    api_key: str | None = Field(
        default=None,
        repr=False,
        description="The server's API key, sent to it only; better set in the environment "
        "(`SNN_FEED_SUMMARY__API_KEY`). A local server needs none. Never logged.",
        examples=["..."],
    )
    details: bool = Field(
        default=False,
        description="Also a short line each for the paper's motivation, method and result.",
    )
    max_tokens_per_day: int = Field(
        default=200_000,
        ge=1,
        description="The most tokens (prompt and answer, as the server counts them) spent on "
        "summaries per day in the log's time zone; papers past it wait for the next day.",
    )
    backlog_days: int = Field(
        default=14,
        ge=0,
        le=3650,
        description="Papers first submitted this many days back or less are summarised: "
        "turning summaries on, or a backfill, does not send the log's history to the model.",
    )
    attempts: int = Field(
        default=3,
        ge=1,
        le=20,
        description="Syncs that try one paper before its summary is given up (a paper whose "
        "answers keep being refused costs tokens every day otherwise).",
    )
    timeout_seconds: PositiveFloat = Field(
        default=120.0,
        description="Deadline of one request: connecting and reading the whole answer (a local "
        "model may take a while).",
    )
    retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Retries of one request after a timeout, HTTP 429 or 5xx (a rejected key "
        "is not retried).",
    )
    concurrency: int = Field(default=2, ge=1, le=32, description="Requests in flight at once.")
    rate_per_second: float = Field(
        default=2.0, gt=0, description="Most requests per second sent to the server."
    )
