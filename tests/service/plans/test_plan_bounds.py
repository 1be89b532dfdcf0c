"""The bounds that keep a hostile plan from holding a worker (issue 15 item 1): too many lines is refused
before anything is read; past the text bound and past the task bound the rest is counted, not read, and
the error says how much was left out. `make bench` measures that what is read costs linear time and memory."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from service.plans import ParsedPlan, bounds, layout

Parse = Callable[..., ParsedPlan]


def _errors(plan: ParsedPlan) -> list[str]:
    return [problem.message for problem in plan.errors]


def test_a_text_file_with_too_many_lines_is_refused_before_it_is_read(parse: Parse) -> None:
    data = "1.推进X。(牵头单位:区财政局)\n" + "\n" * bounds.MAX_FILE_LINES
    plan = parse(data, "lines.txt")
    assert plan.tasks == ()
    assert f"文件有 {bounds.MAX_FILE_LINES + 1:,} 行,超过 {bounds.MAX_FILE_LINES:,} 行的上限,未读取" in _errors(plan)[0]


def test_text_past_the_character_bound_is_counted_not_read(parse: Parse, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bounds, "MAX_TEXT_CHARS", 200)
    lines = [f"{number}.推进工作{number}。(牵头单位:区财政局)" for number in range(1, 21)]  # 20 chars a line
    plan = parse("\n".join(lines), "long.txt")
    assert [task.number for task in plan.tasks] == list(range(1, 11))  # 10 lines = 200 characters
    unread = sum(len(line) for line in lines[10:])
    assert f"只读取了第11行之前的部分,其后还有约 {unread:,} 字未读取" in " ".join(_errors(plan))


def test_a_long_list_of_unknown_names_is_cut_at_the_bound(parse: Parse, monkeypatch: pytest.MonkeyPatch) -> None:
    """40,000 unknown unit names once took 23 s: the names past the bound are not looked at."""
    monkeypatch.setattr(bounds, "MAX_TEXT_CHARS", 1_000)
    names = "、".join(f"某某局{index}" for index in range(2_000))
    plan = parse(f"1.推进X。\n(牵头单位:{names})", "names.txt")
    assert any("第2行之前的部分" in message for message in _errors(plan))


def test_table_rows_past_the_line_bound_are_counted(parse: Parse, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bounds, "MAX_LINES", 6)
    rows = "".join(f"{number}\t推进工作{number}\t区财政局\n" for number in range(1, 11))
    plan = parse("序号\t重点任务\t牵头单位\n" + rows, "table.txt")
    assert 0 < len(plan.tasks) < 10
    assert any("行的上限" in message and "未读取" in message for message in _errors(plan))


def test_numbered_tasks_past_the_task_bound_are_counted(parse: Parse, monkeypatch: pytest.MonkeyPatch) -> None:
    """80,000 numbered tasks once listed 999 with no word about the rest."""
    monkeypatch.setattr(layout, "MAX_TASKS", 50)
    plan = parse("".join(f"{n}.推进工作{n}。(牵头单位:区财政局)\n" for n in range(1, 81)), "many.txt")
    assert len(plan.tasks) == 50
    assert "只读取并列出了前 50 项,其后还有 30 项未读取" in " ".join(_errors(plan))
