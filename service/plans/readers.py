"""Turn the bytes of an uploaded plan into lines and tables, whatever the file format; text stays as written
(traditional characters included: the parser matches on a folded copy, see normalize.py).

The format is decided by the content (zip magic and member names, other magic numbers, text decoding), not by
the file name. Nothing here raises on bad input: a file that cannot be read yields no blocks and a problem.
Hostile files are bounded before any parser sees them: the input size, the number of zip members and their
declared uncompressed sizes (CPython's zipfile never inflates a member past its declared size).
"""

from __future__ import annotations

import datetime
import html
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Literal

from .model import Problem

MAX_INPUT_BYTES = 20 * 1024 * 1024
MAX_ZIP_MEMBERS = 2_000
MAX_MEMBER_BYTES = 64 * 1024 * 1024
MAX_UNZIPPED_BYTES = 160 * 1024 * 1024
MAX_SHEET_ROWS = 20_000
MAX_SHEET_COLUMNS = 60


@dataclass(frozen=True)
class Line:
    """One line of running text; `where` names it in messages (第5行, 第5段)."""

    line: int
    where: str
    text: str


@dataclass(frozen=True)
class Row:
    line: int
    where: str
    cells: tuple[str, ...]
    filled: frozenset[int] = frozenset()  # columns whose value a cell merged down from above gave


@dataclass(frozen=True)
class Table:
    name: str
    rows: tuple[Row, ...]


Block = Line | Table
Kind = Literal["text", "docx", "xlsx", "none"]


@dataclass
class Source:
    kind: Kind
    blocks: list[Block] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def fail(self, message: str) -> Source:
        self.problems.append(Problem(0, message, "error"))
        return self


_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF87a", "GIF 图片"),
    (b"GIF89a", "GIF 图片"),
    (b"II*\x00", "TIFF 图片"),
    (b"MM\x00*", "TIFF 图片"),
    (b"%PDF", "PDF 文件"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "旧版 Office 文档(.doc/.xls/.wps)或加密文档"),
    (b"{\\rtf", "RTF 文档"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包"),
    (b"\x1f\x8b", "gzip 压缩包"),
)


def read_source(data: bytes, filename: str) -> Source:
    """Dispatch on the content of `data` and read it into blocks."""
    if not data:
        return Source("none").fail("文件为空,未读到任何内容。")
    if len(data) > MAX_INPUT_BYTES:
        return Source("none").fail(
            f"文件过大({len(data) // 1024 // 1024} MB),超过 {MAX_INPUT_BYTES // 1024 // 1024} MB 的上限,未读取。"
        )
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return _read_zip(data)
    for magic, what in _MAGIC:
        if data.startswith(magic):
            hint = "请另存为 .docx 或 .xlsx 后再导入。" if "Office" in what else "请提供 .docx、.xlsx 或 .txt 文件。"
            return Source("none").fail(f"文件是{what},无法从中读取文字。{hint}")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return Source("none").fail("文件是 WEBP 图片,无法从中读取文字。请提供 .docx、.xlsx 或 .txt 文件。")
    source = _read_text(data)
    lowered = filename.lower()
    if source.blocks and lowered.endswith((".docx", ".xlsx")):
        source.problems.append(
            Problem(0, f"文件名为 {filename},但内容不是 Word/Excel 文档,已按纯文本读取。", "warning")
        )
    return source


# --- text -----------------------------------------------------------------------------------------------


def _decode(data: bytes) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        candidates: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


