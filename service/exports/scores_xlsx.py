"""统计 and 打擂台 as .xlsx workbooks: what the office pastes into its reports and files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from ..operations.queries.dashboard import Dashboard
from ..operations.queries.progress_lights import KeyTaskProgress
from ..operations.queries.scores import Scores
from ..vocabulary import Light, ScoreRule

FILLS = {Light.RED: "F8CBAD", Light.YELLOW: "FFE699", Light.GREEN: "C6EFCE"}
FONT = "宋体"


def _sheet(wb: Any, title: str, heading: str, header: Sequence[str], widths: Sequence[float]) -> Any:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.cell(1, 1, heading).font = Font(name=FONT, size=14, bold=True)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    for column, (name, width) in enumerate(zip(header, widths, strict=True), start=1):
        cell = ws.cell(2, column, name)
        cell.font = Font(name=FONT, bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "A3"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    return ws


def _rows(ws: Any, rows: Iterable[Sequence[Any]], light_column: int | None = None) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for r, values in enumerate(rows, start=3):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(r, c, value)
            cell.font = Font(name=FONT)
            cell.border = border
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        if light_column is not None:
            light = ws.cell(r, light_column).value
            for key, fill in FILLS.items():
                if light == key.label:
                    ws.cell(r, light_column).fill = PatternFill("solid", fgColor=fill)


def _book() -> Any:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    return wb


def _save(wb: Any) -> bytes:
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _day(at: datetime | None, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at else ""


def statistics_xlsx(board: Dashboard, progress: dict[int, KeyTaskProgress], tz: ZoneInfo) -> bytes:
    """统计: a sheet of the sections, one of every key task (stage, deadline light, completion, 序时,
    progress light, 存在问题, 下步打算), and the overdue list."""
    wb = _book()
    title = f"{board.plan.title} · {board.round or '尚未启动'} · 截至 {_day(board.now, tz)}"
    sections = _sheet(
        wb,
        "分板块",
        title,
        ("板块", "任务", "已办结", "办理中", "未启动", "期限红灯", "期限黄灯", "期限绿灯"),
        (24, 8, 8, 8, 8, 8, 8, 8),
    )
    _rows(
        sections,
        [(s.name, s.key_tasks, s.closed, s.running, s.not_started, s.red, s.yellow, s.green) for s in board.sections],
    )
    tasks = _sheet(
        wb,
        "重点任务",
        title,
        (
            "序号",
            "重点任务",
            "板块",
            "当前环节",
            "期限灯",
            "完成比例(%)",
            "序时进度(%)",
            "进度灯",
            "存在问题",
            "下步打算",
        ),
        (6, 30, 14, 18, 8, 10, 10, 8, 40, 40),
    )
    rows = []
    for k in board.key_tasks:
        p = progress.get(k.key_task_id)
        rows.append(
            (
                k.number,
                k.title,
                k.section,
                k.stage,
                Light.label_of(k.light, ""),
                p.percent if p else None,
                p.expected if p else None,
                Light.label_of(p.light if p else None, "未报送"),
                p.problems if p else "",
                p.next_steps if p else "",
            )
        )
    _rows(tasks, rows, light_column=8)
    overdue = _sheet(wb, "超期清单", title, ("重点任务", "环节", "单位", "期限", "超期(工作日)"), (36, 14, 24, 18, 12))
    _rows(
        overdue,
        [
            (f"{o.key_task_number}. {o.key_task_title}", o.step_name, o.unit, _day(o.due_at, tz), o.working_days_late)
            for o in board.overdue
        ],
    )
    return _save(wb)


def league_xlsx(result: Scores, tz: ZoneInfo) -> bytes:
    """打擂台: one sheet per league, a row per unit with its total, rank, change and a column per rule."""
    wb = _book()
    rules = [rule for rule in ScoreRule]
    state = f"已于 {_day(result.published_at, tz)} 发布" if result.published_at else "未发布(截至导出时)"
    for table in result.tables:
        ws = _sheet(
            wb,
            table.label,
            f"{result.round} 打擂台 · {table.label} · {state}",
            ("名次", "单位", "得分", "较上轮", "名次变化", *(r.label for r in rules)),
            (6, 24, 8, 8, 8, *(10 for _ in rules)),
        )
        rows = []
        for u in table.units:
            points = {p.rule: p.points for p in u.breakdown}
            rows.append((u.rank, u.unit, u.total, u.change, u.rank_change, *(points.get(r.value) for r in rules)))
        _rows(ws, rows)
    return _save(wb)
