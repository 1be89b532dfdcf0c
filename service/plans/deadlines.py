"""Completion times: "2024年6月底前" → 2024-06-30; relative to the plan's year: "年底前"/"全年"/"年内" → 31 Dec,
"9月底前" → 30 Sep, "上半年" → 30 Jun, "一季度" → 31 Mar, "明年7月份" → 31 Jul of the next year; "长期坚持" → no
date. A cell with several stages ("4月底前完成方案;8月底前完成征收;11月底前开工") is a list of milestones.

All functions take text already passed through `normalize.fold`, and optionally the same text as written
(of the same length) for the texts they return.
"""

from __future__ import annotations

import calendar
import datetime
import re

from .model import Deadline, Milestone
from .normalize import chinese_to_int

_PHRASE = re.compile(
    r"(?:(?P<y>20\d{2})\s*年\s*|(?P<rel>明年|次年|下一年|今年|当年|本年)\s*)?"
    r"(?:(?P<m>1[0-2]|0?[1-9])\s*月份?\s*(?:(?P<d>[12]\d|3[01]|0?[1-9])\s*[日号]|(?P<part>底|末|上旬|中旬|下旬|初))?"
    r"|(?P<yend>年底|年末|年内|全年|底|末)"
    r"|(?P<half>上半年|下半年)"
    r"|第?(?P<q>[一二三四1-4])季度(?:末|底)?)"
    r"(?P<before>\s*(?:前|以前|之前))?"
)
_NUMERIC_DATE = re.compile(r"(?<!\d)(20\d{2})\s*[-/.]\s*(1[0-2]|0?[1-9])(?:\s*[-/.]\s*(3[01]|[12]\d|0?[1-9]))?(?!\d)")
_YEAR_ONLY = re.compile(r"^(20\d{2})\s*年?(?:度)?\s*(?:底|末)?\s*(?:前|以前|之前)?$")
_NO_DATE = re.compile(r"每个?(?:季度|月|半年|年|周|旬)|按(?:季度|月)|定期|长期|持续|常态化|经常性")
_CLAUSE = re.compile(
    r"(?:^|(?<=[。,;:\n(]))\s*(全年|年内|长期坚持|每季度|每月|每半年|常态化推进|持续推进)\s*(?=[。,;\n)]|$)"
)
_DONE_WORDS = ("完成", "完工", "建成", "办结", "到位", "落实", "实现")
_WORD = re.compile(r"全年|年内|长期坚持|长期|持续推进|常态化推进|常态化|每个?(?:季度|月|半年|年)")
_STAGE_BREAK = re.compile(r"[;,。\n、]")
_LEADING = re.compile(r"^(?:于|在|力争|争取|确保|计划|预计)?\s*")
_MAX_CELL = 80


def _month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def _year_of(match: re.Match[str], year: int | None) -> int | None:
    if match.group("y"):
        return int(match.group("y"))
    relative = match.group("rel")
    if year is not None and relative in ("明年", "次年", "下一年"):
        return year + 1
    return year


def _date_of(match: re.Match[str], year: int | None) -> datetime.date | None:
    """The last day a phrase match allows, or None when the year is unknown or the date impossible."""
    year = _year_of(match, year)
    if year is None:
        return None
    try:
        if match.group("m"):
            month = int(match.group("m"))
            if match.group("d"):
                return datetime.date(year, month, int(match.group("d")))
            part = match.group("part")
            if part in ("上旬", "初"):
                return datetime.date(year, month, 10)
            if part == "中旬":
                return datetime.date(year, month, 20)
            return _month_end(year, month)
        if match.group("half"):
            return datetime.date(year, 6, 30) if match.group("half") == "上半年" else datetime.date(year, 12, 31)
        if match.group("q"):
            quarter = chinese_to_int(match.group("q")) or 4
            return _month_end(year, quarter * 3)
    except ValueError:
        return None
    return datetime.date(year, 12, 31)  # 年底, 年末, 年内, 全年


def _phrases(text: str) -> list[re.Match[str]]:
    found = []
    for match in _PHRASE.finditer(text):
        if match.group("yend") in ("底", "末") and not (match.group("y") or match.group("rel")):
            continue  # "彻底", "末端": 底/末 mean the year's end only right after a year
        if not match.group(0).strip():
            continue
        found.append(match)
    return found


def _latest(matches: list[re.Match[str]], year: int | None) -> tuple[re.Match[str], datetime.date | None]:
    dated = [(date, match) for match in matches if (date := _date_of(match, year)) is not None]
    if dated:
        date, match = max(dated, key=lambda pair: pair[0])
        return match, date
    return matches[-1], None


