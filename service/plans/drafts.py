"""What the layout readers hand to the task builder: a task's pieces before units are resolved."""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import Section
from .units import Roles


@dataclass
class Draft:
    number: int
    line: int
    where: str  # how messages name the place: 第5行, 第5段, 任务表!3
    section: Section | None
    lines: list[str]  # the task's text as written (simplified), after its number
    title: str | None = None  # set when a table has a column of its own for the title
    roles: Roles = field(default_factory=Roles)  # units given in table columns
    deadline_cell: str = ""

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Outline:
    """Headings seen so far (a stack by depth), and the sections that end up holding tasks."""

    stack: list[tuple[int, Section]] = field(default_factory=list)
    drafts: list[Draft] = field(default_factory=list)
    title: str | None = None

    def heading(self, depth: int, section: Section) -> None:
        while self.stack and self.stack[-1][0] >= depth:
            self.stack.pop()
        self.stack.append((depth, section))

    def close(self, depth: int) -> None:
        while self.stack and self.stack[-1][0] >= depth:
            self.stack.pop()

    @property
    def section(self) -> Section | None:
        return self.stack[-1][1] if self.stack else None

    def sections(self) -> tuple[Section, ...]:
        seen: dict[Section, None] = {}  # insertion-ordered set
        for draft in self.drafts:
            if draft.section is not None:
                seen.setdefault(draft.section)
        return tuple(seen)
