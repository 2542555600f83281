"""Benchmark of the FAQ core: accuracy on a labelled set, latency per query, memory.

Usage: python bench/faq.py [EVAL.yaml]   (default tests/data/faq_eval.yaml, else faq_dev.yaml)
Prints a table; asserts nothing (timing belongs to benchmarks, not to tests).
"""

from __future__ import annotations

import random
import resource
import statistics
import sys
import time
from pathlib import Path
from types import MappingProxyType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from faq.evaluation import evaluate, load_eval_set  # noqa: E402
from faq.kb import Entry, KnowledgeBase, Topic, load_knowledge_base  # noqa: E402
from faq.matcher import Matcher  # noqa: E402

DATA = ROOT / "tests" / "data"
SYNTHETIC_ENTRIES = 5_000
TARGETS = {"ko": 0.95, "en": 0.90}


def rss_mib() -> float:
    """Current resident set size (VmRSS), falling back to the peak where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def latencies_ms(matcher: Matcher, queries: list[str], rounds: int) -> list[float]:
    times: list[float] = []
    for _ in range(rounds):
        for query in queries:
            start = time.perf_counter()
            matcher.match(query)
            times.append((time.perf_counter() - start) * 1000)
    return times


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def synthetic_kb(n: int, rng: random.Random) -> KnowledgeBase:
    """A KB of n entries with Korean-like phrasings built from a fixed syllable pool."""
    syllables = [chr(0xAC00 + rng.randrange(11172)) for _ in range(400)]
    english = [f"w{i}" for i in range(3000)]

    def word(k: int) -> str:
        return "".join(rng.choice(syllables) for _ in range(k))

    entries = []
    for i in range(n):
        stem = [word(rng.randint(2, 4)) for _ in range(3)]
        ko = tuple(
            " ".join([*rng.sample(stem, 2), word(2), "인증서"]) for _ in range(rng.randint(3, 6))
        )
        en = tuple(" ".join(rng.sample(english, 4)) for _ in range(3))
        entries.append(
            Entry(
                id=f"e{i}",
                topic="t",
                title=MappingProxyType({"ko": stem[0], "en": f"entry {i}"}),
                questions=MappingProxyType({"ko": ko, "en": en}),
                keywords=MappingProxyType({"ko": (stem[0],), "en": ()}),
                answer=MappingProxyType({"ko": "답변", "en": "answer"}),
            )
        )
    topics = (Topic("t", MappingProxyType({"ko": "주제", "en": "topic"})),)
    return KnowledgeBase(entries=tuple(entries), topics=topics, path="<synthetic>")


def main(argv: list[str]) -> int:
    eval_path = Path(argv[1]) if len(argv) > 1 else DATA / "faq_eval.yaml"
    if not eval_path.exists():
        eval_path = DATA / "faq_dev.yaml"
    rss_start = rss_mib()
    start = time.perf_counter()
    kb = load_knowledge_base()
    matcher = Matcher(kb)
    load_ms = (time.perf_counter() - start) * 1000
    rss_loaded = rss_mib()
    cases = load_eval_set(eval_path)
    report = evaluate(matcher, cases)

    shown = eval_path.relative_to(ROOT) if eval_path.is_relative_to(ROOT) else eval_path
    print(f"FAQ benchmark on {shown}")
    print(f"{'metric':38} {'value':>10} {'target':>10}")
    for lang in ("ko", "en"):
        print(
            f"{'top-1 accuracy ' + lang + f' (n={report.counts[lang]})':38} "
            f"{report.accuracy[lang]:>10.1%} {'>= ' + format(TARGETS[lang], '.0%'):>10}"
        )
    print(f"{'suggest rate (in scope)':38} {report.suggest_rate:>10.1%} {'':>10}")
    print(f"{'in-scope fallback rate':38} {report.in_scope_fallback_rate:>10.1%} {'<= 5%':>10}")
    print(f"{'out-of-scope fallback (recall)':38} {report.fallback_recall:>10.1%} {'>= 85%':>10}")
    print(f"{'fallback precision':38} {report.fallback_precision:>10.1%} {'':>10}")

    queries = [case.q for case in cases]
    matcher.match(queries[0])  # warm-up: first-call costs are not per-query costs
    times = latencies_ms(matcher, queries, rounds=5)
    print(f"{'latency median, shipped KB (ms)':38} {statistics.median(times):>10.3f} {'<= 1':>10}")
    print(f"{'latency p99, shipped KB (ms)':38} {p(times, 0.99):>10.3f} {'<= 5':>10}")
    print(f"{'KB load + prepare (ms)':38} {load_ms:>10.1f} {'':>10}")
    print(f"{'RSS after loading (MiB)':38} {rss_loaded:>10.1f} {'':>10}")
    print(f"{'  of which KB + matcher (MiB)':38} {rss_loaded - rss_start:>10.1f} {'':>10}")

    rng = random.Random(20240601)
    big = synthetic_kb(SYNTHETIC_ENTRIES, rng)
    start = time.perf_counter()
    big_matcher = Matcher(big)
    big_prep = (time.perf_counter() - start) * 1000
    probes = [rng.choice(e.questions["ko"]) for e in rng.sample(big.entries, 100)]
    probes += [q + " 어떻게 해요" for q in probes[:50]] + queries[:100]
    big_times = latencies_ms(big_matcher, probes, rounds=2)
    print(f"{'synthetic KB entries':38} {SYNTHETIC_ENTRIES:>10} {'':>10}")
    print(f"{'synthetic KB prepare (ms)':38} {big_prep:>10.1f} {'':>10}")
    print(f"{'latency median, synthetic (ms)':38} {statistics.median(big_times):>10.3f} {'':>10}")
    print(f"{'latency p99, synthetic (ms)':38} {p(big_times, 0.99):>10.3f} {'<= 20':>10}")
    print(f"{'RSS with synthetic KB (MiB)':38} {rss_mib():>10.1f} {'':>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
