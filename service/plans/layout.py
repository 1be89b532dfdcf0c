"""The outline of a plan: its title, headings and the text of each key task, from lines and tables.

Which numbering level holds the key tasks is decided per document: the level whose items carry unit
annotations of their own ("(牵头单位:…)" on the item or right after it, label lines, "X牵头", or an
annotation line after the item's sub-items). Shallower levels are headings; deeper ones are parts of a task's
text. A heading never swallows its items: an item without units is still a task (reported by the builder).

Between tasks: a short line without punctuation before a task is a sub-heading; a page marker ("- 3 -",
"第 4 页", a lone "1、") is skipped, and text broken around it joins up; a line of prose after a task's units
is not task text and is reported, as is a unit annotation that attaches to no task.
"""

from __future__ import annotations

import re

from .bounds import cut_text
from .drafts import MAX_TASKS, Draft, Outline
from .model import Section
from .normalize import fold, unify_width
from .numbering import Kind, Numbered, classify, heading
from .readers import Block, Line, Table
from .tables import TABLE_SECTION_DEPTH, find_header, read_table
from .text_tables import fold_text_tables
from .titles import Entry as _Entry
from .titles import Item as _Item
from .titles import find_title
from .unit_lists import UnitTest, looks_like_unit
from .units import Roles, find_annotations, has_labels, scan_brackets, starts_with_label

_FOOTER = re.compile(r"ICP备|公网安备|网站标识码|网站标识|版权所有|网站地图|技术支持电话|Copyright|©|分享到|扫一扫")
_PAGE = re.compile(
    r"^\s*(?:[-—–_~]+\s*\d{1,4}\s*[-—–_~]+|第\s*\d{1,4}\s*页(?:\s*[/,]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*[、.]?"
    r"|\d{1,4}\s*/\s*\d{1,4})\s*$"
)
_SUB_HEADING = 24
_HEADING_LINE = re.compile(r"[^。,;:!?、()“”\s]{2,20}")
_STOPPED = ("。", ";", "!", "?", ":", "」", ")")  # a line ending so is a sentence's end: the next is no wrap


def _entries(blocks: list[Block], known: UnitTest) -> list[_Entry]:
    """Lines (with their numbering) and task tables; tables without a task header become lines."""
    lines: list[Line] = []
    entries: list[_Entry] = []

    def flush() -> None:
        for block in fold_text_tables(lines, known):
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
    norm = fold(line.text)
    return _Item(line, norm, classify(norm), bool(_FOOTER.search(norm)), bool(_PAGE.match(norm)))


def _annotation_only(norm: str) -> bool:
    """A line that is nothing but a unit annotation: "(牵头单位:…)" or a label line."""
    text = norm.strip().rstrip("。;")
    if starts_with_label(text):
        return True
    if not text or text[0] not in "([〔【" or text[-1] not in ")]〕】":
        return False
    groups, _ = scan_brackets(text)
    return len(groups) == 1 and groups[0].end == len(text) and has_labels(text[1:-1])


def _unit_marks(entries: list[_Entry], known: UnitTest) -> list[int]:
    """How many unit annotations each line carries; label lines in a row count once."""
    marks: list[int] = []
    in_labels = False
    for entry in entries:
        if not isinstance(entry, _Item) or entry.footer or entry.page:
            marks.append(0)
            in_labels = False
            continue
        text = entry.norm[entry.numbered.rest :] if entry.numbered else entry.norm
        raw = entry.line.text[entry.numbered.rest :] if entry.numbered else entry.line.text
        if not any(word in text for word in ("单位", "部门", "牵头", "负责", "领导", "配合")):
            marks.append(0)  # no annotation can be there: skip the work
            in_labels = False
            continue
        found = find_annotations(text, raw, known)
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
    best: tuple[tuple[int, int, float, int], Kind] | None = None
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
                if in_own_part or (other.numbered is None and _annotation_only(other.norm)):
                    own_marks += marks[index]
            exactly_one += total == 1
            with_marks += total > 0
            own += own_marks > 0
        score = (own, exactly_one, with_marks / items, -int(kind))
        if best is None or score > best[0]:
            best = (score, kind)
    assert best is not None
    if best[0][2] > 0:
        return best[1]
    # No level carries units: the usual task levels, outermost first.
    for kind in (Kind.ARABIC, Kind.PAREN_ARABIC, Kind.PAREN_CN, Kind.CN):
        if kind in kinds:
            return kind
    return kinds[-1]


_ATTACHMENTS = re.compile(r"^\s*(?:附件|附表)\s*(?:\d{1,2}\s*)?[:]")
# An attachment's name in that list: short, no annotation, no sentence inside.
_ATTACHMENT_ITEM = re.compile(r"[^()\[\]【】。;]{2,60}[。.;]?")


