"""The columns of a task table, recognised by their role rather than by a closed list of header words.

A header cell says what its column holds: the row number (序号), the task (重点任务, 主要工作举措, 民生实事,
实事项目 …), a further text column (主要内容, 具体措施), the lead units (牵头单位, 牵头组织实施单位), the
responsible or cooperating units, the leader in charge (责任领导, 分管区领导: people, never units), the
deadline (完成时限, 时间节点), a category (类别: a section), or something else (备注 …), kept in the task's body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .normalize import fold

ColumnRole = Literal[
    "seq", "task", "content", "lead", "responsible", "cooperating", "leader", "deadline", "section", "other"
]
UNIT_ROLES: tuple[ColumnRole, ...] = ("lead", "responsible", "cooperating")
TEXT_ROLES: tuple[ColumnRole, ...] = ("task", "content")

_DROP = re.compile(r"\([^()]*\)|[\s*:、]")
_MAX_HEADER = 16
_SEQ = frozenset(("序号", "编号", "序", "号", "项目编号", "任务编号", "序列", "No.", "NO."))
_LEADER = re.compile(r"领导|^(?:包保)?责任人$|^负责人$|^分管负责人$")
_DEADLINE = re.compile(r"时限|时间|期限|节点|日期|进度安排|时序")
_UNIT = re.compile(r"单位|部门|处室|科室|主体|^(?:牵头|配合|责任|主办|协办|主责)$")
_LEAD = re.compile(r"牵头|主办|主责|主要责任|主体责任")
_COOPERATING = re.compile(r"配合|协办|协同|参与|协作|协助|其他")
_SECTION = frozenset(("类别", "分类", "类型", "领域", "方面", "板块", "专项", "篇章", "大类"))
_OTHER = re.compile(r"^(?:备注|完成情况|进展情况|进度|工作进展|评价|说明|落实情况|成效|佐证材料|考核|分值)$")
_TASK = re.compile(r"任务|举措|措施|事项|实事|项目|内容|目标|工作|要求|名称|重点|指标|清单|问题")


def classify_header(cell: str) -> ColumnRole | None:
    """The role a header cell names ("牵头\\n单位" → lead, "责任单位(排第一位的为牵头单位)" → responsible,
    "分管区领导" → leader); None when the cell is no header word."""
    norm = _DROP.sub("", fold(cell))
    if not norm or len(norm) > _MAX_HEADER:
        return None
    if norm in _SEQ:
        return "seq"
    if _LEADER.search(norm):
        return "leader"
    if _UNIT.search(norm):
        if _LEAD.search(norm) and not _COOPERATING.search(norm):
            return "lead"
        return "cooperating" if _COOPERATING.search(norm) else "responsible"
    if _DEADLINE.search(norm):
        return "deadline"
    if norm in _SECTION:
        return "section"
    if _OTHER.match(norm):
        return "other"
    if _TASK.search(norm):
        return "task"
    return None


@dataclass(frozen=True)
class Header:
    """A task table's header: the role of every column (None for an empty header cell)."""

    names: tuple[str, ...]
    roles: tuple[ColumnRole | None, ...]

    def index(self, role: ColumnRole) -> int | None:
        return self.roles.index(role) if role in self.roles else None

    @property
    def width(self) -> int:
        return len(self.roles)


def header_of(cells: tuple[str, ...] | list[str]) -> Header | None:
    """The header if `cells` is the header row of a task table: a task column and a unit column, and
    most non-empty cells header words. The first task column holds the task, a second one its content;
    unknown columns are kept as "other" (their cells go into the task's body)."""
    names = tuple(cell.strip() for cell in cells)
    filled = [name for name in names if name]
    if len(filled) < 2:
        return None
    roles: list[ColumnRole | None] = []
    recognised = 0
    for name in names:
        role = classify_header(name) if name else None
        if role is not None:
            recognised += 1
        if role == "task":
            role = "task" if "task" not in roles else ("content" if "content" not in roles else "other")
        elif role is not None and role != "other" and role in roles:
            role = "cooperating" if role in ("responsible", "lead") and "cooperating" not in roles else "other"
        roles.append(role if role is not None or not name else "other")
    has_task = "task" in roles
    has_units = any(role in UNIT_ROLES for role in roles)
    if not (has_task and has_units) or recognised * 5 < len(filled) * 3:
        return None
    return Header(names, tuple(roles))
