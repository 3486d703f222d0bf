"""Several engines as one translator, the configured translator, and translating many
texts at once."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime, timedelta
from typing import Protocol

from snn_feed.config import TranslateSettings
from snn_feed.errors import TranslationError
from snn_feed.translation.engines import (
    DeepTranslatorEngine,
    Engine,
    NoTranslation,
    Translation,
    Translator,
)


class Cooldowns(Protocol):
    """Where engines that hit a rate limit or quota rest (the database, shared by runs)."""

    def cooling_down(self, engine: str) -> bool: ...

    def cool_down(self, engine: str, until: datetime) -> None: ...


class FallbackChain:
    """`[translate] engines`: each engine in turn until one gives a real translation. An engine
    that answers 429 or "quota used up" rests for `cooldown_minutes`."""

    def __init__(
        self, engines: list[Translator], cooldowns: Cooldowns | None, cooldown_minutes: float
    ) -> None:
        self.engines = engines
        self.name = "+".join(e.name for e in engines)
        self._cooldowns = cooldowns
        self._rest = timedelta(minutes=cooldown_minutes)

    @property
    def engine_names(self) -> list[str]:
        return [e.name for e in self.engines]

    def translate(self, text: str) -> Translation:
        failures = []
        for engine in self.engines:
            if self._cooldowns is not None and self._cooldowns.cooling_down(engine.name):
                failures.append(f"{engine.name}: resting after a rate limit")
                continue
            try:
                result = engine.translate(text)
            except TranslationError as err:
                failures.append(str(err))
                if self._cooldowns is not None and _exhausted(err):
                    self._cooldowns.cool_down(engine.name, datetime.now(UTC) + self._rest)
                continue
            return result
        raise TranslationError("every engine failed: " + "; ".join(failures), engine=self.name)

    @property
    def batch_limit(self) -> int:
        return getattr(self.engines[0], "batch_limit", 1)

    def batches(self, texts: Sequence[str]) -> list[list[int]]:
        """Grouped as the first engine's requests carry them."""
        first = self.engines[0]
        if isinstance(first, Engine):
            return first.batches(texts)
        return [[i] for i in range(len(texts))]

    def translate_batch(self, texts: Sequence[str]) -> list[Translation | TranslationError]:
        """Each engine in turn gets the texts no engine before it translated, together."""
        return self._in_turn(texts, lambda engine, some: _batch_of(engine, some))

    def translate_lines(self, lines: Sequence[str]) -> list[Translation | TranslationError]:
        """Each engine in turn gets the lines no engine before it translated, all together:
        one engine's batch, not one request per line per engine."""
        return self._in_turn(lines, lambda engine, some: engine.translate_lines(some))

    def _in_turn(
        self,
        lines: Sequence[str],
        ask: Callable[[Translator, list[str]], list[Translation | TranslationError]],
    ) -> list[Translation | TranslationError]:
        results: list[Translation | TranslationError | None] = [None] * len(lines)
        failures: list[list[str]] = [[] for _ in lines]
        for engine in self.engines:
            left = [i for i, r in enumerate(results) if r is None]
            if not left:
                break
            if self._cooldowns is not None and self._cooldowns.cooling_down(engine.name):
                for i in left:
                    failures[i].append(f"{engine.name}: resting after a rate limit")
                continue
            answers = ask(engine, [lines[i] for i in left])
            cooled = False
            for i, answer in zip(left, answers, strict=True):
                if isinstance(answer, Translation):
                    results[i] = answer
                    continue
                failures[i].append(str(answer))
                if self._cooldowns is not None and _exhausted(answer) and not cooled:
                    self._cooldowns.cool_down(engine.name, datetime.now(UTC) + self._rest)
                    cooled = True
        return [
            r if r is not None else TranslationError(
                "every engine failed: " + "; ".join(failures[i]), engine=self.name
            )
            for i, r in enumerate(results)
        ]  # fmt: skip


def _batch_of(translator: Translator, texts: list[str]) -> list[Translation | TranslationError]:
    """`texts` through `translator`'s batches, or one at a time if it has none."""
    batch = getattr(translator, "translate_batch", None)
    if batch is not None:
        return list(batch(texts))
    out: list[Translation | TranslationError] = []
    for text in texts:
        try:
            out.append(translator.translate(text))
        except TranslationError as err:
            out.append(err)
    return out


def _exhausted(err: TranslationError) -> bool:
    return err.status in (429, 456) or "quota" in str(err).lower()


def engine_settings(settings: TranslateSettings, name: str) -> TranslateSettings:
    """The settings engine `name` runs with, the one place an engine's endpoint and key are
    decided: its own `urls.<name>` and `api_keys.<name>`, else, for the engine `backend` names
    only, `url` and `api_key`; else its public endpoint and no key. So a key only ever goes to
    the host it was given for, whichever command asks (a chain, `retranslate --engine`)."""
    own = name == settings.backend
    return settings.model_copy(
        update={
            "backend": name,
            "engines": [],
            "url": settings.urls.get(name) or (settings.url if own else None),
            "api_key": settings.api_keys.get(name) or (settings.api_key if own else None),
        }
    )


def make_translator(settings: TranslateSettings, cooldowns: Cooldowns | None = None) -> Translator:
    """The configured engine, or the fallback chain of `[translate] engines`."""
    if settings.engines:
        engines: list[Translator] = [
            make_engine(engine_settings(settings, name)) for name in settings.engines
        ]
        return FallbackChain(engines, cooldowns, settings.cooldown_minutes)
    if settings.backend == "none":
        return NoTranslation()
    return make_engine(settings)


def make_engine(settings: TranslateSettings) -> Engine:
    """The engine named by `settings.backend`."""
    if settings.backend in ("deepl", "openai", "baidu", "libre"):
        from snn_feed.translation import http_engines

        if settings.backend == "libre":
            return http_engines.Libre(settings)
        return http_engines.ENGINES[settings.backend](settings)
    return DeepTranslatorEngine(settings)


def translate_many(
    translator: Translator,
    items: Iterable[tuple[str, str]],
    concurrency: int,
    should_stop: Callable[[], bool] = lambda: False,
) -> Generator[tuple[str, str | TranslationError, str], None, None]:
    """Translate (key, text) pairs with at most `concurrency` requests in flight; yield (key,
    text or the error, engine) as each finishes. An engine that takes several texts a request
    (`batch_limit` > 1: DeepL, LibreTranslate, an OpenAI-compatible model) gets them so, as
    many to a request as its limits allow. Stops submitting when `should_stop()` says so."""
    listed = list(items)
    texts = [text for _, text in listed]
    if getattr(translator, "batch_limit", 1) > 1:
        groups = translator.batches(texts)  # type: ignore[attr-defined]
    else:
        groups = [[i] for i in range(len(listed))]
    pending = iter(groups)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="translate") as pool:
        running: dict[Future[list[Translation | TranslationError]], list[int]] = {}

        def fill() -> None:
            while len(running) < concurrency and not should_stop():
                group = next(pending, None)
                if group is None:
                    return
                chosen = [texts[i] for i in group]
                running[pool.submit(_batch_of, translator, chosen)] = group

        fill()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                group = running.pop(future)
                for i, result in zip(group, future.result(), strict=True):
                    if isinstance(result, TranslationError):
                        yield listed[i][0], result, result.engine
                    else:
                        yield listed[i][0], result.text, result.engine
            fill()
