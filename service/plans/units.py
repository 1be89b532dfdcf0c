"""Who does a task: the unit annotations of a task's text.

Finds, in folded text (normalize.fold: brackets and colons ASCII, simplified characters) with the text as
written beside it (same length, so names come back as written):
- bracket groups with labels: (牵头单位:A;责任单位:B、C,各镇街) and the same in [] 〔〕 【】;
- labels outside brackets at the start of a line or sentence: "牵头单位:A" on a line of its own;
- "X、Y牵头,Z配合", "X、Y分别牵头" without labels, in brackets or as the task's last sentence;
- people after 责任领导/分管领导 (leaders, never units), and notes that state a rule (列第一位为牵头单位);
and reports bracket pairs that do not match.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Literal

from .deadlines import looks_like_deadline
from .unit_lists import NOTE, UnitList, UnitTest, looks_like_unit, split_people, split_units

Role = Literal["lead", "responsible", "cooperating", "deadline", "leader", "ignored"]

_LABELS: dict[str, Role] = {}
for _role, _words in (
    (
        "lead",
        "牵头单位 牵头部门 主办单位 主办部门 主责单位 主责部门 牵头责任单位 牵头组织实施单位 牵头实施单位 "
        "主要责任单位 牵头落实单位",
    ),
    ("responsible", "责任单位 责任部门 承办单位 实施单位 落实单位 责任主体"),
    (
        "cooperating",
        "配合单位 配合部门 协办单位 协办部门 参与单位 协同单位 协作单位 协同责任单位 协同配合单位 配合责任单位",
    ),
    ("deadline", "完成时限 完成时间 时间节点 时限要求 截止时间 完成期限 时间要求 时限"),
    (
        "leader",
        "牵头领导 责任领导 分管领导 联系领导 包保领导 牵头负责领导 分管区领导 分管县领导 分管市领导 责任人 "
        "牵头区领导 牵头市领导 牵头县领导 责任区领导 责任市领导 责任县领导 项目责任人 项目负责人 具体责任人 "
        "责任领导人 包联领导 挂点领导 挂帅领导",
    ),
    ("ignored", "联系人 备注"),
):
    for _word in _words.split():
        _LABELS[_word] = _role  # type: ignore[assignment]

# Short labels ("牵头:区商务局;配合:区统计局") count only with their colon, at the start of a clause.
_SHORT: dict[str, Role] = {"牵头": "lead", "主办": "lead", "主责": "lead", "责任": "responsible"}
_SHORT.update({"配合": "cooperating", "协办": "cooperating", "协同": "cooperating", "参与": "cooperating"})
_LABELS.update(_SHORT)
_SHORT_WORDS = "|".join(_SHORT)
_LABEL_WORDS = "|".join(sorted(set(_LABELS) - set(_SHORT), key=len, reverse=True))
_BOUNDARY = r"(?<![^\s;,、(\[〔【:。])"
# Inside brackets the colon may be missing: "(牵头单位 区财政局)"; a label starts a clause ("列第一位为牵头
# 单位" names no label).
# "牵头单位为区住建局": 为 in place of the colon (not "责任单位为牵头单位", a rule).
_IS = r"为(?!牵头|主办|主责|汇总|召集|配合|责任)"
LABEL_RE = re.compile(rf"{_BOUNDARY}(?:(?P<label>{_LABEL_WORDS})\s*(?::\s*|{_IS})?|(?P<short>{_SHORT_WORDS})\s*:\s*)")
# Outside brackets a label needs its colon, so prose such as "责任单位要…" is left alone; "备注:" there is
# the plan's own text.
_FREE_WORDS = "|".join(
    sorted((word for word in _LABELS if word not in ("备注", "联系人", *_SHORT)), key=len, reverse=True)
)
_FREE_LABEL_RE = re.compile(rf"(?:(?P<label>{_FREE_WORDS})\s*(?::|{_IS})|{_BOUNDARY}(?P<short>{_SHORT_WORDS})\s*:)\s*")
# Inside brackets a label without its colon counts only at the start, followed by a space.
_BARE_LABEL_RE = re.compile(rf"\s*(?:{_LABEL_WORDS})\s+\S")

_OPENERS = {"(": ")", "[": "]", "〔": "〕", "【": "】"}
_CLOSERS = {close: open_ for open_, close in _OPENERS.items()}
_BRACKET_CHARS = re.compile(r"[()\[\]〔〕【】]")

_QIANTOU = re.compile(
    r"^(?:由)?(?P<lead>[^,;。:]+?)(?:分别|共同)?(?:(?:负责)?牵头(?:负责|抓总|组织实施|实施|推进|落实)?"
    r"|(?:具体|全面|统筹)?负责(?:落实|实施|推进)?(?=[,;]))"
    r"(?:[,;]\s*(?P<co>[^;。:]+?)(?:按照?(?:各自)?职责(?:分工)?|分别|共同)?"
    r"(?:配合|参与|协同|协办|协助|负责)(?:落实|推进|实施|完成|配合)?)?$"
)
_FUZE = re.compile(
    r"^(?:由)?(?P<lead>[^,;。:]+?)(?:具体|全面|统筹)?(?:负责|承办|主抓|抓总)(?:落实|实施|推进|完成|办理)?$"
)
# A closing clause that gives the time: "区住建局牵头,区城投公司配合,2024年10月底前完成".
_WHEN_CLAUSE = re.compile(r"[,;]\s*(?P<when>[^,;。]{2,30})$")
_MAX_QIANTOU = 400


@dataclass
class Roles:
    """Units as a task's text names them, by role, before any convention decides who leads."""

    lead: list[str] = field(default_factory=list)
    responsible: list[str] = field(default_factory=list)
    cooperating: list[str] = field(default_factory=list)
    marked_leads: list[str] = field(default_factory=list)  # "区财政局(牵头)" inside another list
    deadlines: list[str] = field(default_factory=list)  # as written
    empty_labels: list[str] = field(default_factory=list)
    leaders: list[str] = field(default_factory=list)
    misplaced: list[tuple[str, str]] = field(default_factory=list)  # (label, a time written in a unit list)
    dropped: list[str] = field(default_factory=list)  # pieces of unit lists that are no unit (a lone 区)
    labelled: bool = False  # some unit label or "X牵头" was found

    def merge(self, other: Roles) -> None:
        self.lead += other.lead
        self.responsible += other.responsible
        self.cooperating += other.cooperating
        self.marked_leads += other.marked_leads
        self.deadlines += other.deadlines
        self.empty_labels += other.empty_labels
        self.leaders += [name for name in other.leaders if name not in self.leaders]
        self.misplaced += other.misplaced
        self.dropped += other.dropped
        self.labelled = self.labelled or other.labelled

    def add_units(self, role: Role, label: str, units: UnitList) -> None:
        """A unit list read for `role` (lead, responsible or cooperating)."""
        self.misplaced += [(label, time) for time in units.times]
        self.deadlines += units.times  # a time in a unit column is most likely the task's deadline
        self.dropped += units.dropped
        self.leaders += [name for name in units.people if name not in self.leaders]
        if not units.names:
            if not units.times:
                self.empty_labels.append(label)
            return
        self.labelled = True
        if role == "lead":
            self.lead += units.names
        elif role == "responsible":
            self.responsible += units.names
            self.marked_leads += units.marked
        else:
            self.cooperating += units.names

    @property
    def has_units(self) -> bool:
        return bool(self.lead or self.responsible or self.cooperating)


