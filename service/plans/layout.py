"""The outline of a plan: its title, headings and the text of each key task, from lines and tables.

Which numbering level holds the key tasks is decided per document: the level whose items each carry
exactly one unit annotation ("(牵头单位:…)", label lines, "X牵头"). Shallower levels are headings; deeper
ones are parts of a task's text. Lines after a task's unit annotation that are neither numbered nor labels
are prose, not task text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .drafts import Draft, Outline
from .normalize import unify_width
from .numbering import Kind, Numbered, classify, heading
from .readers import Block, Line, Table
from .tables import find_header, fold_flat_tables, read_table
from .units import LABEL_RE, UnitTest, find_annotations, has_labels, scan_brackets, starts_with_label

_FOOTER = re.compile(r"ICP备|公网安备|网站标识码|网站标识|版权所有|网站地图|技术支持电话|Copyright|©")
_TITLE_WORDS = re.compile(r"方案|计划|要点|清单|任务分解|分解表|任务表|责任表|台账|重点任务|工作任务|实施意见")
_MAX_TITLE = 60


@dataclass(frozen=True)
class _Item:
    line: Line
    norm: str
    numbered: Numbered | None
    footer: bool


_Entry = _Item | Table


def _entries(blocks: list[Block], known: UnitTest) -> list[_Entry]:
    """Lines (with their numbering) and task tables; tables without a task header become lines."""
    lines: list[Line] = []
    entries: list[_Entry] = []

    def flush() -> None:
        for block in fold_flat_tables(lines, known):
            entries.append(_item(block) if isinstance(block, Line) else block)
        lines.clear()

    for block in blocks:
        if isinstance(block, Line):
            lines.append(block)
        elif find_header(block) is not None:
            flush()
            entries.append(block)
        else:
            # A layout table (the whole text in one cell, say): read its cells as lines.
            for row in block.rows:
                for cell in row.cells:
                    lines.extend(Line(row.line, row.where, piece) for piece in cell.split("\n"))
    flush()
    return entries


def _item(line: Line) -> _Item:
    norm = unify_width(line.text)
    return _Item(line, norm, classify(norm), bool(_FOOTER.search(norm)))


def _unit_marks(entries: list[_Entry], known: UnitTest) -> list[int]:
    """How many unit annotations each line carries; label lines in a row count once."""
    marks: list[int] = []
    in_labels = False
    for entry in entries:
        if not isinstance(entry, _Item) or entry.footer:
            marks.append(0)
            in_labels = False
            continue
        text = entry.norm[entry.numbered.rest :] if entry.numbered else entry.norm
        found = find_annotations(text, known)
        if entry.numbered is None and starts_with_label(text):
            has_units = bool(found.unit_spans)
            marks.append(1 if has_units and not in_labels else 0)
            in_labels = in_labels or has_units
            continue
        in_labels = False
        marks.append(found.unit_clusters(text))
    return marks


def _choose_task_kind(entries: list[_Entry], known: UnitTest) -> Kind | None:
    """The numbering level of the key tasks (see the module docstring)."""
    kinds = sorted({entry.numbered.kind for entry in entries if isinstance(entry, _Item) and entry.numbered})
    if not kinds:
        return None
    marks = _unit_marks(entries, known)
    best: tuple[tuple[int, float, int, int], Kind] | None = None
    for kind in kinds:
        items = exactly_one = with_marks = own = 0
        for start, entry in enumerate(entries):
            if not isinstance(entry, _Item) or entry.numbered is None or entry.numbered.kind != kind:
                continue
            items += 1
            total = own_marks = 0
            in_own_part = True
            for index in range(start, len(entries)):
                other = entries[index]
                if not isinstance(other, _Item) or other.footer:
                    break
                if index > start and other.numbered is not None:
                    if other.numbered.kind <= kind:
                        break
                    in_own_part = False
                total += marks[index]
                own_marks += marks[index] if in_own_part else 0
            exactly_one += total == 1
            with_marks += total > 0
            own += own_marks > 0
        score = (exactly_one, with_marks / items, own, -int(kind))
        if best is None or score > best[0]:
            best = (score, kind)
    assert best is not None
    if best[0][1] > 0:
        return best[1]
    # No level carries units: the usual task levels, outermost first.
    for kind in (Kind.ARABIC, Kind.PAREN_ARABIC, Kind.PAREN_CN, Kind.CN):
        if kind in kinds:
            return kind
    return kinds[-1]


def _title(entries: list[_Entry]) -> tuple[str | None, int]:
    for index, entry in enumerate(entries[:5]):
        if not isinstance(entry, _Item):
            return None, -1
        text = entry.line.text.strip()
        if not text:
            continue
        if (
            entry.numbered is None
            and len(text) <= _MAX_TITLE
            and _TITLE_WORDS.search(text)
            and not text.endswith(("。", ";", ";"))
            and not LABEL_RE.match(entry.norm.strip())
        ):
            return text, index
        if entry.numbered is not None:
            return None, -1
    return None, -1


def _ends_with_annotation(norm: str) -> bool:
    text = norm.rstrip(" \t。.;")
    if not text or text[-1] not in ")]〕】":
        return False
    groups, _ = scan_brackets(text)
    return bool(groups) and groups[-1].end == len(text) and has_labels(groups[-1].content(text))


def read_layout(blocks: list[Block], known: UnitTest) -> Outline:
    entries = _entries(blocks, known)
    outline = Outline()
    title, title_at = _title(entries)
    outline.title = title
    task_kind = _choose_task_kind(entries, known)
    current: Draft | None = None
    after_labels = False
    closed = False

    def finish() -> None:
        nonlocal current
        if current is not None:
            outline.drafts.append(current)
        current = None

    for index, entry in enumerate(entries):
        if isinstance(entry, Table):
            finish()
            read_table(entry, outline)
            continue
        if index == title_at or entry.footer:
            if entry.footer:
                finish()
            continue
        text = entry.line.text.strip()
        if not text:
            continue
        numbered = entry.numbered
        if numbered is not None and task_kind is not None and numbered.kind < task_kind:
            finish()
            outline.heading(int(numbered.kind), heading(numbered, entry.line.text))
            continue
        if numbered is not None and numbered.kind == task_kind:
            finish()
            current = Draft(
                number=numbered.number,
                line=entry.line.line,
                where=entry.line.where,
                section=outline.section,
                lines=[entry.line.text[numbered.rest :].strip()],
            )
            after_labels = False
            closed = _ends_with_annotation(entry.norm)
            continue
        if current is None:
            continue  # prose between headings
        if starts_with_label(entry.norm):
            current.lines.append(text)
            after_labels = True
            continue
        if numbered is None and (after_labels or closed):
            finish()  # prose after a task's units is not part of the task
            continue
        current.lines.append(text)
        closed = closed or _ends_with_annotation(entry.norm)
    finish()
    return outline
