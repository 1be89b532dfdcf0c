"""Notices to people: an in-app row per recipient, and, when SMTP is on, an outbox e-mail written in
the same transaction (sent after commit by ``service/mail.py``, so nothing goes out for work that
was rolled back).

Who hears of what is decided here by role and unit: the assigned unit's people, its head, the
supervisors, the leaders. What a notice says is decided in ``notice_texts.py`` (one place for the
words): build a notice with ``Notice.of(notice_texts.some_words(subject_of(...), …), human_task_id=…)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update

from db.models import Cycle, KeyTask, MailStatus, Notification, OutboxMail, Unit, User

from ...errors import Forbidden, Invalid
from ...runtime import Work
from ...vocabulary import Assignee, Role
from .actor import Actor
from .notice_texts import Subject, Words
from .paging import decode_cursor, encode_cursor
from .robot_outbox import RobotCopy, queue_robot_messages

NOTIFICATIONS = cast(Table, Notification.__table__)
OUTBOX = cast(Table, OutboxMail.__table__)
MAX_LIMIT = 200
MAX_MARK = 500


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str | None


class Recipients:
    """Looks people up once per transaction: an escalation pass asks the same questions often."""

    def __init__(self, work: Work) -> None:
        self.work = work
        self._by_unit: dict[tuple[int, tuple[str, ...]], tuple[Recipient, ...]] = {}
        self._by_role: dict[Role, tuple[Recipient, ...]] = {}

    def _query(self, *conditions: Any) -> tuple[Recipient, ...]:
        rows = self.work.session.execute(
            select(User.id, User.email).where(User.active.is_(True), *conditions).order_by(User.id)
        ).all()
        return tuple(Recipient(r.id, r.email) for r in rows)

    def unit(self, unit_id: int, *roles: Role) -> tuple[Recipient, ...]:
        """The unit's people (all, or those of the roles given)."""
        key = (unit_id, tuple(sorted(r.value for r in roles)))
        if key not in self._by_unit:
            conditions: list[Any] = [User.unit_id == unit_id]
            if roles:
                conditions.append(User.role.in_(roles))
            self._by_unit[key] = self._query(*conditions)
        return self._by_unit[key]

    def load_units(self, unit_ids: Iterable[int]) -> None:
        """Reads the people of several units in one query (a step opening for thirty co-units asks
        about each of them next)."""
        wanted = sorted({u for u in unit_ids if (u, ()) not in self._by_unit})
        if not wanted:
            return
        found: dict[int, list[Recipient]] = {u: [] for u in wanted}
        rows = self.work.session.execute(
            select(User.id, User.email, User.unit_id)
            .where(User.active.is_(True), User.unit_id.in_(wanted))
            .order_by(User.id)
        ).all()
        for row in rows:
            found[row.unit_id].append(Recipient(row.id, row.email))
        for unit_id, people in found.items():
            self._by_unit[(unit_id, ())] = tuple(people)

    def unit_head(self, unit_id: int) -> tuple[Recipient, ...]:
        """The unit's head; its staff when it has no head account (someone must hear of it)."""
        return self.unit(unit_id, Role.UNIT_HEAD) or self.unit(unit_id)

    def role(self, role: Role) -> tuple[Recipient, ...]:
        """Everyone active in this role."""
        if role not in self._by_role:
            self._by_role[role] = self._query(User.role == role)
        return self._by_role[role]

    def assignee(self, unit_id: int | None, role: str) -> tuple[Recipient, ...]:
        """Whoever has a step to do (``role`` is the human task's ``Assignee``): its unit's people,
        or the supervisors or leaders."""
        if role != Assignee.UNIT:
            return self.role(Role(role))
        return self.unit(unit_id) if unit_id is not None else ()

    def assignee_head(self, unit_id: int | None, role: str) -> tuple[Recipient, ...]:
        """As ``assignee``, but of a unit only its head (or its staff when it has no head)."""
        if role != Assignee.UNIT:
            return self.role(Role(role))
        return self.unit_head(unit_id) if unit_id is not None else ()


