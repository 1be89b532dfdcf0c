"""Demo data: the district's units, a demo account for every unit and role, and the 2024 plan.

Idempotent: what exists is left alone, so ``make run`` can call it every time.
"""

from __future__ import annotations

import calendar
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pypinyin import Style, lazy_pinyin
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Plan, Role, Unit, UnitAlias, UnitGroup, UnitGroupMember, UnitKind, User

from ..operations.common.actor import SYSTEM
from ..operations.directory.plan_import import import_plan
from ..operations.directory.plan_status import publish_plan
from ..passwords import hash_password
from ..runtime import Work

DATA = Path(__file__).resolve().parent.parent / "demo" / "data"
UNITS_FILE = DATA / "units.toml"
PLAN_FILE = DATA / "echeng-2024-sanxin-sanqiang.txt"
DEMO_PASSWORD = "duban-2024"
# The plan as the district published it has no title line (it is the text of a web page).
# The months the demo's key tasks are due by (end of month), by task number.
DEMO_DEADLINES = {1: 12, 2: 11, 3: 12, 4: 10, 5: 12, 6: 11, 7: 12, 8: 9, 9: 12, 10: 10, 11: 12, 12: 9, 13: 12, 14: 12}
PLAN_TITLE = "鄂城区开展“三新三强”打擂台、厚筑全市“压舱石”行动方案(2024年)"

ROLE_ACCOUNTS = (
    ("admin", "系统管理员", Role.ADMIN, UnitKind.OFFICE),
    ("duchashi", "督查室 王督查", Role.SUPERVISOR, UnitKind.OFFICE),
    ("lingdao", "区领导 李区长", Role.LEADER, UnitKind.LEADERSHIP),
)


@dataclass
class DemoSummary:
    units_created: int = 0
    users_created: int = 0
    plan_id: int | None = None
    plan_created: bool = False
    accounts: list[tuple[str, str, str]] = field(default_factory=list)  # (username, role, unit)
    round_played: str = ""  # what the demo round did (service/demo/round.py)

    def describe(self) -> str:
        lines = [
            f"单位: 新建 {self.units_created} 个; 账号: 新建 {self.users_created} 个; "
            f"计划: {'新导入' if self.plan_created else '已存在'} #{self.plan_id}",
            *([self.round_played] if self.round_played else []),
            f"演示账号(密码均为 {DEMO_PASSWORD}):",
        ]
        for username, role, unit in self.accounts:
            lines.append(f"  {username:<16} {role:<10} {unit}")
        return "\n".join(lines)


def unit_username(name: str, taken: set[str]) -> str:
    """Pinyin initials of the unit's name (区财政局 -> qczj), made unique."""
    base = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower() or "unit"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}{n}", n + 1
    taken.add(candidate)
    return candidate


def load_demo(work: Work, *, with_plan: bool = True, with_round: bool = True) -> DemoSummary:
    summary = DemoSummary()
    _load_units(work, summary)
    _load_users(work, summary)
    if with_plan:
        result = import_plan(work, SYSTEM, PLAN_FILE.read_bytes(), PLAN_FILE.name, title=PLAN_TITLE)
        summary.plan_id = result.plan_id
        summary.plan_created = not result.already_imported
        if summary.plan_created and result.plan_id is not None:
            # The demo plays the 2024 plan as this year's: the rounds open for it, its 序时 runs over
            # this year, and the year's end does not carry it over at once.
            plan = work.session.get(Plan, result.plan_id)
            if plan is not None:
                year = work.now.astimezone(work.runtime.config.tz).year
                plan.year = year
                # The real plan names no completion times; the demo gives each task one (完成时限).
                for task in plan.key_tasks:
                    month = DEMO_DEADLINES.get(task.number)
                    if month and task.deadline_text is None:
                        task.deadline_text = "年底前" if month == 12 else f"{month}月底前"
                        task.deadline_date = date(year, month, calendar.monthrange(year, month)[1])
                # Every unit has its demo accounts, so the plan publishes without force.
                publish_plan(work, SYSTEM, plan.id)
        if with_round and result.plan_id is not None:
            # Cycles at every step, played through the real operations (once: a plan with cycles is left alone).
            from .round import play_demo_round

            summary.round_played = play_demo_round(work, result.plan_id).describe()
    return summary


def _load_units(work: Work, summary: DemoSummary) -> None:
    session = work.session
    spec = tomllib.loads(UNITS_FILE.read_text(encoding="utf-8"))
    existing = {u.name: u for u in session.scalars(select(Unit))}

    def ensure(name: str, kind: UnitKind, parent: Unit | None) -> Unit:
        unit = existing.get(name)
        if unit is None:
            unit = Unit(name=name, kind=kind, parent_id=parent.id if parent else None, created_at=work.now)
            session.add(unit)
            session.flush()
            existing[name] = unit
            summary.units_created += 1
        return unit

    district = ensure(spec["district"], UnitKind.DISTRICT, None)
    for block in spec["units"]:
        for name in block["names"]:
            ensure(name, UnitKind(block["kind"]), district)
    for alias, target in spec.get("aliases", {}).items():
        if session.get(UnitAlias, alias) is None:
            session.add(UnitAlias(alias=alias, unit_id=existing[target].id))
    for word, kinds in spec.get("groups", {}).items():
        if session.scalar(select(UnitGroup.id).where(UnitGroup.name == word)) is not None:
            continue
        group = UnitGroup(name=word)
        members = [u for u in existing.values() if u.kind.value in kinds]
        members.sort(key=lambda u: u.id)
        group.members = [UnitGroupMember(unit_id=u.id, position=i) for i, u in enumerate(members)]
        session.add(group)
    session.flush()


def _load_users(work: Work, summary: DemoSummary) -> None:
    session = work.session
    taken = set(session.scalars(select(User.username)))
    existing_names = set(taken)
    # One hash for every demo account: they share the password, and hashing 100 times is slow.
    password_hash = hash_password(DEMO_PASSWORD)

    def ensure(username: str, display: str, role: Role, unit: Unit) -> None:
        summary.accounts.append((username, role.value, unit.name))
        if username in existing_names:
            return
        session.add(
            User(
                username=username,
                display_name=display,
                password_hash=password_hash,
                role=role,
                unit_id=unit.id,
                created_at=work.now,
            )
        )
        existing_names.add(username)
        summary.users_created += 1

    by_kind: dict[UnitKind, Unit] = {}
    units = session.scalars(select(Unit).order_by(Unit.id)).all()
    for unit in units:
        by_kind.setdefault(unit.kind, unit)
    for username, display, role, kind in ROLE_ACCOUNTS:
        taken.add(username)
        ensure(username, display, role, by_kind[kind])
    for unit in units:
        if unit.kind in (UnitKind.DISTRICT, UnitKind.OFFICE, UnitKind.LEADERSHIP):
            continue
        # Stable usernames: derived from the unit's name, so reloading finds the same accounts.
        head = _existing_username_for(session, unit, Role.UNIT_HEAD) or unit_username(unit.name, taken)
        ensure(head, f"{unit.name}负责人", Role.UNIT_HEAD, unit)
        staff = _existing_username_for(session, unit, Role.UNIT_STAFF) or f"{head}_jb"
        taken.add(staff)
        ensure(staff, f"{unit.name}经办人", Role.UNIT_STAFF, unit)
    session.flush()


def _existing_username_for(session: Session, unit: Unit, role: Role) -> str | None:
    return session.scalar(select(User.username).where(User.unit_id == unit.id, User.role == role).limit(1))
