"""`python -m bench`: every benchmark, figures and ratios from one run; the last line is JSON."""

from __future__ import annotations

import argparse
import json

from .engine_bench import run_engine_bench
from .escalation_bench import run_escalation_bench
from .faults_bench import run_faults_bench
from .http_bench import run_http_bench
from .parser_bench import run_parser_bench
from .search_bench import run_search_bench
from .web_bench import run_web_bench
from .year_bench import run_year_bench


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repetitions (a smoke run)")
    args = parser.parse_args()
    summary: dict[str, object] = {}
    summary.update(run_engine_bench(quick=args.quick))
    summary.update(run_parser_bench(quick=args.quick))
    summary.update(run_escalation_bench(quick=args.quick))
    summary.update(run_http_bench(quick=args.quick))
    summary.update(run_web_bench(quick=args.quick))
    summary.update(run_year_bench(quick=args.quick))
    summary.update(run_search_bench(quick=args.quick))
    summary.update(run_faults_bench(quick=args.quick))
    print(json.dumps(summary, ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    main()
