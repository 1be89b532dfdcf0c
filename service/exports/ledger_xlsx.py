"""The supervision ledger as an .xlsx workbook, laid out as supervisors keep it on paper."""

from __future__ import annotations

import re
from datetime import datetime
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from ..operations.queries.ledger import Ledger
from ..vocabulary import Light, Progress, round_label

GREEN, YELLOW, RED = Light.GREEN, Light.YELLOW, Light.RED

COLUMNS: tuple[tuple[str, float], ...] = (
    ("序号", 6),
    ("重点任务", 24),
    ("所属板块", 14),
    ("主要内容", 48),
    ("牵头单位", 18),
    ("责任单位", 28),
    ("完成时限", 12),
    ("当前轮次", 10),
    ("办理环节", 18),
    ("状态", 9),
    ("期限灯", 7),
    ("办理期限", 12),
    ("退回情况", 10),
    ("督办情况", 9),
    ("最近进展", 48),
)
_FILLS: dict[str, str] = {RED: "F8CBAD", YELLOW: "FFE699", GREEN: "C6EFCE"}
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _day(at: datetime | None, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d") if at else ""


def ledger_xlsx(book: Ledger, tz: ZoneInfo) -> bytes:
    """The ledger as supervisors keep it: a title row, a line of figures, two header rows, one row
    per key task; frozen header, fixed widths, wrapped text, set up to print on A4 landscape."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "督查台账"
    last = get_column_letter(len(COLUMNS))
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    font_name = "宋体"

    ws.merge_cells(f"A1:{last}1")
    ws["A1"] = f"{book.plan.title}督查台账"
    ws["A1"].font = Font(name=font_name, size=16, bold=True)
    ws["A1"].alignment = centre
    ws.row_dimensions[1].height = 30
    c = book.counts
    ws.merge_cells(f"A2:{last}2")
    ws["A2"] = (
        f"轮次: {round_label(book.round) or '尚未启动'}    "
        f"统计时间: {book.now.astimezone(tz).strftime('%Y-%m-%d %H:%M')}    "
        f"共 {book.total} 项: 期限红灯 {c[RED]}、期限黄灯 {c[YELLOW]}、期限绿灯 {c[GREEN]}、"
        f"已办结 {c['closed']}、未启动 {c['none']}"
    )
    ws["A2"].font = Font(name=font_name, size=10)
    ws["A2"].alignment = Alignment(horizontal="left", vertical="center")

    # Two header rows: the groups, then the columns.
    groups = (("任务信息", 1, 7), ("办理情况", 8, len(COLUMNS)))
    for label, first, end in groups:
        ws.merge_cells(start_row=3, start_column=first, end_row=3, end_column=end)
        cell = ws.cell(row=3, column=first, value=label)
        cell.font = Font(name=font_name, bold=True)
        cell.alignment = centre
    header_fill = PatternFill("solid", fgColor="D9E1F2")
    for index, (name, width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=4, column=index, value=name)
        cell.font = Font(name=font_name, bold=True)
        cell.alignment = centre
        cell.fill = header_fill
        ws.cell(row=3, column=index).border = border
        ws.cell(row=3, column=index).fill = header_fill
        cell.border = border
        ws.column_dimensions[get_column_letter(index)].width = width

    body_font = Font(name=font_name, size=10)
    for offset, row in enumerate(book.rows):
        values: list[Any] = [
            row.number,
            row.title,
            row.section or "",
            row.body,
            row.lead_units,
            row.co_units,
            row.deadline_text or "",
            round_label(book.round),
            "、".join(row.steps) or (Progress.CLOSED.label if row.status == Progress.CLOSED else ""),
            row.status_name,
            row.light_name,
            _day(row.due_at, tz),
            row.sent_back_text,
            row.escalation_name,
            (f"{_day(row.latest_at, tz)} {row.latest}" if row.latest else ""),
        ]
        r = 5 + offset
        for index, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=index)
            if isinstance(value, str):
                # Strings stay strings: a title starting with "=" must never become a formula.
                cell.value = _ILLEGAL.sub("", value)
                cell.data_type = "s"
            else:
                cell.value = value
            cell.font = body_font
            cell.alignment = wrap
            cell.border = border
        if row.light:
            ws.cell(row=r, column=11).fill = PatternFill("solid", fgColor=_FILLS[row.light])
        for index in (1, 7, 8, 10, 11, 12, 13, 14):
            ws.cell(row=r, column=index).alignment = centre

    ws.freeze_panes = "C5"
    ws.auto_filter.ref = f"A4:{last}{max(4, 4 + len(book.rows))}"
    ws.print_title_rows = "3:4"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "第 &P 页,共 &N 页"
    wb.properties.title = f"{book.plan.title}督查台账"
    wb.properties.creator = "duban"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
