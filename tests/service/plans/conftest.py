"""Fixtures for the plan parser tests: the unit directory, sample files and a parse helper."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from service.config import REPO_ROOT as ROOT
from service.plans import ParsedPlan, UnitDirectory, parse_plan

SAMPLES = Path(__file__).parent / "samples"
REAL_PLAN = ROOT / "service" / "demo" / "data" / "echeng-2024-sanxin-sanqiang.txt"
UNITS_TOML = ROOT / "service" / "demo" / "data" / "units.toml"


def _load_make_samples() -> ModuleType:
    spec = importlib.util.spec_from_file_location("plans_make_samples", Path(__file__).parent / "make_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def directory() -> UnitDirectory:
    return UnitDirectory.from_toml(UNITS_TOML)


@pytest.fixture(scope="session")
def parse(directory: UnitDirectory) -> Callable[..., ParsedPlan]:
    def run(data: bytes | str, filename: str = "plan.txt", **kwargs: object) -> ParsedPlan:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        return parse_plan(raw, filename, directory, **kwargs)  # type: ignore[arg-type]

    return run


@pytest.fixture(scope="session")
def sample(parse: Callable[..., ParsedPlan]) -> Callable[[str], ParsedPlan]:
    """Parse a text sample from tests/service/plans/samples by file name."""

    def run(name: str) -> ParsedPlan:
        return parse((SAMPLES / name).read_bytes(), name)

    return run


@pytest.fixture(scope="session")
def office_files() -> dict[str, bytes]:
    """The .docx/.xlsx samples, built in memory by make_samples.py."""
    builders = _load_make_samples().BUILDERS
    return {name: build() for name, build in builders.items()}


@pytest.fixture(scope="session")
def real_plan(parse: Callable[..., ParsedPlan]) -> ParsedPlan:
    return parse(REAL_PLAN.read_bytes(), REAL_PLAN.name)


@pytest.fixture(scope="session")
def real_plan_file() -> Path:
    return REAL_PLAN
