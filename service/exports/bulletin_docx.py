"""The 督查通报 as a Word document the office can send as it is (python-docx).

Laid out after GB/T 9704-2012 (党政机关公文格式): A4, margins 37/35/28/26 mm, the title in 二号
方正小标宋简体, the body in 三号 仿宋_GB2312 at a fixed 28.95 pt line (22 lines a page), first-level
headings in 黑体 and second-level in 楷体_GB2312, page numbers "— n —" at the foot. Machines without
those fonts get the common ones the font table names as their alternatives (宋体, 仿宋, 黑体, 楷体),
which Word and LibreOffice substitute. The appendix lists every key task of the round.
"""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from ..operations.queries.bulletin import Bulletin, TaskLine
from ..vocabulary import Light

TITLE_FONT, BODY_FONT, HEADING_FONT, SUBHEADING_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312"
# Fonts every Chinese Windows (and most Linux desktops with CJK fonts) has, named as alternatives.
ALTERNATIVES = {TITLE_FONT: "宋体", BODY_FONT: "仿宋", HEADING_FONT: "SimHei", SUBHEADING_FONT: "楷体"}
LATIN = "Times New Roman"
LIGHT_FILL = {Light.RED: "F8CBAD", Light.YELLOW: "FFE699", Light.GREEN: "C6EFCE"}
OFFICE = "区政府督查室"
ADDRESSEE = "各镇(街、乡)、花湖开发区,区直各部门:"


_FULL_WIDTH = str.maketrans(
    {",": "\uff0c", ";": "\uff1b", ":": "\uff1a", "(": "\uff08", ")": "\uff09", "!": "\uff01", "?": "\uff1f"}
)


def official(text: str) -> str:
    """Chinese official documents use full-width punctuation (the ASCII comma, semicolon, colon,
    brackets, exclamation and question marks become U+FF0C, U+FF1B, U+FF1A, U+FF08/U+FF09, U+FF01,
    U+FF1F). Decimal points and percent signs stay as they are."""
    return text.translate(_FULL_WIDTH)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


def _signed(value: float | None) -> str:
    if value is None:
        return "—"
    return f"+{value:g}" if value > 0 else f"{value:g}"


