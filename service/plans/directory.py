"""The district's units as the parser knows them: canonical names, aliases and group words."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .normalize import normalize_name

_SUB_UNIT = re.compile(r"\([^()]{1,20}\)$")


def _bigrams(text: str) -> set[str]:
    return {text[index : index + 2] for index in range(len(text) - 1)}


@dataclass(frozen=True)
class UnitDirectory:
    """Canonical unit names, other names they go by, and group words that stand for several units.

    Every lookup goes through `normalize_name`, so 區財政局, 区财政局 and "区财政局 " all find 区财政局.
    `district` (e.g. 鄂城区) lets "鄂城区财政局" resolve as "区财政局"; a sub-unit in brackets
    ("区公安分局(交警大队)") resolves as its unit. `corrections` are names corrected on the import page to
    one or more other names (units or group words): "区直各执法部门" → ("区直各部门",).
    """

    units: tuple[str, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    district: str = ""
    corrections: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    _names: Mapping[str, str] = field(init=False, repr=False, compare=False)
    _groups: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _corrections: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _bigrams: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

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
        bigrams: dict[str, list[str]] = {}  # pair of characters → the names (units and aliases) holding it
        for written in (*self.units, *self.aliases):
            for pair in _bigrams(normalize_name(written)):
                bigrams.setdefault(pair, []).append(written)
        corrections = {normalize_name(name): tuple(to) for name, to in self.corrections.items() if to}
        # Frozen: the lookup tables are set once here and never change.
        object.__setattr__(self, "corrections", MappingProxyType(dict(self.corrections)))
        object.__setattr__(self, "_corrections", MappingProxyType(corrections))
        object.__setattr__(self, "_bigrams", MappingProxyType({k: tuple(v) for k, v in bigrams.items()}))
        object.__setattr__(self, "aliases", MappingProxyType(dict(self.aliases)))
        object.__setattr__(self, "groups", MappingProxyType({k: tuple(v) for k, v in self.groups.items()}))
        object.__setattr__(self, "_names", MappingProxyType(names))
        object.__setattr__(self, "_groups", MappingProxyType(groups))

    def _keys(self, name: str) -> list[str]:
        key = normalize_name(name)
        keys = [key]
        if self.district and key.startswith(self.district) and len(key) > len(self.district):
            keys.append("区" + key[len(self.district) :])
        base = _SUB_UNIT.sub("", key)
        if base != key and base:
            keys += [
                base,
                *(["区" + base[len(self.district) :]] if self.district and base.startswith(self.district) else []),
            ]
        return keys

    def correction(self, name: str) -> tuple[str, ...] | None:
        """What the importer corrected the name written as `name` to (units or group words), if anything."""
        return self._corrections.get(normalize_name(name))

    def suggest(self, name: str) -> str | None:
        """The directory unit whose name is nearest to `name` (shared pairs of characters), if any is near."""
        key = normalize_name(name)
        pairs = _bigrams(key)
        if not pairs:
            return None
        counts: dict[str, int] = {}
        for pair in pairs:
            for written in self._bigrams.get(pair, ()):
                counts[written] = counts.get(written, 0) + 1
        best, score = None, 0.0
        for written, shared in counts.items():
            value = 2 * shared / (len(pairs) + len(_bigrams(normalize_name(written))))
            if value > score:
                best, score = written, value
        if best is None or score < 0.45:
            return None
        return self.aliases.get(best, best)

    def resolve(self, name: str) -> str | None:
        """The canonical name of the unit written as `name`, or None (unknown units and group words)."""
        for key in self._keys(name):
            found = self._names.get(key)
            if found is not None:
                return found
        return None

    def members(self, name: str) -> tuple[str, ...] | None:
        """The canonical members of the group word written as `name`, in directory order; None if no group.
        A group with another in brackets ("各乡镇(街道)": the towns and the streets) is both groups."""
        key = normalize_name(name)
        exact = self._groups.get(key)
        if exact is not None:
            return exact
        inner = _SUB_UNIT.search(key)
        if inner:
            base = self._groups.get(key[: inner.start()])
            extra = self._groups.get("各" + inner.group(0)[1:-1].removeprefix("各"))
            if base is not None and extra is not None:
                both = set(base) | set(extra)
                return tuple(unit for unit in self.units if unit in both)
        for key in self._keys(name):
            found = self._groups.get(key)
            if found is not None:
                return found
        return None

    def canonical(self, name: str) -> str | None:
        """The unit whose own name `name` is (spaces, width and traditional characters aside): no alias,
        district prefix or sub-unit is followed. What a plan from elsewhere may match."""
        found = self._names.get(normalize_name(name))
        return found if found is not None and normalize_name(found) == normalize_name(name) else None

    def is_canonical(self, name: str) -> bool:
        return self.canonical(name) is not None

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
