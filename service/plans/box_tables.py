"""Box-drawing tables (┌ ┬ ┐ │ ├ ┼ ┤ └ ┴ ┘, or + - |) put back into rows of cells.

Column bounds come from the top border; text wrapped inside a cell is joined (a unit name broken over two
lines becomes whole again, whole unit names one per line stay apart); a cell merged across (a section row)
holds its text in its first column; a cell merged down (no rule under it: a lead unit over two rows) gives
its text to every row it spans. Box characters are counted one or two columns wide, whichever lines up.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

from .columns import header_of
from .readers import Line, Row, Table
from .unit_lists import looks_like_unit

_TOP = re.compile(r"^\s*[┌╔┏+][─━═\-┬╤┳+]+[┐╗┓+]\s*$")
_BARS = "│┃║|"
_RULE = "─━═-"
_JOINTS = "┌┐└┘├┤┬┴┼╔╗╚╝╠╣╦╩╬┏┓┗┛┣┫┳┻╋╤╧╪╟╢+"


def _width(char: str, box: int) -> int:
    if char in _BARS or char in _RULE or char in _JOINTS:
        return box
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def _positions(text: str, box: int) -> list[int]:
    """The display column each character of `text` starts at."""
    out = []
    column = 0
    for char in text:
        out.append(column)
        column += _width(char, box)
    return out


def box_table(lines: list[Line], start: int) -> tuple[Table, int] | None:
    """The box-drawing table whose top border is lines[start], and how many lines it takes."""
    top = lines[start].text.rstrip()
    if not _TOP.match(top):
        return None
    end = start + 1
    while end < len(lines) and lines[end].text.strip()[:1] in _BARS + _JOINTS:
        end += 1
    body = lines[start:end]
    box = max((1, 2), key=lambda width: _aligned(body, width))
    top_positions = _positions(top, box)
    bounds = [top_positions[i] for i, char in enumerate(top) if char in _JOINTS + _BARS]
    if len(bounds) < 3:
        return None
    grid = _BoxGrid(len(bounds) - 1)
    for line in body[1:]:
        text = line.text.rstrip()
        positions = _positions(text, box)
        if any(char in _RULE for char in text) and all(char in _RULE + _JOINTS + _BARS + " " for char in text):
            ruled = [False] * grid.width
            for index, char in enumerate(text):
                if char in _RULE:
                    at = _column(bounds, positions[index])
                    if at is not None:
                        ruled[at] = True
            grid.rule(ruled)
            continue
        bars = [i for i, char in enumerate(text) if char in _BARS]
        segments: list[tuple[int, str]] = []
        for left, right in itertools.pairwise(bars):
            at = _column(bounds, positions[left] + 1)
            if at is not None:
                segments.append((at, text[left + 1 : right].strip()))
        grid.add(line, segments)
    rows = grid.finish()
    if not rows or header_of(rows[0].cells) is None:
        return None
    return Table(f"{lines[start].where}起的表格", tuple(rows)), end - start


def _aligned(body: list[Line], box: int) -> int:
    """How many bars of the content lines fall on a bar of the top border, counting box characters as
    `box` columns wide (1 in most fonts, 2 where the box characters are full-width)."""
    top = body[0].text.rstrip()
    top_positions = _positions(top, box)
    bounds = {top_positions[i] for i, char in enumerate(top) if char in _JOINTS + _BARS}
    hits = 0
    for line in body[1:]:
        text = line.text.rstrip()
        positions = _positions(text, box)
        hits += sum(1 for i, char in enumerate(text) if char in _BARS and positions[i] in bounds)
    return hits


def _column(bounds: list[int], position: int) -> int | None:
    for index in range(len(bounds) - 1):
        if bounds[index] <= position < bounds[index + 1]:
            return index
    return None


class _BoxGrid:
    """Cells accumulate line by line; a rule under a column closes its cell, no rule (a cell merged down)
    keeps it open over the next row."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.rows: list[tuple[Line, list[str]]] = []
        self.open: list[tuple[list[str], list[int]] | None] = [None] * width
        self.current: int | None = None

    def add(self, line: Line, segments: list[tuple[int, str]]) -> None:
        if self.current is None:
            self.rows.append((line, [""] * self.width))
            self.current = len(self.rows) - 1
        for at, text in segments:
            cell = self.open[at]
            if cell is None:
                cell = ([], [])
                self.open[at] = cell
            if self.current not in cell[1]:
                cell[1].append(self.current)
            if text:
                cell[0].append(text)

    def rule(self, ruled: list[bool]) -> None:
        for at in range(self.width):
            cell = self.open[at]
            if cell is None:
                continue
            if ruled[at]:
                self._close(at)
            elif self.current is not None and self.current + 1 not in cell[1]:
                cell[1].append(self.current + 1)  # merged down: the next row shares it
        self.current = None

    def _close(self, at: int) -> None:
        cell = self.open[at]
        self.open[at] = None
        if cell is None:
            return
        parts, spanned = cell
        text = _join_wrapped(parts)
        for row in spanned:
            if row < len(self.rows):
                self.rows[row][1][at] = text

    def finish(self) -> list[Row]:
        for at in range(self.width):
            self._close(at)
        return [Row(line.line, line.where, tuple(cells)) for line, cells in self.rows]


def _NONE(name: str) -> bool:
    return False


# The tail of a name broken at the cell's edge ("花湖开发区" + "管委会"): a short piece that does not start
# as names do (a place, 各, 团), or a bare unit suffix.
_SUFFIX_ONLY = re.compile(
    r"^(?:[^区市县镇乡街各团全省州]\S{0,2}(?<![镇乡])|管委会|办公室|委员会|服务中心|分中心|指挥部)$"
)


def _join_wrapped(parts: list[str]) -> str:
    """Lines of one cell: wrapped text joins without a gap; whole unit names one per line stay apart."""
    out = ""
    for part in parts:
        if not out:
            out = part
            continue
        last = re.split(r"[、,，;；\n]", out)[-1]
        if last and looks_like_unit(last, _NONE) and looks_like_unit(part, _NONE) and not _SUFFIX_ONLY.match(part):
            out += "\n" + part
        else:
            out += part
    return out
