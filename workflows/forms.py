"""Checking what a user submits for a step against the form its diagram declares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .types import StepDefinition, Submission

MAX_COMMENT = 5_000


class FormError(ValueError):
    """One field at fault; ``field`` is the name the API and the web form use."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def validate_submission(step: StepDefinition, data: Any, decision: Any, comment: Any) -> Submission:
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise FormError("data", "应为对象(键值对)")
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        raise FormError("comment", "应为文本")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise FormError("comment", f"不能超过 {MAX_COMMENT} 字")

    known = {f.name for f in step.fields}
    for name in data:
        if name not in known:
            allowed = "、".join(sorted(known)) or "无"
            raise FormError(f"data.{name}", f"“{step.name}”没有这个字段(可用字段: {allowed})")
    values: dict[str, str] = {}
    for form_field in step.fields:
        value = data.get(form_field.name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise FormError(f"data.{form_field.name}", f"{form_field.label}应为文本")
        value = value.strip()
        if form_field.required and not value:
            raise FormError(f"data.{form_field.name}", f"请填写{form_field.label}")
        if len(value) > form_field.max_length:
            raise FormError(f"data.{form_field.name}", f"{form_field.label}不能超过 {form_field.max_length} 字")
        values[form_field.name] = value

    chosen: str | None = None
    if step.decision is None:
        if decision not in (None, ""):
            raise FormError("decision", f"“{step.name}”不需要作出决定")
    else:
        options = step.decision.values
        if decision in (None, ""):
            raise FormError("decision", f"请选择: {'、'.join(o.label for o in step.decision.options)}")
        if not isinstance(decision, str) or decision not in options:
            raise FormError("decision", f"无效的决定 {decision!r},应为 {' / '.join(options)} 之一")
        chosen = decision
        if chosen in step.decision.comment_required_for and not comment:
            raise FormError("comment", f"选择“{step.decision.label_of(chosen)}”时必须填写意见")
    return Submission(fields=values, decision=chosen, comment=comment)