@dataclass(frozen=True)
class Bracket:
    start: int
    end: int  # exclusive; the closing bracket is text[end - 1] unless `closed` is False
    closed: bool

    def inner(self) -> tuple[int, int]:
        return self.start + 1, self.end - 1 if self.closed else self.end


def scan_brackets(text: str) -> tuple[list[Bracket], list[str]]:
    """Top-level bracket groups of `text`, and a description of every bracket that does not pair up."""
    groups: list[Bracket] = []
    faults: list[str] = []
    stack: list[tuple[str, int]] = []
    for found in _BRACKET_CHARS.finditer(text):
        index, char = found.start(), found.group(0)
        if char in _OPENERS:
            stack.append((char, index))
        elif char in _CLOSERS:
            if stack and stack[-1][0] == _CLOSERS[char]:
                _, start = stack.pop()
                if not stack:
                    groups.append(Bracket(start, index + 1, True))
            elif any(opener == _CLOSERS[char] for opener, _ in stack):
                while stack[-1][0] != _CLOSERS[char]:
                    faults.append(f"“{stack.pop()[0]}”没有对应的右括号")
                _, start = stack.pop()
                if not stack:
                    groups.append(Bracket(start, index + 1, True))
            else:
                faults.append(f"“{char}”没有对应的左括号")
    if stack:
        faults.extend(f"“{opener}”没有对应的右括号" for opener, _ in stack)
        _, start = stack[0]
        groups.append(Bracket(start, len(text), False))
    return groups, faults


