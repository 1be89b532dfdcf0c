"""Group robots (企业微信, 钉钉) through the outbox, against a real HTTP server on loopback: written
with the notice, sent after commit, once, signed as DingTalk documents, with retries and backoff."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import threading
import urllib.parse
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from db.models import MailStatus, OutboxRobot
from service.operations.directory.robots import remove_robot, set_robot
from service.robots import dingtalk_sign, send_robots
from service.runtime import build_runtime
from tests.helpers import count, local, open_tasks

SECRET = "SEC0123456789abcdef0123456789abcdef"


class Robots:
    """A robot endpoint on loopback: records every POST; ``answers`` queues what to say next
    (an HTTP status, or a JSON errcode), after which it says errcode 0."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answers: list[tuple[int, int]] = []  # (HTTP status, errcode)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                owner.received.append({"path": self.path, "body": body, "type": self.headers["Content-Type"]})
                status, errcode = owner.answers.pop(0) if owner.answers else (200, 0)
                answer = json.dumps({"errcode": errcode, "errmsg": "ok" if errcode == 0 else "no"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    stopped = False

    def stop(self) -> None:
        self.stopped = True
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robots():
    server = Robots()
    yield server
    if not server.stopped:
        server.stop()


@pytest.fixture
def robot_runtime(runtime, config, clock):
    """The same database, with http:// and loopback robot URLs admitted (the local server) and short backoff."""
    rt = build_runtime(
        dataclasses.replace(
            config,
            robots=dataclasses.replace(
                config.robots, allow_http=True, allow_private_hosts=True, retry_seconds=60, max_attempts=3
            ),
        ),
        clock,
    )
    yield rt
    rt.dispose()


def test_notices_to_units_reach_their_robots_once_signed_after_commit(
    runtime, robot_runtime, robots, world, start, act, open_steps
):
    with robot_runtime.work() as work:
        set_robot(
            work,
            world.admin,
            world.lead_unit.id,
            channel="dingtalk",
            url=robots.url("/robot/send?access_token=abc123"),
            secret=SECRET,
        )
        set_robot(
            work, world.admin, world.co_units[0].id, channel="wecom", url=robots.url("/cgi-bin/webhook/send?key=k1")
        )
    cycle_id = start()
    act(world.supervisor, open_steps(cycle_id, "dispatch")[0].id)
    # Written with the notice, not sent yet: nothing has gone out before the sender runs.
    assert count(runtime, OutboxRobot) == 1 and robots.received == []
    act(world.lead_head, open_steps(cycle_id, "sign_for")[0].id)
    assert count(runtime, OutboxRobot) == 2  # the co-unit with a robot; the other two have none

    now = local(2024, 4, 1, 10)
    report = send_robots(robot_runtime, now)
    assert len(report.sent) == 2 and report.failed == report.retrying == []
    (ding,) = [r for r in robots.received if r["path"].startswith("/robot/")]
    (wecom,) = [r for r in robots.received if r["path"].startswith("/cgi-bin/")]
    # 钉钉: markdown with a title, and the URL signed: sign = urlencode(base64(HMAC-SHA256(secret,
    # "timestamp\nsecret"))), the timestamp in milliseconds of the sender's clock.
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(ding["path"]).query)
    timestamp = query["timestamp"][0]
    assert int(timestamp) == int(now.timestamp() * 1000) and query["access_token"] == ["abc123"]
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == [expected]  # parse_qs undid the URL-encoding
    assert "%2B" in ding["path"] or "+" not in expected  # a "+" in Base64 travels encoded
    assert ding["body"]["msgtype"] == "markdown" and ding["type"].startswith("application/json")
    assert ding["body"]["markdown"]["title"] == "重点任务1「推行产业链长制」2024年第二季度:签收待办理"
    assert ding["body"]["markdown"]["text"].startswith("**重点任务1「推行产业链长制」2024年第二季度:签收待办理**")
    # 企业微信: markdown content, no signature.
    assert wecom["path"] == "/cgi-bin/webhook/send?key=k1"
    assert "配合单位意见待办理" in wecom["body"]["markdown"]["content"]
    # Once: the next pass sends nothing more.
    assert send_robots(robot_runtime, now + timedelta(hours=1)).sent == []
    assert len(robots.received) == 2

    # A notice in a transaction that is rolled back leaves no robot message behind.
    with pytest.raises(RuntimeError), robot_runtime.work() as work:
        from service.operations.common.notifications import Notice, notify

        notify(work, [], Notice(kind="test", title="不会发出", body="回滚", to_unit_id=world.lead_unit.id))
        raise RuntimeError("rolled back")
    assert count(runtime, OutboxRobot) == 2


def test_failures_are_retried_with_backoff_and_permanent_ones_stop(runtime, robot_runtime, robots, world):
    from service.operations.common.notifications import Notice, notify

    with robot_runtime.work() as work:
        set_robot(work, world.admin, world.lead_unit.id, channel="wecom", url=robots.url("/send?key=k"))
    now = local(2024, 4, 1, 10)

    def write(title: str) -> int:
        with robot_runtime.work(now=now) as work:
            notify(work, [], Notice(kind="test", title=title, body="正文", to_unit_id=world.lead_unit.id))
        with runtime.work(write=False) as work:
            return work.session.scalar(select(OutboxRobot.id).where(OutboxRobot.title == title))

    def row(row_id: int) -> OutboxRobot:
        with runtime.work(write=False) as work:
            found = work.session.get(OutboxRobot, row_id)
            work.session.expunge(found)
            return found

    # HTTP 500, then the robot's rate limit (errcode 45009): each a retry after a doubling delay.
    busy = write("忙")
    robots.answers = [(500, 0), (200, 45009)]
    assert send_robots(robot_runtime, now).retrying == [busy]
    assert (row(busy).status, row(busy).attempts, row(busy).next_attempt_at) == (
        MailStatus.PENDING,
        1,
        now + timedelta(seconds=60),
    )
    assert send_robots(robot_runtime, now + timedelta(seconds=59)).retrying == []  # not due yet
    assert send_robots(robot_runtime, now + timedelta(seconds=60)).retrying == [busy]
    assert row(busy).next_attempt_at == now + timedelta(seconds=60 + 120)
    assert send_robots(robot_runtime, now + timedelta(seconds=180)).sent == [busy]
    assert len(robots.received) == 3

    # A wrong key (errcode 93000) or an HTTP 404 is not worth retrying.
    wrong = write("错")
    robots.answers = [(200, 93000)]
    assert send_robots(robot_runtime, now + timedelta(seconds=200)).failed == [wrong]
    assert "93000" in row(wrong).last_error

    # A robot that does not answer: retried up to max_attempts, then failed.
    down = write("断")
    robots.stop()
    at = now + timedelta(seconds=300)
    for attempt in range(3):
        report = send_robots(robot_runtime, at)
        at = at + timedelta(hours=1)
        assert (report.retrying if attempt < 2 else report.failed) == [down]
    assert row(down).status == MailStatus.FAILED and "已尝试 3 次" in row(down).last_error

    # A robot the admin removed meanwhile: its messages fail, naming why.
    gone = write("撤")
    with robot_runtime.work() as work:
        remove_robot(work, world.admin, world.lead_unit.id)
    assert send_robots(robot_runtime, at).failed == [gone]
    assert row(gone).last_error == "该单位已不再设置群机器人"


def test_the_dingtalk_signature_is_the_documented_one():
    # Worked by hand: HMAC-SHA256 keyed with the secret over "1700000000000\nSECabc", Base64, then
    # URL-encoded (quote_plus: "+" -> %2B, "/" -> %2F, "=" -> %3D).
    digest = hmac.new(b"SECabc", b"1700000000000\nSECabc", hashlib.sha256).digest()
    assert dingtalk_sign("SECabc", 1700000000000) == urllib.parse.quote_plus(base64.b64encode(digest).decode())
    assert "=" not in dingtalk_sign("SECabc", 1700000000000)


def test_with_a_public_address_robot_messages_link_to_their_step(runtime, config, clock, robots, world, start, act):
    rt = build_runtime(
        dataclasses.replace(
            config,
            robots=dataclasses.replace(config.robots, allow_http=True, allow_private_hosts=True),
            server=dataclasses.replace(config.server, public_url="https://duban.example.gov.cn/"),
        ),
        clock,
    )
    try:
        with rt.work() as work:
            set_robot(work, world.admin, world.lead_unit.id, channel="wecom", url=robots.url("/send?key=k"))
        cycle_id = start()
        with rt.work() as work:
            from service.operations.cycles.complete import complete_human_task

            done = complete_human_task(work, world.supervisor, open_tasks(runtime, cycle_id, "dispatch")[0].id)
        assert send_robots(rt, local(2024, 4, 1, 10)).sent
        (message,) = robots.received
        link = f"[查看办理](https://duban.example.gov.cn/human-tasks/{done.opened[0].id})"
        assert message["body"]["markdown"]["content"].endswith(link)
    finally:
        rt.dispose()


def test_after_a_gap_a_units_robot_gets_one_digest(runtime, robot_runtime, robots, world, make):
    from service.operations.cycles.complete import complete_human_task
    from service.operations.cycles.start import start_cycle
    from service.scheduling.loops import run_escalations

    with robot_runtime.work() as work:
        set_robot(work, world.admin, world.lead_unit.id, channel="wecom", url=robots.url("/send?key=k"))
    tasks = [world.key_task] + [make.key_task([world.lead_unit], [], number=10 + n) for n in range(7)]
    for key_task in tasks:
        with robot_runtime.work(now=local(2024, 4, 1, 9)) as work:
            started = start_cycle(work, world.supervisor, key_task.id, "2024-Q2")
            complete_human_task(work, world.supervisor, started.opened[0].id)
    send_robots(robot_runtime, local(2024, 4, 1, 10))
    robots.received.clear()
    assert len(run_escalations(robot_runtime, local(2024, 5, 6, 9, 30))) == 16
    assert len(send_robots(robot_runtime, local(2024, 5, 6, 9, 31)).sent) == 1
    (message,) = robots.received
    assert message["body"]["markdown"]["content"].startswith("**您有 8 项催办、8 项督办**")


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:6379/hook",
        "https://localhost/cgi-bin/webhook/send?key=k",
        "https://10.1.2.3/send",
        "https://192.168.0.9/send",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/send",
        "https://[::ffff:127.0.0.1]/send",
        "https://0.0.0.0/send",
    ],
)
def test_a_robot_url_inside_the_network_is_refused(runtime, world, url):
    from service.errors import Invalid

    with pytest.raises(Invalid) as refused, runtime.work() as work:
        set_robot(work, world.admin, world.lead_unit.id, channel="wecom", url=url)
    assert refused.value.field == "url" and "公网地址" in refused.value.detail


def test_a_robot_set_inside_the_network_is_not_posted_to_once_that_is_no_longer_allowed(
    runtime, config, clock, robot_runtime, robots, world, start, act, open_steps
):
    """The sender checks the address again before each post (a setting changed, a name that now resolves
    inside): the message fails for good, with the reason, and nothing reaches the inside server."""
    with robot_runtime.work() as work:
        set_robot(work, world.admin, world.lead_unit.id, channel="wecom", url=robots.url("/send?key=k"))
    strict = build_runtime(
        dataclasses.replace(config, robots=dataclasses.replace(config.robots, allow_http=True)), clock
    )
    try:
        cycle_id = start()
        act(world.supervisor, open_steps(cycle_id, "dispatch")[0].id)
        report = send_robots(strict, local(2024, 4, 1, 10))
        assert len(report.failed) == 1 and report.sent == []
        assert robots.received == []
        with runtime.work() as work:
            failed = work.session.get(OutboxRobot, report.failed[0])
            assert failed is not None and "不是公网地址" in (failed.last_error or "")
    finally:
        strict.dispose()