def _single(text: str, year: int | None) -> datetime.date | None:
    """The date one stage names (None when it names none)."""
    numeric = _NUMERIC_DATE.search(text)
    if numeric:
        y, m, d = int(numeric.group(1)), int(numeric.group(2)), numeric.group(3)
        try:
            return datetime.date(y, m, int(d)) if d else _month_end(y, m)
        except ValueError:
            return None
    only_year = _YEAR_ONLY.match(text)
    if only_year:
        return datetime.date(int(only_year.group(1)), 12, 31)
    matches = _phrases(text)
    if not matches:
        return None
    return _latest(matches, year)[1]


def _milestones(text: str, raw: str, year: int | None) -> tuple[Milestone, ...]:
    """The stages of a cell that names several times, each with its words; () when it names one or none."""
    stages: list[Milestone] = []
    start = 0
    breaks = [found.start() for found in _STAGE_BREAK.finditer(text)] + [len(text)]
    for end in breaks:
        piece = text[start:end].strip()
        if piece:
            date = _single(piece, year)
            if date is not None and _starts_with_time(piece):
                stages.append(Milestone(raw[start:end].strip(), date))
            elif stages:  # words after a stage that name no time belong to it ("…,同步完成验收")
                last = stages[-1]
                stages[-1] = Milestone(f"{last.text}{text[start - 1]}{raw[start:end].strip()}", last.date)
        start = end + 1
    return tuple(stages) if len(stages) >= 2 else ()


def _starts_with_time(text: str) -> bool:
    body = _LEADING.sub("", text)
    found = _PHRASE.match(body)
    return bool(found and found.group(0).strip()) or bool(_NUMERIC_DATE.match(body))


def parse_deadline_value(value: str, year: int | None, raw: str | None = None) -> Deadline | None:
    """A deadline given on its own: a 完成时限 label's value or a table's deadline cell."""
    raw = value if raw is None else raw
    text = value.strip().rstrip("。;,.")
    written = raw.strip()[: len(text)]
    if not text:
        return None
    if _NO_DATE.search(text):
        return Deadline(written, None)
    stages = _milestones(text, written, year)
    if stages:
        dated = [stage.date for stage in stages if stage.date is not None]
        return Deadline(written, max(dated) if dated else None, stages)
    return Deadline(written, _single(text, year))


def deadline_in_bracket(content: str, year: int | None, raw: str | None = None) -> Deadline | None:
    """A bracket that holds only a time: "(2024年6月底前完成)", "(全年)", "(长期坚持)", "(每季度)"."""
    raw = content if raw is None else raw
    text = content.strip()
    written = raw.strip()
    whole = text
    for word in _DONE_WORDS:
        if text.endswith(word):
            text = text[: -len(word)].rstrip()
            break
    match = _PHRASE.fullmatch(text)
    if match and not (match.group("yend") in ("底", "末") and not (match.group("y") or match.group("rel"))):
        return Deadline(written[: len(match.group(0).strip())], _date_of(match, year))
    if _WORD.fullmatch(whole):
        return Deadline(written, _date_of_word(whole, year))
    return None


def _date_of_word(word: str, year: int | None) -> datetime.date | None:
    if word in ("全年", "年内") and year is not None:
        return datetime.date(year, 12, 31)
    return None


def find_deadline_in_text(text: str, year: int | None, raw: str | None = None) -> Deadline | None:
    """A time limit written into a task's sentences ("2024年底前", "6月底前完成"), or a clause of its own
    ("全年", "长期坚持")."""
    raw = text if raw is None else raw
    matches = [match for match in _phrases(text) if match.group("before")]
    if matches:
        match, date = _latest(matches, year)
        start, end = match.span()
        return Deadline(raw[start:end].strip(), date)
    clause = _CLAUSE.search(text)
    if clause:
        return Deadline(raw[clause.start(1) : clause.end(1)], _date_of_word(clause.group(1), year))
    return None


def looks_like_deadline(text: str) -> bool:
    """Whether a table cell (or a piece of a unit list) reads as a time limit rather than as some other
    column's text: it starts with a time, or names no-date wording (长期坚持, 每季度), and is short."""
    body = text.strip().rstrip("。;,.")
    if not body or len(body) > _MAX_CELL:
        return False
    if _WORD.fullmatch(body) or (_NO_DATE.search(body) and len(body) <= 12):
        return True
    return _starts_with_time(body) and _single(body, 2000) is not None
