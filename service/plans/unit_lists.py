"""Unit lists as plans write them: "区发改局、区财政局,各镇街", with the rules written into them.

A list is cut at its separators (、,;/ and line breaks, outside brackets), then each piece is read:
- notes are rules, not names: "列第一位为牵头单位", "下同", "不再单列", "按职责分工负责" on its own;
- a rule at the end of a name is cut off: "区自然资源和规划分局按职责分工负责", "区住建局、区城管局分别牵头";
- 及, 以及, 和, 与 separate two units when both sides read as units ("团区委和区妇联"), never inside a name
  ("区人力资源和社会保障局");
- a lone 区, 市 or 县 belongs to its neighbours ("各县、市、区政府", "区、镇两级政府"), never stands alone;
- a time ("2024年底前") in a unit list is a shifted column, reported by the caller.
Works on the folded text (normalize.fold) and its original of the same length: names come back as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .deadlines import looks_like_deadline
from .normalize import clean_name, fold

UnitTest = Callable[[str], bool]

_SEPARATORS = frozenset("、,;/ \t\n\r。")
_OPEN = "([〔【"
_CLOSE = ")]〕】"
# Suffixes a unit name ends with (the list and what the district's directory uses).
UNIT_SUFFIX = re.compile(
    r"(?:局|委|办|办公室|中心|公司|集团|街道|街|镇|乡|政府|院|部|部门|队|所|站|室|会|处|厅|组|联|机关|社|馆|"
    r"开发区|园区|管委会|指挥部|专班|单位|分行|支行|银行|医院|学校|小组|委员会|协会|商会|总工会)$"
)
GROUP_START = re.compile(r"^(?:各|区直|市直|县直|全区|全市|全县|有关|相关|其他)")
_LEAD_MARK = re.compile(r"\((?:牵头|牵头单位)\)$")
# Whole pieces that state a rule rather than name a unit.
NOTE = re.compile(
    r"下同|不再单列|不再列出|第一位|排第一|排名第一|首位|为牵头|为汇总|为召集|为主办|其他为|其余为|其他单位|其余单位|"
    r"按职责|按照职责|视情况|另行明确|根据职责|分工负责$|^负责$|^牵头$|^配合$"
)
# A rule written after the last name of a list.
_RULE_SUFFIX = re.compile(
    r"(?:按照?(?:各自)?职责(?:分工)?(?:负责|落实|推进|配合)?|分别(?:牵头|负责|落实)|共同(?:负责|推进|落实)|"
    r"(?:负责|牵头)(?:落实|推进|实施)?|配合(?:落实|推进)?|参与|协助|协同)$"
)
_CONNECTOR = re.compile(r"以及|及|和|与|并")
_LONE = frozenset("区市县镇乡街")
_SPACED_NAME = re.compile(r"(?<=[^\s、,;/])[ \t]+([\u4e00-\u9fff·]{2,4})(?=$|[、,;/\s])")
_NOTE_BRACKET = re.compile(r"[(\[【〔]([^()\[\]【】〔〕]*)[)\]】〕]\s*$")


def looks_like_unit(name: str, known: UnitTest) -> bool:
    """Whether a name reads as a unit: in the directory, or the shape of one (a unit suffix, or a group
    word such as 各镇街, 区直各部门)."""
    if known(name):
        return True
    norm = fold(name)
    if not 2 <= len(norm) <= 30 or "的" in norm or NOTE.search(norm):
        return False
    if re.search(r"\d", norm) and not re.search(r"\d+(?:号|大队|中队)", norm):
        return False
    return bool(GROUP_START.match(norm) or UNIT_SUFFIX.search(norm.rstrip(")")) or UNIT_SUFFIX.search(norm))


@dataclass
class UnitList:
    names: list[str] = field(default_factory=list)  # as written, tidied (clean_name)
    marked: list[str] = field(default_factory=list)  # "区城管局(牵头)" inside another list
    notes: list[str] = field(default_factory=list)  # rules written into the list
    times: list[str] = field(default_factory=list)  # a time where a unit belongs: a shifted column
    dropped: list[str] = field(default_factory=list)  # pieces that are no unit (a lone 区)
    people: list[str] = field(default_factory=list)  # "区应急管理局(张三)": the person in charge, no unit


def _pieces(norm: str, raw: str) -> list[tuple[str, str]]:
    pieces: list[tuple[str, str]] = []
    depth = 0
    start = 0
    for index, char in enumerate(norm):
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE and depth:
            depth -= 1
        elif depth == 0 and char in _SEPARATORS:
            if index > start:
                pieces.append((norm[start:index], raw[start:index]))
            start = index + 1
    if start < len(norm):
        pieces.append((norm[start:], raw[start:]))
    return [(n.strip(), r.strip()) for n, r in pieces if n.strip()]


def _split_connectors(norm: str, raw: str, known: UnitTest) -> list[tuple[str, str]]:
    """ "团区委和区妇联" → two units; "区人力资源和社会保障局" stays one."""
    if known(norm) or len(norm) < 4:
        return [(norm, raw)]
    for found in _CONNECTOR.finditer(norm):
        left, right = norm[: found.start()], norm[found.end() :]
        if left and right and looks_like_unit(left, known) and looks_like_unit(right, known):
            return [(left, raw[: found.start()]), *_split_connectors(right, raw[found.end() :], known)]
    return [(norm, raw)]


def _cut_rule(norm: str, raw: str) -> tuple[str, str, str]:
    """ "区自然资源和规划分局按职责分工负责" → the name and the rule after it."""
    found = _RULE_SUFFIX.search(norm)
    if found is None or found.start() == 0:
        return norm, raw, ""
    return norm[: found.start()], raw[: found.start()], raw[found.start() :]


def _join_lone(pieces: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[str]]:
    """A lone 区/市/县 joins its neighbours: "各县、市、区政府" is one name; a lone one at the end is dropped."""
    out: list[tuple[str, str]] = []
    dropped: list[str] = []
    index = 0
    while index < len(pieces):
        norm, raw = pieces[index]
        if norm in _LONE:
            run_norm, run_raw = [norm], [raw]
            while index + 1 < len(pieces) and pieces[index + 1][0] in _LONE:
                index += 1
                run_norm.append(pieces[index][0])
                run_raw.append(pieces[index][1])
            if index + 1 >= len(pieces):
                dropped.extend(run_raw)
                index += 1
                continue
            index += 1
            nxt_norm, nxt_raw = pieces[index]
            run_norm.append(nxt_norm)
            run_raw.append(nxt_raw)
            if out and out[-1][0].startswith("各") and len(out[-1][0]) <= 3:
                prev_norm, prev_raw = out.pop()
                run_norm.insert(0, prev_norm)
                run_raw.insert(0, prev_raw)
            out.append(("、".join(run_norm), "、".join(run_raw)))
            index += 1
            continue
        out.append((norm, raw))
        index += 1
    return out, dropped


def split_units(norm: str, raw: str | None = None, known: UnitTest | None = None) -> UnitList:
    """The units of a list. `norm` is folded text, `raw` the same text as written (defaults to `norm`)."""
    raw = norm if raw is None else raw
    test: UnitTest = known or (lambda name: False)
    result = UnitList()
    kept: list[tuple[str, str]] = []
    # A name set off by spaces after other text ("区发改局 张三"), where a person in charge is written.
    spaced = {found.group(1) for found in _SPACED_NAME.finditer(norm)}
    for piece_norm, piece_raw in _pieces(norm, raw):
        bracket = _NOTE_BRACKET.search(piece_norm)
        if bracket is not None and bracket.start() > 0 and _is_person(bracket.group(1), test):
            result.people += split_people(piece_raw[bracket.start() + 1 : bracket.end() - 1])
            piece_norm, piece_raw = piece_norm[: bracket.start()], piece_raw[: bracket.start()]
            bracket = None
        if (
            bracket is not None
            and bracket.start() > 0
            and NOTE.search(bracket.group(1))
            and not _LEAD_MARK.search(piece_norm)
        ):
            # "区财政局(列第一位者为牵头单位,下同)": the note goes, the name stays
            result.notes.append(piece_raw[bracket.start() + 1 : bracket.end() - 1])
            piece_norm, piece_raw = piece_norm[: bracket.start()], piece_raw[: bracket.start()]
        name_norm, name_raw, rule = _cut_rule(piece_norm, piece_raw)
        if rule:
            result.notes.append(rule)
        if NOTE.search(name_norm) and not test(name_norm):
            result.notes.append(name_raw)
            continue
        if looks_like_deadline(name_norm) and not looks_like_unit(name_norm, test):
            result.times.append(name_raw)
            continue
        kept.extend(_split_connectors(name_norm, name_raw, test))
    joined, result.dropped = _join_lone(kept)
    seen: set[str] = set()
    for name_norm, name_raw in joined:
        is_marked = bool(_LEAD_MARK.search(name_norm))
        if is_marked:
            name_raw = name_raw[: _LEAD_MARK.search(name_norm).start()]  # type: ignore[union-attr]
        name = clean_name(name_raw)
        if name.startswith("由"):
            name = name[1:]
        if not name or name in seen:
            continue
        if fold(name) in spaced and looks_like_person(name, test):  # "区发改局 张三": a person, no unit
            result.people.append(name)
            continue
        seen.add(name)
        result.names.append(name)
        if is_marked:
            result.marked.append(name)
    return result


def split_people(raw: str) -> list[str]:
    """People named after 责任领导: "李红、陈 刚" → 李红, 陈刚 (spaces inside a name are layout)."""
    people: list[str] = []
    for piece in re.split(r"[、,，;；/\n]+|\s{2,}", raw):
        name = re.sub(r"\s+", "", piece).strip("。.:：")
        if name and name not in people:
            people.append(name)
    return people


_PERSON = re.compile(r"[\u4e00-\u9fff·]{2,4}")
_NOT_A_NAME = re.compile(r"牵头|主责|主办|汇总|组长|负责|配合|协办|下同|等|各|全|本")


# The commonest surnames: a piece of a unit list of two or three characters starting so, without a unit's
# suffix, is a person's name.
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)


def looks_like_person(name: str, known: UnitTest) -> bool:
    """Whether a piece of a unit list is a person's name ("张三", "欧阳明"), not a unit."""
    norm = fold(name)
    if not 2 <= len(norm) <= 3 or not _PERSON.fullmatch(norm) or known(name) or looks_like_unit(name, known):
        return False
    if norm[-1] in "区县市镇乡村街港湾湖山岛园城州省":
        return False  # 高新区, 龙港: places
    return norm[0] in _SURNAMES or norm[:2] in ("欧阳", "司马", "诸葛", "上官", "东方")


def _is_person(content: str, known: UnitTest) -> bool:
    """Whether bracket content after a unit names people ("区应急管理局(张三)"), not a sub-unit or a rule."""
    names = split_people(content)
    return (
        bool(names)
        and len(names) <= 3
        and all(
            _PERSON.fullmatch(name) and not _NOT_A_NAME.search(name) and not looks_like_unit(name, known)
            for name in names
        )
    )


def looks_like_people(text: str, known: UnitTest) -> bool:
    """Whether a table cell holds people's names (a 分管领导 column), not units or prose."""
    people = split_people(text)
    if not people or len(people) > 6:
        return False
    return all(_PERSON.fullmatch(fold(name)) and not looks_like_unit(name, known) for name in people)
