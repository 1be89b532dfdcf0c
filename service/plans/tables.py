"""Task tables (Word tables, Excel sheets, and tables written as text once text_tables.py has put their cells
in rows) into drafts.

A task table is recognised by its header row (see columns.py). Rows holding one value only ("一、构建新
产业", often a merged cell) are section headings; a row without a number under a numbered row is a sub-row
of it (its own text, units and deadline, kept); unknown columns go into the task's body.
"""

from __future__ import annotations

import re
from typing import Literal

from .columns import UNIT_ROLES, ColumnRole, Header, classify_header, header_of
from .drafts import MAX_TASKS, Draft, Outline
from .model import Section
from .normalize import fold
from .numbering import Kind, classify, heading
from .readers import Row, Table
from .unit_lists import UnitTest, split_people, split_units
from .units import Roles, has_labels, parse_labelled

UNIT_ROLE_OF: dict[ColumnRole, Literal["lead", "responsible", "cooperating"]] = {
    "lead": "lead",
    "responsible": "responsible",
    "cooperating": "cooperating",
}
_INTEGER = re.compile(r"\d{1,5}(?:\.0)?[.、]?")
_NOTE = re.compile(r"^(?:注|备注|说明|附注|填报说明|填表说明|编制说明)\s*\d*\s*[:\s]")
_METADATA = re.compile(r"^\S{1,8}:")  # 填报单位:…, 日期:…
_MAX_SECTION_TITLE = 40
_MAX_TITLE = 60
TABLE_SECTION_DEPTH = 90  # headings inside a table sit below every heading of the text around it
_HEADER_SCAN_ROWS = 12


def find_header(table: Table) -> tuple[int, Header] | None:
    """Where the header row of a task table is (its last row, for a header of two rows), and its columns;
    None if `table` is no task table."""
    rows = table.rows[:_HEADER_SCAN_ROWS]
    for index, row in enumerate(rows):
        found: tuple[tuple[str, ...], Header] | None = None
        header = header_of(row.cells)
        if header is not None:
            found = (tuple(row.cells), header)
        elif index + 1 < len(rows):  # a title row, or the upper row of a two-row header
            found = _sub_header(row.cells, rows[index + 1].cells)
            index += 1
        if found is None:
            continue
        while index + 1 < len(rows):  # a row of header words below: the lower row of a two-row header
            lower = _sub_header(found[0], rows[index + 1].cells)
            if lower is None:
                break
            found, index = lower, index + 1
        return index, found[1]
    return None


def _sub_header(top: tuple[str, ...], below: tuple[str, ...]) -> tuple[tuple[str, ...], Header] | None:
    """A header of two rows: "序号 | 工作任务 | 责任单位 (over two columns) | 完成时限" over " | | 牵头单位 |
    配合单位 | ": each column named by its lower cell where that is a header word, else by the upper one."""
    filled = [cell.strip() for cell in below if cell.strip()]
    if len(set(filled)) < 2 or any(classify_header(cell) is None or classify(fold(cell)) for cell in filled):
        return None  # a section row ("一、重点工作") or a data row is no header
    width = max(len(top), len(below))
    cells = []
    for index in range(width):
        upper = top[index].strip() if index < len(top) else ""
        lower = below[index].strip() if index < len(below) else ""
        cells.append(lower or upper)
    header = header_of(cells)
    return (tuple(cells), header) if header is not None else None


def row_number(text: str) -> int | None:
    """The number in a row's number cell: "3", "3.", "3、", "(3)"; None for anything else."""
    value = fold(text).strip()
    if _INTEGER.fullmatch(value):
        return int(float(value.rstrip(".、")))
    numbered = classify(value + " x")
    if numbered is not None and numbered.kind in (Kind.ARABIC, Kind.PAREN_ARABIC):
        return numbered.number
    return None


def _section_of(text: str) -> tuple[int, Section]:
    numbered = classify(fold(text))
    if numbered is not None and numbered.kind <= Kind.PAREN_CN:
        return TABLE_SECTION_DEPTH + int(numbered.kind), heading(numbered, text)
    return TABLE_SECTION_DEPTH + 4, Section("", text.strip().rstrip("。:：").strip())


def table_title(rows: tuple[Row, ...]) -> str | None:
    """A title row above the header: one short value that is no metadata (填报单位:…)."""
    for row in rows:
        values = [cell.strip() for cell in row.cells if cell.strip()]
        if len(values) == 1 and len(values[0]) <= _MAX_TITLE and not _METADATA.match(fold(values[0])):
            return values[0]
    return None


def read_table(table: Table, outline: Outline, known: UnitTest) -> bool:
    """Add the tasks of a task table to `outline`; False if `table` has no task header."""
    found = find_header(table)
    if found is None:
        return False
    header_at, header = found
    if outline.title is None:
        outline.title = table_title(table.rows[:header_at])
    outline.close(TABLE_SECTION_DEPTH)
    reader = _Rows(header, outline, known, table.name)
    for row in table.rows[header_at + 1 :]:
        reader.read(row)
    return True


