"""The audit trail: every action appends one event in the same transaction as the action.

Events form one hash chain: each event's hash covers its content and the previous event's hash.
Appending takes a lock for the rest of the transaction (SQLite's write lock already serializes
writers; PostgreSQL takes a transaction-scoped advisory lock), so the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timezone
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from db.models import AuditEvent

from ...runtime import Work
from .actor import Actor

GENESIS = "0" * 64
_CHAIN_LOCK = 0x6475_6261_6E01  # an arbitrary constant naming the audit chain's advisory lock
_TAKE_CHAIN_LOCK = text(f"SELECT pg_advisory_xact_lock({_CHAIN_LOCK})")
_LAST_EVENT = select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
_APPEND = insert(AuditEvent)


@dataclass(frozen=True)
class Entry:
    """One event to append."""

    actor: Actor
    action: str
    cycle_id: int | None = None
    human_task_id: int | None = None
    step_id: str | None = None
    unit_id: int | None = None
    data: dict[str, Any] | None = None


def record(
    work: Work,
    actor: Actor,
    action: str,
    *,
    cycle_id: int | None = None,
    human_task_id: int | None = None,
    step_id: str | None = None,
    unit_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Appends one event."""
    append(work, [Entry(actor, action, cycle_id, human_task_id, step_id, unit_id, data)])


def append(work: Work, entries: list[Entry]) -> None:
    """Appends events in order, chained to the last one: one read of the chain's end and one
    insert however many there are (an escalation pass writes a thousand)."""
    if not entries:
        return
    conn = work.session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(_TAKE_CHAIN_LOCK)
    last = conn.execute(_LAST_EVENT).first()
    seq, prev_hash = (last.seq, last.hash) if last else (0, GENESIS)
    rows = []
    for entry in entries:
        seq += 1
        row: dict[str, Any] = {
            "seq": seq,
            "at": work.now,
            "action": entry.action,
            "actor_id": entry.actor.user_id,
            "actor_name": entry.actor.display_name,
            "actor_role": entry.actor.role,
            "unit_id": entry.unit_id if entry.unit_id is not None else entry.actor.unit_id,
            "cycle_id": entry.cycle_id,
            "human_task_id": entry.human_task_id,
            "step_id": entry.step_id,
            "data": entry.data or {},
            "ip": work.ip,
            "prev_hash": prev_hash,
        }
        row["hash"] = prev_hash = event_hash(SimpleNamespace(**row))
        rows.append(row)
    # A Core insert: the trail is append-only, the ORM's change tracking would only cost time.
    conn.execute(_APPEND, rows)


def event_hash(event: Any) -> str:
    """The hash of an event (a row, or anything with its attributes) chained to ``prev_hash``."""
    content = {
        "seq": event.seq,
        "at": event.at.astimezone(timezone.utc).isoformat(timespec="microseconds"),
        "action": event.action,
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "actor_role": event.actor_role,
        "unit_id": event.unit_id,
        "cycle_id": event.cycle_id,
        "human_task_id": event.human_task_id,
        "step_id": event.step_id,
        "data": event.data,
        "ip": event.ip,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((event.prev_hash + canonical).encode()).hexdigest()


@dataclass(frozen=True)
class Anchor:
    """A link of the chain written down outside the database (``SEQ:HASH``).

    The chain alone proves that nothing before its newest event was changed, but not that the
    newest events are still there: deleting the tail leaves a shorter chain that verifies. An
    anchor kept elsewhere (the operator's log, a mail, a printed page) closes that gap.
    """

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> Anchor:
        seq, sep, digest = text.strip().partition(":")
        digest = digest.lower()
        if not (sep and seq.isdigit() and int(seq) > 0 and len(digest) == 64):
            raise ValueError(f"锚点应为 序号:哈希(64 位十六进制),收到 {text!r}")
        try:
            int(digest, 16)
        except ValueError:
            raise ValueError(f"锚点的哈希应为 64 位十六进制,收到 {digest!r}") from None
        return cls(int(seq), digest)


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None  # seq of the first event that does not fit the chain
    reason: str | None
    head: Anchor | None = None  # the newest event, when the chain holds

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def chain_head(session: Session) -> Anchor | None:
    """The newest event as an anchor to write down (None while the trail is empty)."""
    last = session.execute(_LAST_EVENT).first()
    return Anchor(last.seq, last.hash) if last else None


def verify_chain(session: Session, batch: int = 2000, anchors: tuple[Anchor, ...] = ()) -> ChainReport:
    """Walks the chain in order; reports the first edited, inserted, reordered or missing event,
    and any anchor the chain no longer reaches or no longer matches."""
    pinned = {anchor.seq: anchor.hash for anchor in anchors}
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    last_seq = 0
    head: Anchor | None = None
    while True:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last_seq).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not events:
            break
        for event in events:
            if event.seq != expected_seq:
                return ChainReport(checked, expected_seq, f"事件 {expected_seq} 缺失(下一个是 {event.seq})")
            if event.prev_hash != expected_prev:
                return ChainReport(checked, event.seq, "与前一事件的哈希不衔接(前一事件被删除或篡改)")
            if event_hash(event) != event.hash:
                return ChainReport(checked, event.seq, "事件内容与其哈希不符(内容被篡改)")
            if event.seq in pinned and pinned[event.seq] != event.hash:
                return ChainReport(checked, event.seq, "与记录的锚点不符(此前的日志被整体改写)")
            expected_prev, expected_seq = event.hash, event.seq + 1
            checked += 1
        head = Anchor(events[-1].seq, events[-1].hash)
        last_seq = events[-1].seq
        session.expunge_all()
    beyond = [seq for seq in pinned if seq > last_seq]
    if beyond:
        return ChainReport(
            checked, last_seq + 1, f"日志止于第 {last_seq} 个事件,而锚点记录了第 {max(beyond)} 个事件(最新的事件被删除)"
        )
    return ChainReport(checked, None, None, head)
