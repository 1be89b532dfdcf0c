"""A restricted environment for the Python in diagrams (conditions, timer expressions, scripts).

Diagrams are data from users. SpiffWorkflow's default environment is plain eval/exec with every
builtin, so a condition could ``import os``. Here every snippet is first checked statically
(``check_source``: no imports, no ``while``, no dunder names, and no work that is too big on its
face: ``10**10**8``, loops nested over ranges past ``MAX_STEPS`` steps, wide format fields) and
then compiled with RestrictedPython, whose guards block attribute access to ``_``-names at run
time too. What cannot be judged before it runs is bounded while it runs (``bounds.py``: loop
steps, sizes, CPU time): past a bound the snippet stops with ``LimitExceeded``, which the engine
reports as an ``EngineError`` naming the element. Only a small set of builtins is visible, plus
the helpers the host provides (``deadline``).

This is one layer of defence, not a process boundary: diagrams are deployed by administrators only.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Mapping
from types import CodeType
from typing import Any

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence
from SpiffWorkflow.bpmn.script_engine import TaskDataEnvironment

from .bounds import (
    MAX_RANGE,
    MAX_STEPS,
    Budget,
    LimitExceeded,
    bounded_range,
    bounded_round,
    bounded_str,
    bounded_sum,
    format_spec_problem,
)


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
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            _check_format_spec(node.format_spec)
    _check_constants(tree)
    _check_loops(tree, 1)
    _compile(source, mode)


# -- work that is too big on its face -----------------------------------------------------------


class _Unknown(Exception):
    """A value that is not known before the snippet runs."""


_FOLDED_OPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Mult: "*",
    ast.Pow: "**",
    ast.LShift: "<<",
    ast.Mod: "%",
}


def _constant(node: ast.AST, budget: Budget) -> Any:
    """The value of an expression made of constants, worked out the way it would run (under the
    same bounds); ``_Unknown`` when it depends on anything else."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _constant(node.operand, budget)
        return -operand if isinstance(node.op, ast.USub) else +operand
    if isinstance(node, ast.BinOp) and type(node.op) in _FOLDED_OPS:
        left, right = _constant(node.left, budget), _constant(node.right, budget)
        try:
            return budget.binop(_FOLDED_OPS[type(node.op)], left, right)
        except LimitExceeded as exc:
            raise UnsafeCode(str(exc), node.lineno) from None
        except Exception:  # a TypeError or ZeroDivisionError is for run time to report
            raise _Unknown from None
    raise _Unknown


def _check_constants(tree: ast.AST) -> None:
    """Works out every operation on constants: ``10**10**8`` or ``range(10**9)`` is refused here,
    with its line, instead of running until killed."""
    budget = Budget()
    for node in ast.walk(tree):
        try:
            if isinstance(node, ast.BinOp):
                _constant(node, budget)
            elif _is_range(node):
                _static_length(node, budget)  # type: ignore[arg-type]
        except _Unknown:
            continue


def _is_range(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range"


def _static_length(node: ast.expr, budget: Budget) -> int | None:
    """How many steps iterating ``node`` takes, when that is known before running: a range of
    constants, a literal. None when it depends on the data (bounded at run time instead)."""
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return len(node.elts)
    if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
        return len(node.value)
    if isinstance(node, ast.Call) and _is_range(node) and not node.keywords:
        try:
            length = len(range(*[_constant(arg, budget) for arg in node.args]))
        except (_Unknown, TypeError, ValueError, OverflowError):
            return None
        if length > MAX_RANGE:
            raise UnsafeCode(f"range() 在流程图中最多 {MAX_RANGE} 项(这里有 {length} 项)", node.lineno)
        return length
    return None


def _check_loops(node: ast.AST, outer: int) -> None:
    """Refuses loops and comprehensions nested over known ranges past ``MAX_STEPS`` steps in all."""
    if isinstance(node, ast.For):
        steps = outer * (_static_length(node.iter, Budget()) or 1)
        _refuse_steps(steps, node)
        _check_loops(node.iter, outer)
        for statement in [*node.body, *node.orelse]:
            _check_loops(statement, steps)
        return
    if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
        steps = outer
        for generator in node.generators:
            _check_loops(generator.iter, steps)
            steps *= _static_length(generator.iter, Budget()) or 1
            _refuse_steps(steps, node)
            for condition in generator.ifs:
                _check_loops(condition, steps)
        for part in (node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,):
            _check_loops(part, steps)
        return
    for child in ast.iter_child_nodes(node):
        _check_loops(child, outer)


def _refuse_steps(steps: int, node: ast.AST) -> None:
    if steps > MAX_STEPS:
        raise UnsafeCode(f"循环嵌套后共约 {steps} 步,超过上限 {MAX_STEPS}", getattr(node, "lineno", None))


def _check_format_spec(spec: ast.expr) -> None:
    parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
    if not all(isinstance(part, ast.Constant) for part in parts):
        raise UnsafeCode("f-string 的格式说明中不允许使用变量", getattr(spec, "lineno", None))
    problem = format_spec_problem("".join(str(part.value) for part in parts))  # type: ignore[attr-defined]
    if problem:
        raise UnsafeCode(problem, getattr(spec, "lineno", None))


# -- compiling: RestrictedPython, plus the bounds' guards ----------------------------------------


class _BoundingTransformer(RestrictingNodeTransformer):
    """RestrictedPython's checks and rewrites, and: every ``**``, ``*``, ``<<``, ``+`` and ``%``
    becomes ``_binop_(op, left, right)`` and every f-string field ``_text_(value)``, so that the
    evaluation's ``Budget`` sees each value before it grows."""

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        symbol = _FOLDED_OPS.get(type(node.op))
        if symbol is None:
            return node
        call = ast.Call(
            func=ast.Name("_binop_", ast.Load()), args=[ast.Constant(symbol), node.left, node.right], keywords=[]
        )
        return ast.fix_missing_locations(ast.copy_location(call, node))

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        node = self.node_contents_visit(node)
        call = ast.Call(func=ast.Name("_text_", ast.Load()), args=[node.value], keywords=[])
        node.value = ast.fix_missing_locations(ast.copy_location(call, node.value))
        return node


@functools.lru_cache(maxsize=4096)
def _compile(source: str, mode: str) -> CodeType:
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(source, policy=_BoundingTransformer)
    if result.errors:
        raise UnsafeCode("; ".join(result.errors))
    assert result.code is not None
    return result.code


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
    "range": bounded_range,
    "round": bounded_round,
    "set": set,
    "sorted": sorted,
    "str": bounded_str,
    "sum": bounded_sum,
    "tuple": tuple,
    "zip": zip,
}

_GUARDS: dict[str, Any] = {
    "__builtins__": _BUILTINS,
    "_getitem_": default_guarded_getitem,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_write_": full_write_guard,
}


def _bounded_guards() -> dict[str, Any]:
    """The guards that spend one evaluation's budget (a fresh one for every evaluation)."""
    budget = Budget()
    return {
        "_getattr_": budget.getattr,
        "_getiter_": budget.iterate,
        "_binop_": budget.binop,
        "_inplacevar_": budget.inplace,
        "_text_": budget.text,
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
        scope.update(_bounded_guards())
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
