"""Machine translation of abstracts into Chinese, behind one small protocol.

Engines come from deep-translator. It sends requests without a timeout and has its endpoints
built in, so each call runs under a hard deadline here and the base URL can be replaced (for a
self-hosted LibreTranslate, a proxy, or a test server). Long abstracts are split on sentence
boundaries to fit each engine's size limit. Titles go many to a request, one to a line
(`Engine.translate_lines`), each checked and restored on its own.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol, TypeVar
from urllib.parse import urlsplit

from snn_feed.config import TranslateSettings
from snn_feed.deadlines import DeadlineExceeded, within
from snn_feed.errors import ConfigError, TranslationError
from snn_feed.retries import RetryPolicy, gave_up, unresolved_name
from snn_feed.translation.lines import answer_lines, pack
from snn_feed.translation.protect import Masked, protect, protect_lines, restore, restore_line

log = logging.getLogger(__name__)
T = TypeVar("T")


class Translation(NamedTuple):
    """One answer: the text, and the engine that gave it (a chain has several)."""

    text: str
    engine: str


class Translator(Protocol):
    """Turns English text into the target language, or raises TranslationError."""

    name: str

    @property
    def engine_names(self) -> list[str]:
        """Every engine this translator may answer with (cached translations count from
        these only)."""
        ...

    def translate(self, text: str) -> Translation: ...

    def translate_lines(self, lines: Sequence[str]) -> list[Translation | TranslationError]:
        """Short one-line texts (titles), many to a request: one result per line, in order,
        each its translation or the error that kept it from having one."""
        ...


# Characters per request each engine accepts (Google: 5000; MyMemory: 500 on its free tier).
LIMITS = {"google": 4900, "libre": 4900, "mymemory": 480}
# deep-translator's language codes differ per engine.
LIBRE_CODES = {"zh-cn": "zh", "zh-tw": "zt", "zh-hans": "zh", "zh-hant": "zt"}

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'\[])")


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at sentence ends where possible, else at
    spaces, else anywhere: nothing is dropped and the pieces join back to the text."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return [text] if text else []
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE.split(text):
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            if current:
                pieces.append(current)
                current = ""
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if current and len(current) + 1 + len(sentence) > limit:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}" if current else sentence
    if current:
        pieces.append(current)
    return [p for p in pieces if p]


def _status_of(err: BaseException) -> int | None:
    """The HTTP status behind a deep-translator error, which rarely carries it as a number."""
    from deep_translator.exceptions import ServerException

    name = type(err).__name__
    if name == "TooManyRequests":
        return 429
    if name == "AuthorizationException":
        return 403
    if isinstance(err, ServerException) and err.args:
        by_text = {text: code for code, text in ServerException.errors.items()}
        return by_text.get(str(err.args[0]))
    value = getattr(err, "status_code", None)
    return value if isinstance(value, int) else None


def _redact(message: str, secret: str | None) -> str:
    """An error text safe to show and store: no key (LibreTranslate puts it in the URL and in
    its 403 message), no query strings, and short."""
    if secret:
        message = message.replace(secret, "***")
    message = re.sub(r"\?[^\s'\")]*", "?…", message)
    message = " ".join(message.split())
    return message[:200]


MAX_GROWTH = 4
"""A Chinese translation is shorter than its English; an answer this many times longer (plus a
little, for short texts) is not a translation of it."""
MAX_ANSWER_BYTES = 1024 * 1024
"""No answer to one piece of an abstract comes near this; a larger one is refused unread."""

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_HTML = re.compile(r"<\s*(?:!doctype|html|head|body|div|script)\b", re.IGNORECASE)


def check_translation(source: str, result: object, target: str, engine: str) -> str:
    """The engine's answer if it is a translation; TranslationError if it is not one (an empty
    string, an echo of the English, an HTML page such as a captcha, MyMemory's quota warning
    sent as if it were the translation, or no Chinese at all for a Chinese target)."""

    def fail(why: str) -> TranslationError:
        return TranslationError(f"{engine}: bad answer: {why}", engine=engine)

    if not isinstance(result, str) or not result.strip():
        raise fail("empty")
    text = result.strip()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:  # a lone surrogate ("\\ud800" in JSON) is not text
        raise fail("not storable text (a lone surrogate)") from err
    if len(text) > MAX_GROWTH * len(source) + 200:
        raise fail(f"{len(text):,} characters for {len(source):,}, far too long to be one")
    if "MYMEMORY WARNING" in text.upper():
        raise fail("quota warning instead of a translation")
    if len(_HTML.findall(text)) > len(_HTML.findall(source)):  # tags the English did not have
        raise fail("an HTML page instead of a translation")
    if _words(source) <= 3:  # a name or a formula may rightly come back as it was
        return text
    if " ".join(text.split()) == " ".join(source.split()):
        raise fail("the English text came back unchanged")
    if target.lower().startswith("zh") and not _CJK.search(text):
        raise fail("no Chinese in the answer")
    return text


def _words(text: str) -> int:
    return len(re.findall(r"[A-Za-z]{2,}", text))


class RateLimit:
    """At most `rate` calls per second, shared by the threads that use one engine."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self._clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


