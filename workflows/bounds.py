"""Bounds on the work one snippet of diagram code may do: loop steps, sizes, CPU time.

The sandbox (``sandbox.py``) rewrites every operation that can make a value grow faster than the
loop that runs it (``**``, ``*``, ``<<``, ``+``, ``%``, their ``x op= y`` forms, f-strings) into a
call to a ``Budget`` made for that one evaluation, and routes every loop step (``for``, every
comprehension) and every method lookup through it as well. So:

- a single operation never makes a value larger than ``MAX_ITEMS`` items (characters, elements)
  or an integer longer than ``MAX_INT_BITS`` bits, and one evaluation never makes more than
  ``MAX_ALLOCATED`` items in all by such operations;
- loops take at most ``MAX_STEPS`` steps in all, and the evaluation stops once it has used
  ``MAX_CPU_SECONDS`` of its thread's CPU time (checked between steps);
- methods are those of a short list per built-in type (``str.ljust(10**9)``, ``int.to_bytes``
  and their kind are not on it; the growing ones are bounded like the operators).

With every single operation bounded in size, a bound on the steps between checks bounds the
time. Going past a bound raises ``LimitExceeded`` (a ValueError) naming the bound in Chinese.
"""

from __future__ import annotations

import functools
import operator
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from RestrictedPython.Guards import safer_getattr

MAX_STEPS = 100_000
MAX_ITEMS = 100_000
MAX_ALLOCATED = 1_000_000
MAX_INT_BITS = 10_000
MAX_CPU_SECONDS = 0.5
MAX_FORMAT_WIDTH = 1_000
MAX_ROUND_DIGITS = 100
_CHECK_EVERY = 64  # steps between two looks at the CPU clock


class LimitExceeded(ValueError):
    """A snippet went past one of the bounds above."""


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "*": operator.mul,
    "**": operator.pow,
    "<<": operator.lshift,
    "%": operator.mod,
}
_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "-=": operator.sub,
    "/=": operator.truediv,
    "//=": operator.floordiv,
    ">>=": operator.rshift,
    "&=": operator.and_,
    "|=": operator.or_,
    "^=": operator.xor,
}
_SEQUENCES = (str, bytes, list, tuple)
# %-formatting: a width or precision (or "*", taken from the arguments) in a format.
_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _int(value: Any) -> bool:
    return isinstance(value, int)  # bool included: True ** 10**9 is 1, cheap either way


def format_spec_problem(spec: str) -> str | None:
    """Why a format spec (what follows ``:`` in an f-string field) is refused, or None."""
    for number in re.findall(r"\d+", spec):
        if int(number) > MAX_FORMAT_WIDTH:
            return f"格式说明 {spec!r} 的宽度或精度超过 {MAX_FORMAT_WIDTH}"
    return None


def measure(value: Any, limit: int = MAX_ITEMS) -> int:
    """About how many characters ``value`` takes written out; stops counting past ``limit``.

    Shared references count every time they are met (that is how they are written out), and
    every element counts at least one, so the walk itself is bounded by ``limit``."""
    total = 0
    stack = [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item) + 2
        elif _int(item):
            total += item.bit_length() // 3 + 2
        elif isinstance(item, dict):
            total += 2 + len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + len(item)
            stack.extend(item)
        else:
            total += 24
    return total


