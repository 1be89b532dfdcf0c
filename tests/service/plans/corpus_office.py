"""Build the .docx and .xlsx samples of the plan corpus (their expected readings are corpus/NAME.json).

Nothing binary is kept in the repository: corpus.py calls these builders. To look at the files in Word or
Excel: `.venv/bin/python tests/service/plans/corpus_office.py OUTPUT_DIR`.
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
from openpyxl.styles import Alignment

FIXED = datetime.datetime(2024, 1, 1)


def _docx_bytes(document: DocxDocument) -> bytes:
    document.core_properties.created = FIXED  # the same bytes from run to run
    document.core_properties.modified = FIXED
    document.core_properties.last_modified_by = "duban"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _xlsx_bytes(workbook: openpyxl.Workbook) -> bytes:
    workbook.properties.created = FIXED
    workbook.properties.modified = FIXED
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def minsheng_xlsx() -> bytes:
    """民生实事: a title row, a 实事项目 column beside 主要内容, a leader column, merged cells over sub-rows, and a
    unit cell with one unit per line."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "民生实事"
    sheet.append(["鄂城区2024年十件民生实事任务分解表"])
    sheet.merge_cells("A1:G1")
    sheet.append(["序号", "实事项目", "主要内容", "区政府分管领导", "牵头单位", "配合单位", "完成时限"])
    sheet.append([1, "增加优质教育资源供给", "新建、改扩建中小学校5所,新增学位3000个。", "周敏", "区教育局",
                  "区发改局\n区财政局\n区自然资源和规划分局", "2024年8月底前"])  # fmt: skip
    sheet.append(
        [2, "老城片区复兴", "完成吴王城遗址保护展示工程一期。", "周敏", "区文旅局", "区城投公司", "2024年10月底前"]
    )
    sheet.append([None, None, "推进古楼街道老街立面整治。", "黄涛", "区住建局", "古楼街道", "2024年12月底前"])
    sheet.merge_cells("A4:A5")
    sheet.merge_cells("B4:B5")
    sheet.append(
        [
            3,
            "优化养老服务",
            "为2000名老年人提供居家上门服务,改造提升社区居家养老服务中心8家。",
            "黄涛",
            "区民政局",
            "各镇街",
            "全年",
        ]
    )
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="center")
    return _xlsx_bytes(workbook)


def jucuo_xlsx() -> bytes:
    """The issue's sheet: headed 主要工作举措 | 牵头单位 | 配合单位, no number column, section rows merged across."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Sheet1"
    sheet.append(["主要工作举措", "牵头单位", "配合单位"])
    sheet.append(["一、优化政务服务"])
    sheet.merge_cells("A2:C2")
    sheet.append(["推行企业开办“一网通办”,开办时间压缩至1个工作日。", "区行政审批局", "区市场监管局、区人社局"])
    sheet.append(["推进“证照分离”改革全覆盖。", "区市场监管局", "区行政审批局"])
    sheet.append(["二、强化要素保障"])
    sheet.merge_cells("A5:C5")
    sheet.append(["建立重点项目用地保障清单,盘活存量土地300亩。", "区自然资源和规划分局", "区发改局、区城投公司"])
    sheet.append(["落实减税降费政策,全年为企业减负1亿元以上。", "区财政局", "区税务局"])
    return _xlsx_bytes(workbook)


def _set_cell(cell: object, text: str) -> None:
    """A cell's text, one paragraph per line (as a person typing Enter in the cell makes it)."""
    lines = text.split("\n")
    cell.text = lines[0]  # type: ignore[attr-defined]
    for line in lines[1:]:
        cell.add_paragraph(line)  # type: ignore[attr-defined]


