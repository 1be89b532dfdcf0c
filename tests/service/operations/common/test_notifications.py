"""In-app notifications, and e-mail through the outbox to a real SMTP server (aiosmtpd on loopback):
sent after commit, once, with retries and backoff."""

from __future__ import annotations

import dataclasses
import socket
import threading
from datetime import timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from db.models import MailStatus, Notification, OutboxMail, User
from service.errors import Forbidden, Invalid
from service.mail import send_outbox
from service.operations.common.actor import SYSTEM
from service.operations.common.notifications import (
    Notice,
    Recipients,
    list_notifications,
    mark_read,
    notify,
    unread_count,
)
from service.runtime import build_runtime
from service.scheduling.loops import run_escalations
from tests.helpers import count, local


class Mailbox:
    """An SMTP handler that keeps what it receives; addresses starting with 'refuse' get a 550."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A real SMTP server on loopback that can be stopped and started again on the same port."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    mailbox = Mailbox()
    server = Server(mailbox)
    server.start()
    yield server, mailbox
    server.stop()


@pytest.fixture
def mail_runtime(runtime, config, clock, smtp):
    """The same database, with [smtp] on and pointing at the local server."""
    controller, _ = smtp
    smtp_config = dataclasses.replace(config.smtp, enabled=True, port=controller.port, retry_seconds=60, max_attempts=3)
    rt = build_runtime(dataclasses.replace(config, smtp=smtp_config), clock)
    yield rt
    rt.dispose()


def test_notifications_list_count_and_mark_read(runtime, world, make):
    d = world
    with runtime.work(now=local(2024, 4, 1, 10)) as work:
        for n in range(3):
            notify(work, Recipients(work).unit(d.lead_unit.id), Notice(kind="test", title=f"通知{n}", body="正文"))
    with runtime.work(write=False) as work:
        page = list_notifications(work, d.lead_head, limit=2)
        assert [i.title for i in page.items] == ["通知2", "通知1"] and page.unread == 3
        rest = list_notifications(work, d.lead_head, limit=2, cursor=page.next_cursor)
        assert [i.title for i in rest.items] == ["通知0"] and rest.next_cursor is None
        assert unread_count(work, d.co_heads[0]) == 0
        mine = [i.id for i in page.items]
    with runtime.work(now=local(2024, 4, 1, 11)) as work:
        # Another unit's person cannot mark these (nor learn they exist): nothing changes.
        assert mark_read(work, d.co_heads[0], mine) == 0
        assert mark_read(work, d.lead_head, mine) == 2
        assert mark_read(work, d.lead_head, mine) == 0
    with runtime.work(write=False) as work:
        assert unread_count(work, d.lead_head) == 1 and unread_count(work, d.lead_staff) == 3
        unread = list_notifications(work, d.lead_head, unread_only=True)
        assert [i.title for i in unread.items] == ["通知0"]
    with runtime.work() as work:
        assert mark_read(work, d.lead_staff, everything=True) == 3
    for bad in (None, [], ["1"], [0], [True], list(range(1, 502))):
        with pytest.raises(Invalid) as caught, runtime.work() as work:
            mark_read(work, d.lead_head, bad)
        assert caught.value.field == "ids"
    with pytest.raises(Forbidden), runtime.work() as work:
        unread_count(work, SYSTEM)
    with pytest.raises(Invalid), runtime.work() as work:
        list_notifications(work, d.lead_head, cursor="bm90LWEtbnVtYmVy")


def test_no_mail_is_written_while_smtp_is_off(runtime, world):
    with runtime.work() as work:
        notify(work, Recipients(work).unit(world.lead_unit.id), Notice(kind="test", title="t", body="b"))
    assert count(runtime, Notification) == 2 and count(runtime, OutboxMail) == 0


def test_escalation_mail_goes_out_once_after_commit(runtime, mail_runtime, world, smtp):
    _, mailbox = smtp
    d = world
    from service.operations.cycles.start import start_cycle

    with mail_runtime.work(now=local(2024, 4, 1, 9)) as work:
        start_cycle(work, d.supervisor, d.key_task.id, "2024-Q2")
    # A notice in a transaction that is rolled back leaves no e-mail behind.
    with pytest.raises(RuntimeError), mail_runtime.work() as work:
        notify(work, Recipients(work).role("leader"), Notice(kind="test", title="不会发出", body="回滚"))
        raise RuntimeError("rolled back")
    assert count(runtime, OutboxMail) == 0

    # The dispatch overdue: the office's own step is a reminder to the office and the leader, not a
    # 催办 the office sends itself.
    now = local(2024, 4, 3, 9, 30)
    assert [e.level for e in run_escalations(mail_runtime, now)] == [2]
    assert count(runtime, OutboxMail, OutboxMail.status == MailStatus.PENDING) == 2
    report = send_outbox(mail_runtime, now)
    assert len(report.sent) == 2 and report.failed == report.retrying == []
    assert sorted(m["To"] for m in mailbox.messages) == ["duchashi@example.test", "lingdao@example.test"]
    message = mailbox.messages[0]
    assert message["Subject"] == "[督办] 重点任务1「推行产业链长制」2024年第二季度:区政府督查室的交办已逾期"
    assert "已于 2024-04-02 到期" in message.get_content() and "催办" not in message.get_content()
    assert send_outbox(mail_runtime, now + timedelta(hours=1)).sent == []
    assert len(mailbox.messages) == 2
    with runtime.work(write=False) as work:
        rows = work.session.scalars(select(OutboxMail)).all()
        assert {(row.status, row.attempts, row.sent_at) for row in rows} == {(MailStatus.SENT, 1, now)}


def write_mail(runtime, to_addresses, now):
    with runtime.work(now=now) as work:
        users = work.session.scalars(select(User).order_by(User.id)).all()
        for user, address in zip(users, to_addresses, strict=False):
            user.email = address
        work.session.flush()
        recipients = Recipients(work)
        people = [p for u in users[: len(to_addresses)] for p in recipients.unit(u.unit_id) if p.user_id == u.id]
        notify(work, people, Notice(kind="test", title="测试邮件", body="内容"))


def test_a_server_that_is_down_is_retried_with_backoff(runtime, mail_runtime, world, smtp):
    controller, mailbox = smtp
    now = local(2024, 4, 1, 10)
    write_mail(mail_runtime, ["a@example.test"], now)
    controller.stop()
    try:
        first = send_outbox(mail_runtime, now)
        assert first.retrying and not first.sent
        with runtime.work(write=False) as work:
            row = work.session.scalar(select(OutboxMail))
            assert (row.status, row.attempts, row.next_attempt_at) == (
                MailStatus.PENDING,
                1,
                now + timedelta(seconds=60),
            )
            assert "ConnectionRefused" in row.last_error
        assert send_outbox(mail_runtime, now + timedelta(seconds=59)).retrying == []  # not due yet
        second = send_outbox(mail_runtime, now + timedelta(seconds=60))
        assert second.retrying
        with runtime.work(write=False) as work:
            row = work.session.scalar(select(OutboxMail))
            assert row.next_attempt_at == now + timedelta(seconds=60 + 120)  # the delay doubles
    finally:
        controller.start()
    third = send_outbox(mail_runtime, now + timedelta(seconds=180))
    assert len(third.sent) == 1 and len(mailbox.messages) == 1


def test_the_last_attempt_fails_for_good(runtime, mail_runtime, world, smtp):
    controller, mailbox = smtp
    now = local(2024, 4, 1, 10)
    write_mail(mail_runtime, ["a@example.test"], now)
    controller.stop()
    try:
        for offset in (0, 60, 180):
            send_outbox(mail_runtime, now + timedelta(seconds=offset))
    finally:
        controller.start()
    with runtime.work(write=False) as work:
        row = work.session.scalar(select(OutboxMail))
        assert (row.status, row.attempts) == (MailStatus.FAILED, 3) and "已尝试 3 次" in row.last_error
    assert send_outbox(mail_runtime, now + timedelta(days=1)).sent == []
    assert mailbox.messages == []


def test_a_refused_address_is_not_retried(runtime, mail_runtime, world, smtp):
    _, mailbox = smtp
    now = local(2024, 4, 1, 10)
    write_mail(mail_runtime, ["refuse@example.test", "ok@example.test"], now)
    report = send_outbox(mail_runtime, now)
    assert len(report.sent) == 1 and len(report.failed) == 1 and report.retrying == []
    assert [m["To"] for m in mailbox.messages] == ["ok@example.test"]
    with runtime.work(write=False) as work:
        failed = work.session.scalar(select(OutboxMail).where(OutboxMail.status == MailStatus.FAILED))
        assert failed.to_addr == "refuse@example.test" and "拒绝" in failed.last_error


def test_two_senders_at_once_send_each_mail_once(runtime, mail_runtime, config, clock, world, smtp):
    _, mailbox = smtp
    now = local(2024, 4, 1, 10)
    addresses = [f"user{n}@example.test" for n in range(8)]
    write_mail(mail_runtime, addresses, now)
    second = build_runtime(mail_runtime.config, clock)
    barrier = threading.Barrier(2)
    reports = []

    def run(rt):
        barrier.wait()
        reports.append(send_outbox(rt, now))

    threads = [threading.Thread(target=run, args=(rt,)) for rt in (mail_runtime, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    second.dispose()
    assert sorted(m["To"] for m in mailbox.messages) == sorted(addresses)
    assert sum(len(r.sent) for r in reports) == len(addresses)


def test_a_mail_left_mid_send_is_not_sent_again(runtime, mail_runtime, world, smtp):
    _, mailbox = smtp
    now = local(2024, 4, 1, 10)
    write_mail(mail_runtime, ["a@example.test"], now)
    with runtime.work() as work:  # a sender claimed it, then died before recording the result
        work.session.execute(update(OutboxMail).values(status=MailStatus.SENDING, claimed_at=now, claim_token="x"))
    assert send_outbox(mail_runtime, now + timedelta(minutes=5)).sent == []
    send_outbox(mail_runtime, now + timedelta(minutes=16))
    with runtime.work(write=False) as work:
        row = work.session.scalar(select(OutboxMail))
        assert row.status == MailStatus.FAILED and "结果未知" in row.last_error
    assert mailbox.messages == []


def test_a_digest_after_a_gap_is_one_email_per_person(runtime, mail_runtime, world, make, smtp):
    """The scheduler was down for a month: one pass raises 催办 and 督办 of eight steps of the lead
    unit; its head gets one e-mail listing them, not sixteen."""
    from service.operations.cycles.complete import complete_human_task
    from service.operations.cycles.start import start_cycle
    from service.scheduling.jobs import run_due_jobs

    _, mailbox = smtp
    tasks = [world.key_task] + [make.key_task([world.lead_unit], [], number=10 + n) for n in range(7)]
    for key_task in tasks:
        with mail_runtime.work(now=local(2024, 4, 1, 9)) as work:
            started = start_cycle(work, world.supervisor, key_task.id, "2024-Q2")
            complete_human_task(work, world.supervisor, started.opened[0].id)
    send_outbox(mail_runtime, local(2024, 4, 1, 10))
    mailbox.messages.clear()
    report = run_due_jobs(mail_runtime, local(2024, 5, 6, 9, 30))
    assert report.failures == [] and report.mails_failed == 0
    to_head = [m for m in mailbox.messages if m["To"] == "lead_head@example.test"]
    assert [m["Subject"] for m in to_head] == ["[督办] 您有 8 项催办、8 项督办"]
    assert to_head[0].get_content().count("/human-tasks/") == 16
