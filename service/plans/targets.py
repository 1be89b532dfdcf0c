"""Quantified targets in a task's text: "力争完成技改项目20个以上" → 技改项目 ≥ 20 个.

Precision over recall. A number counts only with a measure word or unit after it, and not when it is part of a
name or code (in quotes “黄金22条”, "7·22", after 第, inside an id; after 等 only in a sentence that acts:
"加快双杰电气等45个续建项目建设", not "围绕…等12家企业"). Shapes read:
- indicator before the number: "新登记市场主体2万户", "流转率达77%", "院士工作站不少于1个";
- indicator after it, with the verb that qualifies what is counted: "61个项目开工纳统", "守牢16.9万亩耕地保护
  红线"; "25个小区8424户…" gives both numbers;
- "A、B分别达到90%、80%以上": one target each.
Ranges keep both ends ("1-2家": ≥ 1, upper 2). Comparators: 以上/不少于/不低于/达到/达 ≥, 突破/超过 >, 以下/以内/
不超过/控制在/降至 ≤, a 红线 to keep ≥, a plain number =.
Reads folded text (normalize.fold) and returns texts as written (the `raw` text of the same length).
"""

from __future__ import annotations

import bisect
import re

from .model import Comparator, Target

# fmt: off
_UNITS = (
    "个百分点", "万平方米", "平方公里", "平方米", "立方米", "公顷", "公里", "千米", "米",
    "万千瓦", "千瓦", "兆瓦", "万吨", "吨", "亿元", "万元", "元", "人次", "辆次",
    "个工作日", "工作日", "个月", "天", "个", "家", "户", "亩", "部", "处", "套", "%", "人", "名",
    "项", "次", "座", "所", "条", "台", "辆", "场", "支", "间", "栋", "件", "批", "宗", "张", "床",
    "篇", "本", "微克/立方米", "毫克/升", "万人次", "万人", "万户", "万辆",
)
# fmt: on
_UNIT_RE = "|".join(re.escape(unit) for unit in sorted(set(_UNITS), key=len, reverse=True))
_NUMBER = re.compile(
    r"(?<![\d.])(?P<num>\d{1,12}(?:\.\d{1,6})?)"
    r"(?:\s{0,2}(?:-|~|—|–|至|到)\s{0,2}(?P<num2>\d{1,12}(?:\.\d{1,6})?))?"
    r"(?P<more>多|余)?(?P<mult>万|亿)?(?P<more2>多|余)?"
    rf"(?P<unit>{_UNIT_RE})"
    r"(?P<post>以上|以下|以内|左右|多)?"
)
_BOUNDARY = set("。,;:、!?\n()[]【】〔〕")
_NOT_BEFORE = set("0123456789.·-/第#号")
_QUOTES = (("“", "”"), ('"', '"'), ("《", "》"), ("「", "」"), ("‘", "’"))
_PREFIX_COMPARATORS: tuple[tuple[str, Comparator], ...] = (
    ("不少于", "≥"),
    ("不低于", "≥"),
    ("不超过", "≤"),
    ("不高于", "≤"),
    ("不多于", "≤"),
    ("控制在", "≤"),
    ("压减至", "≤"),
    ("压减到", "≤"),
    ("压缩至", "≤"),
    ("压缩到", "≤"),
    ("缩短至", "≤"),
    ("缩短到", "≤"),
    ("降低至", "≤"),
    ("降至", "≤"),
    ("提高到", "≥"),
    ("提高至", "≥"),
    ("提升到", "≥"),
    ("提升至", "≥"),
    ("至少", "≥"),
    ("突破", ">"),
    ("超过", ">"),
    ("多于", ">"),
    ("高于", ">"),
    ("低于", "<"),
    ("大约", "≈"),
    ("约", "≈"),
    ("达到", "≥"),
    ("达", "≥"),
    ("为", "="),
    ("共", "="),
)
_POST_COMPARATORS: dict[str, Comparator] = {"以上": "≥", "多": "≥", "以下": "≤", "以内": "≤", "左右": "≈"}
# fmt: off
_VERB_WORDS = (
    "力争", "确保", "完成", "新增", "新建", "新改建", "新建改造", "引进", "培育", "实施", "达到",
    "改造", "推动", "推进", "组织", "盘活", "招引", "累计", "全年", "年内", "同步", "全面", "加快",
    "建成", "开展", "创建", "打造", "争取", "实现", "保障", "保持", "其中", "新认定", "新培育",
    "新引进", "新招引", "落实", "建设", "提升", "发展", "支持", "鼓励", "力促", "要", "全区", "今年",
    "年度内", "共",
)
# fmt: on
# Leading verbs stripped off an indicator, longest first ("新建改造" before "新建").
_VERBS = tuple(sorted(_VERB_WORDS, key=len, reverse=True))
# Words after the number that end the indicator of the second shape ("45个续建项目建设" → 续建项目).
_STOPS = re.compile(r"建设|改造|提升|运营|完成|实施|参加|参与|受益|和|及|与|的")
# (Verbs that qualify what is counted, 开工 纳统 投产 达效 落地 化解 …, are no stops: they stay in the
# indicator, "61个项目开工纳统".)
# A number after 等 is a target only in a sentence that acts on it, not one that describes ("围绕…等12家").
_ACTS = re.compile(
    r"^(?:力争|确保|全年|年内)?(?:加快|推进|推动|实施|完成|新建|建成|开工|启动|引进|招引|培育|新增|改造|打造)"
)
_SENTENCE = re.compile(r"[。;!?,]")
_DECREASE = re.compile(r"降|减|压|控制|缩短|下降")
_RESPECTIVELY = re.compile(
    r"(?P<names>[^,;。:!?()]{2,60}?)分别(?P<verb>达到|达|为|不低于|不少于|提高到|提升至|提升到|控制在|降至|降低到|突破)?"
    r"(?P<values>\d[^,;。:!?()]{0,60}?)(?P<post>以上|以下|以内|左右)?(?=[,;。:!?()]|$)"
)
_WORDS = re.compile(r"[^\d。,;:、!?\n()\[\]【】〔〕%]*")
_MAX_BACK = 40
_MAX_AFTER = 16


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    """The quoted stretches of `text`, sorted and without overlaps."""
    spans: list[tuple[int, int]] = []
    for opener, closer in _QUOTES:
        start = text.find(opener)
        while start >= 0:
            end = text.find(closer, start + 1)
            if end < 0:
                break
            spans.append((start, end + 1))
            start = text.find(opener, end + 1)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _clause_start(text: str, position: int, floor: int) -> int:
    """Where the clause ending at `position` begins; brackets inside it ("零工市场(驿站)") are skipped."""
    index = position
    limit = max(floor, position - _MAX_BACK)
    while index > limit:
        char = text[index - 1]
        if char in ")]" and (opening := text.rfind("(" if char == ")" else "[", limit, index - 1)) >= 0:
            index = opening
            continue
        if char in _BOUNDARY:
            break
        index -= 1
    return index


