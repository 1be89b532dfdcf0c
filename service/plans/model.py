"""The result of parsing an action plan: small frozen dataclasses with a JSON form."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Literal

Comparator = Literal["≥", "≤", "=", "≈"]
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Section:
    """A heading that holds key tasks, e.g. number "一", title "构建新产业"."""

    number: str
    title: str

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "title": self.title}


@dataclass(frozen=True)
class Target:
    """A quantified target found in a task's text, e.g. 技改项目 ≥ 20 个."""

    text: str
    indicator: str
    comparator: Comparator
    value: float | int
    unit: str

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "indicator": self.indicator,
            "comparator": self.comparator,
            "value": self.value,
            "unit": self.unit,
        }


@dataclass(frozen=True)
class Deadline:
    """A completion time as written; `date` is None when the text names no single day (长期坚持, 每季度)."""

    text: str
    date: datetime.date | None

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "date": self.date.isoformat() if self.date else None}


@dataclass(frozen=True)
class Problem:
    """Something wrong or doubtful in the source; `line` is the line, paragraph or sheet row it concerns."""

    line: int
    message: str
    severity: Severity

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "message": self.message, "severity": self.severity}


@dataclass(frozen=True)
class ParsedTask:
    number: int
    section: str | None
    title: str
    body: str
    lead_units: tuple[str, ...]
    co_units: tuple[str, ...]
    co_units_resolved: tuple[str, ...]
    targets: tuple[Target, ...]
    deadline: Deadline | None
    line: int
    unknown_units: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "section": self.section,
            "title": self.title,
            "body": self.body,
            "lead_units": list(self.lead_units),
            "co_units": list(self.co_units),
            "co_units_resolved": list(self.co_units_resolved),
            "targets": [target.to_json() for target in self.targets],
            "deadline": self.deadline.to_json() if self.deadline else None,
            "line": self.line,
            "unknown_units": list(self.unknown_units),
        }


@dataclass(frozen=True)
class ParsedPlan:
    title: str
    sections: tuple[Section, ...]
    tasks: tuple[ParsedTask, ...]
    problems: tuple[Problem, ...]
    source_name: str
    source_sha256: str

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(problem for problem in self.problems if problem.severity == "error")

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "sections": [section.to_json() for section in self.sections],
            "tasks": [task.to_json() for task in self.tasks],
            "problems": [problem.to_json() for problem in self.problems],
        }
