"""config.toml, read once into frozen dataclasses. Unknown keys and wrong types are errors."""

from __future__ import annotations

import dataclasses
import os
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


@dataclass(frozen=True)
class TimeConfig:
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True)
class EngineConfig:
    diagram: str = "bpmn/key_task_cycle.bpmn"
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
class Config:
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    server: ServerConfig = field(default_factory=ServerConfig)
    time: TimeConfig = field(default_factory=TimeConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)
    deadlines: DeadlineConfig = field(default_factory=DeadlineConfig)
    permissions: PermissionConfig = field(default_factory=PermissionConfig)
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
    for step, days in config.deadlines.steps.items():
        if days < 1:
            raise ConfigError(f"{where}: deadlines.steps.{step} must be at least 1 working day")
    if config.database.sqlite_synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise ConfigError(f"{where}: database.sqlite_synchronous must be OFF, NORMAL, FULL or EXTRA")
