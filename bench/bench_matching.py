"""How long one free-text match takes with the shipped content, against a trivial baseline.

Runs every message of the evaluation set through `Matcher.understand` many times and prints the
mean and 99th-percentile time per match in microseconds, next to the time of a bare `normalize()`
call on the same messages measured in the same run, so the figure means something on any machine.
The matcher keeps no cache, so repeated rounds measure the same work as the first.

    .venv/bin/python bench/bench_matching.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.cli.match import load_matcher, read_eval  # noqa: E402
from bot.engine.normalize import normalize  # noqa: E402


def per_call(
    func: Callable[[str, str], object], rows: list[tuple[str, str]], rounds: int
) -> list[float]:
    """Microseconds per call, one sample per message per round."""
    samples = []
    clock = time.perf_counter_ns
    for _ in range(rounds):
        for text, lang in rows:
            start = clock()
            func(text, lang)
            samples.append((clock() - start) / 1000)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--eval", type=Path, default=ROOT / "tests" / "eval" / "messages.tsv")
    args = parser.parse_args()

    started = time.perf_counter()
    matcher = load_matcher(ROOT)
    build_ms = (time.perf_counter() - started) * 1000
    rows = [(text, lang) for lang, _, text in read_eval(args.eval)]

    per_call(matcher.understand, rows, 3)  # warm up the interpreter, not a cache: there is none
    match = per_call(matcher.understand, rows, args.rounds)
    baseline = per_call(lambda text, _lang: normalize(text), rows, args.rounds)

    def p99(samples: list[float]) -> float:
        return statistics.quantiles(samples, n=100)[98]

    mean, base = statistics.fmean(match), statistics.fmean(baseline)
    print(f"messages: {len(rows)} x {args.rounds} rounds; matcher built in {build_ms:.0f} ms")
    print(f"match:       mean {mean:7.1f} us   p99 {p99(match):7.1f} us")
    print(f"normalize(): mean {base:7.1f} us   p99 {p99(baseline):7.1f} us")
    print(f"ratio:       {mean / base:.0f}x a bare normalize() call")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
