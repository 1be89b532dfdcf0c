"""What an ``<int:…>`` in a route accepts."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

# Every id in a URL is a database key: a 32-bit INTEGER on PostgreSQL.
MAX_KEY = 2**31 - 1


class KeyConverter(IntegerConverter):
    """``<int:…>`` in every route (installed as ``int`` by the app factory): a non-negative integer up to
    ``MAX_KEY`` unless the route says otherwise. A larger number matches no route (404) instead of
    reaching PostgreSQL, which refuses it ("integer out of range", a 500)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_KEY)
        super().__init__(map, *args, **kwargs)