def official_document() -> Any:
    """A new Word document in the layout of GB/T 9704 (党政机关公文格式): A4 portrait, its margins, the
    body in 仿宋_GB2312 三号 (16 pt) on a fixed 28.95 pt line (22 lines a page), with the fonts' common
    alternatives declared for machines without them. The bulletin and the 督办通知单 start here."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    _alternatives(doc)
    normal = doc.styles["Normal"]
    _font(normal, BODY_FONT, 16)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = Pt(28.95)
    normal.paragraph_format.space_before = normal.paragraph_format.space_after = Pt(0)
    return doc


def bulletin_docx(b: Bulletin, tz: ZoneInfo) -> bytes:
    """The bulletin as .docx bytes."""
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    doc = official_document()
    section = doc.sections[0]
    _page_numbers(section)

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing = Pt(36)
    _font(title.add_run(b.title), TITLE_FONT, 22)
    doc.add_paragraph()
    doc.add_paragraph(official(ADDRESSEE))
    due = f"截至本轮报送截止日,序时进度为{_pct(b.expected)}。" if b.expected is not None else ""
    _body(
        doc,
        f"根据《{b.plan_title}》要求,{OFFICE}对{b.period_text}{b.key_tasks}项重点任务推进情况进行了督查,"
        f"{due}现将有关情况通报如下。",
    )

    _heading(doc, "一、总体情况")
    _body(
        doc,
        f"本轮共督查重点任务{b.key_tasks}项,已办结{b.closed}项,办理中{b.running}项;"
        f"在用量化指标{b.indicators}项,其中{b.indicators_on_track}项达到序时进度。"
        f"按进度灯统计,进度绿灯{b.lights['green']}项、进度黄灯{b.lights['yellow']}项、进度红灯{b.lights['red']}项,"
        f"{b.lights['none']}项未报送进度;逾期未办理环节{b.overdue_steps}个。",
    )

    _heading(doc, "二、各板块推进情况")
    for index, line in enumerate(b.sections, start=1):
        _body(
            doc,
            f"({_cn(index)}){line.name}。共{line.key_tasks}项,已办结{line.closed}项;"
            f"进度绿灯{line.green}项、进度黄灯{line.yellow}项、进度红灯{line.red}项,未报送{line.unreported}项。",
        )
    _table(
        doc,
        ("板块", "任务数", "已办结", "进度绿灯", "进度黄灯", "进度红灯", "未报送"),
        [(s.name, s.key_tasks, s.closed, s.green, s.yellow, s.red, s.unreported) for s in b.sections],
        (50, 18, 18, 16, 16, 16, 18),
    )

    _heading(doc, "三、进度滞后事项")
    for index, (label, items) in enumerate((("进度红灯事项", b.red), ("进度黄灯事项", b.yellow)), start=1):
        _subheading(doc, f"({_cn(index)}){label}({len(items)}项)")
        if not items:
            _body(doc, "无。")
        for item in items:
            _body(doc, _lag_sentence(item))

    _heading(doc, "四、打擂台情况")
    if b.scores.published_at:
        when = b.scores.published_at.astimezone(tz)
        said = f"本轮打擂台结果已于{when.year}年{when.month}月{when.day}日发布。"
    else:
        said = "本轮打擂台结果尚未发布,以下为截至通报日的得分。"
    _body(
        doc,
        f"{said}得分按考评规则计算(基础分加各项得分和加减分),考评本轮各单位承担的全部重点任务(不分计划),各组排名如下。",
    )
    for table in b.scores.tables:
        _subheading(doc, f"{table.label}({len(table.units)}个单位)")
        _table(
            doc,
            ("名次", "单位", "得分", "较上轮", "名次变化"),
            [(u.rank, u.unit, f"{u.total:g}", _signed(u.change), _signed(u.rank_change)) for u in table.units],
            (16, 70, 22, 22, 22),
        )

    _heading(doc, "五、表扬和批评")
    if b.praised:
        names = ";".join(f"{league}:{'、'.join(units)}" for league, units in b.praised)
        _body(doc, f"对本轮得分靠前的单位予以通报表扬({names})。")
    else:
        _body(doc, "本轮无通报表扬单位。")
    if b.criticised:
        names = ";".join(f"{league}:{'、'.join(units)}" for league, units in b.criticised)
        _body(doc, f"对本轮得分靠后的单位予以通报批评({names}),请认真分析原因,切实抓好整改。")
    else:
        _body(doc, "本轮无通报批评单位。")

    _heading(doc, "六、下步工作要求")
    _body(
        doc,
        "各牵头单位要对照目标任务和序时进度,紧盯红灯、黄灯事项,逐项分析滞后原因,制定整改措施,"
        "确保按期完成;各责任单位要主动配合、按时报送。区政府督查室将持续跟踪督办,推进情况纳入年度考评。",
    )
    doc.add_paragraph()
    issued = b.issued_on.astimezone(tz)
    for text in (OFFICE, f"{issued.year}年{issued.month}月{issued.day}日"):
        signature = doc.add_paragraph(text)
        signature.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        signature.paragraph_format.right_indent = Pt(32)

    # The appendix on landscape pages: a wide table of every key task.
    annex_section = doc.add_section(WD_SECTION.NEW_PAGE)
    annex_section.orientation = WD_ORIENT.LANDSCAPE
    annex_section.page_width, annex_section.page_height = Mm(297), Mm(210)
    annex_section.top_margin, annex_section.bottom_margin = Mm(28), Mm(26)
    annex_section.left_margin, annex_section.right_margin = Mm(37), Mm(35)
    annex = doc.add_paragraph()
    _font(annex.add_run("附件"), HEADING_FONT, 16)
    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(head.add_run(f"{b.period_text}重点任务推进情况一览表"), TITLE_FONT, 18)
    _table(
        doc,
        ("序号", "重点任务", "牵头单位", "状态", "完成比例", "序时进度", "进度灯", "逾期环节", "存在问题"),
        [
            (
                t.number,
                t.title,
                t.lead_units,
                t.status,
                _pct(t.progress.percent),
                _pct(t.progress.expected),
                Light.label_of(t.progress.light, "未报送"),
                t.overdue_steps,
                t.progress.problems or "—",
            )
            for t in b.tasks
        ],
        (10, 34, 30, 14, 14, 14, 14, 13, 72),
        size=10.5,
        text_width_mm=225,
        lights=[t.progress.light for t in b.tasks],
        light_column=6,
    )
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def _lag_sentence(item: TaskLine) -> str:
    progress = item.progress
    behind = ""
    if progress.expected is not None and progress.percent is not None:
        behind = f",落后序时进度{max(0.0, progress.expected - progress.percent):.0f}个百分点"
    indicators = f";量化指标{item.indicators}项中{item.indicators_on_track}项达到序时进度" if item.indicators else ""
    problems = f"。存在问题:{_sentence(progress.problems)}" if progress.problems else ""
    return (
        f"任务{item.number}“{item.title}”(牵头单位:{item.lead_units}):完成比例{_pct(progress.percent)}"
        f"{behind}{indicators}{problems}。"
    )


def _sentence(text: str) -> str:
    """Typed text without its closing punctuation (the bulletin adds its own full stop)."""
    return re.sub(r"[。.;,\uff1b\uff0c\s]+$", "", text)


_CN_DIGITS = "零一二三四五六七八九"


def _cn(n: int) -> str:
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def _font(target: Any, east_asian: str, size: float, *, bold: bool = False) -> None:
    """Sets a style's or run's font: the Chinese face for East Asian text, Times New Roman for the rest."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    font = target.font
    font.name = LATIN
    font.size = Pt(size)
    font.bold = bold
    props = target.element.get_or_add_rPr() if hasattr(target.element, "get_or_add_rPr") else target.element.rPr
    if props is None:
        props = target.element.get_or_add_rPr()
    fonts = props.find(qn("w:rFonts"))
    if fonts is None:
        fonts = props.makeelement(qn("w:rFonts"), {})
        props.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east_asian)


