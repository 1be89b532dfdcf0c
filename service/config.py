"""config.toml, read once into frozen dataclasses. Unknown keys and wrong types are errors."""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "config.toml"


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = "sqlite:///var/duban.sqlite3"
    sqlite_synchronous: str = "FULL"


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 5000
    secret_key_file: str = "var/secret_key"
    # The address people open duban at (https://duban.example.gov.cn): e-mails and group-robot
    # messages link to the step they are about when it is set.
    public_url: str = ""


@dataclass(frozen=True)
class TimeConfig:
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True)
class EngineConfig:
    diagram: str = "bpmn/key_task_cycle.bpmn"
    closing_diagram: str = "bpmn/key_task_closing.bpmn"
    live_cycles: int = 128
    max_returns: int = 30


@dataclass(frozen=True)
class DeadlineConfig:
    default_working_days: int = 5
    yellow_before: int = 3
    steps: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PermissionConfig:
    head_required_steps: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AuthConfig:
    # Bearer tokens from POST /api/v1/auth/token live this long unless revoked.
    token_days: int = 30
    # Web sessions (the cookie) end after this many hours.
    session_hours: int = 12
    # Send the session cookie over HTTPS only (turn on behind TLS).
    secure_cookies: bool = False
    # Failed logins are counted over this window.
    throttle_window_minutes: int = 15
    # After this many failures for an account, each next attempt waits 2, 4, 8 … seconds.
    slow_after: int = 3
    # After this many failures for an account, it is refused for lock_minutes.
    lock_after: int = 10
    # An address (many people may share one) gets more tries before it is refused.
    address_lock_after: int = 50
    lock_minutes: int = 15


@dataclass(frozen=True)
class AttachmentConfig:
    max_mb: int = 20
    # Extensions allowed; each is also checked against the file's content.
    allowed_types: list[str] = field(
        default_factory=lambda: ["pdf", "docx", "xlsx", "doc", "xls", "png", "jpg", "jpeg", "txt", "zip"]
    )
    storage_dir: str = "var/attachments"


@dataclass(frozen=True)
class EscalationConfig:
    # Local time of day at which a level falls due on its working day (notices go out in office hours).
    at: str = "09:00"
    # Reminder (提醒) this many working days before the due day; 0 turns reminders off.
    remind_before: int = 1
    # 催办 this many working days after the due day.
    cuiban_after: int = 1
    # 督办 this many working days after 催办.
    duban_after: int = 5
    # A person for whom one scheduler pass raises more rungs than this gets one digest notice.
    digest_above: int = 5


@dataclass(frozen=True)
class RoundsConfig:
    # "quarter", "month" or "off": one reporting round per period, one cycle per active key task.
    period: str = "quarter"
    # A round opens on the first working day on or after this day of its period's first month, at open_at.
    open_day: int = 1
    open_at: str = "08:30"
    # Its report is due on this day of the month after the period (moved to the next working day).
    report_day: int = 20


@dataclass(frozen=True)
class SmtpConfig:
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 25
    # "none", "starttls" or "ssl"
    security: str = "none"
    username: str = ""
    sender: str = "duban@localhost"
    timeout_seconds: int = 10
    max_attempts: int = 5
    # First retry after this many seconds, doubling each time.
    retry_seconds: int = 60
    batch_size: int = 50


@dataclass(frozen=True)
class RobotsConfig:
    """Group robots (企业微信, 钉钉): copies of the notices addressed to a unit, to the URL its admin set."""

    enabled: bool = True
    timeout_seconds: int = 10
    max_attempts: int = 5
    # First retry after this many seconds, doubling each time.
    retry_seconds: int = 60
    batch_size: int = 50
    # Robot URLs must be https://; true admits http:// too (a relay inside the government network, tests).
    allow_http: bool = False
    # Robot URLs must point to public addresses; true admits loopback/private ones (a relay inside the
    # network, tests against a local server). See service/addresses.py.
    allow_private_hosts: bool = False


@dataclass(frozen=True)
class SchedulerConfig:
    interval_seconds: int = 30
    # Steps escalated per transaction.
    batch_size: int = 200
    # How often a web process looks for a calendar year another process loaded.
    calendar_check_seconds: int = 30


