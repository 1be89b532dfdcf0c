"""People who log in: add, disable, enable, reset a password, list. Admins only (and the CLI).

Disabling an account or resetting its password ends every web session of that user (server-side,
``sessions.py``) and moves its ``session_epoch``, which every bearer token carries: all of them
stop working at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from db.models import ApiToken, Role, Unit, User

from ...errors import Conflict, Invalid, NotFound
from ...passwords import hash_password, password_problem
from ...runtime import Work
from ...vocabulary import PERSON_ROLES, UnitKind
from ..common import audit, authz
from ..common.actor import Actor
from .sessions import end_sessions_of

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{1,63}$")
# A mainland China mobile number: 11 digits, 1 then 3-9 (GB/T and the MIIT numbering plan).
MOBILE = re.compile(r"1[3-9]\d{9}")
ROLES = tuple(r.value for r in PERSON_ROLES)


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    display_name: str
    role: str
    role_name: str
    unit_id: int
    unit: str
    email: str | None
    mobile: str | None
    active: bool
    created_at: datetime


def mobile_number(value: object) -> str | None:
    """A mobile number as stored: 11 digits (spaces, hyphens and a +86 / 86 prefix are dropped), or
    None for an empty value. Raises Invalid (field mobile) for anything else."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid("手机号应为文字", field="mobile")
    digits = re.sub(r"[\s\-]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not digits:
        return None
    if not MOBILE.fullmatch(digits):
        raise Invalid(f"手机号“{value.strip()}”不是有效的大陆手机号(11 位,以 13 至 19 开头)", field="mobile")
    return digits


def add_user(
    work: Work,
    actor: Actor,
    username: str,
    *,
    unit_name: str,
    role: str,
    password: str,
    display_name: str | None = None,
    email: str | None = None,
    mobile: str | None = None,
) -> UserView:
    """Adds an account. Raises Forbidden, Invalid (field username, role, password, unit, email,
    mobile, display_name), Conflict (the username is taken)."""
    authz.ensure_can_manage_users(actor)
    username = (username or "").strip()
    if not USERNAME.match(username):
        raise Invalid("用户名应为 2 到 64 位字母、数字或 _ . -,以字母或数字开头", field="username")
    if role not in ROLES:
        raise Invalid(f"角色应为 {'、'.join(ROLES)} 之一", field="role")
    problem = password_problem(password or "")
    if problem:
        raise Invalid(problem, field="password")
    unit = work.session.scalar(select(Unit).where(Unit.name == (unit_name or "").strip()))
    if unit is None:
        raise Invalid(f"单位“{unit_name}”不存在(可用 duban units list 查看单位名称)", field="unit")
    ensure_role_fits(Role(role), unit)
    if email is not None and email.strip() and "@" not in email:
        raise Invalid("电子邮箱格式不对", field="email")
    phone = mobile_number(mobile)
    if work.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"用户名 {username} 已存在")
    display = (display_name or "").strip() or f"{unit.name} {username}"
    if len(display) > 100:
        raise Invalid("姓名不能超过 100 字", field="display_name")
    user = User(
        username=username,
        display_name=display,
        password_hash=hash_password(password),
        role=Role(role),
        unit_id=unit.id,
        email=(email or "").strip() or None,
        mobile=phone,
        created_at=work.now,
    )
    work.session.add(user)
    work.session.flush()
    audit.record(work, actor, "user.added", data={"user_id": user.id, "username": username, "role": role})
    return _view(user, unit)


# Which kinds of unit each role's people sit in: the office's roles in the office's unit, the
# leaders in the leadership, the units' people in the units that act on key tasks (issue 11).
ROLE_UNIT_KINDS: dict[Role, frozenset[UnitKind]] = {
    Role.SUPERVISOR: frozenset({UnitKind.OFFICE}),
    Role.ADMIN: frozenset({UnitKind.OFFICE, UnitKind.DISTRICT}),
    Role.LEADER: frozenset({UnitKind.LEADERSHIP}),
}
OFFICE_KINDS = frozenset({UnitKind.OFFICE, UnitKind.LEADERSHIP, UnitKind.DISTRICT})