def _body(doc: Any, text: str) -> None:
    from docx.shared import Pt

    paragraph = doc.add_paragraph(official(text))
    paragraph.paragraph_format.first_line_indent = Pt(32)  # two characters of 三号


def _heading(doc: Any, text: str) -> None:
    from docx.shared import Pt

    paragraph = doc.add_paragraph()
    paragraph.paragraph_format.first_line_indent = Pt(32)
    _font(paragraph.add_run(official(text)), HEADING_FONT, 16)


def _subheading(doc: Any, text: str) -> None:
    from docx.shared import Pt

    paragraph = doc.add_paragraph()
    paragraph.paragraph_format.first_line_indent = Pt(32)
    _font(paragraph.add_run(official(text)), SUBHEADING_FONT, 16)


def _cell_style(doc: Any, kind: str, size: float) -> Any:
    """A paragraph style for table cells (made once per document): the header in 黑体, the body in
    仿宋, centred or (prose) left, single-spaced, no indent. Styles, not per-run formatting: a table
    of a hundred rows is thousands of cells."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Pt

    name = f"通报表格-{kind}-{size:g}"
    try:
        return doc.styles[name]
    except KeyError:
        pass
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    _font(style, HEADING_FONT if kind == "header" else BODY_FONT, size)
    fmt = style.paragraph_format
    fmt.first_line_indent = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.alignment = WD_ALIGN_PARAGRAPH.LEFT if kind == "prose" else WD_ALIGN_PARAGRAPH.CENTER
    return style


def _table(
    doc: Any,
    header: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    widths_mm: tuple[float, ...],
    *,
    size: float = 12,
    lights: list[str | None] | None = None,
    light_column: int | None = None,
    text_width_mm: float = 156,
) -> None:
    """A bordered table: the header row repeated on every page, fixed column widths (the grid Word
    and LibreOffice lay out by), cells in the table styles, the light column shaded.

    Written as one piece of WordprocessingML parsed once: python-docx's cell-by-cell API costs a few
    milliseconds a cell, and the appendix of a hundred key tasks has a thousand cells."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    styles = {kind: _cell_style(doc, kind, size).style_id for kind in ("header", "cell", "prose")}
    grid_style = doc.styles["Table Grid"].style_id
    scale = text_width_mm / sum(widths_mm)  # A4 portrait's text block is 156 mm wide
    twips = [round(width * scale * 56.6929) for width in widths_mm]
    columns = len(header)
    parts = [
        f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblStyle w:val="{grid_style}"/><w:tblW w:w="{sum(twips)}" w:type="dxa"/>'
        '<w:jc w:val="center"/><w:tblLayout w:type="fixed"/></w:tblPr><w:tblGrid>',
        *(f'<w:gridCol w:w="{t}"/>' for t in twips),
        "</w:tblGrid>",
    ]
    for r, values in enumerate([header, *rows]):
        parts.append("<w:tr><w:trPr><w:tblHeader/></w:trPr>" if r == 0 else "<w:tr>")
        for c, value in enumerate(values):
            prose = c == 1 or (c == columns - 1 and columns >= 9)  # titles and typed text
            style = styles["header" if r == 0 else "prose" if prose else "cell"]
            light = lights[r - 1] if lights and r > 0 and c == light_column else None
            shading = (
                f'<w:shd w:val="clear" w:color="auto" w:fill="{LIGHT_FILL[Light(light)]}"/>'
                if light in LIGHT_FILL
                else ""
            )
            text = _escape(official(str(value)))
            parts.append(
                f'<w:tc><w:tcPr><w:tcW w:w="{twips[c]}" w:type="dxa"/>{shading}</w:tcPr>'
                f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>'
                f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p></w:tc>'
            )
        parts.append("</w:tr>")
    parts.append("</w:tbl>")
    after = doc.add_paragraph()  # the table goes before it: a line of space below every table
    after._p.addprevious(parse_xml("".join(parts)))


