"""Tables whose columns are lined up with spaces (text extracted from a PDF, or typed so), put back into rows.

The header line names the columns ("序号   项目名称   牵头单位   配合单位   完成时限", cells two or more spaces
apart, see columns.py); where each header cell starts on the line gives its column's left edge, counting a
CJK character two columns wide. Every later line is cut at runs of two or more spaces and each piece goes
to the column it starts under. A line whose number column holds a number starts a row; a line without one
goes on with the row above it (a task wrapped onto the next line, a second co-unit under the first). The
table ends at a line of prose (a sentence starting at the left margin), a note (注:…) or the page's end
matter; page numbers ("- 1 -") inside it are skipped.
"""

from __future__ import annotations

import re
import unicodedata

from .columns import UNIT_ROLES, Header, header_of
from .normalize import fold
from .readers import Line, Row, Table

_GAP = re.compile(r"\S+(?: \S+)*")  # runs of text with single spaces inside; two or more spaces part them
_INTEGER = re.compile(r"\d{1,4}[.、]?")
_PAGE = re.compile(
    r"^\s*(?:[-—–_]\s*\d{1,4}\s*[-—–_]|第\s*\d{1,4}\s*页(?:\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4})\s*$"
)
_END = re.compile(r"^(?:注|备注|说明|附注|附件\d*|填表说明)[:\s]")
_UNIT_WORD = re.compile(r"单位|部门|單位|部門|牵头|牽頭|主体|主體")
_SLACK = 3  # a piece may start this many columns left of its header cell (right-aligned or centred headers)


def _width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def _pieces(text: str) -> list[tuple[int, str]]:
    """The pieces of a line (parted by two or more spaces) with the display column each starts at."""
    columns = [0]
    for char in text:
        columns.append(columns[-1] + _width(char))
    return [(columns[found.start()], found.group(0)) for found in _GAP.finditer(text)]


def _header(line: Line) -> tuple[Header, list[int]] | None:
    raw = line.text
    if len(raw) > 200 or "  " not in raw.strip() or not _UNIT_WORD.search(raw):
        return None  # cheap refusals first: every line of a plan is tried
    text = fold(raw).replace("\t", "    ")
    pieces = _pieces(text)
    if len(pieces) < 3 or "  " not in text.strip():
        return None
    header = header_of([piece for _, piece in pieces])
    if header is None:
        return None
    return header, [start for start, _ in pieces]


def _column(starts: list[int], position: int) -> int:
    column = 0
    for index, start in enumerate(starts):
        if position + _SLACK >= start:
            column = index
    return column


def spaced_table(lines: list[Line], start: int) -> tuple[Table, int] | None:
    """The space-aligned table whose header is lines[start], and how many lines it takes; None if that line
    is no such header or no row follows."""
    found = _header(lines[start])
    if found is None:
        return None
    header, starts = found
    seq_at = header.index("seq")
    joins = ["\n" if role in UNIT_ROLES else "" for role in header.roles]
    rows: list[tuple[Line, list[str]]] = []
    index = start + 1
    while index < len(lines):
        line = lines[index]
        raw = line.text.replace("\t", "    ")
        norm = fold(raw)
        if not norm.strip() or _PAGE.match(norm):
            index += 1
            continue
        if _END.match(norm.strip()) or fold(line.text).split() == fold(lines[start].text).split():
            if _END.match(norm.strip()):
                break
            index += 1  # the header repeated on a new page
            continue
        pieces = _pieces(raw)
        if len(pieces) == 1 and pieces[0][0] == 0 and re.search(r"[。;:]", norm) and len(norm.strip()) > 24:
            break  # prose at the left margin: the table has ended
        cells: list[str] = [""] * header.width
        for position, text in pieces:
            at = _column(starts, position)
            cells[at] = f"{cells[at]}{joins[at] if cells[at] else ''}{text}"
        number = cells[seq_at].strip() if seq_at is not None else ""
        starts_row = bool(_INTEGER.fullmatch(fold(number))) if seq_at is not None else sum(1 for c in cells if c) >= 2
        if not rows and not starts_row and seq_at is not None:
            # The header's own second line ("单位" under "牵头"), before the first numbered row.
            names = [name + cells[at] for at, name in enumerate(header.names)]
            header = header_of(names) or header
            joins = ["\n" if role in UNIT_ROLES else "" for role in header.roles]
            index += 1
            continue
        if starts_row or not rows:
            rows.append((line, cells))
        else:
            current = rows[-1][1]
            for at, text in enumerate(cells):
                if text:
                    current[at] = f"{current[at]}{joins[at] if current[at] else ''}{text}"
        index += 1
    if not rows:
        return None
    head = lines[start]
    table_rows = [Row(head.line, head.where, header.names)]
    table_rows += [Row(line.line, line.where, tuple(cells)) for line, cells in rows]
    return Table(f"{head.where}起的表格", tuple(table_rows)), index - start