def table_docx() -> bytes:
    """A Word table: 工作任务 beside 具体措施, a 责任领导 column, one co-unit per paragraph, a lead cell merged over
    two rows, paragraphs around the table (a notice before it)."""
    document = docx.Document()
    document.add_paragraph("鄂城区人民政府办公室关于印发鄂城区2024年招商引资工作任务清单的通知")
    document.add_paragraph("各镇街、区直各部门:现将任务清单印发给你们,请认真抓好落实。")
    document.add_paragraph("鄂城区2024年招商引资工作任务清单")
    rows = [
        ("序号", "工作任务", "具体措施", "责任领导", "牵头单位", "配合单位", "完成时限"),
        ("1", "开展产业链招商", "围绕光电子、大数据等主导产业,全年招引亿元以上项目30个。", "孙磊", "区招商中心",
         "区发改局\n花湖开发区\n各镇街", "2024年12月底前"),
        ("2", "开展以商招商", "发挥异地商会作用,举办招商推介活动4场以上。", "孙磊", "", "区工商联", "2024年11月底前"),
        ("3", "优化招商服务", "建立重大项目专班服务机制。", "吴芳", "区行政审批局", "区发改局、区自然资源和规划分局",
         "长期坚持"),
    ]  # fmt: skip
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for index, values in enumerate(rows):
        for column, value in enumerate(values):
            if value:
                _set_cell(table.cell(index, column), value)
    table.cell(1, 4).merge(table.cell(2, 4))  # 区招商中心 leads tasks 1 and 2
    document.add_paragraph("注:各牵头单位于每季度末月25日前报送进展情况。")
    return _docx_bytes(document)


def labels_docx() -> bytes:
    """Paragraphs: label paragraphs, blank paragraphs between items, a page-number paragraph inside a task,
    and a heading paragraph with its items."""
    document = docx.Document()
    document.add_paragraph("鄂城区2024年营商环境重点任务分工方案")
    document.add_paragraph("")
    document.add_paragraph("一、提升审批效率")
    document.add_paragraph("1.深化工程建设项目审批制度改革,")
    document.add_paragraph("- 3 -")
    document.add_paragraph("社会投资小型低风险项目审批时间压缩至15个工作日以内。")
    document.add_paragraph("牵头单位:区行政审批局")
    document.add_paragraph("责任单位:区住建局、区自然资源和规划分局")
    document.add_paragraph("")
    document.add_paragraph("2.推行“拿地即开工”审批模式。")
    document.add_paragraph("牵头单位:区行政审批局")
    document.add_paragraph("")
    document.add_paragraph("二、加强监管服务")
    document.add_paragraph("3.推行“综合查一次”联合执法。")
    document.add_paragraph("牵头单位:区司法局")
    document.add_paragraph("责任单位:区市场监管局、区城管执法局、区应急管理局")
    document.add_paragraph("完成时限:2024年9月底前")
    return _docx_bytes(document)


def sheet_title_xlsx() -> bytes:
    """A title row, a metadata row (填报单位, 日期) and a header with 工作任务 / 责任单位(排名第一的为牵头单位)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "重点任务"
    sheet.append(["鄂城区2024年乡村振兴重点任务清单"])
    sheet.merge_cells("A1:D1")
    sheet.append(["填报单位:区委农办", None, "填报日期:2024年3月5日"])
    sheet.append(["序号", "工作任务", "责任单位(排名第一的为牵头单位)", "完成时限"])
    sheet.append([1, "建设高标准农田2万亩。", "区农业农村局、区财政局、区自然资源和规划分局", "2024年10月"])
    sheet.append([2, "新培育家庭农场50家。", "区农业农村局、各镇街", "2024年12月"])
    sheet.append(
        [3, "推进农村人居环境整治,创建美丽乡村示范村10个。", "区乡村振兴局、区住建局、区生态环境分局", "年底前"]
    )
    return _xlsx_bytes(workbook)


def merged_lead_xlsx() -> bytes:
    """A lead cell merged down over three tasks' rows (the value applies to each), and 填表说明 rows under the
    table (notes, not tasks)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["鄂城区2024年项目建设攻坚任务表"])
    sheet.merge_cells("A1:E1")
    sheet.append(["序号", "重点任务", "牵头单位", "配合单位", "完成时限"])
    sheet.append([1, "加快光电子产业园二期建设。", "花湖开发区", "区发改局", "2024年12月底前"])
    sheet.append([2, "推进滨江科技新区路网工程。", None, "区住建局、区城投公司", "2024年10月底前"])
    sheet.append([3, "建设人才公寓300套。", None, "区住建局", "2024年11月底前"])
    sheet.merge_cells("C3:C5")
    sheet.append([4, "实施重点项目用地保障。", "区自然资源和规划分局", "区发改局", "全年"])
    sheet.append(["填表说明:1.牵头单位负责汇总报送进展情况。"])
    sheet.merge_cells("A7:E7")
    sheet.append(["2.完成时限以自然月为单位,每月25日前报送。"])
    sheet.merge_cells("A8:E8")
    return _xlsx_bytes(workbook)


