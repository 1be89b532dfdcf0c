"""Imports point down only: the layers stay what DEVELOPERS.md says they are."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# package (a folder under the repository) -> top-level modules it must never import
FORBIDDEN = {
    "workflows": {"flask", "sqlalchemy", "service", "db"},
    "db": {"flask", "service", "workflows"},
    "service/plans": {"flask", "sqlalchemy", "db", "workflows"},
    "service/operations": {
        "flask",
        "werkzeug",
        "service.api",
        "service.web",
        "service.security",
        "service.scheduling",
        "service.demo",
        "service.exports",
    },
    # Read models never reach into the verbs of supervision (escalations, extensions, rounds, …).
    "service/operations/queries": {"service.operations.supervision"},
}
# What a layer may import although a prefix above forbids it: the vocabulary is a leaf every layer shares.
# Python's own modules the vocabulary may import (and nothing else).
LEAF_IMPORTS = {"__future__", "enum", "typing"}
MAX_LINES = 450
# modules only their own package and the app factory may import
PRIVATE = {"service.api": {"service/api", "service/app.py"}, "service.web": {"service/web", "service/app.py"}}


def imports_of(path: Path) -> set[str]:
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    return imports_in(path.read_text(encoding="utf-8"), package)


def imports_in(source: str, package: str) -> set[str]:
    tree = ast.parse(source)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_lower_layers_do_not_import_upper_ones(folder):
    offenders = []
    for path in python_files(folder):
        for module in imports_of(path):
            if module == "service.vocabulary" or module.startswith("service.vocabulary."):
                continue
            if any(module == bad or module.startswith(bad + ".") for bad in FORBIDDEN[folder]):
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_the_vocabulary_is_a_leaf():
    """Every layer imports the vocabulary, so it imports nothing of ours (no cycle can form)."""
    found = {module.split(".")[0] for module in imports_of(ROOT / "service" / "vocabulary.py")}
    assert found <= LEAF_IMPORTS


def test_operations_live_in_rooms():
    """service/operations/ holds rooms by purpose (common, cycles, supervision, queries, directory),
    never a loose module."""
    loose = [p.name for p in (ROOT / "service" / "operations").glob("*.py") if p.name != "__init__.py"]
    assert loose == []


def test_no_operation_opens_a_unit_of_work():
    """Transactions are opened at the edges (a request, a scheduler loop, a CLI command): an
    operation takes a Work and never calls ``runtime.work()`` (nor commits)."""
    offenders = []
    for path in python_files("service/operations"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("work", "commit")
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} calls .{node.func.attr}()")
    assert offenders == []


@pytest.mark.parametrize("folder", ["service", "workflows", "db"])
def test_no_module_is_too_long_to_read(folder):
    """A module a newcomer can read in one sitting: at most ~450 lines (migrations aside)."""
    long = []
    for path in python_files(folder):
        relative = path.relative_to(ROOT).as_posix()
        if "/migrations/versions/" in relative:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            long.append(f"{relative}: {lines} lines")
    assert long == []


def test_api_and_web_are_entered_only_through_the_app():
    offenders = []
    for path in python_files("service") + python_files("db") + python_files("workflows"):
        relative = path.relative_to(ROOT).as_posix()
        for module in imports_of(path):
            for private, allowed in PRIVATE.items():
                if (module == private or module.startswith(private + ".")) and not any(
                    relative.startswith(prefix) for prefix in allowed
                ):
                    offenders.append(f"{relative} imports {module}")
    assert offenders == []


def test_the_check_sees_relative_imports():
    """The scanner itself: relative imports resolve to the modules they name."""
    found = imports_in("from ..api import routes\nfrom . import audit\nimport flask.json", "service.operations")
    assert {"service.api", "service.api.routes", "service.operations.audit", "flask.json"} <= found


SPIFF_PRIVATE = ("_encoder_mode", "_set_internal_data", "_get_internal_data", "_do_engine_steps", "._children")
SPIFF_SIGNALS = ("completed_event", "merge_child")


def test_spiffworkflows_private_api_is_used_in_one_module():
    """Every use of SpiffWorkflow's private API (and of the merge signal) is in workflows/spiff.py,
    where tests/workflows/test_spiff_private.py pins each one."""
    offenders = []
    for path in python_files("service") + python_files("db") + python_files("workflows"):
        relative = path.relative_to(ROOT).as_posix()
        if relative == "workflows/spiff.py":
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [f"{relative}: {name}" for name in SPIFF_PRIVATE + SPIFF_SIGNALS if name in text]
    assert offenders == []


# The hot path and the engine's surface: every public function, class and method says what it
# changes and what it raises (DEVELOPERS.md, Rules of the house).
DOCUMENTED = (
    "service/operations/cycles/complete.py",
    "service/operations/cycles/projection.py",
    "service/operations/cycles/start.py",
    "service/operations/queries/inbox.py",
    "workflows/engine.py",
    "workflows/run.py",
)


@pytest.mark.parametrize("module", DOCUMENTED)
def test_the_hot_path_and_the_engine_are_documented(module):
    undocumented = []
    for node in ast.parse((ROOT / module).read_text(encoding="utf-8")).body:
        members = node.body if isinstance(node, ast.ClassDef) and not node.name.startswith("_") else []
        for item in [node, *members]:
            if not isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            if item.name.startswith("_") or ast.get_docstring(item):
                continue
            undocumented.append(f"{module}:{item.lineno} {item.name}")
    assert undocumented == []


def test_the_tests_mirror_the_tree():
    """A folder of tests is named after the package it tests: tests/service/operations/cycles/ holds
    the tests of service/operations/cycles/ (DEVELOPERS.md, Tests)."""
    tests = ROOT / "tests"
    folders = {path.parent for path in tests.rglob("test_*.py")} - {tests}
    astray = sorted(str(f.relative_to(tests)) for f in folders if not (ROOT / f.relative_to(tests)).is_dir())
    assert astray == []


def test_pages_ask_authz_instead_of_checking_roles():
    """Who may see and do what is decided in operations/common/authz.py: no page compares roles."""
    offenders = []
    for path in python_files("service/web"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                parts = [node.left, *node.comparators]
                if any(isinstance(p, ast.Attribute) and p.attr == "role" for p in parts):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    for template in sorted((ROOT / "service" / "web" / "templates").glob("*.html")):
        text = template.read_text(encoding="utf-8")
        for marker in ("me.role ==", "me.role in", "me.role !="):
            if marker in text:
                offenders.append(f"{template.relative_to(ROOT)}: {marker}")
    assert offenders == []
