"""Build the .docx and .xlsx sample plans the tests read.

The tests call these builders directly (see conftest.py), so nothing binary is kept in the repository.
To look at the files in Word or Excel: `.venv/bin/python tests/service/plans/make_samples.py OUTPUT_DIR`.
"""

from __future__ import annotations

import datetime
import io
import sys
from collections.abc import Callable
from pathlib import Path

import docx
import openpyxl
from docx.document import Document as DocxDocument


def _save_docx(document: DocxDocument) -> bytes:
    # Fixed core properties keep the bytes the same from run to run.
    document.core_properties.created = datetime.datetime(2024, 1, 1)
    document.core_properties.modified = datetime.datetime(2024, 1, 1)
    document.core_properties.last_modified_by = "duban"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_paragraphs() -> bytes:
    """Tasks written as paragraphs: bracketed units, label paragraphs, a soft line break, prose to skip."""
    document = docx.Document()
    document.add_heading("鄂城区2024年营商环境提升行动方案", level=1)
    document.add_paragraph("为持续优化营商环境,制定本方案。")
    document.add_paragraph("一、总体要求")
    document.add_paragraph("二、重点任务")
    document.add_paragraph("(一)提升政务服务")
    document.add_paragraph(
        "1.推进“高效办成一件事”。新增“一件事”集成服务事项15项以上。"
        "(牵头单位:区行政审批局;责任单位:区政务服务中心、区市场监管局,各镇街)"
    )
    second = document.add_paragraph("2.优化企业开办服务。企业开办时间压减至1个工作日以内。")
    second.add_run().add_break()
    second.add_run("牵头单位:区市场监督管理局")
    document.add_paragraph("(二)强化要素保障")
    document.add_paragraph("3.保障重点项目用地。盘活批而未供土地500亩。")
    document.add_paragraph("牵头单位:区自然资源和规划分局")
    document.add_paragraph("责任单位:区财政局、区城投公司")
    document.add_paragraph("完成时限:2024年10月底")
    document.add_paragraph("各单位要加强协作,形成工作合力。")
    document.add_paragraph("三、保障措施")
    document.add_paragraph("加强督查考核,定期通报进展。")
    return _save_docx(document)


def docx_table() -> bytes:
    """A task table with a merged section row, a two-line header cell and paragraphs around it."""
    document = docx.Document()
    document.add_paragraph("鄂城区2024年“三新三强”重点任务清单")
    document.add_paragraph("附件:重点任务分解表")
    rows = [
        ("序号", "重点任务", "牵头\n单位", "责任单位", "完成时限"),
        ("一、构建新产业",),
        (
            "1",
            "推动老树发新芽。力争完成技改项目20个以上。",
            "区发展改革和经济信息化局",
            "各镇街、花湖开发区",
            "2024年12月底前",
        ),
        (
            "2",
            "推进链式招商。确保新签约亿元以上项目不少于80个。",
            "区招商和投资促进中心",
            "区发改局、区财政局",
            "全年",
        ),
        ("二、打造新环境",),
        (
            "3",
            "打造绿色低碳生态环境。创成全省生态文明建设示范区。",
            "区生态环境分局",
            "区农业农村局、区水利局",
            "长期坚持",
        ),
    ]
    table = document.add_table(rows=len(rows), cols=5)
    for index, values in enumerate(rows):
        if len(values) == 1:
            merged = table.cell(index, 0).merge(table.cell(index, 4))
            merged.text = values[0]
            continue
        for column, value in enumerate(values):
            table.cell(index, column).text = value
    document.add_paragraph("注:各单位每季度末报送进展情况。")
    return _save_docx(document)


def docx_autonumber() -> bytes:
    """Tasks numbered by Word's list numbering ("List Number" style): the numbers are not in the text."""
    document = docx.Document()
    document.add_paragraph("鄂城区2024年文明创建工作要点")
    document.add_paragraph("一、重点任务")
    document.add_paragraph("开展文明村镇创建。(牵头单位:区文创中心;责任单位:区农业农村局,各镇街)", style="List Number")
    document.add_paragraph("开展文明校园创建。(牵头单位:区教育局;责任单位:团区委)", style="List Number")
    document.add_paragraph("开展文明家庭评选。(牵头单位:区妇联;责任单位:各镇街)", style="List Number")
    return _save_docx(document)


