"""Every sample of the plan corpus reads exactly as its expected JSON says (corpus/, plan_corpus.py):
tasks, titles, lead and co-units as written, and every optional field and problem it names."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from service.plans import UnitDirectory, parse_plan


def _plan_corpus() -> ModuleType:
    # Test folders are no packages (pytest's importlib mode): load the helper module by its path.
    spec = importlib.util.spec_from_file_location("plan_corpus", Path(__file__).parent / "plan_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["plan_corpus"] = module
    spec.loader.exec_module(module)
    return module


corpus = _plan_corpus()
CASES = corpus.cases()


def test_the_corpus_covers_every_kind() -> None:
    """At least 30 samples, every kind of the issue, text and office files."""
    assert len(CASES) >= 30
    kinds = {case.name.split("-")[0] for case in CASES}
    assert kinds >= {"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"}
    assert {case.name.rsplit(".", 1)[1] for case in CASES} == {"txt", "docx", "xlsx"}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_sample_reads_as_expected(case: corpus.Case, directory: UnitDirectory) -> None:
    plan = parse_plan(case.data, case.name, directory)
    result = corpus.score(plan, case.expected, case.name)
    assert result.faults == []
    assert result.exact == 1