class _Rows:
    def __init__(self, header: Header, outline: Outline, known: UnitTest, name: str) -> None:
        self.name = name
        self.header = header
        self.outline = outline
        self.known = known
        self.numbered = False  # some row so far carried a number
        self.section_value = ""
        self.ended = False

    def cell(self, cells: tuple[str, ...], role: ColumnRole) -> str:
        index = self.header.index(role)
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    def read(self, row: Row) -> None:
        cells = tuple(cell.strip() for cell in row.cells)
        values = list(dict.fromkeys(cell for cell in cells if cell))
        if self.ended or not values or cells == self.header.names:
            return  # past the notes, an empty row, or the header repeated on a new page
        if _NOTE.match(fold(values[0])):
            self.ended = True  # 填表说明:… and its numbered points below: notes on the table, not tasks
            return
        seq = self.cell(cells, "seq")
        number = row_number(seq) if seq else None
        units = [self.cell(cells, role) for role in UNIT_ROLES]
        task_cell, content_cell = self.cell(cells, "task"), self.cell(cells, "content")
        if self._heading(row, values, seq, number, units, task_cell, content_cell):
            return
        section = self.cell(cells, "section")
        if section and section != self.section_value:
            self.section_value = section
            self.outline.heading(TABLE_SECTION_DEPTH + 5, Section("", section))
        title: str | None
        if task_cell and content_cell:
            title, text = task_cell, content_cell
        else:
            title, text = None, task_cell or content_cell
        roles = self._roles(cells)
        deadline = self.cell(cells, "deadline")
        extra = [
            f"{self.header.names[index]}:{cells[index].strip()}"
            for index, role in enumerate(self.header.roles)
            if role == "other" and index < len(cells) and cells[index].strip()
        ]
        if not text and not roles.has_units and not deadline:
            return  # a note or a stray cell, not a task
        drafts = self.outline.drafts
        previous = drafts[-1] if drafts else None
        same_as_previous = previous is not None and number is not None and number == previous.number
        if previous is not None and ((number is None and self.numbered) or same_as_previous):
            merged_number = self.header.index("seq") in row.filled
            if same_as_previous and not merged_number and text and roles.lead and roles.lead != previous.roles.lead:
                # A merged 序号 cell gives its number to every row it spans (sub-rows, silently merged);
                # a number written again with its own text and another lead may be a second task
                # numbered by mistake: merged too, and said.
                self.outline.report(
                    row.line,
                    f"{row.where}:序号{seq}与上一行相同,本行「{_short(text)}」(牵头单位与上一行不同)已并入任务"
                    f"{previous.number};如为另一项任务,请改正序号后重新导入。",
                )
            self._sub_row(previous, title, text, roles, deadline, extra)
            return
        if number is None:
            number = previous.number + 1 if previous else 1
        else:
            self.numbered = True
        if len(drafts) >= MAX_TASKS:
            self.outline.more_items += 1
            return
        if not text and not title:
            self.outline.report(
                row.line, f"{row.where}:任务{seq or number}没有任务内容(工作任务一栏为空),请补上后重新导入。", "error"
            )
        drafts.append(
            Draft(
                number=number,
                line=row.line,
                where=row.where,
                section=self.outline.section,
                lines=[text, *extra] if text else extra,
                title=title,
                roles=roles,
                deadline_cell=deadline,
                stages=[(title or text, deadline)],
                table=self.name,
            )
        )

    def _heading(
        self,
        row: Row,
        values: list[str],
        seq: str,
        number: int | None,
        units: list[str],
        task_cell: str,
        content_cell: str,
    ) -> bool:
        """A section row: one value (often a merged cell), or a Chinese numeral and a title."""
        if any(units) or number is not None:
            return False
        cells = [cell.strip() for cell in row.cells]
        if len(values) == 1:
            text = values[0]
            numbered = classify(fold(text))
            in_first = bool(cells) and cells[0] == text
            if fold(text).endswith("。") or not (in_first or (numbered and numbered.kind <= Kind.PAREN_CN)):
                return False  # a task cell wrapped onto a row of its own, not a section
        elif seq and not content_cell and len(values) == 2:
            text = f"{seq}、{task_cell or values[1]}"
        else:
            return False
        if len(text) > _MAX_SECTION_TITLE or _NOTE.match(fold(text)):
            return False
        depth, section = _section_of(text)
        self.outline.heading(depth, section)
        return True

    def _roles(self, cells: tuple[str, ...]) -> Roles:
        roles = Roles()
        for role in UNIT_ROLES:
            index = self.header.index(role)
            if index is None or index >= len(cells) or not cells[index].strip():
                continue
            value = cells[index].strip()
            if has_labels(fold(value)):  # "牵头单位:县教育局\n配合单位:县住建局" in one 责任单位 cell
                roles.merge(parse_labelled(fold(value), value, self.known))
                continue
            roles.add_units(UNIT_ROLE_OF[role], self.header.names[index], split_units(fold(value), value, self.known))
        leaders = self.cell(cells, "leader")
        if leaders:
            roles.leaders = split_people(leaders)
        return roles

    def _sub_row(
        self, previous: Draft, title: str | None, text: str, roles: Roles, deadline: str, extra: list[str]
    ) -> None:
        """A row under a numbered row without a number of its own (a merged number cell): part of it."""
        if text and text != previous.text and text not in previous.lines and text != previous.title:
            last = fold(previous.lines[-1]).rstrip() if previous.lines else ""
            wrapped = (
                bool(last) and not last.endswith(("。", ";", "!", "?", ":")) and not roles.has_units and not deadline
            )
            previous.add(text, join=wrapped)
        previous.lines.extend(line for line in extra if line not in previous.lines)
        previous.roles.merge(roles)
        if deadline:
            previous.stages.append((text, deadline))
        if deadline and not previous.deadline_cell:
            previous.deadline_cell = deadline


def _short(text: str, limit: int = 20) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
