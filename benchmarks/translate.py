"""Translation throughput: 100 abstracts against a fake engine answering in 300 ms, one at a
time versus snn-feed's bounded concurrency, with the engine's rate limit checked.

    python benchmarks/translate.py                         # 100 abstracts, concurrency 8
    python benchmarks/translate.py --count 20 --concurrency 4 --rate 30
"""

from __future__ import annotations

import argparse
import sys
import time
from itertools import pairwise
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from fakes import FakeTranslator, fake_zh, running  # noqa: E402

from snn_feed.config import TranslateSettings  # noqa: E402
from snn_feed.translation.chain import make_engine, translate_many  # noqa: E402


def measure(count: int, concurrency: int, rate: float, latency: float) -> dict[str, float]:
    def slow(text: str) -> str:
        time.sleep(latency)
        return fake_zh(text)

    with running(FakeTranslator(slow)) as server:
        engine = make_engine(TranslateSettings(
            backend="google", url=server.base + "/m", rate_per_second=rate, retries=0,
        ))  # fmt: skip
        texts = [(str(i), f"Spiking neural networks abstract {i}. It is long enough.")
                 for i in range(count)]  # fmt: skip
        started = time.perf_counter()
        results = list(translate_many(engine, texts, concurrency))
        wall = time.perf_counter() - started
        times = sorted(r["time"] for r in server.requests)
    assert all(isinstance(text, str) for _, text, _ in results)
    window = max((sum(1 for t in times if s <= t < s + 1.0) for s in times), default=0)
    gaps = [b - a for a, b in pairwise(times)]
    return {"wall": wall, "max_per_second": window, "min_gap": min(gaps, default=0.0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, default=30.0, help="engine rate limit, per second")
    parser.add_argument("--latency", type=float, default=0.3)
    args = parser.parse_args()
    one = measure(args.count, 1, args.rate, args.latency)
    many = measure(args.count, args.concurrency, args.rate, args.latency)
    print(f"{'mode':>14} {'seconds':>8} {'max req/s':>10} {'rate limit':>10}")
    print(f"{'sequential':>14} {one['wall']:>8.2f} {one['max_per_second']:>10} {args.rate:>10g}")
    print(f"{'concurrency ' + str(args.concurrency):>14} {many['wall']:>8.2f} "
          f"{many['max_per_second']:>10} {args.rate:>10g}")  # fmt: skip
    print(f"speed-up {one['wall'] / many['wall']:.1f}x")


if __name__ == "__main__":
    main()
