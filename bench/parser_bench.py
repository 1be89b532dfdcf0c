"""The plan parser: how long the real plan takes, and whether hostile inputs cost linear time.

Each hostile input is parsed at two sizes, one four times the other; a ratio near 4 is linear, near 16
quadratic (what these inputs did to earlier versions of the parser).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from service.plans import UnitDirectory, parse_plan

REPO = Path(__file__).resolve().parent.parent
PLAN = REPO / "service" / "demo" / "data" / "echeng-2024-sanxin-sanqiang.txt"
UNITS = REPO / "service" / "demo" / "data" / "units.toml"


# The shapes of tests/plans/test_plan_bad_input.py's HOSTILE texts, built at a chosen size.
HOSTILE: dict[str, Callable[[int], str]] = {
    "label brackets on one line": lambda n: "1.推进X。" + "(牵头单位:区财政局)" * n,
    "a long run of spaces": lambda n: "1.推进X。" + " " * (10 * n) + "x(牵头单位:区财政局)",
    "full stops inside a unit list": lambda n: "1.推进X。(牵头单位:区财政局" + "。" * (6 * n) + "x)",
    "unclosed brackets": lambda n: "1.推进X。" + "(" * (6 * n),
    "numbers in quotes": lambda n: "1.推进X。" + "“12个”" * (2 * n),
    "brackets in a header cell": lambda n: "序号\t任务(" + "(" * (2 * n) + "\t牵头单位\n1\tx\t区财政局\n",
    "a long run of digits": lambda n: "1.推进X。" + "1" * (10 * n) + "x",
    "many lines in one task": lambda n: "1.推进X。\n" + "推进工作。\n" * (2 * n) + "(牵头单位:区财政局)",
}


def _seconds(data: bytes, directory: UnitDirectory, repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        parse_plan(data, "bench.txt", directory)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def run_parser_bench(*, quick: bool = False) -> dict[str, Any]:
    directory = UnitDirectory.from_toml(UNITS)
    raw = PLAN.read_bytes()
    parse_plan(raw, PLAN.name, directory)  # OpenCC builds its dictionaries once
    real_ms = _seconds(raw, directory, 5 if quick else 15) * 1000
    print("== plan parser ==")
    print(f"real plan (14 tasks): median {real_ms:.1f} ms (target < 50 ms)")
    worst = 0.0
    for name, build in HOSTILE.items():
        small, large = build(2_500).encode(), build(10_000).encode()
        t_small = _seconds(small, directory, 1 if quick else 3)
        t_large = _seconds(large, directory, 1 if quick else 3)
        ratio = t_large / t_small if t_small > 0 else 0.0
        worst = max(worst, ratio)
        print(f"hostile '{name}': {t_small * 1000:7.1f} ms → {t_large * 1000:7.1f} ms for 4× the input (×{ratio:.1f})")
    print(f"worst growth for 4× input: ×{worst:.1f} (linear ≈ 4, quadratic ≈ 16)")
    return {"parser_real_plan_ms": round(real_ms, 2), "parser_hostile_worst_growth_4x": round(worst, 2)}
