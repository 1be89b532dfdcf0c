"""`python -m bench`: every benchmark, figures and ratios from one run; the last line is JSON."""

from __future__ import annotations

import argparse
import json

from .engine_bench import run_engine_bench


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repetitions (a smoke run)")
    args = parser.parse_args()
    summary: dict[str, object] = {}
    summary.update(run_engine_bench(quick=args.quick))
    print(json.dumps(summary, ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    main()