def _first_task(entries: list[_Entry], task_kind: Kind | None) -> int:
    for index, entry in enumerate(entries):
        if isinstance(entry, Table) or (entry.numbered is not None and entry.numbered.kind <= (task_kind or 9)):
            return index
    return len(entries)


def _next_text(entries: list[_Entry], index: int) -> _Entry | None:
    for at in range(index + 1, len(entries)):
        entry = entries[at]
        if isinstance(entry, Table):
            return entry
        if entry.line.text.strip() and not entry.page:
            return entry
    return None


def _ends_with_annotation(norm: str) -> bool:
    text = norm.rstrip(" \t。.;")
    if not text or text[-1] not in ")]〕】":
        return False
    groups, _ = scan_brackets(text)
    return bool(groups) and groups[-1].end == len(text) and has_labels(text[groups[-1].start + 1 : -1])


class _Walk:
    """One pass over the entries, building drafts (see the module docstring)."""

    def __init__(self, entries: list[_Entry], known: UnitTest) -> None:
        self.entries = entries
        self.known = known
        self.outline = Outline()
        self.task_kind = _choose_task_kind(entries, known)
        title, self.title_at = find_title(entries, _first_task(entries, self.task_kind))
        self.outline.title = title
        self.current: Draft | None = None
        self.after_labels = False
        self.closed = False
        self.last_number = 0
        self.dropped: list[_Item] = []
        self.in_attachments = False
        self.heading_roles: dict[Section, tuple[str, Roles]] = {}  # a heading's own units, by the heading

    def finish(self) -> None:
        if self.current is not None:
            self.outline.drafts.append(self.current)
        self.current = None
        self.closed = False

    def report_dropped(self) -> None:
        if not self.dropped:
            return
        first = self.dropped[0]
        shown = first.line.text.strip()
        shown = shown if len(shown) <= 30 else shown[:30] + "…"
        count = f"起的 {len(self.dropped)} 行文字" if len(self.dropped) > 1 else "的文字"
        self.outline.report(
            first.line.line, f"{first.line.where}{count}「{shown}」写在任务的单位之后,不属于任何任务,已略过,请核对。"
        )
        self.dropped.clear()

    def run(self) -> Outline:
        for index, entry in enumerate(self.entries):
            if isinstance(entry, Table):
                self.report_dropped()
                self.finish()
                read_table(entry, self.outline, self.known)
                continue
            self.line(index, entry)
        self.report_dropped()
        self.finish()
        self._bound()
        return self.outline

    def line(self, index: int, entry: _Item) -> None:
        if index in self.title_at or entry.page:
            return
        if entry.footer:
            self.report_dropped()
            self.finish()
            return
        text = entry.line.text.strip()
        if not text:
            return
        if _ATTACHMENTS.match(entry.norm):  # "附件:1.…测评体系" starts the list of attachments
            self.report_dropped()
            self.finish()
            self.in_attachments = True
            return
        if self.in_attachments:
            following = _next_text(self.entries, index)
            if (
                entry.numbered is not None
                and _ATTACHMENT_ITEM.fullmatch(entry.norm.strip())
                and not (isinstance(following, _Item) and _annotation_only(following.norm))
            ):
                return
            self.in_attachments = False
        numbered = entry.numbered
        if (
            numbered is not None
            and numbered.kind == Kind.ARABIC == self.task_kind
            and numbered.number >= 1000
            and numbered.number != self.last_number + 1
        ):
            numbered = None  # "2024、2025年…": a year, not task 2024
        task_kind = self.task_kind
        if numbered is not None and task_kind is not None and numbered.kind < task_kind:
            self.report_dropped()
            self.finish()
            section = heading(numbered, entry.line.text)
            self.outline.heading(int(numbered.kind), section)
            if any(word in entry.norm for word in ("单位", "牵头", "负责", "部门")):
                found = find_annotations(entry.norm, entry.line.text, self.known).roles
                if found.has_units:
                    self.heading_roles[section] = (section.title, found)
            return
        if numbered is not None and numbered.kind == task_kind:
            self.report_dropped()
            self.finish()
            self.start(entry, numbered)
            return
        current = self.current
        if numbered is None and current is not None and self.after_labels and self._unfinished_list(current, entry):
            current.add(text, join=True)  # a label line's unit list wrapped: "…、区自然资源和" + "规划分局"
            return
        if numbered is None and self.sub_heading(index, entry):
            return
        if current is None:
            if numbered is None and _annotation_only(entry.norm) and self.outline.drafts:
                self.orphan(entry)
            return  # prose between headings
        if starts_with_label(entry.norm):
            current.add(text)
            self.after_labels = True
            return
        if numbered is None and (self.after_labels or self.closed):
            if _annotation_only(entry.norm):
                self.orphan(entry)
            else:
                self.dropped.append(entry)
            return
        previous = fold(current.lines[-1]).rstrip() if current.lines else ""
        join = numbered is None and bool(previous) and not previous.endswith(_STOPPED)
        if len(current.lines) == 1 and _HEADING_LINE.fullmatch(previous):
            join = False  # "1.稳定粮食生产" on a line of its own: the task's title, its text below
        current.add(text, join=join and not _annotation_only(entry.norm))
        self.closed = self.closed or _ends_with_annotation(entry.norm)

    def _unfinished_list(self, current: Draft, entry: _Item) -> bool:
        """Whether the task's last line is a label line whose unit list breaks off, and `entry` (short, no
        sentence) goes on with it."""
        last = fold(current.lines[-1]).rstrip() if current.lines else ""
        text = entry.norm.strip()
        if not starts_with_label(last) or len(text) > 30 or re.search(r"[。;:!?]", text):
            return False
        if last.endswith(("、", ",", "/")):
            return True
        piece = re.split(r"[、,;/\s:]", last)[-1]
        return bool(piece) and not looks_like_unit(piece, self.known)

    def start(self, entry: _Item, numbered: Numbered) -> None:
        if len(self.outline.drafts) >= MAX_TASKS:
            self.outline.more_items += 1
            self.last_number = numbered.number
            return
        self.current = Draft(
            number=numbered.number or self.last_number + 1,  # a bullet counts on from the task before
            line=entry.line.line,
            where=entry.line.where,
            section=self.outline.section,
            lines=[entry.line.text[numbered.rest :].strip()],
            inherited=next(
                (self.heading_roles[sec] for _, sec in reversed(self.outline.stack) if sec in self.heading_roles),
                None,
            ),
        )
        self.last_number = self.current.number
        self.after_labels = False
        self.closed = _ends_with_annotation(entry.norm)

    def sub_heading(self, index: int, entry: _Item) -> bool:
        """A short line without punctuation, right before a task, after a finished task: a sub-heading."""
        norm = entry.norm.strip()
        if len(norm) > _SUB_HEADING or re.search(r"[。,;:!?、()]", norm) or starts_with_label(norm):
            return False
        current = self.current
        last = fold(current.lines[-1]).rstrip() if current and current.lines else ""
        if current is not None and not (self.closed or self.after_labels or last.endswith(("。", ";", "!", "?"))):
            return False
        following = _next_text(self.entries, index)
        if not isinstance(following, _Item) or following.numbered is None:
            return False
        if following.numbered.kind != self.task_kind:
            return False
        self.report_dropped()
        self.finish()
        depth = int(self.task_kind or Kind.ARABIC) - 0.5
        self.outline.heading(depth, Section("", entry.line.text.strip(), 0))
        return True

    def orphan(self, entry: _Item) -> None:
        shown = entry.line.text.strip()
        shown = shown if len(shown) <= 60 else shown[:60] + "…"
        self.outline.report(
            entry.line.line,
            f"{entry.line.where}的单位标注「{shown}」不属于任何任务(前一项任务已有单位),未导入,请核对是否漏写了任务。",
            "error",
        )

    def _bound(self) -> None:
        outline = self.outline
        if outline.more_items:
            outline.report(
                0,
                f"计划中编号的任务超过 {MAX_TASKS:,} 项的上限:只读取并列出了前 {len(outline.drafts):,} 项,"
                f"其后还有 {outline.more_items:,} 项未读取。请拆分后分别导入。",
                "error",
            )


