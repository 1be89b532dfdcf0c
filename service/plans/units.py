"""Who does a task: the unit annotations of a task's text.

Finds, in text already passed through `unify_width` (so brackets and colons are ASCII):
- bracket groups with labels: (牵头单位:A;责任单位:B、C,各镇街) and the same in [] 〔〕 【】;
- labels outside brackets at the start of a line or sentence: "牵头单位:A" on a line of its own;
- "X、Y牵头,Z配合" without labels, in brackets or as the task's last sentence;
and reports bracket pairs that do not match.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from .normalize import normalize_name

Role = Literal["lead", "responsible", "cooperating", "deadline", "ignored"]

_LABELS: dict[str, Role] = {}
for _role, _words in (
    ("lead", "牵头单位 牵头部门 主办单位 主办部门 主责单位 主责部门 牵头责任单位"),
    ("responsible", "责任单位 责任部门 承办单位"),
    ("cooperating", "配合单位 配合部门 协办单位 协办部门 参与单位 协同单位 协作单位"),
    ("deadline", "完成时限 完成时间 时间节点 时限要求 截止时间 完成期限 时限"),
    ("ignored", "牵头领导 责任领导 分管领导 联系领导 责任人 联系人 备注"),
):
    for _word in _words.split():
        _LABELS[_word] = _role  # type: ignore[assignment]

_LABEL_WORDS = "|".join(sorted(_LABELS, key=len, reverse=True))
# Inside brackets the colon may be missing: "(牵头单位 区财政局)".
LABEL_RE = re.compile(rf"(?P<label>{_LABEL_WORDS})\s*(?::\s*)?")
# Outside brackets a label needs its colon, so prose such as "责任单位要…" is left alone.
_FREE_LABEL_RE = re.compile(rf"(?P<label>{_LABEL_WORDS})\s*:\s*")
# Inside brackets a label without its colon counts only at the start, followed by a space.
_BARE_LABEL_RE = re.compile(rf"\s*(?:{_LABEL_WORDS})\s+\S")

_OPENERS = {"(": ")", "[": "]", "〔": "〕", "【": "】"}
_CLOSERS = {close: open_ for open_, close in _OPENERS.items()}
_BRACKET_CHARS = re.compile(r"[()\[\]〔〕【】]")

_QIANTOU = re.compile(
    r"^(?:由)?(?P<lead>[^,;。:]+?)(?:负责)?牵头(?:负责|抓总|组织实施|实施|推进)?"
    r"(?:[,;]\s*(?P<co>[^,;。:]+?)(?:按职责分工|按职责|共同)?"
    r"(?:配合|参与|协同|协办|协助|负责)(?:落实|推进|实施|完成)?)?$"
)
_FUZE = re.compile(r"^(?P<lead>[^,;。:]+?)负责$")
_MAX_QIANTOU = 400
_UNIT_SUFFIX = re.compile(
    r"(?:局|委|办|办公室|中心|部|院|队|会|镇|街道|街|乡|开发区|园区|公司|集团|所|站|室|处|厅|组|政府|联|机关|社|馆)$"
)
_LEAD_MARK = re.compile(r"\((?:牵头|牵头单位)\)$")
_SEPARATORS = frozenset("、,;/ \t\n\r")


@dataclass
class Roles:
    """Units as a task's text names them, by role, before any convention decides who leads."""

    lead: list[str] = field(default_factory=list)
    responsible: list[str] = field(default_factory=list)
    cooperating: list[str] = field(default_factory=list)
    marked_leads: list[str] = field(default_factory=list)  # "区财政局(牵头)" inside another list
    deadlines: list[str] = field(default_factory=list)
    empty_labels: list[str] = field(default_factory=list)
    labelled: bool = False  # some unit label or "X牵头" was found

    def merge(self, other: Roles) -> None:
        self.lead += other.lead
        self.responsible += other.responsible
        self.cooperating += other.cooperating
        self.marked_leads += other.marked_leads
        self.deadlines += other.deadlines
        self.empty_labels += other.empty_labels
        self.labelled = self.labelled or other.labelled

    @property
    def has_units(self) -> bool:
        return bool(self.lead or self.responsible or self.cooperating)


@dataclass(frozen=True)
class Bracket:
    start: int
    end: int  # exclusive; the closing bracket is text[end - 1] unless `closed` is False
    closed: bool

    def content(self, text: str) -> str:
        return text[self.start + 1 : self.end - 1 if self.closed else self.end]


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


def split_units(text: str) -> tuple[list[str], list[str]]:
    """Unit names in a list ("A、B,各镇街"), normalised; second: those marked "(牵头)"."""
    names: list[str] = []
    marked: list[str] = []
    depth = 0
    piece: list[str] = []

    def flush() -> None:
        raw = "".join(piece).strip()
        piece.clear()
        is_marked = bool(_LEAD_MARK.search(raw))
        name = normalize_name(_LEAD_MARK.sub("", raw))
        if name.startswith("由"):
            name = name[1:]
        if name and name not in names:
            names.append(name)
            if is_marked:
                marked.append(name)

    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
        if depth == 0 and char in _SEPARATORS:
            flush()
        else:
            piece.append(char)
    flush()
    return names, marked