_MULTILEVEL = (
    '<w:abstractNum xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:abstractNumId="90">'
    '<w:multiLevelType w:val="multilevel"/>'
    '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>'
    '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%2."/></w:lvl>'
    "</w:abstractNum>"
)
_MULTILEVEL_NUM = (
    '<w:num xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:numId="90">'
    '<w:abstractNumId w:val="90"/></w:num>'
)


def docx_multilevel() -> bytes:
    """Sections and tasks in one Word multi-level list: "一、" (Chinese counting) over "1." (decimal)."""
    from docx.oxml import parse_xml

    document = docx.Document()
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(_MULTILEVEL))
    numbering.append(parse_xml(_MULTILEVEL_NUM))

    def listed(text: str, level: int) -> None:
        paragraph = document.add_paragraph(text)
        num_pr = parse_xml(
            '<w:numPr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f'<w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'
        )
        paragraph._p.get_or_add_pPr().append(num_pr)

    document.add_paragraph("鄂城区2024年重点工作任务清单")
    listed("构建新产业", 0)
    listed("推行产业链长制。(牵头单位:区发改局;责任单位:各镇街)", 1)
    listed("推进链式招商。(牵头单位:区招商中心)", 1)
    listed("打造新环境", 0)
    listed("打造绿色低碳生态环境。(牵头单位:区生态环境分局)", 1)
    return _save_docx(document)


def docx_without_tasks() -> bytes:
    document = docx.Document()
    document.add_paragraph("关于召开2024年第一季度工作调度会的通知")
    document.add_paragraph("各镇街、区直各部门:")
    document.add_paragraph("经研究,定于4月8日召开第一季度工作调度会,请各单位主要负责同志准时参会。")
    return _save_docx(document)


def xlsx_tasks() -> bytes:
    """A workbook: a notes sheet without a task header, then two task sheets with different headers."""
    workbook = openpyxl.Workbook()
    notes = workbook.active
    assert notes is not None
    notes.title = "填报说明"
    notes.append(["本表由区政府督查室汇总,排在第一位的为牵头单位。"])

    sheet = workbook.create_sheet("任务表")
    sheet.append(["鄂城区2024年重点任务分解表"])
    sheet.merge_cells("A1:E1")
    sheet.append(["序号", "工作任务", "责任单位", "配合单位", "完成时限"])
    sheet.append(["一、构建新产业"])
    sheet.merge_cells("A3:E3")
    sheet.append(
        [
            1,
            "推行产业链长制。重点打造六大主导产业。",
            "区发展改革和经济信息化局、区招商中心",
            "各镇街",
            "2024年6月底前",
        ]
    )
    sheet.append(
        [
            2,
            "加速重点项目建设。实施重大项目106个。",
            "区发改局",
            "区财政局、区住建局",
            datetime.date(2024, 9, 30),
        ]
    )
    sheet.append(["二、推进新治理"])
    sheet.merge_cells("A6:E6")
    sheet.append([3, "推进共建共治共享。完成既有住宅增设电梯40部以上。", "区政府办公室", "区直各部门", "全年"])
    sheet.append([4, "强化基层治理。", None, "区民政局", "2024年底前"])

    second = workbook.create_sheet("民生实事")
    second.append(["序号", "任务名称", "具体内容", "牵头单位", "责任单位", "时限"])
    second.append([1, "零工市场建设", "新改建零工市场(驿站)15家。", "区人社局", "各镇街", "2024年6月"])
    second.append([2, "适老化改造", "居家适老化改造180户。", "区民政局", "区残联", "2024年11月"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


BUILDERS: dict[str, Callable[[], bytes]] = {
    "plan-paragraphs.docx": docx_paragraphs,
    "plan-table.docx": docx_table,
    "plan-autonumber.docx": docx_autonumber,
    "plan-multilevel.docx": docx_multilevel,
    "no-tasks.docx": docx_without_tasks,
    "plan-tasks.xlsx": xlsx_tasks,
}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, build in BUILDERS.items():
        (out / name).write_bytes(build())
        print(out / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