def two_row_header_xlsx() -> bytes:
    """A header of two rows: 责任单位 merged over 牵头单位 | 配合单位, 序号 merged down, 工作任务 not merged (the
    cell under it empty)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "任务分解"
    sheet.append(["鄂城区2024年乡村振兴重点任务分解表"])
    sheet.merge_cells("A1:E1")
    sheet.append(["序号", "工作任务", "责任单位", None, "完成时限"])
    sheet.append([None, None, "牵头单位", "配合单位", None])
    sheet.merge_cells("A2:A3")
    sheet.merge_cells("C2:D2")
    sheet.merge_cells("E2:E3")
    sheet.append([1, "建设高标准农田2万亩。", "区农业农村局", "区财政局、各镇", "2024年10月底前"])
    sheet.append([2, "培育市级以上农业产业化龙头企业3家。", "区农业农村局", "区发改局", "2024年12月底前"])
    sheet.append([3, "完成农村户厕改造1500户。", "区乡村振兴局", "区卫健局、各镇街", "2024年11月底前"])
    return _xlsx_bytes(workbook)


def autonumber_year_docx() -> bytes:
    """Tasks numbered by Word ("List Number"), one whose text starts with a year ("2025年底前…": shown as
    "3.2025年底前…"), and sections that are plain paragraphs."""
    document = docx.Document()
    document.add_paragraph("鄂城区2024—2025年城乡供水一体化工作方案")
    document.add_paragraph("一、建设任务")
    document.add_paragraph(
        "新建城区第二水厂,日供水能力10万吨。(牵头单位:区城投公司;责任单位:区住建局)", style="List Number"
    )
    document.add_paragraph(
        "改造老旧供水管网50公里。(牵头单位:区住建局;责任单位:区城投公司、各街道)", style="List Number"
    )
    document.add_paragraph(
        "2025年底前实现城乡供水同源同网同质。(牵头单位:区住建局;责任单位:区农业农村局、各镇)", style="List Number"
    )
    return _docx_bytes(document)


def leader_column_docx() -> bytes:
    """A city's Word table: 具体目标 beside 重点任务, a 牵头市领导 column (people), 牵头单位 and 责任单位, a unit
    with brackets inside (各乡镇(办、区)) on a line of its own."""
    document = docx.Document()
    document.add_paragraph("赤壁市2024年招商引资重点任务分解表")
    rows = [
        ("序号", "重点任务", "具体目标", "牵头市领导", "牵头单位", "责任单位", "完成时限"),
        ("1", "开展产业链招商", "引进亿元以上项目50个", "张明", "市招商服务中心", "市发改局、市经信局\n各乡镇(办、区)",
         "2024年12月"),
        ("2", "举办招商推介活动", "举办专题推介活动6场以上", "张明", "市招商服务中心", "市商务局", "2024年10月"),
        ("3", "优化项目落地服务", "项目签约后3个月内开工", "李强", "市政务服务和大数据管理局",
         "市自然资源和规划局、市住建局", "长期坚持"),
    ]  # fmt: skip
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for index, values in enumerate(rows):
        for column, value in enumerate(values):
            _set_cell(table.cell(index, column), value)
    return _docx_bytes(document)


def category_column_xlsx() -> bytes:
    """A county's sheet: a metadata row, a 类别 column merged down over its tasks (a section), a 备注 row."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["通城县2024年农业农村重点工作任务清单"])
    sheet.merge_cells("A1:F1")
    sheet.append(["单位:县委农办", None, None, None, "2024年3月"])
    sheet.append(["类别", "序号", "工作任务", "牵头单位", "责任单位", "完成时限"])
    sheet.append(["粮食安全", 1, "稳定粮食播种面积50万亩。", "县农业农村局", "各乡镇", "2024年10月"])
    sheet.append([None, 2, "建设高标准农田3万亩。", "县农业农村局", "县财政局、县自然资源和规划局", "2024年12月"])
    sheet.merge_cells("A4:A5")
    sheet.append(["乡村建设", 3, "完成农村户厕改造2000户。", "县乡村振兴局", "县卫健局、各乡镇", "2024年11月"])
    sheet.append([None, 4, "新建美丽乡村示范村10个。", "县乡村振兴局", "县住建局", "2024年12月"])
    sheet.merge_cells("A6:A7")
    sheet.append(["备注:各牵头单位每月25日前报送进展。"])
    return _xlsx_bytes(workbook)