def ensure_role_fits(role: Role, unit: Unit) -> None:
    """Invalid (field ``role``) unless the role fits the unit's kind (``ROLE_UNIT_KINDS``): e.g. a
    督查室 account in a 区直部门 would see every unit's work from a unit's place."""
    kinds = ROLE_UNIT_KINDS.get(role)
    fits = unit.kind in kinds if kinds is not None else unit.kind not in OFFICE_KINDS
    if not fits:
        where = "、".join(k.label for k in kinds) if kinds else "承办单位(街道、镇、乡、开发区、区直部门等)"
        raise Invalid(
            f"“{unit.name}”是{UnitKind.label_of(unit.kind)},不能设{role.label}账号({role.label}只能设在{where})",
            field="role",
        )


def disable_user(work: Work, actor: Actor, username: str) -> UserView:
    """Disables an account; its sessions and tokens die at once. Disabling twice changes nothing."""
    authz.ensure_can_manage_users(actor)
    user = _user(work, username)
    if user.id == actor.user_id:
        raise Conflict("不能停用自己的账号")
    if user.active:
        user.active = False
        user.session_epoch += 1
        ended = end_sessions_of(work, user.id, "disabled")
        work.session.flush()
        audit.record(
            work,
            actor,
            "user.disabled",
            data={"user_id": user.id, "username": user.username, "sessions_ended": ended},
        )
    return _view(user, user.unit)


def enable_user(work: Work, actor: Actor, username: str) -> UserView:
    authz.ensure_can_manage_users(actor)
    user = _user(work, username)
    if not user.active:
        user.active = True
        work.session.flush()
        audit.record(work, actor, "user.enabled", data={"user_id": user.id, "username": user.username})
    return _view(user, user.unit)


def reset_password(work: Work, actor: Actor, username: str, password: str) -> UserView:
    """Sets a new password; the user's sessions and tokens end (they log in again)."""
    authz.ensure_can_manage_users(actor)
    user = _user(work, username)
    problem = password_problem(password or "")
    if problem:
        raise Invalid(problem, field="password")
    user.password_hash = hash_password(password)
    user.session_epoch += 1
    ended = end_sessions_of(work, user.id, "password_reset")
    # Tokens die with the epoch anyway; marking them revoked makes that visible in token lists.
    work.session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=work.now)
    )
    work.session.flush()
    audit.record(
        work,
        actor,
        "user.password_reset",
        data={"user_id": user.id, "username": user.username, "sessions_ended": ended},
    )
    return _view(user, user.unit)


def set_mobile(work: Work, actor: Actor, username: str, mobile: object) -> UserView:
    """Sets (or, empty, clears) an account's mobile number. Admins only; audited (the number is
    personal data: the event says only that it changed). Raises Forbidden, NotFound, Invalid."""
    authz.ensure_can_manage_users(actor)
    user = _user(work, username)
    phone = mobile_number(mobile)
    if user.mobile != phone:
        user.mobile = phone
        work.session.flush()
        audit.record(work, actor, "user.mobile_set", data={"user_id": user.id, "set": phone is not None})
    return _view(user, user.unit)


def list_users(work: Work, actor: Actor, *, include_disabled: bool = True) -> list[UserView]:
    authz.ensure_can_manage_users(actor)
    query = select(User, Unit).join(Unit, Unit.id == User.unit_id).order_by(User.id)
    if not include_disabled:
        query = query.where(User.active.is_(True))
    return [_view(user, unit) for user, unit in work.session.execute(query)]


def username_of(work: Work, actor: Actor, user_id: int) -> str:
    """The username of an account id (for callers that address accounts by id), admins only."""
    authz.ensure_can_manage_users(actor)
    username = work.session.scalar(select(User.username).where(User.id == user_id))
    if username is None:
        raise NotFound(f"用户 {user_id} 不存在")
    return username


def _user(work: Work, username: str) -> User:
    user = work.session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None:
        raise NotFound(f"用户 {username} 不存在")
    return user


def _view(user: User, unit: Unit) -> UserView:
    return UserView(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role.value,
        role_name=user.role.label,
        unit_id=unit.id,
        unit=unit.name,
        email=user.email,
        mobile=user.mobile,
        active=user.active,
        created_at=user.created_at,
    )
