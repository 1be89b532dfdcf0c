"""A unit's group robot (企业微信 or 钉钉), set by the admins: where copies of the notices addressed to
the unit go (``common/robot_outbox.py`` writes them, ``service/robots.py`` sends them).

The URL must be https:// (http:// too when ``[robots] allow_http``) to a public host
(service/addresses.py), without credentials or a fragment. Its key (企业微信 ``key``, 钉钉
``access_token``) and the 钉钉 加签 secret are credentials: the secret is never shown back (a view
says only whether one is set), the URL is shown with its key masked, and the audit trail records
neither.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from datetime import datetime

from db.models import Unit, UnitRobot

from ...addresses import literal_refusal
from ...errors import Invalid, NotFound
from ...runtime import Work
from ...vocabulary import RobotChannel
from ..common import audit, authz
from ..common.actor import Actor

MAX_URL = 500
MAX_SECRET = 200
SECRET = re.compile(r"SEC[\x21-\x7e]{8,197}")
KEYS = ("key", "access_token")


@dataclass(frozen=True)
class RobotView:
    unit_id: int
    unit_name: str
    channel: str | None  # None: no robot set
    channel_name: str
    url: str | None  # the key in it masked
    has_secret: bool
    updated_at: datetime | None


def masked(url: str) -> str:
    """The URL with the values of its key parameters shown as ****abcd (their last four characters)."""
    parts = urllib.parse.urlsplit(url)
    query = [
        (name, "****" + value[-4:] if name in KEYS and value else value)
        for name, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query, safe="*")))


def _unit(work: Work, unit_id: int) -> Unit:
    unit = work.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"单位 {unit_id} 不存在")
    return unit


def _view(unit: Unit, robot: UnitRobot | None) -> RobotView:
    if robot is None:
        return RobotView(unit.id, unit.name, None, "未设置", None, False, None)
    return RobotView(
        unit.id,
        unit.name,
        robot.channel.value,
        robot.channel.label,
        masked(robot.url),
        bool(robot.secret),
        robot.updated_at,
    )


def robot_of(work: Work, actor: Actor, unit_id: int) -> RobotView:
    """The unit's robot as an admin sees it (no secret). Raises Forbidden, NotFound."""
    authz.ensure_can_manage(actor, "管理单位")
    unit = _unit(work, unit_id)
    return _view(unit, work.session.get(UnitRobot, unit_id))


def _url(work: Work, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid("请填写机器人的 Webhook 地址", field="url")
    url = value.strip()
    if len(url) > MAX_URL:
        raise Invalid(f"Webhook 地址不能超过 {MAX_URL} 个字符", field="url")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise Invalid("Webhook 地址中不能有空白或控制字符", field="url")
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is no number)
    except ValueError:
        raise Invalid("Webhook 地址格式不对", field="url") from None
    allowed = ("https", "http") if work.runtime.config.robots.allow_http else ("https",)
    if parts.scheme not in allowed:
        raise Invalid("Webhook 地址应以 https:// 开头", field="url")
    if not parts.hostname:
        raise Invalid("Webhook 地址缺少主机名", field="url")
    refusal = None if work.runtime.config.robots.allow_private_hosts else literal_refusal(parts.hostname)
    if refusal:
        raise Invalid(f"Webhook 地址应为企业微信或钉钉的公网地址:{refusal}", field="url")
    if parts.username or parts.password:
        raise Invalid("Webhook 地址中不能含用户名或密码", field="url")
    if parts.fragment:
        raise Invalid("Webhook 地址中不能含 # 片段", field="url")
    return url


def set_robot(
    work: Work, actor: Actor, unit_id: int, *, channel: object, url: object, secret: object = None
) -> RobotView:
    """Sets (or replaces) the unit's robot. ``secret``: None keeps the one set (for the same channel),
    "" removes it, text sets it (钉钉 only: its 加签 key, "SEC…"). Audited as ``unit.robot_set``
    (the URL masked, the secret never). Raises Forbidden, NotFound, Invalid (field channel, url,
    secret)."""
    authz.ensure_can_manage(actor, "管理单位")
    unit = _unit(work, unit_id)
    if channel not in RobotChannel.labels():
        raise Invalid(f"channel 应为 {'、'.join(RobotChannel.labels())} 之一", field="channel")
    kind = RobotChannel(str(channel))
    address = _url(work, url)
    robot = work.session.get(UnitRobot, unit_id)
    if secret is not None and not isinstance(secret, str):
        raise Invalid("secret 应为文字", field="secret")
    if secret is None:
        key = robot.secret if robot is not None and robot.channel == kind else None
    else:
        key = secret.strip() or None
    if key is not None:
        if kind == RobotChannel.WECOM:
            raise Invalid("企业微信群机器人没有加签密钥,请留空", field="secret")
        if len(key) > MAX_SECRET or not SECRET.fullmatch(key):
            raise Invalid("钉钉加签密钥应为机器人安全设置中以 SEC 开头的字符串", field="secret")
    if robot is None:
        robot = UnitRobot(unit_id=unit.id, channel=kind, url=address, secret=key, updated_at=work.now)
        work.session.add(robot)
    robot.channel, robot.url, robot.secret = kind, address, key
    robot.updated_at, robot.updated_by_id = work.now, actor.user_id
    work.session.flush()
    data = {"unit_id": unit.id, "channel": kind.value, "url": masked(address), "secret_set": key is not None}
    audit.record(work, actor, "unit.robot_set", data=data)
    return _view(unit, robot)


def remove_robot(work: Work, actor: Actor, unit_id: int) -> RobotView:
    """Removes the unit's robot (messages not yet sent to it fail as "no robot"). Audited."""
    authz.ensure_can_manage(actor, "管理单位")
    unit = _unit(work, unit_id)
    robot = work.session.get(UnitRobot, unit_id)
    if robot is not None:
        work.session.delete(robot)
        work.session.flush()
        audit.record(work, actor, "unit.robot_removed", data={"unit_id": unit.id})
    return _view(unit, None)
