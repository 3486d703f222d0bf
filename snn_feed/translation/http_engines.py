"""Engines deep-translator does not serve well, as small httpx clients: DeepL (API v2, with
the `DeepL-Auth-Key` header DeepL now requires), any OpenAI-compatible chat-completions server
(a hosted model, Ollama, vLLM) with the glossary in the prompt, and Baidu. Each has a base-URL
override and a timeout, and reports failures as TranslationError with the HTTP status."""

from __future__ import annotations

import hashlib
import json
import random
import time
from typing import Any, ClassVar

import httpx

from snn_feed.config import TranslateSettings
from snn_feed.deadlines import AnswerTooLarge, DeadlineExceeded, read_capped, within
from snn_feed.errors import TranslationError
from snn_feed.translation.engines import (
    LIBRE_CODES,
    MAX_ANSWER_BYTES,
    DeepTranslatorEngine,
    Engine,
    unreachable_host,
)
from snn_feed.translation.lines import numbered, numbered_answer


class HttpEngine(Engine):
    default_url = ""

    def __init__(self, settings: TranslateSettings, transport: httpx.BaseTransport | None = None):
        super().__init__(settings)
        self.base = (settings.url or self.default_url).rstrip("/")
        self.key = settings.api_key or ""
        self.client = httpx.Client(timeout=settings.timeout_seconds, transport=transport)

    def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        seconds = self.settings.timeout_seconds
        try:
            status, body = within(seconds, lambda: self._request(method, path, **kwargs),
                                  name=self.name)  # fmt: skip
        except (httpx.TimeoutException, DeadlineExceeded) as err:
            raise TranslationError(f"{self.name}: no answer within {seconds:g} s",
                                   engine=self.name) from err  # fmt: skip
        except AnswerTooLarge as err:
            raise TranslationError(f"{self.name}: bad answer: {err}", engine=self.name) from err
        except httpx.HTTPError as err:
            raise TranslationError(f"{self.name}: {unreachable_host(self.base, err)}",
                                   engine=self.name) from err  # fmt: skip
        if status != 200:
            raise TranslationError(
                f"{self.name}: {_kind(status)} (HTTP {status})", engine=self.name, status=status
            )
        try:
            return json.loads(body)
        except ValueError as err:  # not JSON, or not UTF-8
            raise TranslationError(f"{self.name}: bad answer: not JSON", engine=self.name) from err

    def _request(self, method: str, path: str, **kwargs: Any) -> tuple[int, bytes]:
        """Status and body of one request, read whole before the deadline and within the cap."""
        deadline = time.monotonic() + self.settings.timeout_seconds
        with self.client.stream(method, self.base + path, **kwargs) as response:
            body = read_capped(response.iter_bytes(), limit=MAX_ANSWER_BYTES, deadline=deadline)
        return response.status_code, body


def _kind(status: int) -> str:
    return {401: "auth failed", 403: "auth failed", 429: "rate limit", 456: "quota used up"}.get(
        status, "unavailable" if status >= 500 else "refused"
    )


class DeepL(HttpEngine):
    name = "deepl"
    default_url = "https://api-free.deepl.com"
    batch_limit = 50  # DeepL's most `text` fields a request
    batch_chars = 100_000  # within its 128 KiB request body

    def _call(self, piece: str) -> str:
        return self._texts([piece])[0]

    def _call_many(self, pieces: list[str]) -> list[str]:
        return self._texts(pieces)

    def _call_lines(self, lines: list[str]) -> list[str]:
        return self._texts(lines)  # DeepL's own batch: one `text` per line, one answer each

    def _texts(self, texts: list[str]) -> list[str]:
        target = "ZH-HANS" if self.settings.target.lower() in ("zh", "zh-cn", "zh-hans") else (
            self.settings.target.upper()
        )  # fmt: skip
        if not self.key:  # DeepL answers nothing without one; say so before sending
            raise TranslationError(
                "deepl: no API key: set [translate] api_keys.deepl (or api_key with "
                'backend = "deepl")', engine=self.name, status=401,
            )  # fmt: skip
        data = self._send(
            "POST", "/v2/translate",
            headers={"Authorization": f"DeepL-Auth-Key {self.key}"},
            json={"text": texts, "source_lang": "EN", "target_lang": target},
        )  # fmt: skip
        try:
            answers = [str(item["text"]) for item in data["translations"]]
        except (KeyError, TypeError) as err:
            raise TranslationError("deepl: bad answer: no translation", engine=self.name) from err
        if not answers:
            raise TranslationError("deepl: bad answer: no translation", engine=self.name)
        return answers


def prompt(target: str, terms_table: dict[str, str]) -> str:
    """The translation instructions, carrying the glossary."""
    terms = "\n".join(f"- {en} -> {zh}" for en, zh in terms_table.items())
    return (
        f"Translate the user's text, an abstract of a scientific paper, into {target} "
        "(Simplified Chinese). Reply with the translation only. Keep tokens like ⟦0⟧ exactly "
        f"as they are. Use these terms:\n{terms}"
    )


def lines_prompt(target: str, terms_table: dict[str, str]) -> str:
    """The instructions for titles sent one to a line, carrying the glossary."""
    terms = "\n".join(f"- {en} -> {zh}" for en, zh in terms_table.items())
    return (
        f"Translate each line of the user's text, the title of a scientific paper, into "
        f"{target} (Simplified Chinese). The lines are numbered. Reply with exactly one line "
        'for each line, in the same order, each starting with its number as given ("1. "): '
        "the number and the translation only, no other text, no blank lines. Keep tokens like "
        f"⟦0⟧ exactly as they are. Use these terms:\n{terms}"
    )


