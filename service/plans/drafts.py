"""What the layout readers hand to the task builder: a task's pieces before units are resolved."""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import Problem, Section, Severity
from .units import Roles

# Real plans have tens to a few hundred tasks; past this the file is refused with a count of the rest.
MAX_TASKS = 2_000


@dataclass
class Draft:
    number: int
    line: int
    where: str  # how messages name the place: 第5行, 第5段, 任务表!3
    section: Section | None
    lines: list[str]  # the task's text as written, after its number
    title: str | None = None  # set when a table has a column of its own for the title
    roles: Roles = field(default_factory=Roles)  # units given in table columns
    deadline_cell: str = ""
    # A table row's sub-rows: (text, deadline cell) each; two or more with times make milestones.
    stages: list[tuple[str, str]] = field(default_factory=list)
    # Lines that continue the line before them (text wrapped mid-sentence, or broken by a page marker):
    # their indexes in `lines`; they join without a line break.
    joined: set[int] = field(default_factory=set)
    table: str | None = None  # the table (sheet) a row of it came from
    # Units a heading above the task names ("(一)强化政策支持(牵头单位:区发改局)"), for a task naming none:
    # (the heading's title, its roles).
    inherited: tuple[str, Roles] | None = None
    written: str | None = None  # the number as written when the plan's numbers were made to run on ("二.1")

    def add(self, text: str, *, join: bool = False) -> None:
        if join and self.lines:
            self.joined.add(len(self.lines))
        self.lines.append(text)

    @property
    def text(self) -> str:
        if not self.joined:
            return "\n".join(self.lines)
        return "".join(
            ("" if index in self.joined or index == 0 else "\n") + line for index, line in enumerate(self.lines)
        )


@dataclass
class Outline:
    """Headings seen so far (a stack by depth), the drafts, and what the layout has to report."""

    stack: list[tuple[float, Section]] = field(default_factory=list)
    drafts: list[Draft] = field(default_factory=list)
    title: str | None = None
    problems: list[Problem] = field(default_factory=list)
    more_items: int = 0  # numbered items past the task limit, counted but not read

    def heading(self, depth: float, section: Section) -> None:
        while self.stack and self.stack[-1][0] >= depth:
            self.stack.pop()
        self.stack.append((depth, section))

    def close(self, depth: float) -> None:
        while self.stack and self.stack[-1][0] >= depth:
            self.stack.pop()

    def report(self, line: int, message: str, severity: Severity = "warning") -> None:
        self.problems.append(Problem(line, message, severity))

    @property
    def section(self) -> Section | None:
        return self.stack[-1][1] if self.stack else None

    def sections(self) -> tuple[Section, ...]:
        seen: dict[Section, None] = {}  # insertion-ordered set
        for draft in self.drafts:
            if draft.section is not None:
                seen.setdefault(draft.section)
        return tuple(seen)
