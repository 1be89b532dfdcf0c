"""Loading a year's official arrangement: the file format and its mistakes, precedence over the
package, weekends-only fallback for years nobody covers, and other processes picking a load up."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from db.models import CalendarYear, Cycle
from service.errors import Forbidden, Invalid
from service.health import health_report
from service.operations.cycles.start import start_cycle
from service.operations.supervision.calendar import calendar_status, load_year, parse_year_file
from service.runtime import build_runtime
from service.scheduling.calendar import refresh_calendar
from service.workdays import Basis
from tests.helpers import TZ, actions, count, open_tasks

YEAR_2027 = """# 2027 年部分节假日安排(测试数据)
year = 2027
source = "国办发明电〔2026〕测试号"

[[holidays]]
name = "元旦"
off = ["2027-01-01..2027-01-03"]

[[holidays]]
name = "春节"
off = ["2027-02-05..2027-02-11"]
workdays = ["2027-02-14", "2027-02-20"]  # 调休上班
"""


def one(off: str, workdays: str | None = None, year: str = "2027") -> str:
    text = f'year = {year}\n[[holidays]]\nname = "春节"\noff = {off}\n'
    return text + (f"workdays = {workdays}\n" if workdays else "")


def test_a_year_file_is_read(runtime):
    parsed = parse_year_file(YEAR_2027.encode())
    assert (parsed.year, parsed.source) == (2027, "国办发明电〔2026〕测试号")
    assert parsed.holidays["元旦"] == ["2027-01-01", "2027-01-02", "2027-01-03"]
    assert parsed.workdays == {"春节": ["2027-02-14", "2027-02-20"]}
    assert len(parsed.holidays["春节"]) == 7
    arrangement = parsed.arrangement()
    assert date(2027, 2, 14) in arrangement.workdays and date(2027, 2, 8) in arrangement.holidays


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (one('["2027-02-30"]'), "第 4 行: 春节的 off 第 1 项 '2027-02-30' 不是日期"),
        (one('["2026-12-31"]'), "不在 2027 年内"),
        (one('["2027-02-11..2027-02-05"]'), "结束早于开始"),
        (one('["2027-01-01..2027-03-01"]'), "超过 31 天"),
        (one('["2027-02-05"]', '["2027-02-08"]'), "第 5 行: 春节的 workdays: 2027-02-08 是星期一"),
        (one('["2027-02-06"]', '["2027-02-06"]'), "既是春节的放假日,又是春节的调休上班日"),
        (one("5"), "春节的 off 应为日期列表"),
        (one('["2027-02-05"]', year='"2027"'), "year 应为"),
        ('[[holidays]]\nname = "春节"\noff = ["2027-02-05"]\n', "year 应为"),
        ("year = 2027\n", "没有任何放假日期"),
        ("year = 2027\nholiday = 1\n", "第 2 行: 未知的项 holiday"),
        ("year = 2027\n[[holidays]\n", "TOML"),
        ("year = 2027\nholidays = 5\n", "[[holidays]] 块"),
        ('year = 2027\n[[holidays]]\nname = "春节"\n', "缺少 off"),
        ('year = 2027\n[[holidays]]\noff = ["2027-02-05"]\n', "name 应为节日名称"),
        (
            'year = 2027\n[[holidays]]\nname = "春节"\noff = ["2027-02-05"]\nwork = 1\n',
            "第 5 行: 第 1 个 [[holidays]]: 未知的项 work",
        ),
        (one('["2027-02-05"]') + '[[holidays]]\nname = "春节"\noff = ["2027-02-06"]\n', "春节 重复出现"),
    ],
)
def test_mistakes_are_named_with_their_line(text, words):
    with pytest.raises(Invalid) as caught:
        parse_year_file(text.encode())
    assert words in caught.value.detail


def test_not_text_is_refused():
    with pytest.raises(Invalid, match="UTF-8"):
        parse_year_file(b"\xff\xfe\x00year")
    with pytest.raises(Invalid, match="过大"):
        parse_year_file(b"#" * (65 * 1024))


def test_loading_makes_deadlines_of_that_year_loaded_and_other_processes_follow(runtime, config, clock, make):
    supervisor = make.user("supervisor")
    lead = make.unit()
    key_task = make.key_task([lead], [])
    # Before: 2027 is beyond chinese-calendar 1.11, so days are counted by weekends and marked so.
    assert not runtime.calendar.covers(2027)
    with runtime.work(now=datetime(2027, 2, 4, 10, tzinfo=TZ)) as work:
        start_cycle(work, supervisor, key_task.id, "2027-Q1")
        assert any("2027" in w for w in health_report(work)["warnings"])
    (fallback,) = open_tasks(runtime)
    assert fallback.due_basis == Basis.FALLBACK.label
    assert fallback.due_at.astimezone(TZ).date() == date(2027, 2, 5)  # a Friday, but the Spring Festival
    with runtime.work(now=datetime(2027, 2, 4, 10, tzinfo=TZ)) as work:
        assert "1 个未办结待办的期限按周末推算" in " ".join(health_report(work)["warnings"])

    other = build_runtime(config, clock)  # another process, already running
    try:
        assert refresh_calendar(other) is True  # its first look (at start-up): nothing loaded yet
        assert refresh_calendar(other) is False and other.calendar.loaded_years == ()
        with pytest.raises(Forbidden), runtime.work() as work:
            load_year(work, supervisor, parse_year_file(YEAR_2027))
        with runtime.work() as work:
            from service.operations.common.actor import SYSTEM

            loaded = load_year(work, SYSTEM, parse_year_file(YEAR_2027))
        assert (loaded.year, loaded.holidays, loaded.workdays, loaded.replaced) == (2027, 10, 2, False)
        # The step counted by weekends only is counted again: past the Spring Festival, and marked loaded.
        assert loaded.recounted == 1
        (recounted,) = open_tasks(runtime)
        assert recounted.due_at.astimezone(TZ).date() == date(2027, 2, 12) and recounted.due_basis == "loaded"
        with runtime.work(write=False) as work:
            assert work.session.get(Cycle, recounted.cycle_id).timer_due_at == recounted.due_at
        assert actions(runtime, "step.deadline_recounted") == ["step.deadline_recounted"]
        assert refresh_calendar(runtime) is True and runtime.calendar.loaded_years == (2027,)
        # The other process asks at most every max_age seconds (it asked a moment ago) ...
        assert refresh_calendar(other, max_age=3600) is False and other.calendar.loaded_years == ()
        # ... and once that interval is over it sees the new year.
        assert refresh_calendar(other, max_age=0) is True and other.calendar.loaded_years == (2027,)
        assert other.calendar.judge(date(2027, 2, 8)) == (False, Basis.LOADED)
        assert other.calendar.judge(date(2027, 2, 14)) == (True, Basis.LOADED)  # a make-up Sunday
        assert other.calendar.judge(date(2027, 3, 1)) == (True, Basis.LOADED)
    finally:
        other.dispose()

    with runtime.work(now=datetime(2027, 2, 4, 10, tzinfo=TZ)) as work:
        start_cycle(work, supervisor, make.key_task([lead], []).id, "2027-Q1")
        status = calendar_status(work)
        assert {y.year: y.basis for y in status.years}[2027] == "loaded"
    loaded_step = open_tasks(runtime)[-1]
    assert loaded_step.due_basis == "loaded" and loaded_step.due_at.astimezone(TZ).date() == date(2027, 2, 12)

    # Loading the same year again replaces it (a correction), and is recorded.
    with runtime.work() as work:
        from service.operations.common.actor import SYSTEM

        again = load_year(work, SYSTEM, parse_year_file(YEAR_2027.replace('"2027-02-20"]', '"2027-02-21"]')))
    assert again.replaced and again.revision == loaded.revision + 1
    assert count(runtime, CalendarYear) == 1
    assert actions(runtime, "calendar.") == ["calendar.loaded", "calendar.loaded"]
    assert refresh_calendar(runtime) is True
    assert runtime.calendar.is_workday(date(2027, 2, 21)) and not runtime.calendar.is_workday(date(2027, 2, 20))


def test_a_database_without_the_table_leaves_the_calendar_alone(config, clock, tmp_path):
    import dataclasses

    bare = build_runtime(
        dataclasses.replace(config, database=dataclasses.replace(config.database)),
        clock,
        database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
    )
    try:
        assert refresh_calendar(bare) is False
        assert bare.calendar.loaded_years == ()
    finally:
        bare.dispose()


def test_the_status_lists_years_around_now(runtime):
    with runtime.work(now=datetime(2026, 11, 1, tzinfo=TZ)) as work:
        status = calendar_status(work)
    bases = {y.year: y.basis for y in status.years}
    assert bases[2025] == bases[2026] == "official" and bases[2027] == "fallback"
    assert status.warnings == ("2027 年的法定节假日安排尚未导入,该年的期限只按周末计算",)
    assert min(bases) == 2025 and max(bases) == (datetime(2026, 11, 1) + timedelta(days=400)).year


def test_a_granted_extension_is_not_recounted(runtime, make):
    from service.operations.common.actor import SYSTEM
    from service.operations.cycles.complete import complete_human_task
    from service.operations.supervision.extensions import decide_extension, request_extension

    supervisor = make.user("supervisor")
    lead = make.unit()
    head = make.user("unit_head", lead)
    key_task = make.key_task([lead], [])
    monday = datetime(2027, 2, 1, 9, tzinfo=TZ)
    with runtime.work(now=monday) as work:
        dispatch = start_cycle(work, supervisor, key_task.id, "2027-Q1").opened[0]
        sign_for = complete_human_task(work, supervisor, dispatch.id).opened[0]
    assert sign_for.due_at.astimezone(TZ).date() == date(2027, 2, 3)  # weekends only
    with runtime.work(now=monday) as work:
        asked = request_extension(work, head, sign_for.id, new_due_date="2027-02-04", reason="等待数据")
        decide_extension(work, supervisor, asked.id, decision="grant")
    with runtime.work() as work:
        assert load_year(work, SYSTEM, parse_year_file(YEAR_2027)).recounted == 0
    (step,) = open_tasks(runtime)
    assert step.due_at.astimezone(TZ).date() == date(2027, 2, 4) and step.due_basis == "fallback"