def batch_prompt(target: str, terms_table: dict[str, str]) -> str:
    """The instructions for several abstracts in one request, carrying the glossary."""
    terms = "\n".join(f"- {en} -> {zh}" for en, zh in terms_table.items())
    return (
        f"The user's message is a JSON array of texts, each the abstract of a scientific paper "
        f'with its "id". Translate each text into {target} (Simplified Chinese). Reply with one '
        'JSON object only: {"translations": [{"id": ..., "text": ...}, ...]}, one item for each '
        "text, with its id and its translation only. Keep tokens like ⟦0⟧ exactly as they are. "
        f"Use these terms:\n{terms}"
    )


class OpenAI(HttpEngine):
    name = "openai"
    default_url = "https://api.openai.com/v1"
    limit = 12000
    batch_limit = 20
    batch_chars = 12000  # a day's abstracts in a few requests, each well within any context

    def _call(self, piece: str) -> str:
        return self._chat(prompt(self.settings.target, self.settings.glossary), piece)

    def _call_many(self, pieces: list[str]) -> list[str]:
        """The pieces as one JSON array, the answers matched back by id: a text the model left
        out (or answered twice) comes back empty, and is asked for again on its own."""
        sent = json.dumps([{"id": n, "text": p} for n, p in enumerate(pieces, 1)],
                          ensure_ascii=False)  # fmt: skip
        content = self._chat(batch_prompt(self.settings.target, self.settings.glossary), sent)
        return by_id(content, len(pieces))

    def _call_lines(self, lines: list[str]) -> list[str]:
        instructions = lines_prompt(self.settings.target, self.settings.glossary)
        return numbered_answer(self._chat(instructions, numbered(lines)), len(lines))

    def _chat(self, instructions: str, text: str) -> str:
        data = self._send(
            "POST", "/chat/completions",
            headers={"Authorization": f"Bearer {self.key}"} if self.key else {},
            json={
                "model": self.settings.model,
                "temperature": 0,
                "messages": [
                    {"role": "system", "content": instructions},
                    {"role": "user", "content": text},
                ],
            },
        )  # fmt: skip
        try:
            return str(data["choices"][0]["message"]["content"])
        except (KeyError, IndexError, TypeError) as err:
            raise TranslationError("openai: bad answer: no message", engine=self.name) from err


def by_id(content: str, count: int) -> list[str]:
    """The texts of a batch answer (`{"translations": [{"id": 1, "text": ...}]}`, perhaps
    fenced), in the order of ids 1..count; "" for an id missing, repeated or not text."""
    text = content.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise TranslationError("openai: bad answer: not a JSON object", engine="openai") from err
    items = data.get("translations") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise TranslationError("openai: bad answer: no translations", engine="openai")
    found: dict[int, list[str]] = {}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            key = item.get("id")
            if isinstance(key, str) and key.isdigit():
                key = int(key)
            if isinstance(key, int) and not isinstance(key, bool):
                found.setdefault(key, []).append(item["text"])
    return [found[n][0] if len(found.get(n, [])) == 1 else "" for n in range(1, count + 1)]


class Baidu(HttpEngine):
    """Baidu's general translation API; `api_key` is "APPID:SECRET"."""

    name = "baidu"
    default_url = "https://fanyi-api.baidu.com"
    limit = 1800  # 6,000 bytes of UTF-8 per request

    _ERRORS: ClassVar[dict[str, int]] = {
        "54003": 429, "54004": 456, "52003": 401, "54001": 401, "58000": 403,
    }  # fmt: skip

    def _call(self, piece: str) -> str:
        appid, _, secret = self.key.partition(":")
        salt = str(random.randint(10**8, 10**9))
        sign = hashlib.md5((appid + piece + salt + secret).encode()).hexdigest()  # Baidu's scheme
        data = self._send(
            "POST", "/api/trans/vip/translate",
            data={"q": piece, "from": "en", "to": "zh", "appid": appid, "salt": salt, "sign": sign},
        )  # fmt: skip
        if "error_code" in data:
            code = str(data["error_code"])
            status = self._ERRORS.get(code)
            raise TranslationError(
                f"baidu: error {code}" + (f" ({_kind(status)})" if status else ""),
                engine=self.name, status=status,
            )  # fmt: skip
        try:
            return "\n".join(str(item["dst"]) for item in data["trans_result"])
        except (KeyError, TypeError) as err:
            raise TranslationError("baidu: bad answer: no result", engine=self.name) from err


class LibreBatch(HttpEngine):
    """LibreTranslate's `/translate` with `q` as a list (the libre engine's batches)."""

    name = "libre"
    default_url = "https://libretranslate.com"

    def texts(self, pieces: list[str], target: str) -> list[str]:
        payload: dict[str, Any] = {"q": pieces, "source": "en", "target": target,
                                   "format": "text"}  # fmt: skip
        if self.key:
            payload["api_key"] = self.key
        data = self._send("POST", "/translate", json=payload)
        answers = data.get("translatedText") if isinstance(data, dict) else None
        if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
            raise TranslationError("libre: bad answer: no list of translations", engine=self.name)
        return answers


class Libre(DeepTranslatorEngine):
    """LibreTranslate: one text through deep-translator, many through its API's own batch
    (`q` as a list, which deep-translator does not send)."""

    batch_limit = 50

    def __init__(self, settings: TranslateSettings) -> None:
        super().__init__(settings)
        self.batch_chars = self.limit
        self._lists = LibreBatch(settings)

    def _call_many(self, pieces: list[str]) -> list[str]:
        target = LIBRE_CODES.get(self.settings.target.lower(), self.settings.target)
        return self._lists.texts(pieces, target)


ENGINES: dict[str, type[HttpEngine]] = {"deepl": DeepL, "openai": OpenAI, "baidu": Baidu}
