"""The plan's own 主要目标 (main goals): the quantified targets under a 主要目标 heading.

Plans open with 总体要求 and 主要目标 before their key tasks; the goals' figures (地区生产总值增长 7% 左右,
新登记市场主体 2 万户 …) are the plan's indicators, beside those of each key task. The goals' text runs from
the heading (一、主要目标, (二)主要目标, 主要目标:…) to the next heading of the same or an outer numbering
level. Pure: bytes in, targets out; what `find_targets` reads in a task it reads here.
"""

from __future__ import annotations

import re

from .model import Target
from .normalize import unify_width
from .numbering import classify
from .readers import Line, read_source
from .targets import find_targets

_GOALS = re.compile(r"^\s*(?:主要|总体|工作|发展)?目标(?:任务)?\s*[:。]?")
_MAX_GOAL_LINES = 60


def find_goals(data: bytes, filename: str) -> tuple[Target, ...]:
    """The targets of the plan's 主要目标 section; none when the plan has no such heading or body."""
    source = read_source(data, filename)
    lines = [unify_width(block.text) for block in source.blocks if isinstance(block, Line)]
    for index, text in enumerate(lines):
        numbered = classify(text)
        rest = text[numbered.rest :] if numbered else text
        heading = _GOALS.match(rest)
        # A heading: numbered, or a short line of its own, or the word and a colon ("主要目标:…").
        if heading is None or not (numbered or len(rest.strip()) <= 8 or heading.group().rstrip().endswith(":")):
            continue
        # The heading's own line may carry the goals after a colon ("二、主要目标:到2024年底…").
        body = [rest[heading.end() :]]
        for following in lines[index + 1 : index + 1 + _MAX_GOAL_LINES]:
            inner = classify(following)
            if numbered is not None and inner is not None and inner.kind <= numbered.kind:
                break
            if numbered is None and inner is not None:
                break
            body.append(following)
        found = find_targets("\n".join(part for part in body if part.strip()))
        if found:
            return found
    return ()
