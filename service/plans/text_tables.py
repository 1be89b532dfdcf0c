"""Tables written as text, put back into rows of cells (then read like any table, see tables.py).

Four shapes, each found by its header (columns.py):
- separated rows, a row per line: cells split by tabs or by " | " (a table copied from a web page);
- a cell per line (blank lines between them or not, each cell maybe ending in " |"): the cells of a row are
  matched to the columns by what they hold (a row number, task text, units, people, a time) so that a cell
  wrapped onto a second line, or a unit cell with one unit per line, never shifts the later columns; a row
  with sub-rows (text and deadline again, no number) keeps each;
- box-drawing tables (box_tables.py);
- columns lined up with spaces, as text extracted from a PDF is (spaced_tables.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .box_tables import box_table
from .columns import ColumnRole, Header, classify_header, header_of
from .deadlines import looks_like_deadline
from .normalize import fold
from .numbering import Kind, classify
from .readers import Line, Row, Table
from .spaced_tables import spaced_table
from .unit_lists import UnitTest, looks_like_people, looks_like_unit, split_units

_INTEGER = re.compile(r"\d{1,5}[.、]?")
_FOOTER = re.compile(
    r"ICP备|公网安备|网站标识|版权所有|网站地图|技术支持|分享到|扫一扫|打印本页|关闭窗口|【打印】|【关闭】"
)
_AFTER_TABLE = re.compile(r"^(?:注|备注|说明|附注|附件\d*)[:\s]")
_SENTENCE_END = tuple("。;!?:")
_RULER = re.compile(r"\s*:?[-—=]{2,}:?\s*|\s*")


def _is_end(text: str) -> bool:
    norm = fold(text).strip()
    return bool(_FOOTER.search(norm) or _AFTER_TABLE.match(norm))


def fold_text_tables(lines: list[Line], known: UnitTest) -> list[Line | Table]:
    """Replace the runs of lines that spell out a task table by a Table; other lines pass through."""
    blocks: list[Line | Table] = []
    index = 0
    while index < len(lines):
        found = (
            box_table(lines, index)
            or _separated_table(lines, index)
            or spaced_table(lines, index)
            or _cell_table(lines, index, known)
        )
        if found is None:
            blocks.append(lines[index])
            index += 1
            continue
        table, consumed = found
        blocks.append(table)
        index += consumed
    return blocks


# --- separated rows: tabs or pipes ----------------------------------------------------------------------


def _split_row(text: str, bordered: bool | None = None) -> list[str] | None:
    """The cells of a row written with tabs or pipes. `bordered`: whether rows open with a "|" of their own
    (taken from the header); a row of a borderless table may start with "|" when its first cell is empty."""
    if "\t" in text:
        return [cell.strip() for cell in text.split("\t")]
    if text.count("|") >= 2 or (text.count("|") == 1 and not text.rstrip().endswith("|")):
        cells = [cell.strip() for cell in text.split("|")]
        if text.rstrip().endswith("|"):
            cells.pop()
        opens = text.lstrip().startswith("|")
        if opens and (bordered is None or bordered):
            cells.pop(0)
        return cells
    return None


def _separated_table(lines: list[Line], start: int) -> tuple[Table, int] | None:
    first = lines[start]
    cells = _split_row(first.text)
    if cells is None or header_of(cells) is None:
        return None
    bordered = first.text.lstrip().startswith("|")
    rows = [Row(first.line, first.where, tuple(cells))]
    index = start + 1
    while index < len(lines):
        line = lines[index]
        if not line.text.strip():
            index += 1
            continue
        row = _split_row(line.text, bordered)
        if row is None or _is_end(line.text):
            break
        if not all(_RULER.fullmatch(cell) for cell in row):  # "|---|:---:|": a markdown table's rule
            rows.append(Row(line.line, line.where, tuple(row)))
        index += 1
    return Table(f"{first.where}起的表格", tuple(rows)), index - start


# --- a cell per line ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    line: Line
    text: str
    kind: str  # int, unit, deadline, people, heading, text, empty


_MAX_COLUMNS = 20


def _header_cell(text: str) -> str | None:
    stripped = text.strip()
    if stripped.endswith("|"):
        stripped = stripped[:-1].strip()
    if not stripped or fold(stripped).endswith(("。", ";", ",")) or re.search(r"\S(?:\s{2,}|\t)\S", stripped):
        return None  # a sentence, or several cells on one line (a table lined up with spaces)
    return stripped if classify_header(stripped) is not None else None


def _kind(text: str, known: UnitTest) -> str:
    norm = fold(text).strip()
    if not norm:
        return "empty"
    if _INTEGER.fullmatch(norm):
        return "int"
    names = split_units(norm, text, known).names
    if names and all(looks_like_unit(name, known) for name in names) and "。" not in norm:
        return "unit"
    if looks_like_deadline(norm):
        return "deadline"
    if looks_like_people(text, known):
        return "people"
    numbered = classify(norm)
    if numbered is not None and numbered.kind <= Kind.PAREN_CN and len(norm) <= 40:
        return "heading"
    return "text"


_EMIT: dict[ColumnRole, dict[str, float]] = {
    "task": {"int": -6, "unit": -4, "people": -3, "deadline": -1.5, "heading": -2, "text": 3, "empty": 0},
    "content": {"int": -6, "unit": -4, "people": -3, "deadline": -1.5, "heading": -2, "text": 2.5, "empty": 0},
    "lead": {"int": -6, "unit": 3, "people": -2, "deadline": -4, "heading": -6, "text": -5, "empty": 0},
    "responsible": {"int": -6, "unit": 3, "people": -2, "deadline": -4, "heading": -6, "text": -5, "empty": 0},
    "cooperating": {"int": -6, "unit": 3, "people": -2, "deadline": -4, "heading": -6, "text": -5, "empty": 0},
    "leader": {"int": -6, "unit": -2, "people": 3, "deadline": -4, "heading": -6, "text": -4, "empty": 0},
    "deadline": {"int": -4, "unit": -5, "people": -4, "deadline": 3, "heading": -6, "text": -3, "empty": 0},
    "section": {"int": -6, "unit": -3, "people": -2, "deadline": -3, "heading": 1, "text": 0.5, "empty": 0},
    "other": {"int": -3, "unit": -1, "people": -1, "deadline": -1, "heading": -2, "text": 0, "empty": 0},
    "seq": {"int": 6, "unit": -9, "people": -9, "deadline": -9, "heading": -9, "text": -9, "empty": 0},
}
_CONTINUE: dict[ColumnRole, float] = {
    "task": -0.5, "content": -0.5, "lead": -1.8, "responsible": -0.3, "cooperating": -0.2, "leader": -1.0,
    "deadline": -1.5, "section": -3.0, "other": -0.8, "seq": -9.0,
}  # fmt: skip
_SKIP: dict[ColumnRole, float] = {
    "task": -5.0, "content": -1.5, "lead": -1.5, "responsible": -1.0, "cooperating": -0.4, "leader": -0.4,
    "deadline": -0.4, "section": -0.3, "other": -0.2, "seq": -3.0,
}  # fmt: skip


def _align(
    pieces: list[_Piece], roles: list[ColumnRole], wrap_to: frozenset[int], wrap_cost: float, explicit: bool
) -> list[tuple[int, int]]:
    """The best (row, column) of every piece: columns in order within a row, a piece may continue the
    cell of the piece before it, a row may wrap back to a column in `wrap_to` (a new row or a sub-row).
    Dynamic programming over pieces × columns: linear in the number of pieces."""
    n, m = len(pieces), len(roles)
    skip = [_SKIP[role] for role in roles]
    before = [0.0]  # before[c] = skip cost of columns 0..c-1
    for value in skip:
        before.append(before[-1] + value)

    def skipped(a: int, b: int) -> float:  # columns a..b-1 left empty
        return before[b] - before[a] if b > a else 0.0

    def emit(i: int, c: int) -> float:
        piece = pieces[i]
        score = _EMIT[roles[c]][piece.kind]
        if roles[c] in ("task", "content") and piece.kind == "text" and len(piece.text) >= 10:
            score += 1
        return score

    def cont(i: int, c: int) -> float:
        if explicit and pieces[i].kind != "empty":
            return -8.0
        role = roles[c]
        value = _CONTINUE[role]
        if role in ("task", "content") and pieces[i - 1].text.rstrip().endswith(_SENTENCE_END):
            value -= 0.7
        return value

    best = [[float("-inf")] * m for _ in range(n)]
    back: list[list[tuple[int, bool]]] = [[(-1, False)] * m for _ in range(n)]
    for c in range(m):
        best[0][c] = emit(0, c) + skipped(0, c)
    for i in range(1, n):
        for b in range(m):
            gain = emit(i, b)
            choice = (float("-inf"), -1, False)
            for a in range(m):
                previous = best[i - 1][a]
                if previous == float("-inf"):
                    continue
                if b == a:
                    value = previous + cont(i, a)
                    wrapped = False
                elif b > a:
                    value = previous + skipped(a + 1, b)
                    wrapped = False
                elif b in wrap_to:
                    value = previous + wrap_cost + 0.5 * skipped(a + 1, m)
                    wrapped = True
                else:
                    continue
                if value > choice[0]:
                    choice = (value, a, wrapped)
            best[i][b] = choice[0] + gain
            back[i][b] = (choice[1], choice[2])
    column = max(range(m), key=lambda c: best[n - 1][c] + skipped(c + 1, m))
    placed: list[tuple[int, bool]] = []
    for i in range(n - 1, -1, -1):
        previous, wrapped = back[i][column]
        placed.append((column, wrapped))
        column = previous
    placed.reverse()
    out: list[tuple[int, int]] = []
    row = 0
    for column, wrapped in placed:
        row += 1 if wrapped else 0
        out.append((row, column))
    return out


def _join(role: ColumnRole, parts: list[str]) -> str:
    if role in ("lead", "responsible", "cooperating", "leader"):
        return "\n".join(parts)
    return "".join(parts)


def _rows_of(
    pieces: list[_Piece], header: Header, number: str, explicit: bool, number_line: Line | None = None
) -> tuple[list[Row], list[_Piece]]:
    """The rows one numbered row (or, without a number column, the whole table) makes; and trailing
    pieces that belong to no row (prose after the table)."""
    seq_at = header.index("seq")
    columns = [index for index, role in enumerate(header.roles) if index != seq_at]
    roles: list[ColumnRole] = [header.roles[index] or "other" for index in columns]
    task_positions = [at for at, role in enumerate(roles) if role in ("task", "content")]
    if seq_at is not None:
        wrap_to, wrap_cost = frozenset(task_positions), -2.5
    else:
        first_task = task_positions[0] if task_positions else 0
        wrap_to, wrap_cost = frozenset(range(first_task + 1)), -1.0
    placed = _align(pieces, roles, wrap_to, wrap_cost, explicit)
    groups: dict[int, dict[int, list[str]]] = {}
    firsts: dict[int, _Piece] = {}
    for piece, (row, at) in zip(pieces, placed, strict=True):
        groups.setdefault(row, {}).setdefault(at, []).append(piece.text.strip())
        firsts.setdefault(row, piece)
    leftover: list[_Piece] = []
    last = max(groups) if groups else 0
    if last > 0 and all(
        roles[at] in ("task", "content", "other") for at in groups[last]
    ):  # a last "row" of text only: prose after the table
        leftover = [piece for piece, (row, _) in zip(pieces, placed, strict=True) if row == last]
        del groups[last]
    rows: list[Row] = []
    for row_index in sorted(groups):
        cells = [""] * header.width
        if seq_at is not None and row_index == 0:
            cells[seq_at] = number
        for at, parts in groups[row_index].items():
            cells[columns[at]] = _join(roles[at], [part for part in parts if part])
        first = number_line if number_line is not None and row_index == 0 else firsts[row_index].line
        rows.append(Row(first.line, first.where, tuple(cells)))
    return rows, leftover


def _cell_table(lines: list[Line], start: int, known: UnitTest) -> tuple[Table, int] | None:
    names: list[str] = []
    index = start
    explicit = lines[start].text.rstrip().endswith("|")
    while index < len(lines):
        text = lines[index].text
        if not text.strip():
            index += 1
            continue
        name = _header_cell(text)
        if name is None or len(names) == _MAX_COLUMNS:
            break
        names.append(name)
        index += 1
    header = header_of(names) if len(names) >= 3 else None
    if header is None:
        return None
    pieces, index = _body_pieces(lines, index, explicit, known)
    seq_at = header.index("seq")
    rows: list[Row] = [Row(lines[start].line, lines[start].where, tuple(names))]
    leftover: list[_Piece] = []
    if seq_at is None:
        made, leftover = _rows_of([p for p in pieces if p.kind != "heading"] or pieces, header, "", explicit)
        rows += _with_headings(pieces, made)
    else:
        rows, leftover = _numbered_rows(pieces, header, rows, explicit)
    consumed = index - start
    if leftover:
        consumed = min(consumed, next(i for i in range(start, index) if lines[i] is leftover[0].line) - start)
    return Table(f"{lines[start].where}起的表格", tuple(rows)), consumed


def _body_pieces(lines: list[Line], index: int, explicit: bool, known: UnitTest) -> tuple[list[_Piece], int]:
    pieces: list[_Piece] = []
    pending: list[str] = []
    pending_line: Line | None = None
    while index < len(lines):
        line = lines[index]
        text = line.text.strip()
        if not text:
            index += 1
            continue
        if _is_end(text) or (not pending and _header_cell(text) is not None and _starts_header(lines, index)):
            break
        index += 1
        if explicit:
            pending_line = pending_line or line
            ends = text.endswith("|")
            pending.append(text[:-1].strip() if ends else text)
            if ends:
                cell = "".join(pending)
                pieces.append(_Piece(pending_line, cell, _kind(cell, known)))
                pending, pending_line = [], None
            continue
        pieces.append(_Piece(line, text, _kind(text, known)))
    if pending and pending_line is not None:
        cell = "".join(pending)
        pieces.append(_Piece(pending_line, cell, _kind(cell, known)))
    return pieces, index


def _starts_header(lines: list[Line], index: int) -> bool:
    names = [_header_cell(line.text) for line in lines[index : index + 8] if line.text.strip()]
    run = []
    for name in names:
        if name is None:
            break
        run.append(name)
    return len(run) >= 3 and header_of(run) is not None


def _with_headings(pieces: list[_Piece], rows: list[Row]) -> list[Row]:
    """Section rows ("一、优化政务服务") back in their place among the rows made without them."""
    headings = [piece for piece in pieces if piece.kind == "heading"]
    if not headings:
        return rows
    merged = [(row.line, 1, row) for row in rows] + [
        (piece.line.line, 0, Row(piece.line.line, piece.line.where, (piece.text,))) for piece in headings
    ]
    return [row for _, _, row in sorted(merged, key=lambda item: (item[0], item[1]))]


def _numbered_rows(
    pieces: list[_Piece], header: Header, rows: list[Row], explicit: bool
) -> tuple[list[Row], list[_Piece]]:
    """Rows that start with their number (a line of its own, or "3.建设丙园区。")."""
    task_at = next((i for i, role in enumerate(header.roles) if role in ("task", "content")), None)
    seq_first = header.index("seq") == 0 and task_at == 1
    last_number = 0
    group: list[_Piece] = []
    number = ""
    number_line: Line | None = None
    leftover: list[_Piece] = []

    def flush() -> None:
        nonlocal leftover
        if not number or number_line is None:
            return
        if group:
            made, leftover = _rows_of(group, header, number, explicit, number_line)
            rows.extend(made)
        else:
            cells = tuple(number if role == "seq" else "" for role in header.roles)
            rows.append(Row(number_line.line, number_line.where, cells))

    for piece in pieces:
        norm = fold(piece.text).strip()
        value = int(norm.rstrip(".、")) if piece.kind == "int" else None
        inline = classify(norm) if seq_first and piece.kind in ("text", "heading") else None
        if inline is not None and (inline.kind != Kind.ARABIC or inline.number <= last_number):
            inline = None
        if value is not None and value > last_number:
            flush()
            group, number, last_number, number_line = [], str(value), value, piece.line
            continue
        if inline is not None:
            flush()
            rest = piece.text[inline.rest :].strip()
            group, number, last_number = [_Piece(piece.line, rest, "text")], str(inline.number), inline.number
            number_line = piece.line
            continue
        if piece.kind == "heading" and (not group or _row_complete(group)):
            flush()
            group, number = [], ""
            rows.append(Row(piece.line.line, piece.line.where, (piece.text,)))
            continue
        if number:
            group.append(piece)
    flush()
    return rows, leftover


def _row_complete(group: list[_Piece]) -> bool:
    return any(piece.kind in ("unit", "deadline") for piece in group)
