"""Copies of notices for the units' group robots (企业微信, 钉钉), written to the outbox in the
transaction of the notice (so nothing goes out for work that was rolled back) and sent after commit
by ``service/robots.py``. Only units whose admin set a robot (``unit_robots``) and that are active get
one; the robot's URL and secret are read when the message is sent, never copied here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select

from db.models import MailStatus, OutboxRobot, Unit, UnitRobot

from ...runtime import Work

ROBOTS = cast(Table, OutboxRobot.__table__)


@dataclass(frozen=True)
class RobotCopy:
    """What one unit's robot is to say: the notice's kind, title and body."""

    unit_id: int
    kind: str
    title: str
    body: str
    human_task_id: int | None = None


def markdown(title: str, body: str, base: str = "", human_task_id: int | None = None) -> str:
    """The message as both robots read markdown: the title in bold, then the body line by line.
    Text people wrote (comments, reasons) is shown, never rendered: angle brackets (WeCom reads some
    HTML) become full-width, and a line that would start markdown (#, >, -, *) is kept as text.
    With ``base`` (``[server] public_url``) the steps named become links."""

    def plain(text: str) -> str:
        text = text.replace("<", "<").replace(">", ">")
        return "\\" + text if text[:1] in "#>-*+`|" and text else text

    lines = [plain(line) for line in body.splitlines()]
    if base:
        lines = [line.replace("→ /human-tasks/", f"→ {base}/human-tasks/") for line in lines]
        if human_task_id is not None:
            lines.append(f"[查看办理]({base}/human-tasks/{human_task_id})")
    return f"**{plain(title)}**\n\n" + "\n\n".join(line for line in lines if line.strip())


def units_with_robot(work: Work, unit_ids: Iterable[int]) -> list[int]:
    """Which of these units are active and have a robot set (one query; none when robots are off)."""
    wanted = set(unit_ids)
    if not wanted or not work.runtime.config.robots.enabled:
        return []
    return list(
        work.session.scalars(
            select(UnitRobot.unit_id)
            .join(Unit, Unit.id == UnitRobot.unit_id)
            .where(UnitRobot.unit_id.in_(wanted), Unit.active.is_(True))
        )
    )


def queue_robot_messages(work: Work, copies: Sequence[RobotCopy]) -> int:
    """Writes an outbox row for every copy whose unit has a robot (and is active); returns how many.
    One query for the units, one insert."""
    if not copies:
        return 0
    with_robot = set(units_with_robot(work, (copy.unit_id for copy in copies)))
    base = work.runtime.config.server.public_url.rstrip("/")
    rows: list[dict[str, Any]] = [
        {
            "unit_id": copy.unit_id,
            "kind": copy.kind,
            "title": copy.title,
            "text": markdown(copy.title, copy.body, base, copy.human_task_id),
            "status": MailStatus.PENDING,
            "attempts": 0,
            "created_at": work.now,
            "next_attempt_at": work.now,
        }
        for copy in copies
        if copy.unit_id in with_robot
    ]
    if rows:
        work.session.connection().execute(insert(ROBOTS), rows)
    return len(rows)
