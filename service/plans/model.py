"""The result of parsing an action plan: small frozen dataclasses with a JSON form."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Literal

Comparator = Literal["≥", "≤", "=", "≈", ">", "<"]
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Section:
    """A heading that holds key tasks, e.g. number "一", title "构建新产业".

    `level` tells headings apart that share a number: 1 for "一、", 2 for "(一)", 3 for "1." when tasks sit
    deeper, 0 for a heading written without a number (a sub-heading between tasks, a table's section row).
    """

    number: str
    title: str
    level: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "title": self.title, "level": self.level}


@dataclass(frozen=True)
class Target:
    """A quantified target found in a task's text, e.g. 技改项目 ≥ 20 个; a range (引进2-3个) keeps its upper
    end in `upper`."""

    text: str
    indicator: str
    comparator: Comparator
    value: float | int
    unit: str
    upper: float | int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "indicator": self.indicator,
            "comparator": self.comparator,
            "value": self.value,
            "upper": self.upper,
            "unit": self.unit,
        }


@dataclass(frozen=True)
class Milestone:
    """One stage of a staged deadline ("4月底前完成征收方案"), with the last day it allows."""

    text: str
    date: datetime.date | None

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "date": self.date.isoformat() if self.date else None}


@dataclass(frozen=True)
class Deadline:
    """A completion time as written; `date` is None when the text names no single day (长期坚持, 每季度).

    A staged deadline (several "…前" in one cell, or sub-rows of a table row) lists its stages in
    `milestones`, and `date` is the last of them.
    """

    text: str
    date: datetime.date | None
    milestones: tuple[Milestone, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "date": self.date.isoformat() if self.date else None,
            "milestones": [milestone.to_json() for milestone in self.milestones],
        }


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
    leaders: tuple[str, ...] = ()  # people named as 责任领导/分管领导: never units
    written_number: str | None = None  # as written, when sections number their tasks from 1 again ("二.1")

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
            "leaders": list(self.leaders),
            "written_number": self.written_number,
        }


@dataclass(frozen=True)
class ParsedPlan:
    title: str
    sections: tuple[Section, ...]
    tasks: tuple[ParsedTask, ...]
    problems: tuple[Problem, ...]
    source_name: str
    source_sha256: str
    year: int | None = None  # the year deadlines without one were read in
    foreign: bool = False  # most units are not in the directory: a plan from elsewhere

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(problem for problem in self.problems if problem.severity == "error")

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "sections": [section.to_json() for section in self.sections],
            "tasks": [task.to_json() for task in self.tasks],
            "problems": [problem.to_json() for problem in self.problems],
            "year": self.year,
            "foreign": self.foreign,
        }
