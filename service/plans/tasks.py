"""From a task's raw text (and table cells) to a ParsedTask: title, body, units by role, targets, deadline."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .deadlines import deadline_in_bracket, find_deadline_in_text, parse_deadline_value
from .directory import UnitDirectory
from .drafts import Draft
from .model import Deadline, ParsedTask, Problem, Severity
from .normalize import normalize_name, unify_width
from .targets import find_targets
from .units import Roles, find_annotations

_FIRST_IS_LEAD = re.compile(
    r"(?:排在?|排名|列|位列|名列)?(?:第一|首)(?:位|个|名)?的?(?:单位|部门)?(?:为|是|即为|系)牵头(?:单位|部门)"
)
_RESPONSIBLE_LEAD = re.compile(r"责任(?:单位|部门)(?:即|均|就|即视)?(?:为|是|作为)牵头(?:单位|部门)")
_TITLE_STOPS = ("。", "!", "?", "!", "?", "\n")


@dataclass(frozen=True)
class Conventions:
    """How a plan says to read its unit lists, stated once for the whole plan."""

    first_is_lead: bool = False  # "排在第一位的为牵头单位"
    responsible_lead: bool = False  # "无牵头单位的,责任单位即为牵头单位"

    @classmethod
    def find(cls, text: str) -> Conventions:
        norm = unify_width(text)
        return cls(bool(_FIRST_IS_LEAD.search(norm)), bool(_RESPONSIBLE_LEAD.search(norm)))


@dataclass(frozen=True)
class Context:
    directory: UnitDirectory
    year: int | None
    conventions: Conventions


def _dedup(names: list[str], key: dict[str, str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for name in names:
        if key[name] not in seen:
            seen.add(key[name])
            kept.append(name)
    return kept


def _remove_spans(text: str, spans: list[tuple[int, int]]) -> str:
    pieces = []
    last = 0
    for start, end in spans:
        if start >= last:
            pieces.append(text[last:start])
            last = end
    pieces.append(text[last:])
    return "".join(pieces)


def _split_title(text: str) -> tuple[str, str]:
    cut = min((text.find(stop) for stop in _TITLE_STOPS if stop in text), default=-1)
    if cut < 0:
        return text.strip(), ""
    return text[:cut].strip(), text[cut + 1 :].strip()


class _Builder:
    def __init__(self, draft: Draft, context: Context) -> None:
        self.draft = draft
        self.context = context
        self.problems: list[Problem] = []

    def problem(self, severity: Severity, message: str) -> None:
        self.problems.append(Problem(self.draft.line, f"{self.draft.where}:任务{self.draft.number}{message}", severity))

    def assign(self, roles: Roles, title: str) -> tuple[list[str], list[str]]:
        """Lead units and co-units as written, after the plan's conventions."""
        conventions = self.context.conventions
        if roles.lead:
            return roles.lead, roles.responsible + roles.cooperating
        if roles.marked_leads:
            rest = [name for name in roles.responsible if name not in roles.marked_leads]
            return roles.marked_leads, rest + roles.cooperating
        if any(label.startswith(("牵头", "主")) for label in roles.empty_labels):
            return [], roles.responsible + roles.cooperating  # the lead was left blank: do not guess one
        if roles.responsible:
            if conventions.first_is_lead:
                return roles.responsible[:1], roles.responsible[1:] + roles.cooperating
            if not conventions.responsible_lead:
                self.problem("warning", f"「{title}」未标明牵头单位,已将责任单位均作为牵头单位。")
            return roles.responsible, roles.cooperating
        return [], roles.cooperating

    def build(self) -> tuple[ParsedTask, list[Problem]]:
        draft = self.draft
        directory = self.context.directory
        norm = unify_width(draft.text)
        found = find_annotations(norm, directory.is_known)
        roles = Roles()
        roles.merge(found.roles)
        roles.merge(draft.roles)
        remaining = _remove_spans(draft.text, found.spans)
        remaining = "\n".join(line.strip() for line in remaining.split("\n") if line.strip())
        if draft.title is not None:
            title, body = draft.title.strip(), remaining
        else:
            title, body = _split_title(remaining)
        shown = title or body[:20]
        for fault in found.faults:
            self.problem("warning", f"「{shown}」括号不配对:{fault}。")
        for label in found.roles.empty_labels:
            self.problem("error" if label.startswith(("牵头", "主")) else "warning", f"「{shown}」的{label}为空。")

        lead, co = self.assign(roles, shown)
        key = {name: directory.resolve(name) or normalize_name(name) for name in lead + co}
        lead = _dedup(lead, key)
        lead_keys = {key[name] for name in lead}
        co = [name for name in _dedup(co, key) if key[name] not in lead_keys]
        if not lead:
            what = "牵头单位" if co else "牵头单位和责任单位"
            self.problem("error", f"「{shown}」未标明{what}。")

        # Group words expanded, aliases mapped; a unit that leads (or is in a leading group) is left out.
        covered: set[str] = set()
        for name in lead:
            covered.update(directory.members(name) or (key[name],))
        resolved: dict[str, None] = {}  # insertion-ordered set
        for name in co:
            for unit in directory.members(name) or (key[name],):
                if unit not in covered:
                    resolved.setdefault(unit)
        unknown = [name for name in lead + co if not directory.is_known(name)]
        for name in unknown:
            self.problem("warning", f"的单位「{name}」不在单位名录中(可更正名称,或在导入时选择新建该单位)。")

        deadline = self.deadline(found.roles.deadlines, found.other_brackets, f"{title}。{body}")
        targets = find_targets(unify_width(f"{title}。{body}" if body else title))
        task = ParsedTask(
            number=draft.number,
            section=draft.section.title if draft.section else None,
            title=title,
            body=body,
            lead_units=tuple(lead),
            co_units=tuple(co),
            co_units_resolved=tuple(resolved),
            targets=targets,
            deadline=deadline,
            line=draft.line,
            unknown_units=tuple(unknown),
        )
        return task, self.problems

    def deadline(self, labelled: list[str], brackets: list[str], text: str) -> Deadline | None:
        """First a 完成时限 label, then a deadline column, then a bracket holding only a time, then the
        text's own "…前" phrases. `labelled` and `brackets` are normalised already."""
        year = self.context.year
        for value in [*labelled, unify_width(self.draft.deadline_cell)]:
            found = parse_deadline_value(value, year) if value else None
            if found is not None:
                return found
        for content in brackets:
            found = deadline_in_bracket(content, year)
            if found is not None:
                return found
        return find_deadline_in_text(unify_width(text), year)


def build_task(draft: Draft, context: Context) -> tuple[ParsedTask, list[Problem]]:
    return _Builder(draft, context).build()
