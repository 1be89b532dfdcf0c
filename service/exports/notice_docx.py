"""The 督办通知单: a one-page Word notice for an overdue step, addressed to its unit, ready to print,
sign and stamp (python-docx, in the house style of ``bulletin_docx.py``: A4 after GB/T 9704, the
title in 方正小标宋简体, the body in 仿宋_GB2312 with common alternatives, full-width punctuation).

It carries the notice's number, the addressee (the unit's full name), what is late (the plan, key
task, round, step, deadline, working days late), the escalation reached and since when, what the
unit must do, the office's signature block with room for the seal, and a receipt strip to return.
"""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from ..operations.queries.notices import OverdueNotice
from .bulletin_docx import BODY_FONT, HEADING_FONT, OFFICE, TITLE_FONT, _body, _font, official, official_document

REPLY_DAYS = 3  # working days to report back, said on the notice


def _day(at: datetime, tz: ZoneInfo) -> str:
    local = at.astimezone(tz)
    return f"{local.year}年{local.month}月{local.day}日"


def notice_docx(notice: OverdueNotice, tz: ZoneInfo) -> bytes:
    """The notice as .docx bytes (dates in ``tz``, the deadline as the day it fell due)."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    doc = official_document()

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing = Pt(40)
    _font(title.add_run("督办通知单"), TITLE_FONT, 22)
    number = doc.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    number.add_run(official(notice.number))
    doc.add_paragraph()
    doc.add_paragraph(official(f"{notice.addressee}:"))
    due = _day(notice.due_at, tz)
    escalation = (
        f"该事项已于{_day(notice.since, tz)}进入{notice.level_label}。"
        if notice.level and notice.since
        else "该事项已列入督办。"
    )
    _body(
        doc,
        f"根据《{notice.plan_title}》,你单位承办的第{notice.key_task_number}项重点任务“{notice.key_task_title}”"
        f"{notice.round_label}“{notice.step_name}”环节,办理期限为{due},截至{_day(notice.issued_at, tz)}"
        f"已逾期{notice.working_days_late}个工作日。{escalation}",
    )
    _body(
        doc,
        f"请你单位高度重视,接此通知后{REPLY_DAYS}个工作日内办结,并将办理情况及逾期原因书面报送{OFFICE}。"
        "逾期仍未办结的,将按有关规定予以通报。",
    )

    rows = (
        ("重点任务", f"{notice.key_task_number}. {notice.key_task_title}"),
        ("所属计划", notice.plan_title),
        ("报送轮次", notice.round_label),
        ("办理环节", notice.step_name),
        ("承办单位", notice.addressee),
        ("办理期限", due),
        ("逾期情况", f"已逾期{notice.working_days_late}个工作日"),
        ("督办等级", notice.level_label or "尚未发出催办"),
    )
    table = doc.add_table(rows=len(rows), cols=2)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for (label, value), cells in zip(rows, table.rows, strict=True):
        cells.cells[0].width, cells.cells[1].width = Mm(32), Mm(124)
        _cell(cells.cells[0], label, HEADING_FONT)
        _cell(cells.cells[1], value, BODY_FONT)

    doc.add_paragraph()
    for text in (OFFICE, "(盖章)", _day(notice.issued_at, tz)):
        line = doc.add_paragraph(official(text))
        line.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        line.paragraph_format.right_indent = Pt(64)  # four characters in from the margin, room for the seal

    doc.add_paragraph()
    cut = doc.add_paragraph("-" * 30 + " 回执 " + "-" * 30)
    cut.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(official(f"{notice.number} 已收悉。"))
    doc.add_paragraph(official("签收单位(盖章):__________  签收人:__________  签收时间:____年__月__日"))
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def _cell(cell: Any, text: str, face: str) -> None:
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    paragraph.paragraph_format.space_before = paragraph.paragraph_format.space_after = Pt(3)
    _font(paragraph.add_run(official(text)), face, 14)
