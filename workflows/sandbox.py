"""A restricted environment for the Python in diagrams (conditions, timer expressions, scripts).

Diagrams are data from users. SpiffWorkflow's default environment is plain eval/exec with every
builtin, so a condition could ``import os``. Here every snippet is first checked statically
(``check_source``: no imports, no loops without a bound, no dunder names) and then compiled with
RestrictedPython, whose guards block attribute access to ``_``-names at run time too. Only a small
set of builtins is visible, plus the helpers the host provides (``deadline``).

This is one layer of defence, not a process boundary: diagrams are deployed by administrators only.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Mapping
from types import CodeType
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, safer_getattr
from SpiffWorkflow.bpmn.script_engine import TaskDataEnvironment

MAX_RANGE = 10_000


class UnsafeCode(ValueError):
    """A snippet of diagram code that the sandbox refuses; ``line`` is 1-based within the snippet."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


_FORBIDDEN_NODES: dict[type[ast.AST], str] = {
    ast.Import: "不允许 import 语句",
    ast.ImportFrom: "不允许 import 语句",
    ast.While: "不允许 while 循环",
    ast.Global: "不允许 global 声明",
    ast.Nonlocal: "不允许 nonlocal 声明",
    ast.ClassDef: "不允许定义类",
    ast.AsyncFunctionDef: "不允许异步函数",
    ast.Await: "不允许 await",
    ast.Yield: "不允许 yield",
    ast.YieldFrom: "不允许 yield",
    ast.Lambda: "不允许 lambda",
    ast.FunctionDef: "不允许定义函数",
    ast.With: "不允许 with 语句",
    ast.Try: "不允许 try 语句",
    ast.Raise: "不允许 raise 语句",
}


# Builtins a diagram could reach for to escape; they are not in the sandbox's builtins either, but
# naming them is refused up front so the author learns at deploy time, not at run time.
_FORBIDDEN_NAMES = frozenset(
    {
        "open",
        "eval",
        "exec",
        "compile",
        "getattr",
        "setattr",
        "delattr",
        "globals",
        "locals",
        "vars",
        "dir",
        "input",
        "breakpoint",
        "help",
        "memoryview",
        "type",
        "object",
        "super",
        "classmethod",
        "staticmethod",
        "property",
        "exit",
        "quit",
    }
)


def check_source(source: str, mode: str) -> None:
    """Refuse what a diagram may never do, with the line at fault."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        raise UnsafeCode(f"语法错误: {exc.msg}", exc.lineno) from None
    for node in ast.walk(tree):
        for kind, message in _FORBIDDEN_NODES.items():
            if isinstance(node, kind):
                raise UnsafeCode(message, getattr(node, "lineno", None))
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise UnsafeCode(f"不允许使用以下划线开头的名称 {node.id!r}", node.lineno)
        if isinstance(node, ast.Name) and node.id in _FORBIDDEN_NAMES:
            raise UnsafeCode(f"不允许使用 {node.id}", node.lineno)
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise UnsafeCode(f"不允许访问以下划线开头的属性 {node.attr!r}", node.lineno)
    _compile(source, mode)


@functools.lru_cache(maxsize=4096)
def _compile(source: str, mode: str) -> CodeType:
    result = (compile_restricted_eval if mode == "eval" else compile_restricted_exec)(source)
    if result.errors:
        raise UnsafeCode("; ".join(result.errors))
    assert result.code is not None
    return result.code


def _bounded_range(*args: int) -> range:
    values = range(*args)
    if len(values) > MAX_RANGE:
        raise ValueError(f"range() is limited to {MAX_RANGE} items in diagrams")
    return values


_BUILTINS: dict[str, Any] = {
    "None": None,
    "True": True,
    "False": False,
    "abs": abs,
    "all": all,
    "any": any,
    "bool": bool,
    "dict": dict,
    "enumerate": enumerate,
    "float": float,
    "int": int,
    "len": len,
    "list": list,
    "max": max,
    "min": min,
    "range": _bounded_range,
    "round": round,
    "set": set,
    "sorted": sorted,
    "str": str,
    "sum": sum,
    "tuple": tuple,
    "zip": zip,
}

_GUARDS: dict[str, Any] = {
    "__builtins__": _BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_write_": full_write_guard,
}

HostHelpers = Callable[[Mapping[str, Any]], Mapping[str, Callable[..., Any]]]


class RestrictedEnvironment(TaskDataEnvironment):
    """SpiffWorkflow script environment that runs every snippet through the sandbox.

    ``helpers`` builds the host functions for one evaluation from the task data it runs against,
    so a helper such as ``deadline("sign_for")`` can see the cycle's data without the diagram
    passing it along.
    """

    def __init__(self, helpers: HostHelpers) -> None:
        super().__init__({})
        self._helpers = helpers

    def _globals(self, context: Mapping[str, Any], external: Mapping[str, Any] | None) -> dict[str, Any]:
        scope: dict[str, Any] = dict(_GUARDS)
        scope.update(self._helpers(context))
        scope.update(external or {})
        scope.update(context)
        return scope

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        return eval(_compile(expression, "eval"), self._globals(context, external_context))

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        scope = self._globals(context, external_context)
        reserved = set(scope) - set(context)
        exec(_compile(script, "exec"), scope)
        for name, value in scope.items():
            if name in reserved or name.startswith("_") or callable(value):
                continue
            context[name] = value
        return True
