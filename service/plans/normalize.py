"""Text normalisation shared by the plan parser and the unit directory.

The parser keeps the text as written (a traditional 於潜镇 stays 於潜镇) and matches on a folded copy of the
same length, so that offsets found in the folded text slice the text as written:
- `simplify_aligned`: traditional → simplified characters (OpenCC t2s), character for character;
- `unify_width`: full-width ASCII (（）：；，１２３) and odd spaces → their half-width forms;
- `fold`: both, what every matcher reads.
Unit names compare by `normalize_name` (folded, no spaces, quotes, pinyin glosses or trailing 等).
"""

from __future__ import annotations

import functools
import re
from typing import Protocol

# Full-width ASCII block U+FF01..U+FF5E maps to U+0021..U+007E; odd spaces map to a plain space.
_WIDTH_TABLE: dict[int, int] = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_WIDTH_TABLE.update({code: 0x20 for code in (0x3000, 0x00A0, 0x2002, 0x2003, 0x2009, 0x200B, 0xFEFF)})
# Small-form and vertical variants of the punctuation plans use.
_WIDTH_TABLE.update({ord("﹙"): ord("("), ord("﹚"): ord(")"), ord("﹕"): ord(":"), ord("﹔"): ord(";")})
_WIDTH_TABLE.update({ord("﹐"): ord(","), ord("︰"): ord(":"), ord("∶"): ord(":")})


class _Converter(Protocol):
    def convert(self, text: str) -> str: ...


@functools.cache
def _t2s() -> _Converter:
    import opencc  # imported lazily: building the converter costs a few milliseconds

    converter: _Converter = opencc.OpenCC("t2s")
    return converter


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese; simplified text passes through unchanged."""
    if text.isascii():
        return text
    return _t2s().convert(text)


@functools.lru_cache(maxsize=4096)
def _simplified_char(char: str) -> str:
    converted = _t2s().convert(char)
    return converted if len(converted) == 1 else char


def simplify_aligned(text: str) -> str:
    """`to_simplified` with the length kept: where OpenCC turns a phrase into one of another length, each
    character is converted on its own."""
    if text.isascii():
        return text
    converted = _t2s().convert(text)
    if len(converted) == len(text):
        return converted
    return "".join(_simplified_char(char) for char in text)


_WIDTH_MAP = {chr(wide): chr(narrow) for wide, narrow in _WIDTH_TABLE.items()}
# str.translate walks every character; a regex that only visits the ones to change is ~30 times faster.
_WIDE = re.compile("[" + re.escape("".join(_WIDTH_MAP)) + "]")


def _narrow(match: re.Match[str]) -> str:
    return _WIDTH_MAP[match.group(0)]


def unify_width(text: str) -> str:
    """Full-width ASCII letters, digits and punctuation → half-width; keeps the length of the text."""
    return _WIDE.sub(_narrow, text)


# A label set in brackets before its units ("…整治。【牵头单位】区城管局【责任单位】古楼街道、西山街道") reads
# as the label with its colon (";牵头单位:区城管局;责任单位:…"): the same length, so offsets hold.
_BRACKETED_LABEL = re.compile(
    r"[【\[〔]((?:牵头|责任|配合|协办|参与|主办|主责|协同)(?:单位|部门)|牵头领导|责任领导|分管领导|"
    r"完成时限|完成时间|时间节点|时限要求)[】\]〕](?=\s*[^\s【\[〔(])"
)


def fold(text: str) -> str:
    """What matchers read: simplified and half-width, with the length (and so every offset) of `text`."""
    folded = unify_width(simplify_aligned(text))
    if "】" in folded or "]" in folded or "〕" in folded:
        folded = _BRACKETED_LABEL.sub(lambda m: f";{m.group(1)}:", folded)
    return folded


_NAME_DROP = re.compile(r"[\s“”\"'‘’「」『』]+")
# A pinyin gloss a web page puts after a character: 經(jīng)营.
PINYIN_GLOSS = re.compile(r"[(（][a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüê]{1,8}[)）]")
# "…等单位", "…等相关街道": the list goes on, the name ends before 等.
_TRAILER = re.compile(r"等(?:相关|有关|其他)?(?:单位|部门|街道|镇街|乡镇|镇|区直部门)?$")


def clean_name(name: str) -> str:
    """A unit name as written, tidied for display: no spaces or quotes, no trailing punctuation or 等,
    no unmatched bracket at the end; traditional characters are kept."""
    text = _NAME_DROP.sub("", name)
    while True:
        text = text.rstrip(".。,;:、，；：")
        if text.endswith(("(", "（", "[", "【")):
            text = text[:-1]
            continue
        opened = text.count("(") + text.count("（")
        closed = text.count(")") + text.count("）")
        if opened > closed and ("(" in text or "（" in text):
            cut = max(text.rfind("("), text.rfind("（"))
            text = text[:cut]  # "区医保局(未写完" → 区医保局
            continue
        trailer = _TRAILER.search(fold(text))
        if trailer is None or trailer.start() == 0:
            return text
        text = text[: trailer.start()]


# Large enough for every name of the largest plan read (bounds.MAX_TEXT_CHARS): each is asked for many times.
@functools.lru_cache(maxsize=1 << 16)
def normalize_name(name: str) -> str:
    """The comparable form of a unit name: simplified, half-width, no spaces, quotes, pinyin glosses or
    trailing 等."""
    text = PINYIN_GLOSS.sub("", name)
    return clean_name(unify_width(to_simplified(text)))


_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100}


def chinese_to_int(text: str) -> int | None:
    """一 → 1, 十二 → 12, 二十 → 20, 一百零五 → 105; Arabic digits pass through; None if not a numeral."""
    if text.isdigit():
        return int(text)
    if not text or any(char not in _CN_DIGITS and char not in _CN_UNITS for char in text):
        return None
    total = 0
    pending = 0
    for char in text:
        if char in _CN_DIGITS:
            pending = _CN_DIGITS[char]
        else:
            total += (pending or 1) * _CN_UNITS[char]
            pending = 0
    return total + pending
