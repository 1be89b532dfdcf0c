"""The plan corpus: samples of every way task-division plans are written, each with its expected reading.

`tests/service/plans/corpus/NAME` is a text sample and `NAME.json` what a careful reader gets from it; the .docx
and .xlsx samples are built by `corpus_office.py` (nothing binary is kept) and their expected readings are
`NAME.json` beside the text ones. `score` compares a parsed plan with its expectation; the corpus test
(test_corpus.py) asserts every field and `bench/parser_bench.py` prints the totals.

Expected JSON (only `title` and `tasks` are required):
    {"about": "…", "year": 2024, "title": "…",
     "tasks": [{"number": 1, "title": "…", "lead": [...], "co": [...],
                "section": "…", "leaders": [...], "deadline": "2024-06-30" | null,
                "milestones": [["4月底前…", "2024-04-30"], ...],
                "targets": [["indicator", "≥", 20, null, "个"], ...], "body_has": ["…"]}],
     "problems": ["a piece of some problem's message", ...], "no_problems": true,
     "task_count": 6 (when a number is used twice, as written),
     "not_in_json": ["text that must appear nowhere in the result"]}
Unit names compare as written (spaces aside): a traditional 於潜镇 must stay 於潜镇.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from service.plans import ParsedPlan, ParsedTask

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    expected: dict[str, Any]


def _office_builders() -> dict[str, Callable[[], bytes]]:
    spec = importlib.util.spec_from_file_location("plans_corpus_office", HERE / "corpus_office.py")
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    builders: dict[str, Callable[[], bytes]] = module.BUILDERS
    return builders


def cases() -> list[Case]:
    """Every sample of the corpus, text and office, sorted by name."""
    found: list[Case] = []
    builders = _office_builders()
    for expected_path in sorted(CORPUS.glob("*.json")):
        name = expected_path.name[: -len(".json")]
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        data = builders[name]() if name in builders else (CORPUS / name).read_bytes()
        found.append(Case(name, data, expected))
    return found


def _name(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _title(text: str) -> str:
    return re.sub(r"\s+", "", text).rstrip("。.;；,，")


@dataclass
class Score:
    """Counts over one plan or many; `exact` counts plans read entirely right (tasks, titles, units)."""

    plans: int = 0
    exact: int = 0
    tasks_expected: int = 0
    tasks_found: int = 0
    tasks_extra: int = 0
    units_expected: int = 0
    units_parsed: int = 0
    units_right: int = 0
    fields_checked: int = 0
    fields_right: int = 0
    faults: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name in (
            "plans", "exact", "tasks_expected", "tasks_found", "tasks_extra", "units_expected",
            "units_parsed", "units_right", "fields_checked", "fields_right",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.faults += other.faults

    @property
    def task_recall(self) -> float:
        return self.tasks_found / self.tasks_expected if self.tasks_expected else 1.0

    @property
    def unit_precision(self) -> float:
        return self.units_right / self.units_parsed if self.units_parsed else 1.0

    @property
    def unit_recall(self) -> float:
        return self.units_right / self.units_expected if self.units_expected else 1.0

    @property
    def field_accuracy(self) -> float:
        return self.fields_right / self.fields_checked if self.fields_checked else 1.0


def _unit_triples(number: int, lead: list[str], co: list[str]) -> set[tuple[int, str, str]]:
    return {(number, "lead", _name(n)) for n in lead} | {(number, "co", _name(n)) for n in co}


def _target_tuple(target: Any) -> list[Any]:
    return [target.indicator, target.comparator, target.value, getattr(target, "upper", None), target.unit]


OPTIONAL_FIELDS = ("section", "leaders", "deadline", "milestones", "targets", "body_has")


def field_fault(task: ParsedTask, key: str, want: Any) -> str | None:
    """How an optional field of `task` differs from what is expected, or None when it is right."""
    got: Any
    if key == "section":
        got = task.section
    elif key == "leaders":
        got, want = [_name(n) for n in getattr(task, "leaders", ())], [_name(n) for n in want]
    elif key == "deadline":
        got = task.deadline.date.isoformat() if task.deadline and task.deadline.date else None
    elif key == "milestones":
        milestones = getattr(task.deadline, "milestones", ()) if task.deadline else ()
        got = [[m.text, m.date.isoformat() if m.date else None] for m in milestones]
    elif key == "targets":
        got = [_target_tuple(t) for t in task.targets]
    else:  # body_has
        missing = [piece for piece in want if piece not in task.body]
        return f"body lacks {missing}" if missing else None
    return None if got == want else f"{key} {got!r} ≠ {want!r}"


def score(plan: ParsedPlan, expected: dict[str, Any], name: str = "") -> Score:
    result = Score(plans=1)
    faults = result.faults
    by_number: dict[int, ParsedTask] = {}
    for task in plan.tasks:
        by_number.setdefault(task.number, task)
    wanted = expected["tasks"]
    result.tasks_expected = len(wanted)
    expected_numbers = {want["number"] for want in wanted}
    result.tasks_extra = sum(1 for task in plan.tasks if task.number not in expected_numbers)
    if result.tasks_extra:
        faults.append(f"{name}: extra tasks {[t.number for t in plan.tasks if t.number not in expected_numbers]}")
    if len(plan.tasks) != expected.get("task_count", len(by_number)):
        faults.append(f"{name}: {len(plan.tasks) - len(by_number)} task numbers twice")
    want_units: set[tuple[int, str, str]] = set()
    got_units: set[tuple[int, str, str]] = set()
    exact = _title(plan.title) == _title(expected["title"]) and len(plan.tasks) == expected.get(
        "task_count", len(wanted)
    )
    if _title(plan.title) != _title(expected["title"]):
        faults.append(f"{name}: title {plan.title!r} ≠ {expected['title']!r}")
    for want in wanted:
        number = want["number"]
        want_units |= _unit_triples(number, want["lead"], want["co"])
        task = by_number.get(number)
        if task is None:
            faults.append(f"{name}: task {number} missing")
            exact = False
            continue
        got_units |= _unit_triples(number, list(task.lead_units), list(task.co_units))
        if _title(task.title) == _title(want["title"]):
            result.tasks_found += 1
        else:
            faults.append(f"{name}: task {number} title {task.title!r} ≠ {want['title']!r}")
            exact = False
        if [_name(n) for n in task.lead_units] != [_name(n) for n in want["lead"]] or [
            _name(n) for n in task.co_units
        ] != [_name(n) for n in want["co"]]:
            faults.append(f"{name}: task {number} units {list(task.lead_units)} / {list(task.co_units)}")
            exact = False
        for key in OPTIONAL_FIELDS:
            if key in want:
                result.fields_checked += 1
                fault = field_fault(task, key, want[key])
                if fault is None:
                    result.fields_right += 1
                else:
                    faults.append(f"{name}: task {number} {fault}")
    for task in plan.tasks:
        if task.number not in expected_numbers:
            got_units |= _unit_triples(task.number, list(task.lead_units), list(task.co_units))
    result.units_expected = len(want_units)
    result.units_parsed = len(got_units)
    result.units_right = len(want_units & got_units)
    messages = [problem.message for problem in plan.problems]
    for piece in expected.get("problems", []):
        result.fields_checked += 1
        if any(piece in message for message in messages):
            result.fields_right += 1
        else:
            faults.append(f"{name}: no problem says {piece!r}")
    if expected.get("no_problems") and messages:
        faults.append(f"{name}: unexpected problems {messages}")
    text = json.dumps(plan.to_json(), ensure_ascii=False)
    for piece in expected.get("not_in_json", []):
        if piece in text:
            faults.append(f"{name}: {piece!r} appears in the result")
    result.exact = int(exact and result.tasks_extra == 0)
    return result
