"""The numbers plans put before headings and tasks, from the outermost level in.

第一部分 → 一、 → (一) → 1. / 1、 → (1) → ① / ⑴. Which level holds the key tasks differs from plan to plan; the
layout reader decides that per document. Works on folded text (normalize.fold). Arabic numbers run to five
digits (a plan of thousands of tasks is refused by the layout with a count, not misread).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

from .model import Section
from .normalize import chinese_to_int, fold


class Kind(IntEnum):
    PART = 0
    CN = 1
    PAREN_CN = 2
    ARABIC = 3
    DOTTED = 4  # 1.1, 2.3: items under a "1." heading
    PAREN_ARABIC = 5
    CIRCLED = 6
    BULLET = 7  # ● ■ ◆ ★: no number of its own (the layout counts them)


_CN_NUM = "[一二三四五六七八九十百零〇两]+"
_PATTERNS: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    (Kind.PART, re.compile(rf"\s*第\s*({_CN_NUM}|\d{{1,2}})\s*(?:部分|章|篇)\s*[、.:]?\s*")),
    (Kind.PAREN_CN, re.compile(rf"\s*\(\s*({_CN_NUM})\s*\)\s*[、.]?\s*")),
    (Kind.CN, re.compile(rf"\s*({_CN_NUM})\s*(?:、|\.(?!\d))\s*")),
    (Kind.PAREN_ARABIC, re.compile(r"\s*\(\s*(\d{1,3})\s*\)\s*[、.]?\s*")),
    # "3.2025年底前…": item 3 and a year (Word's numbering copied as text), never the number 3.2025.
    (Kind.ARABIC, re.compile(r"\s*(\d{1,5})\s*(?:、|\.(?!\d)|\.(?=(?:19|20)\d{2}\s*年)|\))\s*")),
    (Kind.PAREN_ARABIC, re.compile(r"\s*([⑴-⒇])\s*")),  # ⑴ is written for (1)
    (Kind.CIRCLED, re.compile(r"\s*([①-⑳])\s*")),
    (Kind.BULLET, re.compile(r"\s*([●■◆★▲►•▪◇□☆◎])\s*")),
)
# "1.1 新建5G基站…" (not "1.5万亩…", a number): checked before the plain arabic pattern.
_DOTTED = re.compile(r"\s*(\d{1,3}\.\d{1,3}(?:\.\d{1,3})?)(?![\d万亿%‰个元倍亩吨])\s*[、.]?\s*")


@dataclass(frozen=True)
class Numbered:
    kind: Kind
    number: int
    label: str  # as written without punctuation: "一", "12"
    rest: int  # where the text after the number starts


def classify(text: str) -> Numbered | None:
    """The number a line starts with, if it starts with one and has text after it."""
    dotted = _DOTTED.match(text)
    if dotted is not None and dotted.end() < len(text.rstrip()):
        label = dotted.group(1)
        return Numbered(Kind.DOTTED, int(label.rsplit(".", 1)[1]) or 1, label, dotted.end())
    for kind, pattern in _PATTERNS:
        match = pattern.match(text)
        if match is None or match.end() >= len(text.rstrip()):
            continue
        label = match.group(1)
        if kind == Kind.BULLET:
            return Numbered(kind, 0, label, match.end())
        if "①" <= label <= "⑳":
            number: int | None = ord(label) - 0x2460 + 1
        elif "⑴" <= label <= "⒇":
            number = ord(label) - 0x2474 + 1
        else:
            number = chinese_to_int(label)
        if number is None or number <= 0:
            continue
        return Numbered(kind, number, label, match.end())
    return None


def heading(numbered: Numbered, text: str) -> Section:
    """The section a heading line opens: "(一)构建新产业。深度对接…" → Section("一", "构建新产业", 2)."""
    rest = text[numbered.rest :].strip()
    norm = fold(rest)
    cut = min((position for stop in "。:;" if (position := norm.find(stop)) >= 0), default=len(rest))
    bracket = _ANNOTATION.search(norm[:cut])
    if bracket is not None and bracket.start() > 0:
        cut = bracket.start()  # "(一)强化政策支持(牵头单位:区发改局)": the title ends before its annotation
    return Section(numbered.label, rest[:cut].strip(" .,;、，；。:："), int(numbered.kind))


_ANNOTATION = re.compile(r"[(\[【〔][^()\[\]【】〔〕]*(?:单位|部门|牵头|负责|领导|配合)")