@dataclass(frozen=True)
class Notice:
    """One notice, written once per recipient. ``to_unit_id`` is the unit it is addressed to, when it
    is (its group robot, if the admin set one, gets a copy through the outbox)."""

    kind: str
    title: str
    body: str
    human_task_id: int | None = None
    key_task_id: int | None = None
    escalation_id: int | None = None
    extension_id: int | None = None
    to_unit_id: int | None = None

    @classmethod
    def of(
        cls,
        words: Words,
        *,
        human_task_id: int | None = None,
        key_task_id: int | None = None,
        escalation_id: int | None = None,
        extension_id: int | None = None,
        to_unit_id: int | None = None,
    ) -> Notice:
        """A notice saying ``words`` (from ``notice_texts``), pointing at what it is about."""
        return cls(
            kind=words.kind.value,
            title=words.title,
            body=words.body,
            human_task_id=human_task_id,
            key_task_id=key_task_id,
            escalation_id=escalation_id,
            extension_id=extension_id,
            to_unit_id=to_unit_id,
        )


def unit_name(work: Work, unit_id: int | None) -> str:
    """A unit's name for a notice ("" for none)."""
    if unit_id is None:
        return ""
    return work.session.scalar(select(Unit.name).where(Unit.id == unit_id)) or ""


def subject_of(work: Work, *, cycle_id: int) -> Subject:
    """The key task (number, title) and round of a cycle, as every notice about it names them.
    Raises ``LookupError`` for a cycle that does not exist (a caller's bug)."""
    row = work.session.execute(
        select(KeyTask.number, KeyTask.title, Cycle.round)
        .join(Cycle, Cycle.key_task_id == KeyTask.id)
        .where(Cycle.id == cycle_id)
    ).first()
    if row is None:
        raise LookupError(f"cycle {cycle_id}")
    return Subject(row.number, row.title, row.round)


def notify(work: Work, recipients: Iterable[Recipient], notice: Notice) -> int:
    """Writes the notice for every recipient (each once) and its e-mails; returns how many people."""
    return notify_many(work, [(recipients, notice)])


def notify_many(work: Work, batch: Sequence[tuple[Iterable[Recipient], Notice]]) -> int:
    """Several notices in two statements: an escalation pass writes thousands. A notice addressed to
    a unit (``to_unit_id``) is also copied to that unit's group robot, if it has one
    (``robot_outbox``). Returns how many in-app notices were written."""
    rows: list[dict[str, Any]] = []
    mails: list[tuple[int, Recipient, Notice]] = []
    copies = [
        RobotCopy(notice.to_unit_id, notice.kind, notice.title, notice.body, notice.human_task_id)
        for _people, notice in batch
        if notice.to_unit_id is not None
    ]
    queue_robot_messages(work, copies)
    for recipients, notice in batch:
        seen: set[int] = set()
        for person in recipients:
            if person.user_id in seen:
                continue
            seen.add(person.user_id)
            rows.append(
                {
                    "user_id": person.user_id,
                    "kind": notice.kind,
                    "title": notice.title,
                    "body": notice.body,
                    "human_task_id": notice.human_task_id,
                    "key_task_id": notice.key_task_id,
                    "escalation_id": notice.escalation_id,
                    "extension_id": notice.extension_id,
                    "created_at": work.now,
                    "read_at": None,
                }
            )
            mails.append((len(rows) - 1, person, notice))
    if not rows:
        return 0
    conn = work.session.connection()
    smtp = work.runtime.config.smtp
    if not smtp.enabled:
        conn.execute(insert(NOTIFICATIONS), rows)
        return len(rows)
    ids = conn.execute(insert(NOTIFICATIONS).returning(NOTIFICATIONS.c.id, sort_by_parameter_order=True), rows)
    notification_ids = [r.id for r in ids]
    outbox = [
        {
            "to_addr": person.email,
            "subject": f"[督办] {notice.title}",
            "body": mail_body(work, notice),
            "notification_id": notification_ids[index],
            "status": MailStatus.PENDING,
            "attempts": 0,
            "created_at": work.now,
            "next_attempt_at": work.now,
        }
        for index, person, notice in mails
        if person.email
    ]
    if outbox:
        conn.execute(insert(OUTBOX), outbox)
    return len(rows)


