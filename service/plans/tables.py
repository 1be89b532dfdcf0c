"""Task tables: Word tables, Excel sheets, and tables flattened into text (one cell per line, or
tab-separated).

A task table is recognised by its header row (序号 / 重点任务 / 牵头单位 / 责任单位 / 完成时限 …). Rows
holding
one value only ("一、构建新产业", often a merged cell) are section headings.
"""

from __future__ import annotations

import re
from typing import Literal

from .deadlines import looks_like_deadline
from .drafts import Draft, Outline
from .model import Section
from .normalize import unify_width
from .numbering import Kind, classify, heading
from .readers import Line, Row, Table
from .units import Roles, UnitTest, looks_like_unit, split_units

Column = Literal["seq", "title", "content", "lead", "responsible", "cooperating", "deadline", "ignored"]

_HEADER_WORDS: tuple[tuple[Column, tuple[str, ...]], ...] = (
    ("seq", ("序号", "编号", "序")),
    ("lead", ("牵头单位", "牵头部门", "主办单位", "主办部门", "主责单位", "主责部门", "牵头责任单位")),
    ("responsible", ("责任单位", "责任部门", "承办单位")),
    ("cooperating", ("配合单位", "配合部门", "协办单位", "协办部门", "参与单位", "协同单位")),
    (
        "deadline",
        ("完成时限", "时限", "完成时间", "时间节点", "时限要求", "截止时间", "完成期限", "时间安排"),
    ),
    (
        "title",
        (
            "任务",
            "重点任务",
            "工作任务",
            "主要任务",
            "任务名称",
            "重点工作",
            "工作事项",
            "任务事项",
            "项目名称",
            "事项",
        ),
    ),
    (
        "content",
        (
            "具体任务",
            "任务内容",
            "工作内容",
            "具体内容",
            "主要内容",
            "工作措施",
            "具体措施",
            "目标任务",
            "工作目标",
            "目标要求",
            "主要举措",
            "工作要求",
            "任务要求",
        ),
    ),
    ("ignored", ("牵头领导", "责任领导", "分管领导", "责任人", "联系人", "备注", "完成情况", "进展情况")),
)
_HEADER_LOOKUP: dict[str, Column] = {word: column for column, words in _HEADER_WORDS for word in words}
_DROP = re.compile(r"\([^()]*\)|[\s*:]")
_MAX_HEADER = 40
_INTEGER = re.compile(r"\d{1,3}(?:\.0)?[.、]?")
_NOTE = re.compile(r"^(?:注|备注|说明|附注)[:\s]")
_MAX_SECTION_TITLE = 40
_TABLE_SECTION_DEPTH = 98  # headings inside a table sit below every heading of the text around it
_HEADER_SCAN_ROWS = 12


def classify_header(cell: str) -> Column | None:
    """The column a header cell names: "牵头\\n单位" → lead, "责任单位(排第一位的为牵头单位)" →
    responsible."""
    if len(cell) > _MAX_HEADER:
        return None
    return _HEADER_LOOKUP.get(_DROP.sub("", unify_width(cell)))


def header_columns(cells: tuple[str, ...]) -> dict[Column, int] | None:
    """Column positions if `cells` is the header of a task table (a task column and a unit column)."""
    columns: dict[Column, int] = {}
    for index, cell in enumerate(cells):
        column = classify_header(cell)
        if column is not None and column not in columns:
            columns[column] = index
    has_task = "title" in columns or "content" in columns
    has_units = any(column in columns for column in ("lead", "responsible", "cooperating"))
    return columns if has_task and has_units else None


def _cell(cells: tuple[str, ...], columns: dict[Column, int], column: Column) -> str:
    index = columns.get(column)
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()


def _row_number(text: str) -> int | None:
    value = unify_width(text).strip()
    if _INTEGER.fullmatch(value):
        return int(float(value.rstrip(".、")))
    numbered = classify(value + " x")
    if numbered is not None and numbered.kind in (Kind.ARABIC, Kind.PAREN_ARABIC):
        return numbered.number
    return None


def _section_of(text: str) -> Section:
    norm = unify_width(text)
    numbered = classify(norm)
    if numbered is not None and numbered.kind <= Kind.PAREN_CN:
        return heading(numbered, text)
    return Section("", text.strip().rstrip("。:"))


