"""The fields every schema shares: Chinese messages when a value is refused, text that any
database column can keep, ids that fit an integer column; and the problem document."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import fields, validate
from werkzeug.datastructures import FileStorage

from ...vocabulary import Light

MAX_ID = 2**31 - 1
_COMMON = {"required": "缺少必填字段", "null": "不能为 null", "validator_failed": "取值无效"}


def _clean_text(value: str) -> str:
    """Refuses what no database column can keep: NUL characters and unpaired surrogates."""
    if "\x00" in value:
        raise ma.ValidationError("不能包含空字符(\\u0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ma.ValidationError("包含无效的 Unicode 字符") from None
    return value


class Str(fields.String):
    default_error_messages = {**_COMMON, "invalid": "应为文本", "invalid_utf8": "不是有效的 UTF-8 文本"}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return _clean_text(super()._deserialize(value, attr, data, **kwargs))


class Int(fields.Integer):
    default_error_messages = {**_COMMON, "invalid": "应为整数", "too_large": "数值过大"}  # noqa: RUF012


class Bool(fields.Boolean):
    default_error_messages = {**_COMMON, "invalid": "应为 true 或 false"}  # noqa: RUF012


class TextMap(fields.Dict):
    """An object of text values (a step's form fields). Types inside are checked by the step's form."""

    default_error_messages = {**_COMMON, "invalid": "应为对象(键值对)"}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        result = super()._deserialize(value, attr, data, **kwargs)
        for key, item in result.items():
            if not isinstance(key, str) or len(key) > 100:
                raise ma.ValidationError("字段名应为不超过 100 字的文本")
            _clean_text(key)
            if isinstance(item, str):
                _clean_text(item)
        return result


class File(Upload):
    """An uploaded file (multipart); a plain text value in its place is refused."""

    default_error_messages = {**_COMMON, "invalid": "应为上传的文件(multipart/form-data)"}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, FileStorage):
            raise self.make_error("invalid")
        return value


def one_of(values: Iterable[str]) -> validate.OneOf:
    """A choice among ``values``, refused in Chinese: "应为 a、b 或 c"."""
    choices = [str(v) for v in values]
    said = choices[0] if len(choices) == 1 else f"{'、'.join(choices[:-1])} 或 {choices[-1]}"
    return validate.OneOf(choices, error=f"应为 {said}")


def ids(**kwargs: Any) -> Int:
    return Int(validate=validate.Range(min=1, max=MAX_ID, error="应为 1 到 2147483647 之间的整数"), **kwargs)


def in_utc(value: datetime) -> datetime:
    """The API's one zone for instants (``Instant``; the inbox's direct JSON too): UTC, a naive
    value taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Instant(fields.DateTime):
    """An instant as the API writes it: ISO 8601 in UTC (``…+00:00``), whatever zone the value
    carries (the database's rows come back in UTC, deadlines computed in local time in +08:00);
    a naive value is taken as UTC. Reading accepts any offset."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | float | None:
        return super()._serialize(in_utc(value) if isinstance(value, datetime) else value, attr, obj, **kwargs)


class Schema(ma.Schema):
    """Every schema of the API. Its date-times are ``Instant``s: one zone (UTC) in every answer,
    decided here for every ``fields.DateTime`` a schema declares (README: Times in the API)."""

    error_messages = {"unknown": "未知字段", "type": "请求体应为 JSON 对象"}  # noqa: RUF012

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        if type(field_obj) is fields.DateTime:
            field_obj.__class__ = Instant


LIGHT = {
    "description": " / ".join(f"{light.value} {light.label}" for light in Light),
    "enum": [light.value for light in Light],
}

LIMIT = Int(load_default=50, validate=validate.Range(min=1, max=200, error="应在 1 到 200 之间"))
CURSOR = Str(validate=validate.Length(max=200, error="过长"), metadata={"description": "上一页的 next_cursor"})


# -- problems --------------------------------------------------------------------------------


class ProblemSchema(Schema):
    """RFC 9457 problem details; further members may appear (e.g. ``result`` of a blocked import)."""

    class Meta:
        unknown = ma.INCLUDE

    type = Str(required=True, metadata={"description": "问题类型(稳定的 URN)"})
    title = Str(required=True)
    status = Int(required=True)
    detail = Str(required=True, metadata={"description": "给人看的说明(中文)"})
    field = Str(metadata={"description": "出错的字段(如 round、data.text)"})
    incident = Str(metadata={"description": "服务器错误的事件编号"})
