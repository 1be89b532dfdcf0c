"""parse_plan: the bytes of an action plan (.txt, .docx, .xlsx) → its sections, key tasks and problems."""

from __future__ import annotations

import collections
import hashlib
import re

from .directory import UnitDirectory
from .drafts import Draft
from .layout import read_layout
from .model import ParsedPlan, ParsedTask, Problem
from .readers import Block, Line, Source, read_source
from .tasks import Context, Conventions, build_task

_YEAR_IN_TEXT = re.compile(r"(20\d{2})\s*年")
_YEAR_IN_NAME = re.compile(r"(?<!\d)(20\d{2})(?!\d)")


def parse_plan(data: bytes, filename: str, directory: UnitDirectory, *, year: int | None = None) -> ParsedPlan:
    """Parse a plan; never raises on bad input: what could not be read is reported in `problems`.

    `year` is the plan's year, used for deadlines without one ("年底前"); by default it is taken from the
    title, else the file name, else the year the text mentions most.
    """
    digest = hashlib.sha256(data).hexdigest()
    source = read_source(data, filename)
    problems = list(source.problems)
    fallback_title = _title_from_filename(filename)
    if source.kind == "none":
        return ParsedPlan(fallback_title, (), (), tuple(problems), filename, digest)

    outline = read_layout(source.blocks, directory.is_known)
    title = outline.title or fallback_title
    text = _all_text(source.blocks)
    context = Context(directory, year or _find_year(title, filename, text), Conventions.find(text))
    tasks: list[ParsedTask] = []
    first_seen: dict[int, str] = {}
    for draft in outline.drafts:  # problems in document order, task by task
        task, task_problems = build_task(draft, context)
        tasks.append(task)
        problems += task_problems
        if draft.number in first_seen:
            problems.append(_duplicate(draft, first_seen[draft.number]))
        first_seen.setdefault(draft.number, draft.where)
    if not tasks:
        problems.append(Problem(0, _nothing_found(source), "error"))
    return ParsedPlan(title, outline.sections(), tuple(tasks), _collapse(problems), filename, digest)


def _collapse(problems: list[Problem]) -> tuple[Problem, ...]:
    """The same problem on the same line once, with how often it occurs: a line with a hundred
    unclosed brackets is one thing to fix, not a hundred messages to read."""
    counts = collections.Counter(problems)
    out: list[Problem] = []
    for problem in dict.fromkeys(problems):  # first occurrence, document order
        count = counts[problem]
        if count > 1:
            problem = Problem(problem.line, f"{problem.message}(共 {count} 处)", problem.severity)
        out.append(problem)
    return tuple(out)


def _title_from_filename(filename: str) -> str:
    base = re.split(r"[\\/]", filename)[-1]
    stem, dot, _ = base.rpartition(".")
    return (stem if dot and stem else base).strip() or "未命名计划"


def _all_text(blocks: list[Block]) -> str:
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Line):
            parts.append(block.text)
        else:
            parts.extend(cell for row in block.rows for cell in row.cells)
    return "\n".join(parts)


def _find_year(title: str, filename: str, text: str) -> int | None:
    found = _YEAR_IN_TEXT.search(title) or _YEAR_IN_NAME.search(filename)
    if found:
        return int(found.group(1))
    counts = collections.Counter(_YEAR_IN_TEXT.findall(text))
    return int(counts.most_common(1)[0][0]) if counts else None


def _duplicate(draft: Draft, first_where: str) -> Problem:
    return Problem(
        draft.line,
        f"{draft.where}:任务编号{draft.number}重复(与{first_where}的任务相同),已保留原编号,请核对。",
        "error",
    )


def _nothing_found(source: Source) -> str:
    if source.kind == "xlsx":
        return "未识别到任何重点任务:各工作表中没有找到含“序号/重点任务/牵头单位/责任单位”等列名的表头行。"
    return "未识别到任何重点任务:没有找到以“1.”“(一)”等编号开头的任务条目,也没有找到带“牵头单位/责任单位”表头的任务表。"
