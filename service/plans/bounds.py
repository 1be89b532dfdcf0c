"""How much text the parser reads: past `MAX_TEXT_CHARS` the rest of a plan is counted, not read.

Reading is linear in the text, but its constant (unit names folded, resolved and suggested; every line
matched against the numbering and table shapes) is large enough that a 10 MB file would hold a worker
for minutes. The bound is far above any real plan (the district's 2024 plan is about 6,000 characters,
the largest plausible one a few hundred key tasks) and makes the worst case a few seconds.
"""

from __future__ import annotations

import dataclasses

from .readers import MAX_INPUT_BYTES, Block, Line, Table

MAX_TEXT_CHARS = 200_000
MAX_LINES = 20_000  # lines and table rows: short lines cost as much to read as long ones
# Lines a text file may have at all: up to here every line is still looked at (to count the numbered tasks
# past `drafts.MAX_TASKS`); past it the file is refused before it is read.
MAX_FILE_LINES = 120_000


@dataclasses.dataclass(frozen=True)
class Cut:
    """Where the text was cut: the blocks kept, and how many characters after them were not read."""

    blocks: list[Block]
    unread_chars: int = 0
    where: str = ""  # the first place not read (第N行, 任务表!N)

    def message(self) -> str | None:
        """The error a plan cut short gets (None when nothing was cut)."""
        if not self.unread_chars:
            return None
        return (
            f"计划正文超过 {MAX_TEXT_CHARS:,} 字或 {MAX_LINES:,} 行的上限:只读取了{self.where}之前的部分,"
            f"其后还有约 {self.unread_chars:,} 字未读取。请拆分后分别导入。"
        )


def refuse_early(data: bytes) -> str | None:
    """The error for a text file with more lines than `MAX_FILE_LINES` (None for any other file): counted
    on the bytes, before anything is decoded or kept."""
    if data[:2] == b"PK" or len(data) > MAX_INPUT_BYTES:  # .docx/.xlsx bound themselves; the reader refuses size
        return None
    lines = data.count(b"\n")
    if lines <= MAX_FILE_LINES:
        return None
    return f"文件有 {lines:,} 行,超过 {MAX_FILE_LINES:,} 行的上限,未读取。请拆分后分别导入。"


def cut_text(blocks: list[Block]) -> Cut:
    """The blocks up to `MAX_TEXT_CHARS` characters of text and `MAX_LINES` lines or rows (a table is cut
    between rows); one pass, no copies of the text."""
    limit, max_lines = MAX_TEXT_CHARS, MAX_LINES
    total = lines = 0
    for index, block in enumerate(blocks):
        if isinstance(block, Line):
            total += len(block.text)
            lines += 1
            if total > limit or lines > max_lines:
                return Cut(blocks[:index], _rest(blocks, index), block.where)
            continue
        for row_index, row in enumerate(block.rows):
            total += sum(len(cell) for cell in row.cells)
            lines += 1
            if total > limit or lines > max_lines:
                kept = [*blocks[:index], Table(block.name, block.rows[:row_index])] if row_index else blocks[:index]
                rest = sum(len(cell) for later in block.rows[row_index:] for cell in later.cells)
                return Cut(kept, rest + _rest(blocks, index + 1), row.where)
    return Cut(blocks)


def _rest(blocks: list[Block], start: int) -> int:
    total = 0
    for block in blocks[start:]:
        if isinstance(block, Line):
            total += len(block.text)
        else:
            total += sum(len(cell) for row in block.rows for cell in row.cells)
    return total
