"""The district's units as the parser knows them: canonical names, aliases and group words."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .normalize import normalize_name


@dataclass(frozen=True)
class UnitDirectory:
    """Canonical unit names, other names they go by, and group words that stand for several units.

    Every lookup goes through `normalize_name`, so 區財政局, 区财政局 and "区财政局 " all find 区财政局.
    `district` (e.g. 鄂城区) lets "鄂城区财政局" resolve as "区财政局".
    """

    units: tuple[str, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    district: str = ""
    _names: Mapping[str, str] = field(init=False, repr=False, compare=False)
    _groups: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names: dict[str, str] = {}
        for unit in self.units:
            names[normalize_name(unit)] = unit
        canonical = set(self.units)
        for alias, target in self.aliases.items():
            if target not in canonical:
                raise ValueError(f"alias {alias!r} points to {target!r}, which is not a unit")
            names.setdefault(normalize_name(alias), target)
        groups: dict[str, tuple[str, ...]] = {}
        for word, members in self.groups.items():
            unknown = [member for member in members if member not in canonical]
            if unknown:
                raise ValueError(f"group {word!r} names units that are not in the directory: {unknown}")
            groups[normalize_name(word)] = tuple(members)
        # Frozen: the lookup tables are set once here and never change.
        object.__setattr__(self, "aliases", MappingProxyType(dict(self.aliases)))
        object.__setattr__(self, "groups", MappingProxyType({k: tuple(v) for k, v in self.groups.items()}))
        object.__setattr__(self, "_names", MappingProxyType(names))
        object.__setattr__(self, "_groups", MappingProxyType(groups))

    def _keys(self, name: str) -> list[str]:
        key = normalize_name(name)
        keys = [key]
        if self.district and key.startswith(self.district) and len(key) > len(self.district):
            keys.append("区" + key[len(self.district) :])
        return keys

    def resolve(self, name: str) -> str | None:
        """The canonical name of the unit written as `name`, or None (unknown units and group words)."""
        for key in self._keys(name):
            found = self._names.get(key)
            if found is not None:
                return found
        return None

    def members(self, name: str) -> tuple[str, ...] | None:
        """The canonical members of the group word written as `name`, in directory order; None if no group."""
        for key in self._keys(name):
            found = self._groups.get(key)
            if found is not None:
                return found
        return None

    def is_known(self, name: str) -> bool:
        return self.resolve(name) is not None or self.members(name) is not None

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> UnitDirectory:
        """Read a units.toml: `[[units]]` tables (kind, names), `[aliases]`, `[groups]` of kinds or names."""
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
        return cls.from_mapping(data)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> UnitDirectory:
        units: list[str] = []
        kinds: dict[str, list[str]] = {}
        for entry in data.get("units", []):
            kind = str(entry.get("kind", ""))
            for name in entry.get("names", []):
                name = str(name).strip()
                if name and name not in units:
                    units.append(name)
                    kinds.setdefault(kind, []).append(name)
        groups: dict[str, tuple[str, ...]] = {}
        for word, refs in dict(data.get("groups", {})).items():
            wanted: set[str] = set()
            for ref in refs:
                # A group lists unit kinds ("street") or, once an admin has edited it, unit names.
                wanted.update(kinds.get(str(ref), [str(ref)]))
            groups[str(word)] = tuple(unit for unit in units if unit in wanted)
        aliases = {str(k): str(v) for k, v in dict(data.get("aliases", {})).items()}
        return cls(tuple(units), aliases, groups, str(data.get("district", "")))