@dataclass(frozen=True)
class ExtensionConfig:
    # Beyond this many working days the leader must grant too, after the supervisor.
    leader_above_days: int = 5
    max_working_days: int = 30
    reason_max_length: int = 500


@dataclass(frozen=True)
class ProgressConfig:
    # 进度灯: yellow when an indicator's completion lags its 序时进度 by at least this many points,
    yellow_behind: float = 10
    # red when it lags by more than this many.
    red_behind: float = 30


@dataclass(frozen=True)
class ScoringConfig:
    """考评 points per unit per round (config.toml [scoring] explains each rule)."""

    base: float = 100
    on_time_step: float = 1
    overdue_step: float = -2
    cuiban: float = -1
    duban: float = -3
    returned: float = -1
    rejected: float = -2
    indicator_on_track: float = 2
    indicator_behind: float = -1
    closed_on_time: float = 5
    # Units named for praise (表扬) and criticism (通报批评) in the bulletin: the top and bottom of each league.
    praise_top: int = 3
    criticise_bottom: int = 3


@dataclass(frozen=True)
class Config:
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    server: ServerConfig = field(default_factory=ServerConfig)
    time: TimeConfig = field(default_factory=TimeConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)
    deadlines: DeadlineConfig = field(default_factory=DeadlineConfig)
    permissions: PermissionConfig = field(default_factory=PermissionConfig)
    escalation: EscalationConfig = field(default_factory=EscalationConfig)
    rounds: RoundsConfig = field(default_factory=RoundsConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    robots: RobotsConfig = field(default_factory=RobotsConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    extensions: ExtensionConfig = field(default_factory=ExtensionConfig)
    auth: AuthConfig = field(default_factory=AuthConfig)
    attachments: AttachmentConfig = field(default_factory=AttachmentConfig)
    progress: ProgressConfig = field(default_factory=ProgressConfig)
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    # Where relative paths point: the directory of the config file.
    base_dir: Path = REPO_ROOT

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time.timezone)

    def path(self, relative: str) -> Path:
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.base_dir / candidate

    @property
    def database_url(self) -> str:
        """The URL with a relative SQLite path made absolute against the config's directory."""
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.path(url[len(prefix) :]))
        return url


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Reads the config file (``DUBAN_CONFIG`` or the repository's), then the environment."""
    config_path = Path(path or os.environ.get("DUBAN_CONFIG") or DEFAULT_CONFIG).resolve()
    try:
        raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {config_path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: {exc}") from None
    for dotted, value in (overrides or {}).items():
        _set_dotted(raw, dotted, value)
    if os.environ.get("DUBAN_DATABASE_URL"):
        _set_dotted(raw, "database.url", os.environ["DUBAN_DATABASE_URL"])
    config = _build(Config, raw, str(config_path))
    config = dataclasses.replace(config, base_dir=config_path.parent)
    _check(config, str(config_path))
    return config


def _set_dotted(raw: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = raw
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def _build(cls: type[Any], table: dict[str, Any], where: str) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.name != "base_dir"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    values: dict[str, Any] = {}
    for name, value in table.items():
        values[name] = _convert(
            hints[name], value, f"{where}: [{name}]" if dataclasses.is_dataclass(hints[name]) else f"{where}: {name}"
        )
    return cls(**values)


def _convert(hint: Any, value: Any, where: str) -> Any:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table")
        return _build(hint, value, where)
    origin = typing.get_origin(hint)
    if origin is dict:
        _key_type, value_type = typing.get_args(hint)
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table")
        return {str(k): _convert(value_type, v, f"{where}.{k}") for k, v in value.items()}
    if origin is list:
        (item_type,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list")
        return [_convert(item_type, v, f"{where}[]") for v in value]
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        return _convert(options[0], value, where)
    simple: dict[Any, type | tuple[type, ...]] = {int: int, str: str, bool: bool, float: (int, float)}
    expected = simple.get(hint)
    if expected is None:
        return value
    if isinstance(value, bool) and hint is not bool:
        raise ConfigError(f"{where} must be {hint.__name__}, not {value!r}")
    if not isinstance(value, expected):
        raise ConfigError(f"{where} must be {hint.__name__}, not {value!r}")
    return value


def _check(config: Config, where: str) -> None:
    try:
        ZoneInfo(config.time.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: time.timezone {config.time.timezone!r} is not a known time zone") from None
    if config.deadlines.default_working_days < 1:
        raise ConfigError(f"{where}: deadlines.default_working_days must be at least 1")
    public = config.server.public_url
    if public and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", public):
        raise ConfigError(f"{where}: server.public_url must be an http(s) address such as https://duban.example.gov.cn")
    for step, days in config.deadlines.steps.items():
        if days < 1:
            raise ConfigError(f"{where}: deadlines.steps.{step} must be at least 1 working day")
    _check_scheduling(config, where)
    _check_auth(config, where)
    if not 0 < config.progress.yellow_behind <= config.progress.red_behind <= 100:
        raise ConfigError(f"{where}: progress needs 0 < yellow_behind <= red_behind <= 100")
    if config.scoring.praise_top < 0 or config.scoring.criticise_bottom < 0:
        raise ConfigError(f"{where}: scoring.praise_top and criticise_bottom must not be negative")
    if config.database.sqlite_synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise ConfigError(f"{where}: database.sqlite_synchronous must be OFF, NORMAL, FULL or EXTRA")


def _check_scheduling(config: Config, where: str) -> None:
    for name, value in (("escalation.at", config.escalation.at), ("rounds.open_at", config.rounds.open_at)):
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ConfigError(f'{where}: {name} must be a time of day such as "09:00", not {value!r}')
    esc = config.escalation
    if esc.remind_before < 0 or esc.cuiban_after < 1 or esc.duban_after < 1:
        raise ConfigError(f"{where}: escalation.remind_before >= 0, cuiban_after >= 1 and duban_after >= 1")
    if esc.digest_above < 0:
        raise ConfigError(f"{where}: escalation.digest_above >= 0")
    if config.rounds.period not in ("quarter", "month", "off"):
        raise ConfigError(f"{where}: rounds.period must be quarter, month or off")
    if not 1 <= config.rounds.open_day <= 28 or not 1 <= config.rounds.report_day <= 28:
        raise ConfigError(f"{where}: rounds.open_day and rounds.report_day must be between 1 and 28")
    if config.smtp.security not in ("none", "starttls", "ssl"):
        raise ConfigError(f"{where}: smtp.security must be none, starttls or ssl")
    if config.smtp.max_attempts < 1 or config.smtp.retry_seconds < 1 or config.smtp.batch_size < 1:
        raise ConfigError(f"{where}: smtp.max_attempts, retry_seconds and batch_size must be at least 1")
    if config.scheduler.interval_seconds < 1 or config.scheduler.batch_size < 1:
        raise ConfigError(f"{where}: scheduler.interval_seconds and batch_size must be at least 1")
    ext = config.extensions
    if ext.leader_above_days < 0 or ext.max_working_days < 1 or ext.reason_max_length < 10:
        raise ConfigError(f"{where}: extensions.leader_above_days >= 0, max_working_days >= 1, reason_max_length >= 10")


def _check_auth(config: Config, where: str) -> None:
    auth = config.auth
    if min(auth.token_days, auth.session_hours, auth.throttle_window_minutes, auth.lock_minutes) < 1:
        raise ConfigError(f"{where}: auth.token_days, session_hours, throttle_window_minutes, lock_minutes >= 1")
    if not 1 <= auth.slow_after < auth.lock_after <= auth.address_lock_after:
        raise ConfigError(f"{where}: auth needs 1 <= slow_after < lock_after <= address_lock_after")
    if config.attachments.max_mb < 1:
        raise ConfigError(f"{where}: attachments.max_mb must be at least 1")
    known = {"pdf", "docx", "xlsx", "doc", "xls", "png", "jpg", "jpeg", "gif", "txt", "zip", "ofd", "wps"}
    unknown = sorted(set(config.attachments.allowed_types) - known)
    if unknown:
        raise ConfigError(f"{where}: attachments.allowed_types has types duban cannot check: {', '.join(unknown)}")