def _qiantou(norm: str, raw: str, known: UnitTest, *, allow_fuze: bool) -> Roles | None:
    """ "X、Y牵头,Z配合", "X、Y分别牵头", "由X牵头", "X负责" → the roles it names."""
    if len(norm) > _MAX_QIANTOU:
        return None  # a sentence of unit names is never this long; and it keeps the regex cheap
    stripped = norm.rstrip("。;,. ")
    offset = len(stripped) - len(stripped.lstrip())
    sentence = stripped.strip()
    when = ""
    clause = _WHEN_CLAUSE.search(sentence)
    if clause is not None and looks_like_deadline(clause.group("when")):
        when = raw[offset + clause.start("when") : offset + clause.end("when")]
        sentence = sentence[: clause.start()]
    match = _QIANTOU.match(sentence) or (_FUZE.match(sentence) if allow_fuze else None)
    if match is None:
        return None
    roles = Roles(labelled=True)
    if when:
        roles.deadlines.append(when)
    lead_start, lead_end = match.span("lead")
    lead = split_units(sentence[lead_start:lead_end], raw[offset + lead_start : offset + lead_end], known)
    co_names: list[str] = []
    if match.groupdict().get("co"):
        co_start, co_end = match.span("co")
        co = split_units(sentence[co_start:co_end], raw[offset + co_start : offset + co_end], known)
        co_names = co.names
    if not lead.names or not all(looks_like_unit(name, known) for name in lead.names + co_names):
        return None
    roles.lead = lead.names
    roles.cooperating = co_names
    return roles


_OFFICE = re.compile(r"^(?:区|市|县|镇|乡|州|省)\S{1,14}(?:局|委|办|办公室|中心|部|院|会|联|队|公司)$")
_NOT_A_LIST = re.compile(r"^\s*(?:含|包括|包含|如|即|以|涉及|其中|不含|除|共|约|暂定|试点)")


def _bare_units(norm: str, raw: str, known: UnitTest) -> Roles | None:
    """A bracket at a task's end holding nothing but units: "(区城管执法局、区住建局、各街道)" names who does
    the task without a label (read as 责任单位; the plan's conventions decide who leads)."""
    if _NOT_A_LIST.match(norm) or len(norm) > _MAX_QIANTOU or ":" in norm:
        return None
    units = split_units(norm, raw, known)
    if not units.names or units.times or units.dropped:
        return None
    if not all(looks_like_unit(name, known) for name in units.names):
        return None
    if len(units.names) == 1 and not known(units.names[0]) and not _OFFICE.match(units.names[0]):
        return None  # "(花湖开发区)" alone may be a place, not who does the task; "(县人社局)" is a unit
    roles = Roles(labelled=True)
    roles.add_units("responsible", "责任单位", units)
    return roles


def _top_level(norm: str, start: int, end: int, char: str) -> int:
    """The first `char` outside brackets in norm[start:end], or `end`."""
    depth = 0
    for index in range(start, end):
        current = norm[index]
        if current in "([〔【":
            depth += 1
        elif current in ")]〕】" and depth:
            depth -= 1
        elif current == char and depth == 0:
            return index
    return end


def parse_labelled(norm: str, raw: str, known: UnitTest) -> Roles:
    """The roles in "牵头单位:A;责任单位:B、C;完成时限:…", with an optional "X牵头" before the labels and
    unlabelled pieces after a ';' (another "X牵头", or more units of the label before)."""
    roles = Roles()
    matches = list(LABEL_RE.finditer(norm))
    first = matches[0].start() if matches else len(norm)
    if norm[:first].strip(" ;,。"):
        found = _qiantou(norm[:first], raw[:first], known, allow_fuze=True)
        if found is not None:
            roles.merge(found)
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(norm)
        label = match.group("label") or match.group("short")
        role = _LABELS[label]
        cut = _top_level(norm, match.end(), end, ";")
        _read_value(roles, role, label, norm[match.end() : cut], raw[match.end() : cut], known)
        if cut < end:  # "责任领导:赵敏;区商务局牵头,区招商中心配合" or "责任单位:A;B"
            rest_norm, rest_raw = norm[cut + 1 : end], raw[cut + 1 : end]
            if not rest_norm.strip(" ;,。"):
                continue
            found = _qiantou(rest_norm, rest_raw, known, allow_fuze=False)
            if found is not None:
                roles.merge(found)
            elif role in ("lead", "responsible", "cooperating"):
                roles.add_units(role, label, split_units(rest_norm, rest_raw, known))
    return roles


def _read_value(roles: Roles, role: Role, label: str, norm: str, raw: str, known: UnitTest) -> None:
    value = raw.strip(" ;,。:\n\t；，：")
    if role == "ignored":
        return
    if role == "deadline":
        if value:
            roles.deadlines.append(value)
        return
    if role == "leader":
        roles.leaders += [name for name in split_people(value) if name not in roles.leaders]
        return
    roles.add_units(role, label, split_units(norm, raw, known))


@dataclass
class Annotations:
    roles: Roles
    spans: list[tuple[int, int]]  # parts of the text that are annotations, not body
    faults: list[str]
    unit_spans: list[tuple[int, int]]  # the spans that name units
    other_brackets: list[tuple[str, str]]  # (folded, as written) contents of the other bracket groups

    def unit_clusters(self, text: str) -> int:
        """How many separate unit annotations there are (label lines in a row count as one)."""
        count = 0
        last_end = -1
        for start, end in sorted(self.unit_spans):
            if last_end < 0 or text[last_end:start].strip(" \t\n;,。"):
                count += 1
            last_end = end
        return count


