"""The plan parser: how well it reads the corpus, how long the real plan takes, and whether hostile inputs
cost linear time.

The corpus (tests/service/plans/corpus, loaded by tests/service/plans/plan_corpus.py) holds samples of
every way plans are written, each with its expected reading: the bench prints how many plans come out
entirely right, task recall, and unit precision and recall, so every change to the parser shows its effect.

Each hostile input is parsed at two sizes, one four times the other, timed and (in a run of its own, under
tracemalloc) its peak memory taken; a ratio near 4 is linear, near 16 quadratic (what these inputs did to
earlier versions of the parser). Past its bounds (service/plans/bounds.py, drafts.MAX_TASKS) the parser
reads no more; the inputs here stay inside them, so they measure what is read.
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from service.plans import UnitDirectory, parse_plan

REPO = Path(__file__).resolve().parent.parent
PLAN = REPO / "service" / "demo" / "data" / "echeng-2024-sanxin-sanqiang.txt"
UNITS = REPO / "service" / "demo" / "data" / "units.toml"
CORPUS_MODULE = REPO / "tests" / "service" / "plans" / "plan_corpus.py"


def _corpus() -> ModuleType:
    spec = importlib.util.spec_from_file_location("plan_corpus", CORPUS_MODULE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["plan_corpus"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def corpus_score(directory: UnitDirectory, *, verbose: bool = False) -> Any:
    """Parse every corpus sample and add up how it compares with its expected reading."""
    corpus = _corpus()
    total = corpus.Score()
    for case in corpus.cases():
        plan = parse_plan(case.data, case.name, directory)
        total.add(corpus.score(plan, case.expected, case.name))
    if verbose:
        for fault in total.faults:
            print("  ", fault)
    return total


# The shapes of tests/service/plans/test_plan_bad_input.py's HOSTILE texts, built at a chosen size.
HOSTILE: dict[str, Callable[[int], str]] = {
    "label brackets on one line": lambda n: "1.推进X。" + "(牵头单位:区财政局)" * n,
    "a long run of spaces": lambda n: "1.推进X。" + " " * (10 * n) + "x(牵头单位:区财政局)",
    "full stops inside a unit list": lambda n: "1.推进X。(牵头单位:区财政局" + "。" * (6 * n) + "x)",
    "unclosed brackets": lambda n: "1.推进X。" + "(" * (6 * n),
    "numbers in quotes": lambda n: "1.推进X。" + "“12个”" * (2 * n),
    "brackets in a header cell": lambda n: "序号\t任务(" + "(" * (2 * n) + "\t牵头单位\n1\tx\t区财政局\n",
    "a long run of digits": lambda n: "1.推进X。" + "1" * (10 * n) + "x",
    "many lines in one task": lambda n: "1.推进X。\n" + "推进工作。\n" * (2 * n) + "(牵头单位:区财政局)",
    # issue 15 item 1: what an attack run found quadratic
    "a task line, then lines of unclosed brackets": lambda n: "1.推进X。\n" + "(\n" * n,
    "unknown unit names": lambda n: "1.推进X。(牵头单位:" + "、".join(f"某某局{i}" for i in range(n)) + ")",
    "numbered tasks": lambda n: "".join(f"{i}.推进工作{i}。(牵头单位:区财政局)\n" for i in range(1, n // 10 + 1)),
}


def _seconds(data: bytes, directory: UnitDirectory, repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        parse_plan(data, "bench.txt", directory)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _fastest(data: bytes, directory: UnitDirectory, quick: bool) -> float:
    """The fastest of enough runs to fill ~0.3 s (at least 3; 1 in a quick run): on a shared machine the
    fastest run is the one least disturbed, and a millisecond input needs many to be measured at all."""
    timings = [_seconds(data, directory, 1)]
    while not quick and (len(timings) < 3 or sum(timings) < 0.3):
        timings.append(_seconds(data, directory, 1))
    return min(timings)


def _peak_bytes(data: bytes, directory: UnitDirectory) -> int:
    tracemalloc.start()
    try:
        parse_plan(data, "bench.txt", directory)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run_parser_bench(*, quick: bool = False) -> dict[str, Any]:
    directory = UnitDirectory.from_toml(UNITS)
    raw = PLAN.read_bytes()
    parse_plan(raw, PLAN.name, directory)  # OpenCC builds its dictionaries once
    real_ms = _seconds(raw, directory, 5 if quick else 15) * 1000
    print("== plan parser ==")
    score = corpus_score(directory)
    print(
        f"corpus ({score.plans} plans): {score.exact} read entirely right; task recall {score.task_recall:.3f}; "
        f"unit precision {score.unit_precision:.3f}, recall {score.unit_recall:.3f}; "
        f"other fields {score.field_accuracy:.3f} ({len(score.faults)} faults)"
    )
    print(f"real plan (14 tasks): median {real_ms:.1f} ms (target < 50 ms)")
    worst = worst_memory = 0.0
    for name, build in HOSTILE.items():
        small, large = build(2_500).encode(), build(10_000).encode()
        t_small, t_large = _fastest(small, directory, quick), _fastest(large, directory, quick)
        ratio = t_large / t_small if t_small > 0 else 0.0
        m_small, m_large = _peak_bytes(small, directory), _peak_bytes(large, directory)
        memory = m_large / m_small if m_small > 0 else 0.0
        worst, worst_memory = max(worst, ratio), max(worst_memory, memory)
        print(
            f"hostile '{name}': {t_small * 1000:7.1f} ms → {t_large * 1000:7.1f} ms (×{ratio:.1f}), "
            f"peak {m_small / 1e6:5.1f} → {m_large / 1e6:5.1f} MB (×{memory:.1f}) for 4× the input"
        )
    print(f"worst growth for 4× input: time ×{worst:.1f}, peak memory ×{worst_memory:.1f} (linear ≈ 4, quadratic ≈ 16)")
    return {
        "parser_real_plan_ms": round(real_ms, 2),
        "parser_hostile_worst_growth_4x": round(worst, 2),
        "parser_hostile_worst_memory_growth_4x": round(worst_memory, 2),
        "parser_corpus_exact": f"{score.exact}/{score.plans}",
        "parser_corpus_task_recall": round(score.task_recall, 3),
        "parser_corpus_unit_precision": round(score.unit_precision, 3),
        "parser_corpus_unit_recall": round(score.unit_recall, 3),
    }


if __name__ == "__main__":
    # `python -m bench.parser_bench [-v]`: the parser figures alone; -v lists every corpus fault.
    if "-v" in sys.argv:
        corpus_score(UnitDirectory.from_toml(UNITS), verbose=True)
    run_parser_bench(quick="--quick" in sys.argv)
