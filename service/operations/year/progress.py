"""进展报送: the progress report given with a step (the lead unit's 汇总报送, a co-unit's input).

A step whose diagram declares ``<duban:progress part="total"/>`` takes, besides its form, the lead
unit's progress report: each indicator's cumulative value to date (in the indicator's measure), the
overall completion (0–100 %), 存在问题 and 下步打算. ``part="share"`` takes a co-unit's share of the
indicators with its input. Every part is optional (a report without figures is still a report, and
the office may return it), and checked when given.

Reports are rows (``progress_reports``, ``indicator_values``), written in the completion's transaction.
A unit reporting again in the same cycle (its report was returned, 退回) supersedes its earlier report:
the earlier one keeps its rows, marked superseded, as history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update

from db.models import Indicator, IndicatorValue, ProgressReport

from ...errors import Invalid
from ...runtime import Work
from ...vocabulary import ReportPart
from ..common.actor import Actor
from .indicators import parse_number

MAX_TEXT = 5_000
MAX_VALUE = 1e12
# Measures that count whole things: a value in them is a whole number, never negative.
COUNTED = frozenset(
    [
        "个",
        "家",
        "户",
        "项",
        "次",
        "座",
        "所",
        "条",
        "台",
        "辆",
        "场",
        "支",
        "间",
        "栋",
        "件",
        "批",
        "宗",
        "张",
        "床",
        "篇",
        "本",
        "人",
        "名",
        "人次",
        "辆次",
        "部",
        "处",
        "套",
        "个工作日",
        "工作日",
        "天",
        "个月",
    ]
)
# Measures of a rate: a growth may be negative, and may pass 100.
RATES = frozenset({"%", "个百分点"})


@dataclass(frozen=True)
class ProgressGiven:
    """A checked progress report, ready to be written."""

    part: ReportPart
    percent: float | None = None
    problems: str = ""
    next_steps: str = ""
    values: dict[int, float] = field(default_factory=dict)

    def audit_data(self) -> dict[str, Any]:
        out: dict[str, Any] = {"part": self.part.value, "values": {str(k): v for k, v in self.values.items()}}
        if self.part == ReportPart.TOTAL:
            out.update(percent=self.percent, problems=self.problems, next_steps=self.next_steps)
        return out


def check_progress(work: Work, part: str | None, key_task_id: int, step_name: str, raw: object) -> ProgressGiven | None:
    """Checks what was given as ``progress`` for a step whose diagram declares ``part`` (None: the
    step takes no progress report); None when nothing was given. Raises Invalid naming the field
    (``progress.percent``, ``progress.values.<indicator id>``, …)."""
    if raw is None or raw == {}:
        return None
    if part is None:
        raise Invalid(f"“{step_name}”不报送进展", field="progress")
    if not isinstance(raw, Mapping):
        raise Invalid("进展报送应为对象(percent、problems、next_steps、values)", field="progress")
    given = ReportPart(part)
    allowed = {"values"} if given == ReportPart.SHARE else {"values", "percent", "problems", "next_steps"}
    for name in raw:
        if name not in allowed:
            said = (
                "责任单位只报送分项指标值(values)"
                if given == ReportPart.SHARE
                else "可用字段: percent、problems、next_steps、values"
            )
            raise Invalid(f"进展报送没有字段 {name!r}({said})", field=f"progress.{name}")
    percent = None
    if raw.get("percent") not in (None, ""):
        percent = parse_number(raw["percent"], "progress.percent", "总体完成比例")
        if not 0 <= percent <= 100:
            raise Invalid("总体完成比例应在 0 到 100 之间", field="progress.percent")
    return ProgressGiven(
        part=given,
        percent=percent,
        problems=_text(raw.get("problems"), "progress.problems", "存在问题"),
        next_steps=_text(raw.get("next_steps"), "progress.next_steps", "下步打算"),
        values=_values(work, key_task_id, raw.get("values")),
    )


def _text(value: object, field_name: str, label: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid(f"{label}应为文本", field=field_name)
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise Invalid(f"{label}不能超过 {MAX_TEXT} 字", field=field_name)
    return value


def _values(work: Work, key_task_id: int, raw: object) -> dict[int, float]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise Invalid("指标值应为对象:{指标 id: 累计值}", field="progress.values")
    indicators = {
        i.id: i
        for i in work.session.scalars(
            select(Indicator).where(Indicator.key_task_id == key_task_id, Indicator.active.is_(True))
        )
    }
    out: dict[int, float] = {}
    for key, given in raw.items():
        where = f"progress.values.{key}"
        indicator = indicators.get(int(key)) if str(key).isdigit() else None
        if indicator is None:
            raise Invalid(f"指标 {key} 不是本任务在用的量化指标", field=where)
        if given is None or given == "":
            continue  # left empty: not reported this time
        label = f"“{indicator.name}”的累计值"
        value = parse_number(given, where, label)
        if abs(value) > MAX_VALUE:
            raise Invalid(f"{label}过大", field=where)
        measure = indicator.measure
        if measure in COUNTED and (value < 0 or not value.is_integer()):
            raise Invalid(f"{label}应为不小于 0 的整数(单位:{measure})", field=where)
        if measure not in COUNTED and measure not in RATES and value < 0:
            raise Invalid(f"{label}不能为负数(单位:{measure or '无'})", field=where)
        if measure in RATES and not -100 <= value <= 10_000:
            raise Invalid(f"{label}应在 -100 到 10000 之间(单位:{measure})", field=where)
        out[indicator.id] = value
    return out


def record_progress(
    work: Work,
    actor: Actor,
    given: ProgressGiven,
    *,
    key_task_id: int,
    cycle_id: int,
    round_name: str,
    human_task_id: int,
    unit_id: int,
) -> int:
    """Writes a checked report as the unit's current one for the cycle, superseding its earlier
    one (kept as history). Returns the new report's id."""
    conn = work.session.connection()
    earlier = list(
        conn.execute(
            select(ProgressReport.id).where(
                ProgressReport.cycle_id == cycle_id,
                ProgressReport.unit_id == unit_id,
                ProgressReport.superseded_at.is_(None),
            )
        ).scalars()
    )
    if earlier:  # stepped aside first: one current report per cycle and unit (a unique index)
        conn.execute(update(ProgressReport).where(ProgressReport.id.in_(earlier)).values(superseded_at=work.now))
    created = conn.execute(
        insert(ProgressReport).returning(ProgressReport.id),
        {
            "key_task_id": key_task_id,
            "cycle_id": cycle_id,
            "round": round_name,
            "human_task_id": human_task_id,
            "unit_id": unit_id,
            "part": given.part,
            "percent": given.percent,
            "problems": given.problems,
            "next_steps": given.next_steps,
            "reported_at": work.now,
            "reported_by_id": actor.user_id,
        },
    ).scalar_one()
    if earlier:
        conn.execute(update(ProgressReport).where(ProgressReport.id.in_(earlier)).values(superseded_by_id=created))
    if given.values:
        conn.execute(
            insert(IndicatorValue),
            [{"report_id": created, "indicator_id": k, "value": v} for k, v in given.values.items()],
        )
    return int(created)