def two_row_header_docx() -> bytes:
    """A county's Word table with a header of two rows: 责任单位 merged across over 牵头单位 | 配合单位, 序号,
    项目名称 and 完成时间 merged down."""
    document = docx.Document()
    document.add_paragraph("云梦县2024年民生实事项目清单")
    values = [
        ["序号", "项目名称", "责任单位", "", "完成时间"],
        ["", "", "牵头单位", "配合单位", ""],
        ["1", "新建县城停车场3处", "县住建局", "县自然资源和规划局", "2024年10月"],
        ["2", "改造农村危房200户", "县住建局", "各乡镇", "2024年9月"],
        ["3", "新增城镇就业2500人", "县人社局", "县发改局、县经信局", "2024年12月"],
    ]
    table = document.add_table(rows=len(values), cols=len(values[0]))
    for index, row in enumerate(values):
        for column, value in enumerate(row):
            if value:
                table.cell(index, column).text = value
    table.cell(0, 2).merge(table.cell(0, 3))
    for column in (0, 1, 4):
        table.cell(0, column).merge(table.cell(1, column))
    return _docx_bytes(document)


def milestones_xlsx() -> bytes:
    """A district's sheet: 工作目标 beside 重点工作, a 责任领导 column, staged milestones in one 时间节点 cell,
    and a task over two rows (number, task, leader and lead merged down; a second target, co-unit and time)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "重点工作"
    sheet.append(["孝南区2024年重点工作推进计划表"])
    sheet.merge_cells("A1:G1")
    sheet.append(["序号", "重点工作", "工作目标", "责任领导", "牵头单位", "配合单位", "时间节点"])
    sheet.append([1, "推进城区排涝工程", "完成3处泵站改造", "刘伟", "区水利局", "区住建局",
                  "4月底前完成设计;8月底前完成主体;11月底前竣工"])  # fmt: skip
    sheet.append([2, "实施老旧小区改造", "改造小区25个", "刘伟", "区住建局", "各街道", "2024年12月底前"])
    sheet.append([None, None, "同步改造雨污管网15公里", None, None, "区城投公司", "2024年10月底前"])
    for column in "ABDE":
        sheet.merge_cells(f"{column}4:{column}5")
    sheet.append([3, "创建全国文明城市", "测评成绩进入全省前列", "陈静", "区文明办", "区直各单位、各街道", "全年"])
    return _xlsx_bytes(workbook)


def bullets_docx() -> bytes:
    """Tasks in a Word bulleted list ("List Bullet"): no number anywhere, counted in order."""
    document = docx.Document()
    document.add_paragraph("应城市2024年营商环境提升重点任务")
    document.add_paragraph("推行“证照联办”。(牵头单位:市行政审批局;责任单位:市市场监管局)", style="List Bullet")
    document.add_paragraph("开展“万名干部进万企”活动。(牵头单位:市工商联)", style="List Bullet")
    return _docx_bytes(document)


def sheets_restart_xlsx() -> bytes:
    """A workbook with a task sheet per field, each numbering its tasks from 1."""
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.title = "工业"
    second = workbook.create_sheet("农业")
    header = ["序号", "重点任务", "牵头单位", "配合单位"]
    industry = [[1, "新增规上企业20家。", "区发改局", "区统计局"], [2, "实施技改项目30个。", "区发改局", "区财政局"]]
    farming = [[1, "建设农田1万亩。", "区农业农村局", "各镇"], [2, "培育龙头企业3家。", "区农业农村局", "区财政局"]]
    for sheet, rows in ((first, industry), (second, farming)):
        sheet.append(header)
        for row in rows:
            sheet.append(row)
    return _xlsx_bytes(workbook)


BUILDERS: dict[str, Callable[[], bytes]] = {
    "k2-sheets-restart.xlsx": sheets_restart_xlsx,
    "k2-bullets.docx": bullets_docx,
    "k1-two-row-header.docx": two_row_header_docx,
    "k5-milestones-sheet.xlsx": milestones_xlsx,
    "k1-leader-column.docx": leader_column_docx,
    "k1-category-column.xlsx": category_column_xlsx,
    "k1-merged-lead.xlsx": merged_lead_xlsx,
    "k1-two-row-header.xlsx": two_row_header_xlsx,
    "k2-autonumber-year.docx": autonumber_year_docx,
    "k1-minsheng.xlsx": minsheng_xlsx,
    "k1-jucuo.xlsx": jucuo_xlsx,
    "k1-table.docx": table_docx,
    "k2-labels.docx": labels_docx,
    "k7-sheet-title.xlsx": sheet_title_xlsx,
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