class Budget:
    """What one evaluation may still spend. Its methods are the sandbox's guards."""

    __slots__ = ("allocated", "deadline", "steps")

    def __init__(self) -> None:
        self.steps = 0
        self.allocated = 0
        # Set at the first look at the clock: most snippets (a comparison) never look at all.
        self.deadline: float | None = None

    # -- time -------------------------------------------------------------------------------
    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise LimitExceeded(f"循环次数超过上限 {MAX_STEPS}")
        if self.steps % _CHECK_EVERY == 1:
            self._check_time()

    def _check_time(self) -> None:
        now = time.thread_time()
        if self.deadline is None:
            self.deadline = now + MAX_CPU_SECONDS
        elif now > self.deadline:
            raise LimitExceeded(f"计算时间超过上限 {MAX_CPU_SECONDS:g} 秒")

    def iterate(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """``_getiter_``: every loop and comprehension step passes here."""
        for item in iterable:
            self.step()
            yield item

    # -- sizes ------------------------------------------------------------------------------
    def allot(self, size: int) -> None:
        if size > MAX_ITEMS:
            raise LimitExceeded(f"结果过大(约 {size} 项/字符,上限 {MAX_ITEMS})")
        self.allocated += size
        if self.allocated > MAX_ALLOCATED:
            raise LimitExceeded(f"本次计算产生的数据过多(上限 {MAX_ALLOCATED} 项/字符)")
        self._check_time()

    def binop(self, op: str, left: Any, right: Any) -> Any:
        """``left op right`` for the operators that can grow a value faster than a loop does."""
        if op == "**" and _int(left) and _int(right) and right > 0 and abs(left) > 1:
            # |left| ** right has at least (bits of |left| - 1) * right bits: refused before it
            # is computed (10 ** 10 ** 8 would run for minutes); the result is checked below.
            if (abs(left).bit_length() - 1) * right > MAX_INT_BITS:
                raise LimitExceeded(f"幂运算的结果过大(超过 {MAX_INT_BITS} 位二进制)")
        elif op == "<<" and _int(left) and _int(right) and left:
            if left.bit_length() + right > MAX_INT_BITS:
                raise LimitExceeded(f"移位运算的结果过大(超过 {MAX_INT_BITS} 位二进制)")
        elif op == "*":
            self._check_product(left, right)
        elif op == "+" and isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            self.allot(len(left) + len(right))
        elif op == "%" and isinstance(left, str | bytes):
            self._check_percent(left, right)
        result = _BINARY[op](left, right)
        if _int(result) and result.bit_length() > MAX_INT_BITS:
            raise LimitExceeded(f"整数过大(超过 {MAX_INT_BITS} 位二进制)")
        return result

    def _check_product(self, left: Any, right: Any) -> None:
        if _int(left) and _int(right):
            if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
                raise LimitExceeded(f"乘法的结果过大(超过 {MAX_INT_BITS} 位二进制)")
            return
        for sequence, times in ((left, right), (right, left)):
            if isinstance(sequence, _SEQUENCES) and _int(times):
                self.allot(len(sequence) * max(times, 0))

    def _check_percent(self, template: str | bytes, args: Any) -> None:
        text = template.decode("latin-1") if isinstance(template, bytes) else template
        for width, precision in _PERCENT_FIELD.findall(text):
            for number in (width, precision):
                if number == "*" or (number and int(number) > MAX_FORMAT_WIDTH):
                    raise LimitExceeded(f"格式的宽度或精度超过 {MAX_FORMAT_WIDTH}(或由参数决定)")
        self.allot(len(template) + measure(args))

    def inplace(self, op: str, left: Any, right: Any) -> Any:
        """``_inplacevar_``: ``x op= y`` (RestrictedPython rewrites it into this call)."""
        plain = op[:-1]
        if plain in _BINARY:
            return self.binop(plain, left, right)
        return _INPLACE[op](left, right)

    def text(self, value: Any) -> Any:
        """An f-string field's value, checked before it is written out."""
        self.allot(measure(value))
        return value

    # -- attributes -------------------------------------------------------------------------
    def getattr(self, obj: Any, name: str, default: Any = None) -> Any:
        """``_getattr_``: RestrictedPython's checks, then only the listed methods of built-ins."""
        for kind, allowed in _METHODS.items():
            if isinstance(obj, kind):
                if name in allowed:
                    break
                bounded = _BOUNDED.get((kind, name))
                if bounded is None:
                    raise LimitExceeded(f"流程图中不能使用 {kind.__name__}.{name}")
                return functools.partial(bounded, self, safer_getattr(obj, name, default), obj)
        return safer_getattr(obj, name, default)


# -- the built-ins' methods -----------------------------------------------------------------


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STR_METHODS = _names(
    """capitalize casefold count endswith find index isalnum isalpha isascii isdecimal isdigit
    isidentifier islower isnumeric isprintable isspace istitle isupper lower lstrip partition
    removeprefix removesuffix rfind rindex rpartition rsplit rstrip split splitlines startswith
    strip swapcase title upper"""
)
_SET_METHODS = _names("copy union intersection difference symmetric_difference issubset issuperset isdisjoint")
_METHODS: dict[type, frozenset[str]] = {
    bool: frozenset(),
    int: _names("bit_length"),
    float: _names("is_integer"),
    str: _STR_METHODS,
    bytes: _STR_METHODS | {"decode"},
    list: _names("append copy count index pop remove reverse sort clear"),
    tuple: _names("count index"),
    dict: _names("get keys values items copy pop popitem setdefault clear"),
    set: _SET_METHODS | _names("add discard remove pop clear"),
    frozenset: _SET_METHODS,
}


def _padded(budget: Budget, method: Any, obj: Any, width: int, *rest: Any) -> Any:
    budget.allot(max(len(obj), int(width)))
    return method(width, *rest)


def _materialized(budget: Budget, items: Iterable[Any]) -> list[Any] | tuple[Any, ...]:
    """Items already held are measured by size; anything lazy is walked step by step."""
    if isinstance(items, list | tuple):
        return items
    if isinstance(items, dict | set | frozenset | str | bytes):
        return list(items)
    return list(budget.iterate(items))


def _joined(budget: Budget, method: Any, obj: Any, items: Iterable[Any]) -> Any:
    parts = _materialized(budget, items)
    budget.allot(sum(len(p) for p in parts if isinstance(p, str | bytes)) + len(obj) * len(parts))
    return method(parts)


def _replaced(budget: Budget, method: Any, obj: Any, old: Any, new: Any, count: int = -1) -> Any:
    if isinstance(old, str | bytes) and isinstance(new, str | bytes):
        found = obj.count(old) if old else len(obj) + 1
        if count >= 0:
            found = min(found, count)
        budget.allot(len(obj) + found * max(0, len(new) - len(old)))
    return method(old, new, count)


def _extended(budget: Budget, method: Any, obj: Any, items: Iterable[Any]) -> Any:
    parts = _materialized(budget, items)
    budget.allot(len(obj) + len(parts))
    return method(parts)


def _updated(budget: Budget, method: Any, obj: Any, *others: Any, **named: Any) -> Any:
    budget.allot(len(obj) + sum(len(o) for o in others if hasattr(o, "__len__")) + len(named))
    return method(*others, **named)


def _inserted(budget: Budget, method: Any, obj: Any, index: int, item: Any) -> Any:
    budget.allot(len(obj) + 1)
    return method(index, item)


_BOUNDED: dict[tuple[type, str], Callable[..., Any]] = {
    **{(kind, name): _padded for kind in (str, bytes) for name in ("ljust", "rjust", "center", "zfill")},
    (str, "join"): _joined,
    (bytes, "join"): _joined,
    (str, "replace"): _replaced,
    (bytes, "replace"): _replaced,
    (list, "extend"): _extended,
    (list, "insert"): _inserted,
    (dict, "update"): _updated,
    (set, "update"): _updated,
}


# -- built-in functions that need a bound -----------------------------------------------------


MAX_RANGE = 10_000


def bounded_range(*args: int) -> range:
    values = range(*args)
    if len(values) > MAX_RANGE:
        raise LimitExceeded(f"range() 在流程图中最多 {MAX_RANGE} 项")
    return values


def bounded_round(number: Any, ndigits: int | None = None) -> Any:
    if ndigits is not None and abs(ndigits) > MAX_ROUND_DIGITS:
        raise LimitExceeded(f"round() 的位数不能超过 {MAX_ROUND_DIGITS}")
    return round(number, ndigits)


def bounded_sum(items: Iterable[Any], start: Any = 0) -> Any:
    """Numbers only: summing lists or strings copies them again at every step."""
    if not isinstance(start, int | float):
        raise LimitExceeded("sum() 在流程图中只用于数字")
    total = start
    for item in items:
        if not isinstance(item, int | float):
            raise LimitExceeded("sum() 在流程图中只用于数字")
        total += item
    return total


def bounded_str(value: Any = "") -> str:
    if measure(value) > MAX_ITEMS:
        raise LimitExceeded(f"结果过大(超过 {MAX_ITEMS} 个字符)")
    return str(value)