def find_header(table: Table) -> tuple[int, dict[Column, int]] | None:
    """Where the header row of a task table is, and its columns; None if `table` is no task table."""
    for index, row in enumerate(table.rows[:_HEADER_SCAN_ROWS]):
        columns = header_columns(row.cells)
        if columns is not None:
            return index, columns
    return None


def read_table(table: Table, outline: Outline) -> bool:
    """Add the tasks of a task table to `outline`; False if `table` has no task header."""
    found = find_header(table)
    if found is None:
        return False
    header_at, columns = found
    if outline.title is None:
        for row in table.rows[:header_at]:
            values = [cell.strip() for cell in row.cells if cell.strip()]
            if len(values) == 1 and len(values[0]) <= 60:
                outline.title = values[0]
                break
    outline.close(_TABLE_SECTION_DEPTH)
    header = table.rows[header_at].cells
    for row in table.rows[header_at + 1 :]:
        _read_row(row, header, columns, outline)
    return True


def _read_row(row: Row, header: tuple[str, ...], columns: dict[Column, int], outline: Outline) -> None:
    cells = tuple(cell.strip() for cell in row.cells)
    values: list[str] = []
    for cell in cells:
        if cell and cell not in values:
            values.append(cell)
    if not values or cells == tuple(cell.strip() for cell in header):
        return
    seq = _cell(cells, columns, "seq")
    units = [_cell(cells, columns, column) for column in ("lead", "responsible", "cooperating")]
    number = _row_number(seq) if seq else None
    title_cell = _cell(cells, columns, "title")
    content_cell = _cell(cells, columns, "content")
    if not any(units) and number is None and (len(values) == 1 or (seq and not content_cell and len(values) == 2)):
        # A heading row: one value (often a merged cell), or a Chinese numeral and a title.
        text = values[0] if len(values) == 1 else f"{seq}、{title_cell or values[1]}"
        if len(text) <= _MAX_SECTION_TITLE and not _NOTE.match(unify_width(text)):
            outline.heading(_TABLE_SECTION_DEPTH, _section_of(text))
        return
    previous = outline.drafts[-1] if outline.drafts else None
    if number is None:
        number = previous.number + 1 if previous else 1
    roles = Roles()
    for column, value in zip(("lead", "responsible", "cooperating"), units, strict=True):
        if column not in columns:
            continue
        names, marked = split_units(unify_width(value))
        roles.labelled = roles.labelled or bool(names)
        if column == "lead":
            roles.lead += names
        elif column == "responsible":
            roles.responsible += names
            roles.marked_leads += marked
        else:
            roles.cooperating += names
    if title_cell and content_cell:
        title: str | None = title_cell
        text = content_cell
    else:
        title, text = None, title_cell or content_cell
    if not text and not any(units):
        return  # a note or a stray cell, not a task
    if previous is not None and seq and number == previous.number and text == previous.text:
        previous.roles.merge(roles)  # a cell merged down over several rows repeats in each of them
        return
    outline.drafts.append(
        Draft(
            number=number,
            line=row.line,
            where=row.where,
            section=outline.section,
            lines=[text],
            title=title,
            roles=roles,
            deadline_cell=_cell(cells, columns, "deadline"),
        )
    )


# --- tables flattened into text -------------------------------------------------------------------------


def _is_integer_line(text: str) -> bool:
    return bool(_INTEGER.fullmatch(unify_width(text).strip()))


def _is_heading_line(text: str) -> bool:
    numbered = classify(unify_width(text))
    return numbered is not None and numbered.kind <= Kind.PAREN_CN


def fold_flat_tables(lines: list[Line], known: UnitTest) -> list[Line | Table]:
    """Replace runs of lines that spell out a table (header words one per line, or tab-separated) by a
    Table."""
    blocks: list[Line | Table] = []
    index = 0
    while index < len(lines):
        table, consumed = _tab_table(lines, index) or _cell_per_line_table(lines, index, known) or (None, 0)
        if table is None:
            blocks.append(lines[index])
            index += 1
            continue
        blocks.append(table)
        index += consumed
    return blocks


