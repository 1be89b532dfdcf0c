"""parse_plan: the bytes of an action plan (.txt, .docx, .xlsx) → its sections, key tasks and problems."""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import itertools
import re

from .bounds import refuse_early
from .directory import UnitDirectory
from .drafts import Draft
from .layout import read_layout
from .model import ParsedPlan, ParsedTask, Problem
from .normalize import fold, normalize_name
from .readers import Block, Line, Source, Table, read_source
from .tables import find_header
from .tasks import Context, Conventions, build_task
from .units import find_annotations

_YEAR_IN_TEXT = re.compile(r"(20\d{2})\s*年")
_YEAR_IN_NAME = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
MAX_UNKNOWN_REPORTED = 200  # distinct unknown names reported one by one; the rest are counted
_FOREIGN_SHARE = 0.5  # a plan whose known units are fewer than this share of its names is from elsewhere
_FOREIGN_MIN_NAMES = 4


def parse_plan(data: bytes, filename: str, directory: UnitDirectory, *, year: int | None = None) -> ParsedPlan:
    """Parse a plan; never raises on bad input: what could not be read is reported in `problems`.

    `year` is the plan's year, used for deadlines without one ("年底前", "明年7月份"); by default it is taken
    from the title, else the file name, else the year the text mentions most. Time and memory grow
    linearly with the file; past `MAX_TASKS` numbered tasks the rest are counted, not read, and past the
    bounds of `bounds.py` (characters and lines) the rest is not read; each says so in an error.
    """
    digest = hashlib.sha256(data).hexdigest()
    refused = refuse_early(data)
    source = Source("none").fail(refused) if refused else read_source(data, filename)
    problems = list(source.problems)
    fallback_title = _title_from_filename(filename)
    if source.kind == "none":
        return ParsedPlan(fallback_title, (), (), tuple(problems), filename, digest)

    outline = read_layout(source.blocks, directory.is_known)
    title = outline.title or fallback_title
    text = _all_text(source.blocks)
    plan_year = year or _find_year(title, filename, text)
    context = Context(directory, plan_year, Conventions.find(text))
    skipped = _closing_sections(outline.drafts, directory)
    renumbered = run_on(outline.drafts)
    tasks, task_problems = _build(outline.drafts, context)
    foreign = _other_place(title, directory) or _most_unknown(tasks, directory)
    if foreign:  # names stay as written: never aliased to this district's units, group words not expanded
        tasks, task_problems = _build(outline.drafts, dataclasses.replace(context, foreign=True))
    layout_problems = outline.problems + skipped + ([renumbered] if renumbered else [])
    problems += _ordered(layout_problems, task_problems, source.kind == "text")
    problems += _unknown_units(tasks, outline.drafts, directory, foreign)
    if not tasks:
        problems.append(Problem(0, _nothing_found(source), "error"))
    return ParsedPlan(
        title, outline.sections(), tuple(tasks), _collapse(problems), filename, digest, plan_year, bool(foreign)
    )


def _build(drafts: list[Draft], context: Context) -> tuple[list[ParsedTask], list[Problem]]:
    tasks: list[ParsedTask] = []
    problems: list[Problem] = []
    first_seen: dict[tuple[str, str], str] = {}
    for draft in drafts:  # problems in document order, task by task
        task, own = build_task(_corrected(draft, context.directory), context)
        tasks.append(task)
        problems += own
        key = (draft.section.number if draft.written and draft.section else "", draft.written or str(draft.number))
        if draft.written and draft.table:
            key = (draft.table, key[0] + key[1])
        if key in first_seen:
            problems.append(_duplicate(draft, first_seen[key]))
        first_seen.setdefault(key, draft.where)
    return tasks, problems


def _corrected(draft: Draft, directory: UnitDirectory) -> Draft:
    """Names corrected on the import page replaced by what they were corrected to (one or more units, or a
    group word), in place, so a lead stays a lead."""
    if not directory.corrections:
        return draft
    roles = draft.roles
    for listing in (roles.lead, roles.responsible, roles.cooperating, roles.marked_leads):
        replaced: list[str] = []
        for name in listing:
            replaced += list(directory.correction(name) or (name,))
        listing[:] = list(dict.fromkeys(replaced))
    return draft


def _ordered(layout: list[Problem], tasks: list[Problem], by_line: bool) -> list[Problem]:
    """Layout and task problems together: by line in a text file (one numbering), else tasks first."""
    if by_line:
        return sorted([*layout, *tasks], key=lambda problem: problem.line)
    return [*tasks, *layout]


_CLOSING = re.compile(
    r"保障措施|组织保障|工作保障|保障机制|工作要求|有关要求|工作机制|组织实施|实施步骤|进度安排|指导思想|总体要求|"
    r"工作目标|主要目标|基本原则|目标任务$|组织领导"
)


def _closing_sections(drafts: list[Draft], directory: UnitDirectory) -> list[Problem]:
    """Items of a section such as 保障措施 or 总体要求 that name no unit are how the plan will be run, not key
    tasks: left out, said once per section. (An item there that names its units stays a task.)"""
    problems: list[Problem] = []
    kept: list[Draft] = []
    left: dict[str, list[Draft]] = {}
    for draft in drafts:
        section = draft.section
        if section is not None and _CLOSING.search(section.title) and not _has_units(draft, directory):
            left.setdefault(section.title, []).append(draft)
        else:
            kept.append(draft)
    if not left or not kept:
        return []  # a plan whose every item is in such a section: they are its tasks after all
    drafts[:] = kept
    for title, items in left.items():
        problems.append(
            Problem(
                items[0].line,
                f"{items[0].where}起「{title}」部分的 {len(items)} 项没有标明单位,视为工作要求,未作为重点任务导入;"
                "如需导入,请为其标明牵头单位。",
                "warning",
            )
        )
    return problems