def mail_body(work: Work, notice: Notice) -> str:
    """A notice as an e-mail's text: its body, with the steps it names as full links when
    ``[server] public_url`` is set, and the link to its own step."""
    base = work.runtime.config.server.public_url.rstrip("/")
    body = notice.body
    if base:
        body = body.replace("→ /human-tasks/", f"→ {base}/human-tasks/")
        if notice.human_task_id is not None:
            body += f"\n\n办理地址:{base}/human-tasks/{notice.human_task_id}"
    return f"{body}\n\n(此邮件由督办系统自动发送,请登录系统查看和办理。)"


# -- reading and marking --------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationItem:
    id: int
    kind: str
    title: str
    body: str
    human_task_id: int | None
    key_task_id: int | None
    escalation_id: int | None
    extension_id: int | None
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True)
class NotificationPage:
    items: tuple[NotificationItem, ...]
    unread: int
    next_cursor: str | None


def _person(actor: Actor) -> int:
    if actor.user_id is None:
        raise Forbidden("系统账号没有通知")
    return actor.user_id


def list_notifications(
    work: Work, actor: Actor, *, unread_only: bool = False, limit: int = 50, cursor: str | None = None
) -> NotificationPage:
    """The actor's own notices, newest first."""
    user_id = _person(actor)
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit 应在 1 到 {MAX_LIMIT} 之间", field="limit")
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if cursor:
        (after,) = decode_cursor(cursor, int)
        query = query.where(Notification.id < after)
    found = list(work.session.scalars(query.order_by(Notification.id.desc()).limit(limit + 1)))
    more = len(found) > limit
    found = found[:limit]
    items = tuple(
        NotificationItem(
            id=n.id,
            kind=n.kind,
            title=n.title,
            body=n.body,
            human_task_id=n.human_task_id,
            key_task_id=n.key_task_id,
            escalation_id=n.escalation_id,
            extension_id=n.extension_id,
            created_at=n.created_at,
            read_at=n.read_at,
        )
        for n in found
    )
    next_cursor = encode_cursor(items[-1].id) if more and items else None
    return NotificationPage(items=items, unread=unread_count(work, actor), next_cursor=next_cursor)


def unread_count(work: Work, actor: Actor) -> int:
    user_id = _person(actor)
    return (
        work.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(work: Work, actor: Actor, ids: object = None, *, everything: bool = False) -> int:
    """Marks the actor's notices read (those listed, or all); returns how many changed.

    Ids of other people's notices are passed over: they are neither changed nor disclosed."""
    user_id = _person(actor)
    statement = (
        update(NOTIFICATIONS)
        .where(NOTIFICATIONS.c.user_id == user_id, NOTIFICATIONS.c.read_at.is_(None))
        .values(read_at=work.now)
    )
    if not everything:
        if not isinstance(ids, list) or not ids:
            raise Invalid("ids 应为通知编号的列表(或设置 all 为 true)", field="ids")
        if len(ids) > MAX_MARK:
            raise Invalid(f"一次最多标记 {MAX_MARK} 条通知", field="ids")
        for position, value in enumerate(ids):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise Invalid(f"ids 第 {position + 1} 项 {value!r} 不是有效的通知编号", field="ids")
        statement = statement.where(NOTIFICATIONS.c.id.in_(ids))
    return work.session.connection().execute(statement).rowcount