class Engine:
    """What every engine shares: protected spans, pieces within the engine's size limit, a
    check that each answer is a translation, and bounded retries. Subclasses send one piece;
    those whose API takes several texts a request (`batch_limit` > 1) send many
    (`translate_batch`)."""

    name: str = "engine"
    limit: int = 4900
    batch_limit: int = 1
    """Texts (pieces of abstracts) one request may carry; 1: one a request."""
    batch_chars: int = 0
    """Characters one request may carry in all (0: `limit`)."""

    def __init__(
        self, settings: TranslateSettings, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._rate = RateLimit(settings.rate_per_second)

    def _call(self, piece: str) -> str:
        """One request for one piece; raise TranslationError (or any error) on failure."""
        raise NotImplementedError

    @property
    def engine_names(self) -> list[str]:
        return [self.name]

    def translate(self, text: str) -> Translation:
        masked, spans = protect(text)  # math, URLs, ids and code pass through untouched
        parts = [self._with_retries(piece) for piece in split_text(masked, self.limit)]
        return Translation(restore("\n".join(parts), spans, self.name), self.name)

    def batches(self, texts: Sequence[str]) -> list[list[int]]:
        """`texts` (by index, in order) grouped as requests carry them: each group within
        `batch_limit` pieces and `batch_chars` characters (a text longer than one request
        takes a group of its own, and several requests)."""
        if self.batch_limit <= 1:
            return [[i] for i in range(len(texts))]
        sizes = [len(protect(t)[0]) + 16 for t in texts]  # 16: a separator's worth
        cap = self.batch_chars or self.limit
        groups: list[list[int]] = []
        chars = 0
        for i, size in enumerate(sizes):
            pieces = max(1, -(-size // self.limit))
            if not groups or chars + size > cap or len(groups[-1]) + pieces > self.batch_limit:
                groups.append([])
                chars = 0
            groups[-1].append(i)
            chars += size
        return groups

    def translate_batch(self, texts: Sequence[str]) -> list[Translation | TranslationError]:
        """Several texts, as few requests as `batches` allows: each text's pieces (within
        `limit`) go out together and come back matched by position. A text whose piece came
        back unusable is asked for again on its own (until `ONE_BY_ONE_FAILURES` in a row);
        once the engine itself fails (down, a limit, a key), no further request is made and
        the texts left carry that error."""
        if self.batch_limit <= 1:
            return [self._one(t) for t in texts]
        masked = [protect(t) for t in texts]
        pieces = [split_text(m, self.limit) for m, _ in masked]
        results: dict[int, Translation | TranslationError] = {}
        retry: list[int] = []
        down: TranslationError | None = None
        for group in self.batches(texts):
            if down is not None:
                results.update({i: down for i in group})
                continue
            sent = [(i, piece) for i in group for piece in pieces[i]]
            answers = self._batch_answers([piece for _, piece in sent])
            if isinstance(answers, TranslationError):
                if bad_answer(answers):
                    retry += group
                else:
                    down = answers
                    results.update({i: answers for i in group})
                continue
            parts: dict[int, list[str | None]] = {i: [] for i in group}
            for (i, piece), answer in zip(sent, answers, strict=True):
                try:
                    checked = check_translation(piece, answer, self.settings.target, self.name)
                except TranslationError:
                    checked = None
                parts[i].append(checked)
            for i in group:
                if any(part is None for part in parts[i]):
                    retry.append(i)
                    continue
                try:
                    text = restore("\n".join(p or "" for p in parts[i]), masked[i][1], self.name)
                except TranslationError:
                    retry.append(i)  # a token lost in the batch: alone it may come back
                    continue
                results[i] = Translation(text, self.name)
        self._alone(texts, sorted(retry), results, down, 0)
        return [results[i] for i in range(len(texts))]

    def _alone(
        self,
        texts: Sequence[str],
        indices: Sequence[int],
        results: dict[int, Translation | TranslationError],
        down: TranslationError | None,
        in_a_row: int,
    ) -> tuple[TranslationError | None, int]:
        """Each of `indices` without a result asked for on its own, until the engine fails
        of itself or answers `ONE_BY_ONE_FAILURES` unusably in a row (the rest then carry
        that error); the engine's failure, if any, and the unusable answers in a row."""
        for i in indices:
            if i in results:
                continue
            if down is not None:  # not sent: it would fail as the texts before it did
                results[i] = down
                continue
            result = results[i] = self._one(texts[i])
            if not isinstance(result, TranslationError):
                in_a_row = 0
                continue
            in_a_row += 1
            if not bad_answer(result) or in_a_row >= ONE_BY_ONE_FAILURES:
                down = result
        return down, in_a_row

    def _batch_answers(self, pieces: list[str]) -> list[str] | TranslationError:
        """One request's answers, one per piece, or why there are none ("bad answer": the
        engine answered, but not with as many texts)."""
        try:
            answers = self._retrying(lambda: self._attempt_many(pieces))
        except TranslationError as err:
            return err
        if len(answers) != len(pieces):
            return TranslationError(
                f"{self.name}: bad answer: {len(answers)} texts for {len(pieces)}", engine=self.name
            )
        return answers

    def _attempt_many(self, pieces: list[str]) -> list[str]:
        self._rate.wait()
        return self._guarded(lambda: self._call_many(pieces))

    def _call_many(self, pieces: list[str]) -> list[str]:
        """One request for several pieces (engines with `batch_limit` > 1)."""
        raise NotImplementedError

    def translate_lines(self, lines: Sequence[str]) -> list[Translation | TranslationError]:
        """Lines joined by newlines within the size limit, `MAX_LINES` to a request. A line
        whose answer is unusable (a batch that came back with more or fewer lines, a line that
        is no translation or lost a token) is asked for again on its own, until the engine
        fails `ONE_BY_ONE_FAILURES` in a row; once the engine itself fails (down, a limit, a
        key), no further request is made and the lines left carry that error."""
        texts = [" ".join(line.split()) for line in lines]  # a newline would be a line more
        masked = protect_lines(texts)
        results: dict[int, Translation | TranslationError] = {}
        down: TranslationError | None = None
        in_a_row = 0
        for group in pack([len(m.text) for m in masked], self.limit):
            if down is None and len(group) > 1:
                usable, down = self._batch(group, masked)
                results.update(usable)
            down, in_a_row = self._alone(texts, group, results, down, in_a_row)
        return [results[i] for i in range(len(texts))]

    def _batch(
        self, group: list[int], masked: list[Masked]
    ) -> tuple[dict[int, Translation | TranslationError], TranslationError | None]:
        """The lines of one request that came back usable, and the engine's own failure (down,
        a limit, a key) if that is why none did."""
        sent = [masked[i].text for i in group]
        try:
            answers = self._retrying(lambda: self._attempt_lines(sent))
        except TranslationError as err:
            if not bad_answer(err):
                return {}, err
            log.info("%s: %d lines came back unusable (%s); asking one by one", self.name,
                     len(group), err)  # fmt: skip
            return {}, None
        if len(answers) != len(group):
            log.info("%s: %d lines came back as %d; asking one by one", self.name, len(group),
                     len(answers))  # fmt: skip
            return {}, None
        usable: dict[int, Translation | TranslationError] = {}
        for index, answer in zip(group, answers, strict=True):
            text = masked[index].text
            try:
                checked = check_translation(text, answer, self.settings.target, self.name)
                restored = restore_line(checked, masked[index], self.name)
            except TranslationError:
                continue  # this line alone is asked for again
            usable[index] = Translation(restored, self.name)
        return usable, None

    def _one(self, text: str) -> Translation | TranslationError:
        try:
            return self.translate(text)
        except TranslationError as err:
            return err

    def _call_lines(self, lines: list[str]) -> list[str]:
        """One request for several lines; their answers (as many as the engine gave: the caller
        counts them). Engines with a list in their API send it; others one text of lines."""
        return answer_lines(self._call("\n".join(lines)), lines)

    def _attempt_lines(self, lines: list[str]) -> list[str]:
        self._rate.wait()
        return self._guarded(lambda: self._call_lines(lines))

    def _with_retries(self, piece: str) -> str:
        return self._retrying(lambda: self._attempt(piece))

    def _retrying(
        self, attempt: Callable[[], T], retry_if: Callable[[BaseException], bool] | None = None
    ) -> T:
        policy = RetryPolicy(
            self.name, retries=self.settings.retries, first_backoff=1.0, backoff_cap=10.0,
            sleep=self._sleep, retry_on=(TranslationError,),
            retry_if=retry_if or worth_retrying,
            exhausted=lambda err, n: TranslationError(
                f"{err} ({gave_up(n)})", engine=self.name, status=getattr(err, "status", None)
            ),
            level=logging.WARNING,
        )  # fmt: skip
        return policy.run(attempt)

    def _attempt(self, piece: str) -> str:
        """One rate-limited request for `piece`; any failure as a TranslationError."""
        self._rate.wait()
        return self._guarded(
            lambda: check_translation(piece, self._call(piece), self.settings.target, self.name)
        )

    def _guarded(self, request: Callable[[], T]) -> T:
        """What `request` returns; any failure as a TranslationError."""
        try:
            return request()
        except TranslationError:
            raise
        except Exception as err:  # deep-translator raises many unrelated types
            status = _status_of(err)
            if _no_connection(err):
                reason = unreachable_host(self.settings.url or self.name, err)
            else:
                reason = type(err).__name__ + (f" (HTTP {status})" if status else "")
                detail = _redact(str(err), self.settings.api_key)
                reason += f": {detail}" if detail else ""
            error = TranslationError(f"{self.name}: {reason}", engine=self.name, status=status)
        # Raised out here, not chained: the original's text may hold the key (LibreTranslate).
        raise error


ONE_BY_ONE_FAILURES = 2
"""Lines asked for one by one that fail in a row before the engine is taken to be failing
them all (the lines left are not sent, and the next engine of a chain gets them)."""


def bad_answer(err: TranslationError) -> bool:
    """The engine answered, but not with a translation: asking again, or for less, may do;
    any other failure is the engine's own (down, a limit, a key) and holds for every text."""
    return "bad answer" in str(err)


def _no_connection(err: BaseException) -> bool:
    import requests

    return isinstance(err, requests.ConnectionError) or unresolved_name(err) is not None


def unreachable_host(url: str, err: BaseException) -> str:
    """One line for a request that got no answer: the host, and the cause when it is known
    (not urllib3's page of text, which holds the request's URL and so maybe a key)."""
    sent_to = getattr(getattr(err, "request", None), "url", None)  # requests says where it went
    host = urlsplit(str(sent_to or url)).netloc or url
    lookup = unresolved_name(err)
    if lookup is not None:
        return f"cannot resolve host {host} ({lookup.strerror or lookup})"
    match = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(err))
    cause = match.group(1).strip() if match else type(err).__name__
    return f"cannot connect to {host} ({cause})"


def worth_retrying(err: BaseException) -> bool:
    """A wrong key or a spent quota stays so: 400, 401, 403 and 456 are not tried again."""
    return getattr(err, "status", None) not in (400, 401, 403, 456)


class DeepTranslatorEngine(Engine):
    """A deep-translator engine (google, libre, mymemory) with a deadline and a base URL."""

    def __init__(
        self, settings: TranslateSettings, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        super().__init__(settings, sleep)
        self.name = settings.backend
        self.limit = LIMITS.get(self.name, 4900)
        self._build()  # fail early on a bad target language

    def _build(self) -> Any:
        from deep_translator.exceptions import (
            InvalidSourceOrTargetLanguage,
            LanguageNotSupportedException,
        )

        try:
            return self._make()
        except (LanguageNotSupportedException, InvalidSourceOrTargetLanguage) as err:
            raise ConfigError(
                f"config: translate.target: {self.settings.target!r} is not a language "
                f"{self.name} knows"
            ) from err

    def _make(self) -> Any:
        from deep_translator import GoogleTranslator, LibreTranslator, MyMemoryTranslator

        s = self.settings
        if self.name == "google":
            engine = GoogleTranslator(source="en", target=s.target)
        elif self.name == "mymemory":
            engine = MyMemoryTranslator(source="english", target=s.target, email=s.email)
        elif self.name == "libre":
            target = LIBRE_CODES.get(s.target.lower(), s.target)
            url = s.url.rstrip("/") + "/" if s.url else None
            # A self-hosted LibreTranslate needs no key, but deep-translator insists on one.
            engine = LibreTranslator(
                source="en", target=target, api_key=s.api_key or "-", custom_url=url
            )
            if not s.api_key:
                engine.api_key = None
            return engine
        else:
            raise ValueError(f"not a deep-translator engine: {self.name}")
        if s.url:
            # deep-translator keeps these engines' endpoints in a class constant; the instance
            # attribute is the documented-by-use way to point them elsewhere.
            engine._base_url = s.url
        return engine

    def _call(self, piece: str) -> str:
        # A fresh deep-translator object per request: they keep the text being translated in
        # instance state, so two threads sharing one would swap their papers' translations.
        engine = self._build()
        seconds = self.settings.timeout_seconds
        try:
            result = within(seconds, lambda: engine.translate(piece), name=self.name)
        except DeadlineExceeded as err:
            raise TranslationError(f"{self.name}: no answer within {seconds:g} s",
                                   engine=self.name) from err  # fmt: skip
        return result if isinstance(result, str) else ""


class NoTranslation:
    """`backend = "none"`: papers are logged with no Chinese abstract."""

    name = "none"

    @property
    def engine_names(self) -> list[str]:
        return [self.name]

    def translate(self, text: str) -> Translation:
        return Translation("", self.name)

    def translate_lines(self, lines: Sequence[str]) -> list[Translation | TranslationError]:
        return [Translation("", self.name) for _ in lines]
