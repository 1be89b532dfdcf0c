"""Files the parser cannot read: no exception, no tasks, and a problem that says why."""

from __future__ import annotations

import io
import random
import struct
import zipfile
from collections.abc import Callable

import pytest

from service.plans import ParsedPlan, readers

Parse = Callable[..., ParsedPlan]


def assert_unreadable(plan: ParsedPlan, *fragments: str) -> None:
    assert plan.tasks == ()
    assert plan.sections == ()
    assert plan.errors, "an unreadable file must say why"
    messages = " ".join(problem.message for problem in plan.problems)
    for fragment in fragments:
        assert fragment in messages, messages


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_empty_file(parse: Parse) -> None:
    plan = parse(b"", "plan.txt")
    assert_unreadable(plan, "文件为空")
    assert plan.title == "plan"


def test_blank_file(parse: Parse) -> None:
    assert_unreadable(parse(b" \r\n\t\n\xe3\x80\x80\n", "blank.txt"), "只有空白")


def test_random_bytes(parse: Parse) -> None:
    noise = random.Random(20240601).randbytes(8192)
    assert_unreadable(parse(noise, "plan.docx"), "不是可识别的文本")


def test_text_without_tasks(parse: Parse) -> None:
    plan = parse("关于做好2024年防汛工作的通知\n各镇街:请做好防汛准备。", "notice.txt")
    assert_unreadable(plan, "未识别到任何重点任务")
    assert plan.title == "notice"


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "PNG 图片"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64), "JPEG 图片"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF 文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "旧版 Office 文档"),
    ],
)
def test_images_and_other_formats(parse: Parse, data: bytes, what: str) -> None:
    assert_unreadable(parse(data, "plan.docx"), what)


def test_docx_without_tasks(parse: Parse, office_files: dict[str, bytes]) -> None:
    plan = parse(office_files["no-tasks.docx"], "no-tasks.docx")
    assert_unreadable(plan, "未识别到任何重点任务")


def test_truncated_xlsx(parse: Parse, office_files: dict[str, bytes]) -> None:
    data = office_files["plan-tasks.xlsx"]
    assert_unreadable(parse(data[: len(data) // 2], "plan.xlsx"), "损坏或不完整")


def test_xlsx_with_a_broken_sheet(parse: Parse, office_files: dict[str, bytes]) -> None:
    source = zipfile.ZipFile(io.BytesIO(office_files["plan-tasks.xlsx"]))
    members = {name: source.read(name) for name in source.namelist()}
    members["xl/worksheets/sheet2.xml"] = b"<worksheet><sheetData><row r='1'><c r='A1' t='s'><v>9"
    assert_unreadable(parse(_zip(members), "plan.xlsx"), "Excel 文档无法读取")


def test_docx_with_broken_xml(parse: Parse, office_files: dict[str, bytes]) -> None:
    source = zipfile.ZipFile(io.BytesIO(office_files["plan-table.docx"]))
    members = {name: source.read(name) for name in source.namelist()}
    members["word/document.xml"] = b"<w:document><w:body><w:p>"
    assert_unreadable(parse(_zip(members), "plan.docx"), "Word 文档无法读取")


def test_zip_that_is_no_office_document(parse: Parse) -> None:
    assert_unreadable(parse(_zip({"readme.txt": b"hello"}), "plan.docx"), "不是 Word(.docx)或 Excel(.xlsx)")


def test_zip_bomb_is_refused_before_inflating(parse: Parse) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            block = b"\0" * (1 << 20)
            for _ in range(readers.MAX_MEMBER_BYTES // len(block) + 1):
                member.write(block)
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024  # a small upload that would inflate past the limit
    # Refused on the sizes the archive declares, before anything is inflated.
    assert_unreadable(parse(data, "bomb.docx"), "疑似压缩炸弹")


def test_zip_member_that_lies_about_its_size(parse: Parse, office_files: dict[str, bytes]) -> None:
    """A member declaring 100 bytes but holding megabytes: zipfile stops at 100 bytes and the CRC fails."""
    source = zipfile.ZipFile(io.BytesIO(office_files["plan-table.docx"]))
    members = {name: source.read(name) for name in source.namelist()}
    members["word/document.xml"] = members["word/document.xml"] + b" " * (8 << 20)
    data = bytearray(_zip(members))
    name = b"word/document.xml"
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        position = data.find(signature)
        while position >= 0:
            name_at = position + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(name)] == name:
                struct.pack_into("<I", data, position + size_at, 100)
            position = data.find(signature, position + 4)
    assert_unreadable(parse(bytes(data), "plan.docx"), "Word 文档无法读取")


def test_oversized_input(parse: Parse) -> None:
    line = "1.推进X。(牵头单位:区财政局)\n".encode()
    data = line * (readers.MAX_INPUT_BYTES // len(line) + 10)
    assert len(data) > readers.MAX_INPUT_BYTES
    assert_unreadable(parse(data, "big.txt"), "文件过大")


# Inputs shaped to make a careless parser quadratic: a regex that backtracks, a scan from every match.
HOSTILE = {
    "label brackets on one line": "1.推进X。" + "(牵头单位:区财政局)" * 10_000,
    "a long run of spaces": "1.推进X。" + " " * 100_000 + "x(牵头单位:区财政局)",
    "full stops inside a unit list": "1.推进X。(牵头单位:区财政局" + "。" * 60_000 + "x)",
    "unclosed brackets": "1.推进X。" + "(" * 60_000,
    "numbers in quotes": "1.推进X。" + "“12个”" * 20_000,
    "brackets in a header cell": "序号\t任务(" + "(" * 20_000 + "\t牵头单位\n1\tx\t区财政局\n",
    "a long run of digits": "1.推进X。" + "1" * 100_000 + "x",
    "many lines in one task": "1.推进X。\n" + "推进工作。\n" * 20_000 + "(牵头单位:区财政局)",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_text_is_parsed(parse: Parse, name: str) -> None:
    """Each of these once took a careless parser minutes; `make bench` measures that the cost now grows
    linearly with the input (bench/parser_bench.py). Here: they parse, to at most one task."""
    plan = parse(HOSTILE[name], "hostile.txt")
    assert len(plan.tasks) <= 1


def test_a_problem_repeated_on_one_line_is_reported_once_with_its_count(parse: Parse) -> None:
    plan = parse("1.推进X。(牵头单位:区财政局)((( 目标\n2.推进Y。(牵头单位:区财政局)(\n", "plan.txt")
    brackets = [p for p in plan.problems if "括号不配对" in p.message]
    assert [(p.line, p.message.endswith("(共 3 处)")) for p in brackets] == [(1, True), (2, False)]
    hostile = parse(HOSTILE["unclosed brackets"], "hostile.txt")
    assert len(hostile.problems) < 5 and any("(共 60000 处)" in p.message for p in hostile.problems)


def test_malformed_web_page(parse: Parse) -> None:
    page = "<!DOCTYPE html><html><body><![bogus x]><p>1.推行产业链长制。(牵头单位:区发改局)</p></body></html>"
    plan = parse(page, "plan.html")
    assert [(task.title, task.lead_units) for task in plan.tasks] == [("推行产业链长制", ("区发改局",))]


def test_a_header_without_rows_is_not_reported_missing(parse: Parse) -> None:
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "任务"
    sheet.append(["序号", "重点任务", "牵头单位", "配合单位"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan = parse(buffer.getvalue(), "empty.xlsx")
    assert [p.message for p in plan.problems] == ["未识别到任何重点任务:「任务」中有任务表的表头,但表头下没有任务行。"]
