"""Requests to the engines: a day's 30 abstracts against a fake engine answering each request in
300 ms, per engine, with snn-feed's default concurrency (4). Engines that take several texts a
request (DeepL: up to 50 `text` fields; LibreTranslate: `q` as a list; an OpenAI-compatible
model: several abstracts as one JSON array, answers matched back by id) get them so; Google and
MyMemory take one text a request.

    python benchmarks/engine_batches.py              # 30 real-length abstracts, 300 ms
    python benchmarks/engine_batches.py --count 8 --latency 0.05
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from fakes import FakeTranslator, fake_zh, real_papers, running  # noqa: E402

from snn_feed.config import TranslateSettings  # noqa: E402
from snn_feed.translation.chain import make_engine, translate_many  # noqa: E402

ENGINES = {"google": "/m", "deepl": "", "libre": "/", "openai": "/v1"}
"""Each engine and its base path on the fake."""


def abstracts(count: int) -> list[tuple[str, str]]:
    """Abstracts of a real length (about 1,300 characters), one per real SNN title."""
    rows = real_papers()[:count]
    return [
        (row["id"], " ".join([
            f"Spiking neural networks (SNNs) are studied in {row['title']}.",
            "We train them with surrogate gradients on neuromorphic benchmarks and report "
            "accuracy, energy and latency against artificial neural networks of the same size.",
        ] * 5))
        for row in rows
    ]  # fmt: skip


def measure(backend: str, count: int, latency: float) -> tuple[int, float, int]:
    """(requests, wall seconds, texts translated) for `count` abstracts."""

    with running(FakeTranslator(fake_zh)) as server:
        server.fault = lambda request: time.sleep(latency)  # each request, however many texts
        engine = make_engine(TranslateSettings(
            backend=backend, url=server.base + ENGINES[backend], api_key="bench-key",
            rate_per_second=1000.0, retries=0,
        ))  # fmt: skip
        texts = abstracts(count)
        started = time.perf_counter()
        results = list(translate_many(engine, texts, concurrency=4))
        wall = time.perf_counter() - started
        requests = len(server.requests)
    done = sum(isinstance(text, str) for _, text, _ in results)
    return requests, wall, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--latency", type=float, default=0.3)
    args = parser.parse_args()
    one_a_request = math.ceil(args.count / 4) * args.latency
    print(f"{args.count} abstracts, {args.latency:g} s a request, concurrency 4; before: one "
          f"request a text, {args.count} requests, about {one_a_request:.1f} s\n")  # fmt: skip
    print("| engine | requests | before | wall s | translated |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for backend in ENGINES:
        requests, wall, done = measure(backend, args.count, args.latency)
        print(f"| {backend} | {requests} | {args.count} | {wall:.2f} | {done} |")


if __name__ == "__main__":
    main()
