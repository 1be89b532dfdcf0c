"""Opaque cursors for keyset paging: the sort values of the last row of a page, base64-encoded JSON.

A cursor is not a secret and not trusted: decoding checks every value and a bad one is a 422 on
``cursor``, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from ...errors import Invalid

_BAD = "cursor 无效(请使用上一页返回的 next_cursor)"


def encode_cursor(*values: datetime | int | None) -> str:
    parts = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *kinds: type) -> tuple[Any, ...]:
    """The values of a cursor, each converted to its kind (``datetime``, timezone-aware, or ``int``)."""
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(parts, list) or len(parts) != len(kinds):
            raise ValueError(cursor)
        values: list[Any] = []
        for kind, part in zip(kinds, parts, strict=True):
            if kind is datetime:
                moment = datetime.fromisoformat(part)
                if moment.tzinfo is None:
                    raise ValueError(part)
                values.append(moment)
            elif isinstance(part, int) and not isinstance(part, bool) and 0 <= part < 2**63:
                values.append(part)
            else:
                raise ValueError(part)
        return tuple(values)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise Invalid(_BAD, field="cursor") from None
