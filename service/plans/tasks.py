"""From a task's raw text (and table cells) to a ParsedTask: title, body, units by role, leaders, targets,
deadline. Text and names stay as written; matching reads the folded copy (normalize.fold)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .deadlines import deadline_in_bracket, find_deadline_in_text, parse_deadline_value
from .directory import UnitDirectory
from .drafts import Draft
from .model import Deadline, Milestone, ParsedTask, Problem, Severity
from .normalize import fold, normalize_name
from .targets import find_targets
from .units import Roles, find_annotations

_FIRST_IS_LEAD = re.compile(
    r"(?:排在?|排名|列|位列|名列|排序)?(?:第一|首)(?:位|个|名)?(?:的|者)?(?:单位|部门)?(?:为|是|即为|系)"
    r"(?:牵头|主办|主责)(?:或|和|、)?(?:汇总|召集|主责|牵头)?(?:单位|部门)"
)
_RESPONSIBLE_LEAD = re.compile(r"责任(?:单位|部门)(?:即|均|就|即视)?(?:为|是|作为)牵头(?:单位|部门)")
# A lead label the document uses somewhere ("牵头单位:", a 牵头单位 column), not a note naming it ("…为牵头单位").
_LEAD_LABEL = re.compile(r"(?<![为是])(?:牵头|主办|主责)(?:责任)?(?:单位|部门)\s*(?:[:|\t]|$)", re.MULTILINE)
_TITLE_STOPS = ("。", "!", "?", "\n")


@dataclass(frozen=True)
class Conventions:
    """How a plan says to read its unit lists, stated once for the whole plan."""

    first_is_lead: bool = False  # "排在第一位的为牵头单位", "列第一位的为牵头或汇总单位,下同"
    responsible_lead: bool = False  # "无牵头单位的,责任单位即为牵头单位"
    lead_label: bool = True  # the plan labels lead units somewhere (牵头单位:…, a 牵头单位 column)

    @classmethod
    def find(cls, text: str) -> Conventions:
        norm = fold(text)
        return cls(
            bool(_FIRST_IS_LEAD.search(norm)), bool(_RESPONSIBLE_LEAD.search(norm)), bool(_LEAD_LABEL.search(norm))
        )


@dataclass(frozen=True)
class Context:
    directory: UnitDirectory
    year: int | None
    conventions: Conventions
    foreign: bool = False  # a plan from elsewhere: this district's group words are not expanded


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


# What a title never ends with: the separator before a clause the annotations took away ("开展燃气整治,
# 由区住建局负责" leaves "开展燃气整治,").
_TITLE_TRAILERS = " \t,，、;；:："


def _split_title(text: str) -> tuple[str, str]:
    norm = fold(text)
    cut = min((position for stop in _TITLE_STOPS if (position := norm.find(stop)) >= 0), default=-1)
    if cut < 0:
        return text.strip().rstrip(_TITLE_TRAILERS), ""
    return text[:cut].strip().rstrip(_TITLE_TRAILERS), text[cut + 1 :].strip()


def _clean_lines(text: str) -> str:
    return "\n".join(line.strip() for line in text.split("\n") if line.strip())


class _Builder:
    def __init__(self, draft: Draft, context: Context) -> None:
        self.draft = draft
        self.context = context
        self.problems: list[Problem] = []
        self.inherited_from = ""

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
            if conventions.responsible_lead or (
                roles.cooperating and not conventions.lead_label and not conventions.first_is_lead
            ):  # 责任单位 beside 配合单位 in a plan without a lead label: the responsible units lead
                return roles.responsible, roles.cooperating
                return roles.responsible, roles.cooperating
            if not conventions.first_is_lead and len(roles.responsible) > 1:
                self.problem(
                    "warning",
                    f"「{title}」未标明牵头单位,已按惯例将列第一位的「{roles.responsible[0]}」作为牵头单位,"
                    "其余作为配合单位,请核对。",
                )
            elif not conventions.first_is_lead and roles.cooperating:
                self.problem(
                    "warning", f"「{title}」未标明牵头单位,已将责任单位「{roles.responsible[0]}」作为牵头单位。"
                )
            return roles.responsible[:1], roles.responsible[1:] + roles.cooperating
        return [], roles.cooperating

    def same_unit(self, names: list[str]) -> None:
        directory = self.context.directory
        first: dict[str, str] = {}
        for name in names:
            unit = directory.resolve(name)
            if unit is None:
                continue
            if unit in first and normalize_name(first[unit]) != normalize_name(name):
                self.problem(
                    "warning",
                    f"的「{first[unit]}」与「{name}」在单位名录中是同一单位「{unit}」,导入时合为一个单位,请核对。",
                )
            first.setdefault(unit, name)

    def build(self) -> tuple[ParsedTask, list[Problem]]:
        draft = self.draft
        directory = self.context.directory
        raw = draft.text
        norm = fold(raw)
        found = find_annotations(norm, raw, directory.is_known)
        roles = Roles()
        roles.merge(found.roles)
        roles.merge(draft.roles)
        if not roles.has_units and draft.inherited is not None:
            heading_title, inherited = draft.inherited
            roles.merge(inherited)
            self.inherited_from = heading_title
        remaining = _clean_lines(_remove_spans(raw, found.spans))
        if draft.title is not None:
            title, body = draft.title.strip(), remaining
        else:
            title, body = _split_title(remaining)
        shown = title or body[:20]
        for fault in found.faults:
            self.problem("warning", f"「{shown}」括号不配对:{fault}。")
        for label in roles.empty_labels:
            self.problem("error" if label.startswith(("牵头", "主")) else "warning", f"「{shown}」的{label}为空。")
        for label, time in roles.misplaced:
            self.problem("warning", f"「{shown}」的{label}写的是时间「{time}」而不是单位,已作为完成时限,请核对。")
        for piece in roles.dropped:
            self.problem("warning", f"「{shown}」的单位名单中「{piece}」不是单位名称,已略过。")

        lead, co = self.assign(roles, shown)
        if self.inherited_from and lead:
            self.problem(
                "warning",
                f"「{shown}」没有写单位,已按所在部分「{self.inherited_from}」标注的单位(牵头:{'、'.join(lead)})导入,请核对。",
            )
        foreign = self.context.foreign
        # Names as written are kept (a name twice is once); two names this directory takes for one unit
        # ("区经信局", "区发改局") both stay, and the reader is told.
        key = {name: normalize_name(name) for name in lead + co}
        lead = _dedup(lead, key)
        lead_keys = {key[name] for name in lead}
        co = [name for name in _dedup(co, key) if key[name] not in lead_keys]
        if not foreign:
            self.same_unit(lead + co)
        if not lead:
            what = "牵头单位" if co else "牵头单位和责任单位"
            self.problem("error", f"「{shown}」未标明{what}。")

        resolved = resolve_co_units(lead, co, directory, foreign=self.context.foreign)
        known = directory.is_canonical if foreign else directory.is_known
        unknown = [name for name in lead + co if not known(name)]

        whole = f"{title}。{body}" if body else title
        deadline = self.deadline(roles.deadlines, found.other_brackets, whole)
        targets = find_targets(fold(whole), whole)
        task = ParsedTask(
            number=draft.number,
            section=draft.section.title if draft.section else None,
            title=title,
            body=body,
            lead_units=tuple(lead),
            co_units=tuple(co),
            co_units_resolved=resolved,
            targets=targets,
            deadline=deadline,
            line=draft.line,
            unknown_units=tuple(unknown),
            leaders=tuple(roles.leaders),
            written_number=draft.written,
        )
        return task, self.problems

    def deadline(self, labelled: list[str], brackets: list[tuple[str, str]], text: str) -> Deadline | None:
        """First a 完成时限 label, then a deadline column (sub-rows with times of their own make
        milestones), then a bracket holding only a time, then the text's own "…前" phrases."""
        year = self.context.year
        for value in labelled:
            found = parse_deadline_value(fold(value), year, value) if value.strip() else None
            if found is not None:
                return found
        staged = [(text_, cell.strip()) for text_, cell in self.draft.stages if cell.strip()]
        if len(staged) >= 2:
            milestones = tuple(
                Milestone(cell, found.date if (found := parse_deadline_value(fold(cell), year, cell)) else None)
                for _, cell in staged
            )
            dates = [milestone.date for milestone in milestones if milestone.date is not None]
            return Deadline(";".join(cell for _, cell in staged), max(dates) if dates else None, milestones)
        cell = self.draft.deadline_cell.strip()
        if cell:
            found = parse_deadline_value(fold(cell), year, cell)
            if found is not None:
                return found
        for content, content_raw in brackets:
            found = deadline_in_bracket(content, year, content_raw)
            if found is not None:
                return found
        return find_deadline_in_text(fold(text), year, text)


def resolve_co_units(
    lead: list[str] | tuple[str, ...], co: list[str] | tuple[str, ...], directory: UnitDirectory, *, foreign: bool
) -> tuple[str, ...]:
    """The co-units one by one: group words expanded (not in a plan from elsewhere), aliases mapped, names
    the directory lacks kept as written; a unit that leads (or is in a leading group) is left out."""

    def members(name: str) -> tuple[str, ...]:
        if foreign:  # another district's names: as written, never aliased or expanded into this one's units
            return (directory.canonical(name) or name,)
        return directory.members(name) or (directory.resolve(name) or name,)

    covered: set[str] = set()
    for name in lead:
        covered.update(members(name))
    resolved: dict[str, None] = {}  # insertion-ordered set
    for name in co:
        for unit in members(name):
            if unit not in covered:
                resolved.setdefault(unit)
    return tuple(resolved)


def build_task(draft: Draft, context: Context) -> tuple[ParsedTask, list[Problem]]:
    return _Builder(draft, context).build()
