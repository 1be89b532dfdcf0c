"""Batches at the edge: one verb applied to many items, each item in a unit of work of its own, so
that one refused item neither stops nor undoes the others. Pages and the API call ``each``.

The verbs (``service/operations/cycles/batch.py`` and ``start.py``) do the work and ask authz; this
module only opens the transactions and records each item's outcome."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import DomainError, Invalid
from .runtime import Runtime, Work

MAX_ITEMS = 100


@dataclass(frozen=True)
class ItemResult:
    """One item's outcome: ``ok``, the HTTP status the item alone would have had, and what happened
    (the step's or key task's name and the result, or the refusal's message)."""

    id: int
    ok: bool
    status: int
    detail: str


def each(
    runtime: Runtime, ids: Sequence[int], verb: Callable[[Work, int], str], *, ip: str | None = None
) -> list[ItemResult]:
    """Applies ``verb(work, id) -> detail`` to every id (duplicates once, in order), each in its own
    transaction. Raises ``Invalid`` (field ``ids``) for no ids or more than ``MAX_ITEMS``."""
    unique = list(dict.fromkeys(ids))
    if not unique:
        raise Invalid("请至少选择一项", field="ids")
    if len(unique) > MAX_ITEMS:
        raise Invalid(f"一次最多办理 {MAX_ITEMS} 项", field="ids")
    results: list[ItemResult] = []
    for item in unique:
        try:
            with runtime.work(ip=ip) as work:
                detail = verb(work, item)
        except DomainError as refused:
            results.append(ItemResult(item, False, refused.status, refused.detail))
        else:
            results.append(ItemResult(item, True, 200, detail))
    return results


def summary(results: Sequence[ItemResult]) -> dict[str, Any]:
    """How many items went through and how many were refused."""
    done = sum(1 for r in results if r.ok)
    return {"done": done, "refused": len(results) - done}
