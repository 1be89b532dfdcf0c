"""Importing a plan: parse it, check it against the unit directory, and write it in one go.

Atomic: a plan with errors, or with units nobody knows (unless asked to create them), writes
nothing. Idempotent: the same file (by content hash) imported twice is one plan.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from db.models import Plan, Unit, UnitKind

from ...errors import Conflict, Invalid
from ...plans.directory import UnitDirectory
from ...plans.goals import find_goals
from ...plans.model import ParsedPlan
from ...plans.parse import parse_plan
from ...plans.unit_lists import looks_like_unit
from ...runtime import Work
from ...vocabulary import PlanStatus, TaskRevision
from ..common import audit, authz
from ..common.actor import Actor
from ..year.indicators import indicators_from_import
from .plan_corrections import apply_corrections, corrected_directory, keep_corrections
from .plan_diff import RevisionPreview, TaskChange, find_revised_plan, preview_revision
from .plan_revision import revise_plan
from .plan_write import write_tasks
from .units import unit_directory

MAX_PLAN_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class ImportResult:
    parsed: ParsedPlan
    dry_run: bool
    plan_id: int | None = None
    already_imported: bool = False
    unknown_units: tuple[str, ...] = ()
    created_units: tuple[str, ...] = ()
    blockers: tuple[str, ...] = field(default_factory=tuple)
    # A changed version of a plan already there: what it changes (and, once confirmed, that it did).
    revision: RevisionPreview | None = None
    revised: bool = False

    @property
    def ok(self) -> bool:
        """Whether the plan is (or, in a dry run, would be) imported."""
        return not self.blockers

    def as_json(self) -> dict[str, Any]:
        out = self.parsed.to_json()
        out.update(
            {
                "ok": self.ok,
                "dry_run": self.dry_run,
                "plan_id": self.plan_id,
                "already_imported": self.already_imported,
                "unknown_units": list(self.unknown_units),
                "created_units": list(self.created_units),
                "blockers": list(self.blockers),
                "revision": self.revision.as_json() if self.revision else None,
                "revised": self.revised,
            }
        )
        return out

    def describe(self) -> str:
        lines = [f"《{self.parsed.title}》: {len(self.parsed.sections)} 个部分, {len(self.parsed.tasks)} 项重点任务"]
        for problem in self.parsed.problems:
            kind = "错误" if problem.severity == "error" else "提示"
            lines.append(f"  [{kind}] {problem.message}")  # messages name their place themselves
        if self.created_units:
            lines.append(f"  新建单位: {'、'.join(self.created_units)}")
        if self.revision is not None:
            r = self.revision
            lines.append(
                f"  修订计划 #{r.plan_id}《{r.title}》(现为第{r.revision}版,{r.status.label}): "
                + ",".join(f"{k.label} {r.count(k)} 项" for k in TaskRevision)
            )
            for t in r.tasks:
                if t.kind != TaskRevision.SAME:
                    lines.append(f"    [{t.kind.label}] {t.new_number or t.old_number}. {t.title}" + _change_words(t))
        for blocker in self.blockers:
            lines.append(f"  无法导入: {blocker}")
        if self.ok and not self.dry_run and self.revised:
            lines.append(f"已修订计划 #{self.plan_id}")
        elif self.ok and not self.dry_run:
            lines.append(f"已导入为计划 #{self.plan_id}" + ("(此前已导入过同一文件)" if self.already_imported else ""))
        elif self.ok:
            lines.append("试运行: 可以导入(未写入任何数据)")
        return "\n".join(lines)


def import_plan(
    work: Work,
    actor: Actor,
    data: bytes,
    filename: str,
    *,
    dry_run: bool = False,
    create_units: bool = False,
    renames: Mapping[str, str] | None = None,
    title: str | None = None,
    revision_of: int | None = None,
    as_new: bool = False,
    apply_to_running: bool = False,
    expected_revision: int | None = None,
) -> ImportResult:
    """``renames`` maps a unit name as written to what it is corrected to on the import page: a
    unit, a group word, or several units separated by 、 (``plan_corrections.py``); on a real
    import they are kept (an alias, or a group word) so the next plan resolves them by itself.
    ``title`` replaces the title the parser found (or made up from the file name).

    A changed version of a plan already there is a revision (``plan_revision.py``): the plan is
    ``revision_of`` when given, else the newest plan not archived with the same title and year
    (unless ``as_new``). The result's ``revision`` says per key task what changes; confirming
    applies it (``apply_to_running``: running cycles take the new units). ``expected_revision`` is
    the revision the preview was made against: Conflict (409) when another confirmation got there
    first. Raises Invalid (bad corrections, field ``renames``; no such plan, field
    ``revision_of``), Forbidden, Conflict."""
    authz.ensure_can_import_plans(actor)
    if len(data) > MAX_PLAN_BYTES:
        raise Invalid(f"文件过大(上限 {MAX_PLAN_BYTES // 1024 // 1024} MB)", field="file")
    session = work.session
    directory = unit_directory(session)
    renames = {k.strip(): v.strip() for k, v in (renames or {}).items() if k.strip() and v.strip()}
    plain = directory
    if renames:
        # To a unit, a group word, or several units (plan_corrections.py).
        directory = corrected_directory(directory, renames)
    parsed = apply_corrections(parse_plan(data, filename, directory, year=None), directory)
    if title and title.strip():
        # Many plans (the shared one among them) carry no title line: the importer may give one.
        parsed = dataclasses.replace(parsed, title=title.strip()[:300])

    unknown = tuple(dict.fromkeys(name for task in parsed.tasks for name in task.unknown_units))
    blockers: list[str] = [p.message for p in parsed.errors]
    if not parsed.tasks:
        blockers.append("文件中没有识别到任何重点任务")
    if unknown and not create_units:
        blockers.append(f"以下单位不在单位名录中: {'、'.join(unknown)}(可更正名称,或选择自动新建这些单位)")
    if unknown and create_units:
        blockers += _refused_names(unknown, directory)
    to_create = unknown if create_units else ()

    existing = session.scalar(select(Plan).where(Plan.source_sha256 == parsed.source_sha256))
    if existing is not None and not blockers:
        return ImportResult(
            parsed=parsed, dry_run=dry_run, plan_id=existing.id, already_imported=True, unknown_units=unknown
        )
    target = _revised_plan(work, parsed, revision_of, as_new)
    preview = (
        preview_revision(session, target, parsed, directory, recognised=revision_of is None)
        if target is not None
        else None
    )
    if dry_run or blockers:
        return ImportResult(
            parsed=parsed,
            dry_run=dry_run,
            unknown_units=unknown,
            created_units=to_create if not blockers else (),  # a preview lists the units it would create
            blockers=tuple(blockers),
            revision=preview,
        )

    created = _create_units(work, unknown) if unknown else ()
    keep_corrections(work, plain, renames)
    goals = find_goals(data, filename)
    if target is not None and preview is not None:
        revise_plan(
            work,
            actor,
            target,
            parsed,
            preview,
            expected_revision=expected_revision,
            apply_to_running=apply_to_running,
            write_indicators=lambda w, p, written: indicators_from_import(w, p, written, goals),
        )
        return ImportResult(
            parsed=parsed,
            dry_run=False,
            plan_id=target.id,
            unknown_units=unknown,
            created_units=created,
            revision=preview,
            revised=True,
        )
    plan = _write_plan(work, actor, parsed)
    written = write_tasks(work, plan, parsed.tasks)
    indicators = indicators_from_import(work, plan, written, goals)
    audit.record(
        work,
        actor,
        "plan.imported",
        data={
            "plan_id": plan.id,
            "title": plan.title,
            "tasks": len(parsed.tasks),
            "source": parsed.source_name,
            "sha256": parsed.source_sha256,
            "created_units": list(created),
            "indicators": indicators,
        },
    )
    return ImportResult(parsed=parsed, dry_run=False, plan_id=plan.id, unknown_units=unknown, created_units=created)


def _revised_plan(work: Work, parsed: ParsedPlan, revision_of: int | None, as_new: bool) -> Plan | None:
    if revision_of is not None:
        plan = work.session.get(Plan, revision_of)
        if plan is None:
            raise Invalid(f"要修订的计划 {revision_of} 不存在", field="revision_of")
        return plan
    if as_new:
        return None
    return find_revised_plan(work.session, parsed, _year_of(parsed))


def _write_plan(work: Work, actor: Actor, parsed: ParsedPlan) -> Plan:
    session = work.session
    plan = Plan(
        title=parsed.title,
        year=_year_of(parsed),
        source_name=parsed.source_name,
        source_sha256=parsed.source_sha256,
        sections=[s.to_json() for s in parsed.sections],
        imported_at=work.now,
        imported_by_id=actor.user_id,
        status=PlanStatus.DRAFT,  # published when checked (plan_status.py): no rounds before
    )
    try:
        with session.begin_nested():  # the same file confirmed twice at once: one wins
            session.add(plan)
            session.flush()
    except IntegrityError:
        raise Conflict("同一文件刚刚已被导入,请刷新后查看") from None
    return plan


def _change_words(change: TaskChange) -> str:
    words = [f"{name}" for name in change.fields]
    for label, added, removed in (
        ("牵头", change.leads_added, change.leads_removed),
        ("责任", change.co_added, change.co_removed),
        ("目标", change.targets_added, change.targets_removed),
    ):
        if added:
            words.append(f"+{label}:{'、'.join(added)}")
        if removed:
            words.append(f"-{label}:{'、'.join(removed)}")
    return (" (" + ";".join(words) + ")") if words else ""


_KIND_BY_SUFFIX = (
    ("街道", UnitKind.STREET),
    ("镇", UnitKind.TOWN),
    ("乡", UnitKind.TOWNSHIP),
    ("开发区", UnitKind.ZONE),
)


def guess_kind(name: str) -> UnitKind:
    for suffix, kind in _KIND_BY_SUFFIX:
        if name.endswith(suffix):
            return kind
    if name.startswith(("区", "团区委")) or re.search(r"(局|委|办|中心|部|院|队|会|联|公司|机关|所)$", name):
        return UnitKind.DEPARTMENT
    return UnitKind.OTHER


def _refused_names(names: tuple[str, ...], directory: UnitDirectory) -> list[str]:
    """Why names may not become units (issue 13 item 3): a name that does not read as a unit (no unit suffix
    such as 局 委 办 中心 公司 街道 镇 乡 政府 院 部 队 所 站 室 会), one that is already another name of a unit
    here (creating it would take that name from the unit), or one of this district's group words (各镇街: a
    plan from elsewhere names its own streets and towns by it)."""
    refused: list[str] = []
    for name in names:
        target = directory.resolve(name)
        if directory.members(name) is not None:
            refused.append(
                f"「{name}」是本区的统称,在其他地区的计划中不展开为本区单位,也不能新建为单位:请更正为具体单位。"
            )
        elif target is not None:
            refused.append(
                f"「{name}」是本区单位「{target}」的别称,不能以此名新建单位:请更正为要对应的单位,或改用其全称。"
            )
        elif not looks_like_unit(name, directory.is_known):
            refused.append(
                f"「{name}」不像单位名称(没有“局、委、办、中心、公司、街道、镇、乡、政府、院、部、队、所、站、室、会”等"
                "单位后缀,也不在单位名录中),不能新建为单位:请更正名称,或从单位名单中删去。"
            )
    return refused


def _create_units(work: Work, names: tuple[str, ...]) -> tuple[str, ...]:
    session = work.session
    district = session.scalar(select(Unit).where(Unit.kind == UnitKind.DISTRICT))
    for name in names:
        session.add(
            Unit(name=name, kind=guess_kind(name), parent_id=district.id if district else None, created_at=work.now)
        )
    session.flush()
    return names


def _year_of(parsed: ParsedPlan) -> int | None:
    for text in (parsed.title, parsed.source_name):
        found = re.search(r"(20\d{2})", text or "")
        if found:
            return int(found.group(1))
    return None