def _has_units(draft: Draft, directory: UnitDirectory) -> bool:
    if draft.roles.has_units or draft.inherited is not None:
        return True
    text = draft.text
    return find_annotations(fold(text), text, directory.is_known).roles.has_units


def run_on(drafts: list[Draft]) -> Problem | None:
    """Sections that each number their tasks from 1 again ("一、… 1. 2. 二、… 1. 2."): the tasks are
    numbered in document order instead, each keeping its number as written; said once."""
    restarts = sum(
        1
        for before, after in itertools.pairwise(drafts)
        if after.number == 1
        and ((after.section is not None and after.section != before.section) or after.table != before.table)
    )
    if not restarts:
        return None
    tables = len({draft.table for draft in drafts}) > 1
    for position, draft in enumerate(drafts, start=1):
        section = draft.section.number if draft.section and draft.section.number else ""
        if tables and draft.table:
            draft.written = f"{draft.table}!{draft.number}"
        else:
            draft.written = f"{section}.{draft.number}" if section else str(draft.number)
        draft.number = position
    return Problem(
        drafts[0].line,
        f"各部分的任务编号分别从1开始({restarts + 1} 个部分):已按出现顺序连续编号为任务1至任务{len(drafts)},"
        "原编号保留在各任务中,请核对。",
        "warning",
    )


_PLACE = re.compile(
    r"^\s*(?:\d{4}\s*(?:[—–~-]\s*\d{4})?\s*年度?)?\s*(?P<place>[\u4e00-\u9fff]{2,8}?(?:自治区|省|市|州|盟|县|区|旗))"
)


def _other_place(title: str, directory: UnitDirectory) -> str | None:
    """The place a plan's title starts with when it is not this directory's district ("黄石市下陆区…" in
    鄂城区): why the plan is from elsewhere, or None."""
    district = directory.district
    found = _PLACE.match(fold(title))
    if not district or found is None or district in fold(title):
        return None
    place = title[found.start("place") : found.end("place")]
    if (
        place.startswith(("全", "本", "我", "各", "该"))
        or directory.is_known(place)
        or re.search(r"委|府|党|办|人民", place)
    ):
        return None  # "全区…", "市委市政府…": no place named
    return f"标题中的「{place}」不是{district}"


def _most_unknown(tasks: list[ParsedTask], directory: UnitDirectory) -> str | None:
    names = {normalize_name(name) for task in tasks for name in (*task.lead_units, *task.co_units)}
    if len(names) < _FOREIGN_MIN_NAMES:
        return None
    known = sum(1 for name in names if directory.is_known(name))
    return "大部分单位不在单位名录中" if known < len(names) * _FOREIGN_SHARE else None


def _unknown_units(
    tasks: list[ParsedTask], drafts: list[Draft], directory: UnitDirectory, foreign: str | None
) -> list[Problem]:
    """One warning per unknown name, at its first place, with how often and where it occurs and the nearest
    directory name; a plan from elsewhere gets one summary instead."""
    seen: dict[str, list[tuple[str, int, str]]] = {}  # key → (as written, line, where)
    for task, draft in zip(tasks, drafts, strict=True):
        for name in task.unknown_units:
            seen.setdefault(normalize_name(name), []).append((name, draft.line, draft.where))
    if not seen:
        return []
    if foreign:
        names = "、".join(places[0][0] for places in list(seen.values())[:8])
        more = f"等 {len(seen)} 个" if len(seen) > 8 else ""
        return [
            Problem(
                0,
                f"本计划可能是其他地区的计划({foreign}):单位名称按原文保留,不按本区的别称归并,"
                f"“各镇街”等统称也不展开;{len(seen)} 个名称不在单位名录中({names}{more})。"
                "请核对单位,或在导入时选择新建这些单位。",
                "warning",
            )
        ]
    out: list[Problem] = []
    for index, places in enumerate(seen.values()):
        if index == MAX_UNKNOWN_REPORTED:
            out.append(
                Problem(0, f"另有 {len(seen) - MAX_UNKNOWN_REPORTED} 个单位名称不在单位名录中,未逐一列出。", "warning")
            )
            break
        name, line, where = places[0]
        count = f"(共 {len(places)} 处)" if len(places) > 1 else ""
        near = directory.suggest(name)
        hint = f"最接近的名录单位是「{near}」;" if near else ""
        out.append(
            Problem(
                line,
                f"{where}:单位「{name}」不在单位名录中{count}。{hint}可更正名称,或在导入时选择新建该单位。",
                "warning",
            )
        )
    return out


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
    headed = next((block for block in source.blocks if isinstance(block, Table) and find_header(block)), None)
    if headed is not None:  # a header that exists is never reported missing
        return f"未识别到任何重点任务:「{headed.name}」中有任务表的表头,但表头下没有任务行。"
    if source.kind == "xlsx":
        return "未识别到任何重点任务:各工作表中没有找到含“序号/重点任务/牵头单位/责任单位”等列名的表头行。"
    return "未识别到任何重点任务:没有找到以“1.”“(一)”等编号开头的任务条目,也没有找到带“牵头单位/责任单位”表头的任务表。"