UnitTest = Callable[[str], bool]


def looks_like_unit(name: str, known: UnitTest) -> bool:
    """A name taken from unlabelled text ("X牵头") must be a known unit or at least read like one."""
    if known(name):
        return True
    if not 2 <= len(name) <= 24 or "的" in name:
        return False
    return name.startswith("各") or bool(_UNIT_SUFFIX.search(name))


def _qiantou(text: str, known: UnitTest, *, allow_fuze: bool) -> Roles | None:
    if len(text) > _MAX_QIANTOU:
        return None  # a sentence of unit names is never this long; and it keeps the regex cheap
    sentence = text.strip().rstrip("。;,.").strip()
    match = _QIANTOU.match(sentence) or (_FUZE.match(sentence) if allow_fuze else None)
    if match is None:
        return None
    lead, _ = split_units(match.group("lead"))
    co_text = match.groupdict().get("co")
    co, _ = split_units(co_text) if co_text else ([], [])
    if not lead or not all(looks_like_unit(name, known) for name in lead + co):
        return None
    return Roles(lead=lead, cooperating=co, labelled=True)


def parse_labelled(content: str, known: UnitTest) -> Roles:
    """The roles in "牵头单位:A;责任单位:B、C;完成时限:…", with an optional "X牵头" before the labels."""
    roles = Roles()
    matches = list(LABEL_RE.finditer(content))
    prefix = content[: matches[0].start()] if matches else content
    if prefix.strip(" ;,。"):
        found = _qiantou(prefix, known, allow_fuze=True)
        if found is not None:
            roles.merge(found)
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(content)
        value = content[match.end() : end].strip(" ;,。:\n\t")
        label = match.group("label")
        role = _LABELS[label]
        if role == "ignored":
            continue
        if role == "deadline":
            if value:
                roles.deadlines.append(value)
            continue
        roles.labelled = True
        names, marked = split_units(value)
        if not names:
            roles.empty_labels.append(label)
            continue
        if role == "lead":
            roles.lead += names
        elif role == "responsible":
            roles.responsible += names
            roles.marked_leads += marked
        else:
            roles.cooperating += names
    return roles


@dataclass
class Annotations:
    roles: Roles
    spans: list[tuple[int, int]]  # parts of the text that are annotations, not body
    faults: list[str]
    unit_spans: list[tuple[int, int]]  # the spans that name units
    other_brackets: list[str]  # contents of the bracket groups that are not annotations

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
    match = _FREE_LABEL_RE.match(text.lstrip())
    return match is not None


def find_annotations(text: str, known: UnitTest) -> Annotations:
    """All unit (and labelled deadline) annotations in a task's normalised text."""
    roles = Roles()
    spans: list[tuple[int, int]] = []
    unit_spans: list[tuple[int, int]] = []
    others: list[str] = []
    groups, faults = scan_brackets(text)
    for group in groups:
        content = group.content(text)
        found = parse_labelled(content, known) if has_labels(content) else None
        if found is None:
            found = _qiantou(content, known, allow_fuze=True)
        if found is None:
            others.append(content)
            continue
        roles.merge(found)
        spans.append((group.start, group.end))
        if found.labelled:
            unit_spans.append((group.start, group.end))

    group_starts = [group.start for group in groups]

    def inside(position: int) -> bool:
        at = bisect.bisect_right(group_starts, position) - 1
        return at >= 0 and position < groups[at].end

    free_end = 0  # labels outside brackets run to the end of their line
    for match in _FREE_LABEL_RE.finditer(text):
        start = match.start()
        if start < free_end or inside(start) or not _starts_clause(text, start):
            continue
        line_end = text.find("\n", start)
        end = free_end = len(text) if line_end < 0 else line_end
        found = parse_labelled(text[start:end], known)
        roles.merge(found)
        spans.append((start, end))
        if found.labelled:
            unit_spans.append((start, end))

    if not roles.labelled:
        found_span = _last_sentence_qiantou(text, spans, groups, known)
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
    text: str, spans: list[tuple[int, int]], groups: list[Bracket], known: UnitTest
) -> tuple[Roles, tuple[int, int]] | None:
    """ "…。区委组织部、区招才引智中心牵头,各镇街配合。" → the roles of that closing sentence."""
    end = len(text)
    for a, b in sorted(spans, reverse=True):
        if text[b:end].strip(" \n\t。"):
            break
        end = a
    body = text[:end].rstrip(" \n\t")
    if body.endswith("。"):
        body = body[:-1]
    start = max(body.rfind("。"), body.rfind("\n")) + 1
    if any(group.start < start < group.end for group in groups):
        return None  # the sentence break found is inside brackets: not a sentence of its own
    found = _qiantou(text[start:end], known, allow_fuze=False)
    if found is None:
        return None
    return found, (start, end)