_CONTROLS = re.compile(r"[\x01-\x08\x0e-\x1f]")


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    controls = len(_CONTROLS.findall(text))
    return controls > max(2, len(text) // 100)


class _HtmlText(HTMLParser):
    """The text of a saved web page, a line per block element and a tab per table cell."""

    _BLOCKS = frozenset(
        ["p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "table", "title"]
    )
    _HIDDEN = frozenset(("script", "style", "noscript", "template"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self.hidden += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data.replace("\n", " "))


_HTML_START = re.compile(r"\s*(?:<!doctype html|<html|<\?xml[^>]*>\s*<html)", re.IGNORECASE)


_TAG = re.compile(r"<[^>]*>")


def _html_to_text(text: str) -> str:
    parser = _HtmlText()
    try:
        parser.feed(text)
        parser.close()
        flat = "".join(parser.parts)
    except AssertionError:  # html.parser gives up on some malformed markup ("<![bogus]>")
        flat = html.unescape(_TAG.sub("\n", text))
    lines = (line.strip() for line in flat.split("\n"))
    return "\n".join(line for line in lines if line)


def _read_text(data: bytes) -> Source:
    text = _decode(data)
    if text is None or _looks_binary(text):
        return Source("none").fail("文件不是可识别的文本、Word(.docx)或 Excel(.xlsx)文档,可能是二进制文件或已损坏。")
    if _HTML_START.match(text[:1000]):
        text = _html_to_text(text)  # a plan saved from a government web site
    lines = [Line(number, f"第{number}行", raw) for number, raw in enumerate(text.splitlines(), start=1)]
    if not any(line.text.strip() for line in lines):
        return Source("text").fail("文件只有空白,未读到任何内容。")
    return Source("text", list(lines))


# --- zip containers -------------------------------------------------------------------------------------


def _read_zip(data: bytes) -> Source:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return Source("none").fail("文件是损坏或不完整的压缩文档(zip 结构无法读取),请重新保存后再导入。")
    if len(infos) > MAX_ZIP_MEMBERS:
        return Source("none").fail(f"压缩文档内含 {len(infos)} 个部件,超出上限,拒绝读取。")
    biggest = max((info.file_size for info in infos), default=0)
    total = sum(info.file_size for info in infos)
    if biggest > MAX_MEMBER_BYTES or total > MAX_UNZIPPED_BYTES:
        return Source("none").fail(
            f"压缩文档解压后过大(单个部件 {biggest // 1024 // 1024} MB,合计 {total // 1024 // 1024} MB),"
            "疑似压缩炸弹,拒绝读取。"
        )
    names = {info.filename for info in infos}
    if "word/document.xml" in names:
        return _read_docx(data)
    if "xl/workbook.xml" in names:
        return _read_xlsx(data)
    return Source("none").fail("文件是 zip 压缩包,但不是 Word(.docx)或 Excel(.xlsx)文档。")


def _broken(what: str, error: Exception) -> str:
    return f"{what}文档无法读取({type(error).__name__}),文件可能已损坏或不完整,请重新保存后再导入。"


# --- docx -----------------------------------------------------------------------------------------------

RawDocx = list[tuple[str, Any]]  # ("p", text) or ("t", list of rows of cell texts)


def _read_docx(data: bytes) -> Source:
    try:
        raw = _docx_raw(data)
    except Exception as error:  # python-docx/lxml on a hostile file may raise anything; nothing is lost
        return Source("none").fail(_broken("Word ", error))
    source = Source("docx")
    paragraphs = 0
    tables = 0
    for kind, payload in raw:
        if kind == "p":
            paragraphs += 1
            for piece in payload.split("\n"):
                source.blocks.append(Line(paragraphs, f"第{paragraphs}段", piece))
            continue
        tables += 1
        rows = tuple(
            Row(number, f"表格{tables}第{number}行", tuple(cells)) for number, cells in enumerate(payload, start=1)
        )
        source.blocks.append(Table(f"表格{tables}", rows))
    return source


def _docx_raw(data: bytes) -> RawDocx:
    import docx
    from docx.table import Table as DocxTable

    from .docx_numbering import Numbering

    document = docx.Document(io.BytesIO(data))
    numbering = Numbering(document)
    raw: RawDocx = []
    for item in document.iter_inner_content():
        if isinstance(item, DocxTable):
            rows: list[list[str]] = []
            for row in item.rows:
                seen: set[int] = set()
                cells: list[str] = []
                for cell in row.cells:
                    # A merged cell is returned once per grid column it spans: keep it once.
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    cells.append(cell.text)
                rows.append(cells)
            raw.append(("t", rows))
        else:
            raw.append(("p", numbering.label(item) + item.text))
    return raw


# --- xlsx -----------------------------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(data: bytes) -> Source:
    try:
        sheets = list(_xlsx_raw(data))
    except Exception as error:  # openpyxl on a hostile file may raise anything; nothing is lost
        return Source("none").fail(_broken("Excel ", error))
    source = Source("xlsx")
    for title, rows in sheets:
        name = title
        table_rows = [
            Row(number, f"{name}!{number}", tuple(_cell_text(value) for value in values), filled)
            for number, values, filled in rows
        ]
        source.blocks.append(Table(name, tuple(table_rows)))
    return source


def _xlsx_raw(data: bytes) -> Iterator[tuple[str, list[tuple[int, tuple[object, ...], frozenset[int]]]]]:
    """Each sheet's non-empty rows. A cell merged down (a lead unit over three tasks' rows) gives its value
    to every row it spans, in its first column; a cell merged across only keeps its value where it is."""
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=True)
    try:
        for sheet in workbook.worksheets:
            down: dict[tuple[int, int], object] = {}
            for merged in sheet.merged_cells.ranges:
                if merged.max_row > merged.min_row and merged.min_col <= MAX_SHEET_COLUMNS:
                    value = sheet.cell(merged.min_row, merged.min_col).value
                    last = min(merged.max_row, MAX_SHEET_ROWS)
                    for row in range(merged.min_row + 1, last + 1):
                        down[(row, merged.min_col)] = value
            rows: list[tuple[int, tuple[object, ...], frozenset[int]]] = []
            for number, values in enumerate(
                sheet.iter_rows(min_row=1, max_col=MAX_SHEET_COLUMNS, values_only=True), start=1
            ):
                if number > MAX_SHEET_ROWS:
                    break
                filled: frozenset[int] = frozenset()
                if down:
                    values = tuple(down.get((number, column), value) for column, value in enumerate(values, 1))
                    filled = frozenset(column - 1 for row, column in down if row == number)
                if any(value is not None and value != "" for value in values):
                    rows.append((number, tuple(values), filled))
            yield sheet.title, rows
    finally:
        workbook.close()