def _strip_verbs(phrase: str) -> str:
    changed = True
    while changed and phrase:
        changed = False
        for verb in _VERBS:
            if phrase.startswith(verb) and len(phrase) > len(verb):
                phrase = phrase[len(verb) :]
                changed = True
                break
    return phrase


def _clean_indicator(phrase: str) -> str:
    phrase = phrase.strip(" \t")
    if "等" in phrase:
        phrase = phrase.rsplit("等", 1)[1]  # "“揭榜挂帅制”“赛马制”等重点项目" → 重点项目
    phrase = _strip_verbs(phrase)
    phrase = phrase.rstrip("的")
    if len(phrase) >= 2 and phrase[0] in '“"' and phrase[-1] in '”"' and phrase.count("“") <= 1:
        phrase = phrase[1:-1]
    return phrase.strip()


def _has_han(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def _value(number: str, multiplier: str | None, unit: str) -> tuple[float | int, str]:
    value = float(number)
    if multiplier and unit == "元":
        unit = multiplier + unit  # 亿元, 万元 stay the unit of money
    elif multiplier:
        value *= 10_000 if multiplier == "万" else 100_000_000
    value = round(value, 6)
    return (int(value) if value.is_integer() else value), unit


def _as_written(norm: str, raw: str, cleaned: str) -> str:
    """`cleaned` (taken from `norm`) as `raw` writes it."""
    at = norm.find(cleaned)
    return raw[at : at + len(cleaned)] if at >= 0 else cleaned


def _respectively(text: str, raw: str) -> tuple[list[tuple[int, Target]], list[tuple[int, int]]]:
    """ "土地流转率、农机推广率分别达到77%、80%以上" → one target per name (with where it is written), and the
    spans they cover."""
    targets: list[tuple[int, Target]] = []
    spans: list[tuple[int, int]] = []
    for found in _RESPECTIVELY.finditer(text):
        names = [name.strip() for name in re.split(r"[、和及与]", found.group("names")) if name.strip()]
        values = [value.strip() for value in found.group("values").split("、") if value.strip()]
        numbers = [_NUMBER.fullmatch(value) for value in values]
        if len(names) < 2 or len(names) != len(values) or any(number is None for number in numbers):
            continue
        verb = found.group("verb") or ""
        post = found.group("post") or ""
        meaning = dict(_PREFIX_COMPARATORS).get(verb, "=")
        comparator: Comparator = _POST_COMPARATORS.get(post, meaning)
        if verb in ("达到", "达") and _DECREASE.search(found.group("names")):
            comparator = "≤"
        names[0] = _clean_indicator(names[0])
        for name, number in zip(names, numbers, strict=True):
            assert number is not None
            value, unit = _value(number.group("num"), number.group("mult"), number.group("unit"))
            upper = _upper(number, unit)
            shown = _as_written(text[found.start() : found.end()], raw[found.start() : found.end()], name)
            target = Target(raw[found.start() : found.end()].strip(), shown, comparator, value, unit, upper)
            targets.append((found.start(), target))
        spans.append(found.span())
    return targets, spans


def _upper(match: re.Match[str], unit: str) -> float | int | None:
    if not match.group("num2"):
        return None
    value, _ = _value(match.group("num2"), match.group("mult"), match.group("unit"))
    return value


def _words_belong_to_next(text: str, position: int) -> bool:
    """Whether the number at `position` reads its indicator from before it (a rate, "10%以上", "达80%"):
    then the words between two numbers are its own. ("25个小区8424户…化解": 8424户 reads its words after it,
    so 小区 stays 25个's.)"""
    following = _NUMBER.match(text, position)
    if following is None:
        return False
    after = text[following.end() : following.end() + 1]
    return bool(following.group("post")) or not after or after in _BOUNDARY or following.group("unit") == "%"


def _sentence_start(text: str, position: int) -> int:
    start = position
    while start > 0 and not _SENTENCE.match(text[start - 1]) and position - start < 80:
        start -= 1
    return start


def find_targets(text: str, raw: str | None = None) -> tuple[Target, ...]:
    """The targets in a task's folded `text`; texts and indicators come back as `raw` writes them."""
    raw = text if raw is None else raw
    quoted = _quoted_spans(text)
    targets, covered = _respectively(text, raw)
    floor = 0  # where the previous number ended: an indicator never reaches back past it
    for match in _NUMBER.finditer(text):
        start, end = match.span()
        previous_floor, floor = floor, end
        if any(a <= start < b for a, b in covered):
            continue
        char_before = text[start - 1] if start else ""
        if char_before and (char_before in _NOT_BEFORE or (char_before.isascii() and char_before.isalpha())):
            continue
        if char_before == "等":
            sentence = text[_sentence_start(text, start) : start].lstrip()
            if not _ACTS.match(sentence):
                continue
        at = bisect.bisect_left(quoted, (start, start)) - 1
        if (at >= 0 and start < quoted[at][1]) or len(match.group("num").split(".")[0]) > 9:
            continue
        if float(match.group("num")) == 0:
            continue
        comparator: Comparator = "="
        if match.group("num2") or match.group("more") or match.group("more2"):
            comparator = "≥"
        if match.group("post"):
            comparator = _POST_COMPARATORS[match.group("post")]
        value, unit = _value(match.group("num"), match.group("mult"), match.group("unit"))
        upper = _upper(match, unit)
        clause = max(_clause_start(text, start, previous_floor), previous_floor)
        before = text[clause:start]
        for word, meaning in _PREFIX_COMPARATORS:
            if before.endswith(word):
                before = before[: -len(word)]
                if meaning != "=" and comparator == "=":
                    comparator = "≤" if word in ("达到", "达") and _DECREASE.search(before) else meaning
                break
        rest = text[end : end + _MAX_AFTER + 8]
        after = rest.lstrip(" \t")
        gap = len(rest) - len(after)
        if match.group("post") or not after or after[0] in _BOUNDARY or after[0] in "的和及与":
            # Shape 1: the indicator is written before the number.
            phrase_start, phrase = clause, before
            indicator = _clean_indicator(before)
            snippet = (clause, end)
        else:
            # Shape 2: the indicator (and the verb that qualifies it) follows the number.
            words = _WORDS.match(after)
            tail = words.group(0) if words else ""
            stop = _STOPS.search(tail)
            if stop:
                tail = tail[: stop.start()]
            elif _words_belong_to_next(text, end + gap + len(tail)):
                continue  # "79家企业年营收增幅10%以上": the words are the next number's indicator
            if len(tail) > _MAX_AFTER:
                continue
            phrase_start, phrase = end + gap, tail
            indicator = _clean_indicator(tail)
            snippet = (clause, end + gap + len(tail))
            if "红线" in indicator and comparator == "=":
                comparator = "≥"  # a red line to hold: at least this much
        if not indicator or not _has_han(indicator) or len(indicator) > 30:
            continue
        shown = _as_written(phrase, raw[phrase_start : phrase_start + len(phrase)], indicator)
        written = raw[snippet[0] : snippet[1]].strip().lstrip("的和及与")
        targets.append((start, Target(written, shown, comparator, value, unit, upper)))
    targets.sort(key=lambda pair: pair[0])
    return tuple(target for _, target in targets)
