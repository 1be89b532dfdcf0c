"""Word's automatic list numbers, which python-docx leaves out of `paragraph.text`.

A plan typed in Word often numbers its tasks with a numbered list ("1." "(一)"), so the number lives in
numbering.xml, not in the text. `Numbering.label(paragraph)` rebuilds the visible label ("3.", "(二)") by
counting list paragraphs in document order. Covers the formats plans use (decimal, Chinese counting, circled
digits, letters); bullets and unknown formats give no label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CN = "零一二三四五六七八九"


def int_to_chinese(value: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十, 99 → 九十九; larger numbers stay Arabic."""
    if not 0 < value < 100:
        return str(value)
    tens, ones = divmod(value, 10)
    text = ("" if tens == 0 else ("十" if tens == 1 else _CN[tens] + "十")) + ("" if ones == 0 else _CN[ones])
    return text


def _format(value: int, fmt: str) -> str | None:
    if fmt in ("decimal", "decimalZero", "decimalFullWidth", "decimalHalfWidth", "ordinal"):
        return str(value)
    if fmt.startswith(("chinese", "ideograph", "taiwanese", "japaneseCounting")) and fmt != "ideographTraditional":
        return int_to_chinese(value)
    if fmt == "ideographTraditional":
        return "甲乙丙丁戊己庚辛壬癸"[(value - 1) % 10]
    if fmt.startswith("decimalEnclosed") and 0 < value <= 20:
        return chr(0x2460 + value - 1)
    if fmt in ("upperLetter", "lowerLetter"):
        letter = chr(ord("A") + (value - 1) % 26)
        return letter if fmt == "upperLetter" else letter.lower()
    return None  # bullet, none and formats no plan numbers tasks with


@dataclass(frozen=True)
class _Level:
    start: int
    fmt: str
    text: str


def _val(element: Any, tag: str) -> str | None:
    child = element.find(_W + tag) if element is not None else None
    return None if child is None else child.get(_W + "val")


class Numbering:
    def __init__(self, document: Any) -> None:
        self._levels: dict[str, dict[int, _Level]] = {}  # numId → ilvl → level
        self._starts: dict[str, dict[int, int]] = {}  # numId → ilvl → overridden start
        self._style_numbering: dict[str, tuple[str, int]] = {}
        self._counters: dict[str, dict[int, int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract: dict[str, dict[int, _Level]] = {}
        for node in root.iter(_W + "abstractNum"):
            levels: dict[int, _Level] = {}
            for lvl in node.iter(_W + "lvl"):
                ilvl = int(lvl.get(_W + "ilvl", "0"))
                start = _val(lvl, "start")
                levels[ilvl] = _Level(
                    int(start) if start and start.isdigit() else 1,
                    _val(lvl, "numFmt") or "decimal",
                    _val(lvl, "lvlText") or "",
                )
            abstract[node.get(_W + "abstractNumId", "")] = levels
        for node in root.iter(_W + "num"):
            num_id = node.get(_W + "numId", "")
            self._levels[num_id] = abstract.get(_val(node, "abstractNumId") or "", {})
            overrides: dict[int, int] = {}
            for override in node.iter(_W + "lvlOverride"):
                start = _val(override, "startOverride")
                if start and start.isdigit():
                    overrides[int(override.get(_W + "ilvl", "0"))] = int(start)
            self._starts[num_id] = overrides
        for style in document.styles.element.iter(_W + "style"):
            num_pr = style.find(f"{_W}pPr/{_W}numPr")
            num_id = _val(num_pr, "numId")
            if num_id:
                self._style_numbering[style.get(_W + "styleId", "")] = (
                    num_id,
                    int(_val(num_pr, "ilvl") or 0),
                )

    def _numbering_of(self, paragraph: Any) -> tuple[str, int] | None:
        p_pr = paragraph._p.find(_W + "pPr")
        num_pr = p_pr.find(_W + "numPr") if p_pr is not None else None
        if num_pr is not None:
            num_id = _val(num_pr, "numId")
            ilvl = _val(num_pr, "ilvl")
            if num_id is not None:
                return num_id, int(ilvl) if ilvl and ilvl.isdigit() else 0
        style_id = _val(p_pr, "pStyle") if p_pr is not None else None
        if style_id:
            return self._style_numbering.get(style_id)
        return None

    def label(self, paragraph: Any) -> str:
        """The list label Word shows before `paragraph` ("" when it is not in a numbered list)."""
        if not self._levels:
            return ""
        found = self._numbering_of(paragraph)
        if found is None or found[0] == "0" or found[0] not in self._levels:
            return ""
        num_id, ilvl = found
        levels = self._levels[num_id]
        if ilvl not in levels:
            return ""
        counters = self._counters.setdefault(num_id, {})
        start = self._starts[num_id].get(ilvl, levels[ilvl].start)
        counters[ilvl] = counters[ilvl] + 1 if ilvl in counters else start
        for deeper in [level for level in counters if level > ilvl]:
            del counters[deeper]
        text = levels[ilvl].text
        for level in range(ilvl + 1):
            placeholder = f"%{level + 1}"
            if placeholder not in text:
                continue
            info = levels.get(level)
            value = counters.get(level, info.start if info else 1)
            formatted = _format(value, info.fmt if info else "decimal")
            if formatted is None:
                return ""
            text = text.replace(placeholder, formatted)
        if levels[ilvl].fmt == "bullet":
            return "● "  # a bulleted item: the layout counts it (numbering.Kind.BULLET)
        if not text:
            return ""
        return text
