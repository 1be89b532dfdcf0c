"""Search."""

from __future__ import annotations

from marshmallow import fields, validate

from .base import Int, Schema, Str


class SearchQuery(Schema):
    q = Str(required=True, metadata={"description": "要查找的词(空格分隔的多个词须都出现;不区分大小写)"})
    limit = Int(load_default=20, validate=validate.Range(1, 100), metadata={"description": "每一类最多返回几条(1–100)"})


class SearchHitSchema(Schema):
    kind = Str(
        required=True, metadata={"description": "key_task 重点任务 / human_task 办理环节 / progress_report 进展报告"}
    )
    kind_label = Str(required=True)
    id = Int(required=True, metadata={"description": "所找到之物的编号(按 kind:重点任务、待办或进展报告的编号)"})
    title = Str(required=True)
    key_task_id = Int(required=True)
    key_task_title = Str(required=True)
    plan_title = Str(required=True)
    unit_name = Str(allow_none=True)
    round = Str(allow_none=True)
    snippet = Str(required=True, metadata={"description": "所找到的词附近的文字"})


class SearchResultSchema(Schema):
    query = Str(required=True)
    words = fields.List(Str(), required=True)
    hits = fields.List(fields.Nested(SearchHitSchema), required=True)
    more = fields.List(Str(), required=True, metadata={"description": "还有更多结果的类别"})