def _escape(text: str) -> str:
    """Text as XML character data: markup characters escaped, and the control characters XML 1.0
    cannot carry dropped (typed text may hold them)."""
    from xml.sax.saxutils import escape

    return escape(_CONTROL.sub("", text))


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _page_numbers(section: Any) -> None:
    """ "— n —" centred at the foot of every page (a PAGE field)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run("— "), "宋体", 14)
    run = paragraph.add_run()
    _font(run, "宋体", 14)
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if kind:
            node = run._r.makeelement(qn("w:fldChar"), {qn("w:fldCharType"): kind})
        else:
            node = run._r.makeelement(qn("w:instrText"), {qn("xml:space"): "preserve"})
            node.text = text
        run._r.append(node)
    _font(paragraph.add_run(" —"), "宋体", 14)


def _alternatives(doc: Any) -> None:
    """Names each official-document font in the font table with a common alternative (w:altName),
    so that a machine without 方正小标宋简体 or 仿宋_GB2312 substitutes 宋体 and 仿宋 rather than a Latin face."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from lxml import etree

    part = next((rel.target_part for rel in doc.part.rels.values() if rel.reltype == RT.FONT_TABLE), None)
    if part is None:
        return
    namespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    root = etree.fromstring(part.blob)
    for name, alternative in ALTERNATIVES.items():
        font = etree.SubElement(root, f"{{{namespace}}}font", {f"{{{namespace}}}name": name})
        etree.SubElement(font, f"{{{namespace}}}altName", {f"{{{namespace}}}val": alternative})
        etree.SubElement(font, f"{{{namespace}}}charset", {f"{{{namespace}}}val": "86"})  # GB2312
        etree.SubElement(font, f"{{{namespace}}}family", {f"{{{namespace}}}val": "roman"})
        etree.SubElement(font, f"{{{namespace}}}pitch", {f"{{{namespace}}}val": "variable"})
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