def _tab_table(lines: list[Line], start: int) -> tuple[Table, int] | None:
    first = lines[start]
    if "\t" not in first.text:
        return None
    header = tuple(cell.strip() for cell in first.text.split("\t"))
    if header_columns(header) is None:
        return None
    rows = [Row(first.line, first.where, header)]
    index = start + 1
    while index < len(lines) and ("\t" in lines[index].text or not lines[index].text.strip()):
        line = lines[index]
        if line.text.strip():
            rows.append(Row(line.line, line.where, tuple(cell.strip() for cell in line.text.split("\t"))))
        index += 1
    return Table(f"{first.where}起的表格", tuple(rows)), index - start


def _cell_per_line_table(lines: list[Line], start: int, known: UnitTest) -> tuple[Table, int] | None:
    header: list[str] = []
    index = start
    while index < len(lines) and classify_header(lines[index].text.strip()) is not None:
        header.append(lines[index].text.strip())
        index += 1
    if len(header) < 3 or header_columns(tuple(header)) is None:
        return None
    first = lines[start]
    rows = [Row(first.line, first.where, tuple(header))]
    by_number = classify_header(header[0]) == "seq"  # rows start with a line holding the row number
    index = (
        _rows_by_number(lines, index, header, rows, known)
        if by_number
        else _rows_by_count(lines, index, len(header), rows)
    )
    return Table(f"{first.where}起的表格", tuple(rows)), index - start


def _merge_task_lines(cells: list[str], width: int, task_at: int) -> list[str]:
    """Extra lines in a row belong to the task cell, the only one that runs over several lines."""
    cells = list(cells)
    while len(cells) > width and not cells[-1]:
        cells.pop()
    if len(cells) > width:
        extra = len(cells) - width
        cells[task_at : task_at + extra + 1] = ["\n".join(cells[task_at : task_at + extra + 1])]
    return cells


def _plausible(cells: list[str], header: list[str], known: UnitTest) -> bool:
    """Whether the unit cells of a row hold units and its deadline cell a time."""
    if len(cells) != len(header):
        return False
    for cell, name in zip(cells, header, strict=True):
        column = classify_header(name)
        norm = unify_width(cell)
        if not norm.strip():
            continue
        if column in ("lead", "responsible", "cooperating"):
            names, _ = split_units(norm)
            if not all(looks_like_unit(unit, known) for unit in names):
                return False
        elif column == "deadline" and not looks_like_deadline(norm):
            return False
    return True


def _rows_by_number(lines: list[Line], index: int, header: list[str], rows: list[Row], known: UnitTest) -> int:
    """Rows that start with a line holding only the row number; extra lines belong to the task cell."""
    width = len(header)
    task_at = next((i for i, cell in enumerate(header) if classify_header(cell) in ("title", "content")), 1)
    while index < len(lines):
        text = lines[index].text.strip()
        if not text:
            index += 1
            continue
        if _is_heading_line(text):
            rows.append(Row(lines[index].line, lines[index].where, (text,)))
            index += 1
            continue
        if not _is_integer_line(text):
            break
        start = index
        reach = min(len(lines), start + 3 * width)
        end = next(
            (
                at
                for at in range(start + 2, reach)
                if _is_integer_line(lines[at].text) or _is_heading_line(lines[at].text)
            ),
            -1,
        )
        if end < 0:
            # The last row: as many lines as make its unit and deadline cells look right.
            limit = next((at for at in range(start, reach) if not lines[at].text.strip()), reach)
            end = min(len(lines), start + width)
            for candidate in range(start + width, limit + 1):
                cells = _merge_task_lines([line.text.strip() for line in lines[start:candidate]], width, task_at)
                if _plausible(cells, header, known):
                    end = candidate
                    break
        cells = _merge_task_lines([line.text.strip() for line in lines[start:end]], width, task_at)
        rows.append(Row(lines[start].line, lines[start].where, tuple(cells)))
        index = end
    return index


def _rows_by_count(lines: list[Line], index: int, width: int, rows: list[Row]) -> int:
    """Without a number column: every `width` lines are a row, until a blank line."""
    while index + width <= len(lines):
        chunk = lines[index : index + width]
        if not chunk[0].text.strip():
            break
        if _is_heading_line(chunk[0].text):
            rows.append(Row(chunk[0].line, chunk[0].where, (chunk[0].text.strip(),)))
            index += 1
            continue
        if any(not line.text.strip() for line in chunk):
            break
        rows.append(Row(chunk[0].line, chunk[0].where, tuple(line.text.strip() for line in chunk)))
        index += width
    return index