def _cut_at_limit(blocks: list[Block]) -> tuple[list[Block], int]:
    """A text with more numbered items of one kind than `MAX_TASKS` is read up to the item past the limit
    (so the first MAX_TASKS are listed and the cost stays bounded); returns the blocks kept and how many
    items of that kind were cut off."""
    positions: dict[Kind, list[int]] = {}
    for index, block in enumerate(blocks):
        if isinstance(block, Line):
            numbered = classify(unify_width(block.text[:12]))
            if numbered is not None:
                positions.setdefault(numbered.kind, []).append(index)
    if not positions:
        return blocks, 0
    found = max(positions.values(), key=len)
    if len(found) <= MAX_TASKS:
        return blocks, 0
    return blocks[: found[MAX_TASKS]], len(found) - MAX_TASKS


def read_layout(blocks: list[Block], known: UnitTest) -> Outline:
    """The title, headings and task drafts of a plan's blocks (lines and tables)."""
    kept, cut = _cut_at_limit(blocks)
    text_cut = cut_text(kept)  # after the task bound, so the tasks past it are still counted
    entries = _entries(text_cut.blocks, known)
    walk = _Walk(entries, known)
    walk.outline.more_items = cut
    outline = walk.run()
    if message := text_cut.message():
        outline.report(0, message, "error")
    outline.close(TABLE_SECTION_DEPTH)
    return outline
