"""The 督查通报 over the API: a Word document python-docx opens, A4, the official fonts named, the
league tables and every key task in it; refused to units; and, where LibreOffice is installed, it
converts to a PDF."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Mm
from sqlalchemy import select

from db.models import HumanTask, HumanTaskState
from service.exports.bulletin_docx import official
from service.operations.cycles.complete import complete_human_task
from service.operations.year.indicators import IndicatorFields, add_indicator


def play(runtime, world, start, *, value):
    with runtime.work() as work:
        projects = add_indicator(
            work,
            world.supervisor,
            IndicatorFields(name="技改项目", comparator="≥", target=20, measure="个"),
            key_task_id=world.key_task.id,
        ).id
    cycle = start("2024-Q2")

    def step(name, actor, **form):
        with runtime.work() as work:
            ids = work.session.scalars(
                select(HumanTask.id).where(
                    HumanTask.cycle_id == cycle, HumanTask.step_id == name, HumanTask.state == HumanTaskState.OPEN
                )
            ).all()
        for task_id, who in zip(ids, actor if isinstance(actor, list) else [actor] * len(ids), strict=True):
            with runtime.work() as work:
                complete_human_task(work, who, task_id, **form)

    step("dispatch", world.supervisor)
    step("sign_for", world.lead_head)
    step("co_input", world.co_heads, data={"text": "已配合"})
    step(
        "consolidate",
        world.lead_head,
        data={"report": "进展"},
        progress={"percent": 20, "problems": "项目审批慢", "values": {str(projects): value}},
    )


def test_the_bulletin_opens_with_the_league_table_in_it(api, world, start, runtime, tmp_path):
    play(runtime, world, start, value=3)
    office = api(world.supervisor)
    assert office.post("/api/v1/rounds/2024-Q2/publish").status_code == 200
    response = office.get("/api/v1/rounds/2024-Q2/bulletin.docx")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype.endswith("wordprocessingml.document")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    document = Document(io.BytesIO(response.data))
    section = document.sections[0]
    assert (round(section.page_width / Mm(1)), round(section.page_height / Mm(1))) == (210, 297)
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == "关于2024年第二季度“三新三强”重点任务推进情况的通报"
    xml = document.element.xml + document.styles.element.xml
    assert "方正小标宋简体" in xml and "仿宋_GB2312" in xml
    assert any(official("进度红灯事项(1项)") in p for p in paragraphs)
    # The bulletin counts progress lights and says so in each count: never a bare 红灯 beside 工作台's 期限红灯.
    assert any(official("按进度灯统计,进度绿灯0项、进度黄灯0项、进度红灯1项") in p for p in paragraphs)
    assert official("各镇(街、乡),") == "各镇\uff08街、乡\uff09\uff0c"  # full-width, as official documents write
    assert any("任务" in p and "推行产业链长制" in p and "项目审批慢" in p for p in paragraphs)
    assert any("已于" in p and "发布" in p for p in paragraphs)
    cells = [[c.text for c in row.cells] for table in document.tables for row in table.rows]
    # The leagues: the four units of the key task, ranked, and the appendix row.
    assert ["名次", "单位", "得分", "较上轮", "名次变化"] in cells
    ranked = [
        row for row in cells if len(row) == 5 and row[1] in {world.lead_unit.name, *(u.name for u in world.co_units)}
    ]
    assert len(ranked) == 4
    assert any(row[1] == "推行产业链长制" and row[6] == "红灯" for row in cells if len(row) == 9)
    _converts_with_libreoffice(response.data, tmp_path)


def test_units_may_not_have_the_bulletin_and_an_empty_round_is_404(api, world, start, runtime):
    play(runtime, world, start, value=18)
    assert api(world.lead_head).get("/api/v1/rounds/2024-Q2/bulletin.docx").status_code == 403
    missing = api(world.leader).get("/api/v1/rounds/2031-Q1/bulletin.docx")
    assert missing.status_code == 404 and "2031-Q1" in missing.get_json()["detail"]
    # Unpublished: the leader still reads the standing scores, and the bulletin says they are not published.
    document = Document(io.BytesIO(api(world.leader).get("/api/v1/rounds/2024-Q2/bulletin.docx").data))
    assert any("尚未发布" in p.text for p in document.paragraphs)


def _read(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    document = Document(io.BytesIO(response.data))
    paragraphs = [p.text for p in document.paragraphs]
    appendix = [row.cells[1].text for table in document.tables for row in table.rows if len(row.cells) == 9][1:]
    return paragraphs, appendix


def test_the_bulletin_is_one_plans_key_tasks_and_names_that_plan(api, world, start, runtime, make):
    play(runtime, world, start, value=3)
    other = make.plan("鄂城区2024年“项目攻坚”行动方案")
    for title in ("另一计划的任务甲", "另一计划的任务乙"):
        start("2024-Q2", key_task=make.key_task([world.lead_unit], [], plan=other, title=title))
    office = api(world.supervisor)

    paragraphs, appendix = _read(office.get(f"/api/v1/rounds/2024-Q2/bulletin.docx?plan_id={world.plan.id}"))
    assert paragraphs[0] == "关于2024年第二季度“三新三强”重点任务推进情况的通报"
    assert any("《鄂城区2024年“三新三强”行动方案》" in p and "1项重点任务" in p for p in paragraphs)
    assert any("本轮共督查重点任务1项" in p for p in paragraphs)
    assert appendix == ["推行产业链长制"]

    paragraphs, appendix = _read(office.get(f"/api/v1/rounds/2024-Q2/bulletin.docx?plan_id={other.id}"))
    assert paragraphs[0] == "关于2024年第二季度“项目攻坚”重点任务推进情况的通报"
    assert any("本轮共督查重点任务2项" in p for p in paragraphs)
    assert appendix == ["另一计划的任务甲", "另一计划的任务乙"]
    # 考评 is the round's, across plans: the league table says so and ranks the same units either way.
    assert any("不分计划" in p for p in paragraphs)

    assert office.get("/api/v1/rounds/2024-Q2/bulletin.docx?plan_id=999999").status_code == 404
    idle = make.plan("没有办理记录的方案")
    missing = office.get(f"/api/v1/rounds/2024-Q2/bulletin.docx?plan_id={idle.id}")
    assert missing.status_code == 404 and "没有办理记录的方案" in missing.get_json()["detail"]
    assert office.get("/api/v1/rounds/2024-Q2/bulletin.docx?plan_id=abc").status_code == 422


def _converts_with_libreoffice(data: bytes, folder: Path) -> None:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        return  # not on this machine: python-docx reading it back is the check
    source = folder / "bulletin.docx"
    source.write_bytes(data)
    subprocess.run(
        [office, "--headless", "--convert-to", "pdf", "--outdir", str(folder), str(source)],
        check=True,
        timeout=120,
        capture_output=True,
        env={"HOME": str(folder), "PATH": "/usr/bin:/bin"},
    )
    pdf = folder / "bulletin.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
