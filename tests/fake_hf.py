"""A local stand-in for the Hugging Face Papers API: `GET /api/papers/<arXiv id>` answers the
paper's JSON, or 404 for a paper it has not indexed, with scripted faults (the `script` and
`fault` of fakes._Server) and a request log.

The JSON has the shape huggingface_hub's `PaperInfo` reads (see snn_feed/codelinks.py for the
sources): top-level `id`, `authors` (with `_id`, `name`, `hidden`), `publishedAt`, `title`,
`summary`, `upvotes`, `discussionId`, `ai_summary`, `ai_keywords`, and `githubRepo` /
`githubStars` / `projectPage` only when the authors linked them. Errors are the Hub's
`{"error": ...}` with an `X-Error-Message` header (huggingface_hub's `hf_raise_for_status`
reads both; the exact message text is not confirmed). A 429 carries the Hub's RateLimit headers
(huggingface/hub-docs `docs/hub/rate-limits.md`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fakes import Reply, _Server


def _hex_id(seed: str) -> str:
    """A 24-hex-digit object id, as the Hub gives authors and discussions."""
    return hashlib.sha256(seed.encode()).hexdigest()[:24]


def paper_json(
    arxiv_id: str,
    title: str,
    *,
    authors: tuple[str, ...] = ("Ada Lovelace", "Alan Turing"),
    github_repo: str | None = None,
    project_page: str | None = None,
) -> dict[str, Any]:
    """A paper as `/api/papers/<id>` describes it."""
    data: dict[str, Any] = {
        "id": arxiv_id,
        "authors": [
            {"_id": _hex_id(arxiv_id + name), "name": name, "hidden": False} for name in authors
        ],
        "publishedAt": "2026-05-14T17:58:03.000Z",
        "title": title,
        "summary": f"We study {title.lower()} with spiking neural networks.",
        "upvotes": 2,
        "discussionId": _hex_id(arxiv_id),
        "ai_summary": f"{title} runs on neuromorphic hardware.",
        "ai_keywords": ["spiking neural networks", "neuromorphic computing"],
    }
    if project_page is not None:
        data["projectPage"] = project_page
    if github_repo is not None:
        data["githubRepo"] = github_repo
        data["githubStars"] = 17
    return data


def _error(status: int, message: str) -> Reply:
    return Reply(status, json.dumps({"error": message}).encode(),
                 {"Content-Type": "application/json; charset=utf-8",
                  "X-Error-Message": message})  # fmt: skip


RATE_LIMITED = Reply(
    429,
    json.dumps({"error": "Too Many Requests"}).encode(),
    {"Content-Type": "application/json; charset=utf-8",
     "RateLimit": '"api";r=0;t=55', "RateLimit-Policy": '"fixed window";"api";q=500;w=300'},
)  # fmt: skip


class FakeHf(_Server):
    """`/api/papers/<id>` from `papers` (id -> JSON object); anything else is a 404."""

    def __init__(self) -> None:
        super().__init__()
        self.papers: dict[str, dict[str, Any]] = {}
        self.delay = 0.0
        """Seconds every answer takes: a slow Hugging Face."""

    def know(self, arxiv_id: str, title: str = "A paper", **fields: Any) -> None:
        """Index a paper (`github_repo=...` to link its repository)."""
        self.papers[arxiv_id] = paper_json(arxiv_id, title, **fields)

    def asked(self, arxiv_id: str) -> int:
        """How often the paper was asked for."""
        return sum(r["path"] == f"/api/papers/{arxiv_id}" for r in self.requests)

    def answer(self, request: dict[str, Any]) -> Reply:
        arxiv_id = request["path"].removeprefix("/api/papers/")
        if arxiv_id == request["path"] or arxiv_id not in self.papers:
            return _error(404, "Paper not found")
        body = json.dumps(self.papers[arxiv_id], ensure_ascii=False).encode()
        return Reply(200, body, {"Content-Type": "application/json; charset=utf-8"}, self.delay)