def has_labels(content: str) -> bool:
    """Whether bracket content is a labelled annotation ("牵头单位:A;…", "牵头单位 A")."""
    return bool(_FREE_LABEL_RE.search(content) or _BARE_LABEL_RE.match(content))


def starts_with_label(text: str) -> bool:
    """Whether a line begins with a label and its colon ("牵头单位:…", "完成时限:…")."""
    return _FREE_LABEL_RE.match(text.lstrip()) is not None


def is_note(content: str) -> bool:
    """Whether bracket content states how to read the unit lists ("列第一位的为牵头单位,下同")."""
    return bool(NOTE.search(content)) and len(content) <= 60 and not has_labels(content)


def find_annotations(norm: str, raw: str, known: UnitTest) -> Annotations:
    """All unit (and labelled deadline and leader) annotations in a task's text: `norm` folded, `raw` as
    written, of the same length."""
    roles = Roles()
    spans: list[tuple[int, int]] = []
    unit_spans: list[tuple[int, int]] = []
    others: list[tuple[str, str]] = []
    groups, faults = scan_brackets(norm)
    for group in groups:
        start, end = group.inner()
        content, content_raw = norm[start:end], raw[start:end]
        found = parse_labelled(content, content_raw, known) if has_labels(content) else None
        if found is None:
            found = _qiantou(content, content_raw, known, allow_fuze=True)
        if found is None and not norm[group.end :].strip(" \t\n。;.,"):
            found = _bare_units(content, content_raw, known)
        if found is None:
            if is_note(content):
                spans.append((group.start, group.end))
            else:
                others.append((content, content_raw))
            continue
        roles.merge(found)
        spans.append((group.start, group.end))
        if found.labelled or found.leaders:
            unit_spans.append((group.start, group.end))

    group_starts = [group.start for group in groups]

    def inside(position: int) -> bool:
        at = bisect.bisect_right(group_starts, position) - 1
        return at >= 0 and position < groups[at].end

    free_end = 0  # labels outside brackets run to the end of their line
    for match in _FREE_LABEL_RE.finditer(norm):
        start = match.start()
        if start < free_end or inside(start) or not _starts_clause(norm, start):
            continue
        line_end = norm.find("\n", start)
        end = free_end = len(norm) if line_end < 0 else line_end
        found = parse_labelled(norm[start:end], raw[start:end], known)
        roles.merge(found)
        spans.append((start, end))
        if found.labelled:
            unit_spans.append((start, end))

    if not roles.labelled:
        found_span = _last_sentence_qiantou(norm, raw, spans, groups, known)
        if found_span is not None:
            found, span = found_span
            roles.merge(found)
            spans.append(span)
            unit_spans.append(span)
    spans.sort()
    return Annotations(roles, spans, faults, unit_spans, others)


def _starts_clause(text: str, position: int) -> bool:
    """Whether only spaces stand between `position` and the start of its line or sentence."""
    index = position
    while index > 0 and text[index - 1] in " \t":
        index -= 1
    return index == 0 or text[index - 1] in "\n。;"


def _last_sentence_qiantou(
    norm: str, raw: str, spans: list[tuple[int, int]], groups: list[Bracket], known: UnitTest
) -> tuple[Roles, tuple[int, int]] | None:
    """ "…。区委组织部、区招才引智中心牵头,各镇街配合。" → the roles of that closing sentence."""
    end = len(norm)
    for a, b in sorted(spans, reverse=True):
        if norm[b:end].strip(" \n\t。"):
            break
        end = a
    body = norm[:end].rstrip(" \n\t")
    if body.endswith("。"):
        body = body[:-1]
    start = max(body.rfind("。"), body.rfind("\n")) + 1
    if any(group.start < start < group.end for group in groups):
        return None  # the sentence break found is inside brackets: not a sentence of its own
    found = _qiantou(norm[start:end], raw[start:end], known, allow_fuze=True)
    if found is not None:
        return found, (start, end)
    # "…惠及居民2860户,由县住建局牵头,县财政局配合,11月底前完成。": the closing clauses of a sentence.
    clause = max(start, end - _MAX_QIANTOU)  # a sentence of unit names is never longer: the cost stays linear
    while (clause := _top_level(norm, clause, end, ",")) < end:
        clause += 1
        if norm[clause:end].count("(") != norm[clause:end].count(")"):
            continue
        found = _qiantou(norm[clause:end], raw[clause:end], known, allow_fuze=True)
        if found is not None:
            return found, (clause, end)
    return None
