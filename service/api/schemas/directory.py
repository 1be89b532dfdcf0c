"""Units and plans."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from .base import Bool, File, Int, Schema, Str


class UnitSchema(Schema):
    id = Int(required=True)
    name = Str(required=True)
    kind = Str(required=True)
    kind_name = Str(required=True)
    parent_id = Int(allow_none=True)
    active = fields.Boolean(required=True)
    aliases = fields.List(Str())
    groups = fields.List(Str())


class PlanSchema(Schema):
    id = Int(required=True)
    title = Str(required=True)
    year = Int(allow_none=True)
    source_name = Str(required=True)
    key_tasks = Int(required=True)
    imported_at = fields.DateTime(required=True)


class PlanImportArgs(Schema):
    file = File(required=True, metadata={"description": ".txt、.docx 或 .xlsx"})
    dry_run = Bool(load_default=False)
    create_units = Bool(load_default=False)


class ProblemLineSchema(Schema):
    line = Int(allow_none=True)
    message = Str(required=True)
    severity = Str()


class ImportResultSchema(Schema):
    """``duban plan import --json``: the parsed plan and what the import did."""

    class Meta:
        unknown = ma.INCLUDE

    title = Str(allow_none=True)
    sections = fields.List(fields.Raw())
    tasks = fields.List(fields.Dict())
    problems = fields.List(fields.Dict())
    ok = fields.Boolean(required=True)
    dry_run = fields.Boolean(required=True)
    plan_id = Int(allow_none=True)
    already_imported = fields.Boolean()
    unknown_units = fields.List(Str())
    created_units = fields.List(Str())
    blockers = fields.List(Str())
