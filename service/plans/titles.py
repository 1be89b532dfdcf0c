"""A plan's own title among the lines before its first task (see `find_title`), and the lines the layout
reader walks (`Item`: a line with its folded text and numbering)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .numbering import Numbered
from .readers import Line, Table
from .units import LABEL_RE

_TITLE_WORDS = re.compile(
    r"(?:方案|计划|要点|清单|任务分解|分解表|任务表|责任表|分工表|台账|任务|重点工作|实施意见|任务书|责任书|"
    r"分工|工作安排|行动|措施)(?:\s*[(（][^()（）]{2,16}[)）])?$"
)
_NOTICE = re.compile(r"关于印发|的通知$|的通知》?$")
_QUOTED_TITLE = re.compile(r"《([^《》]{4,60})》")
_METADATA = re.compile(r"^\S{1,8}\s*:|[〔\[]\d{4}[〕\]]\s*\d+\s*号|^\d{4}年\d{1,2}月\d{1,2}日$|文件$|[|\t]")
_MAX_TITLE = 60
_TITLE_SCAN = 60
_SENTENCE_END = tuple("。;!?:,、")
_ATTACHMENT = re.compile(r"^(?:附件|附表|附)\s*\d{0,3}\s*[:]?\s*$")


@dataclass(frozen=True)
class Item:
    line: Line
    norm: str
    numbered: Numbered | None
    footer: bool
    page: bool


Entry = Item | Table


def _is_title(text: str, norm: str) -> bool:
    return (
        len(text) <= _MAX_TITLE
        and bool(_TITLE_WORDS.search(norm))
        and not norm.endswith(("。", ";", ":"))
        and not _METADATA.search(norm)
        and not LABEL_RE.match(norm)
    )


def find_title(entries: list[Entry], stop: int) -> tuple[str | None, set[int]]:
    """The plan's own title among the lines before its first task: never a notice's title ("关于印发…的
    通知", whose 《…》 is the fallback), a metadata row, a table header or a heading. A title broken over two
    lines is joined. Returns the title and the entries it takes."""
    notice: str | None = None
    for index in range(min(stop, _TITLE_SCAN, len(entries))):
        entry = entries[index]
        if isinstance(entry, Table):
            break
        text = entry.line.text.strip()
        if not text or entry.numbered is not None or entry.footer:
            continue
        norm = entry.norm.strip()
        if _NOTICE.search(norm):
            quoted = _QUOTED_TITLE.search(text)
            notice = notice or (quoted.group(1) if quoted else None)
            continue
        previous = entries[index - 1] if index else None
        if _is_title(text, norm):
            if (
                isinstance(previous, Item)
                and previous.numbered is None
                and previous.line.text.strip()
                and len(previous.line.text.strip()) + len(text) <= _MAX_TITLE
                and not previous.norm.strip().endswith(_SENTENCE_END)
                and not _METADATA.search(previous.norm)
                and not _NOTICE.search(previous.norm)
                and not _is_title(previous.line.text.strip(), previous.norm.strip())
                and not previous.footer
                and re.search(r"\d{4}年|[区市县镇]", previous.norm)
            ):
                return previous.line.text.strip() + text, {index - 1, index}
            return text, {index}
    if notice is None:
        return _plain_title(entries, stop)
    return notice, set()


def _plain_title(entries: list[Entry], stop: int) -> tuple[str | None, set[int]]:
    """A title without the usual title words ("鄂城区2024年为民办实事项目"): the first short line before the
    first task that is no sentence, no metadata and no attachment mark, and names a year or a place."""
    for index in range(min(stop, _TITLE_SCAN, len(entries))):
        entry = entries[index]
        if isinstance(entry, Table):
            break
        text = entry.line.text.strip()
        norm = entry.norm.strip()
        if not text or entry.numbered is not None or entry.footer or entry.page or _ATTACHMENT.match(norm):
            continue
        if _NOTICE.search(norm):
            break  # a notice's own title ("关于做好…的通知"): the plan's title is not in this text
        if (
            6 <= len(norm) <= 40
            and not re.search(r"[。,;:!?]", norm)
            and not _METADATA.search(norm)
            and not LABEL_RE.match(norm)
            and re.search(r"\d{4}\s*年|[区市县镇乡]", norm)
        ):
            return text, {index}
        if re.search(r"[。;]", norm):
            break  # prose has begun: the title, if any, was above
    return None, set()
