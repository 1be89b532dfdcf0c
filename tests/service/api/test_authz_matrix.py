"""The whole authorization matrix: every role × every endpoint, asserting the status.

A step or attachment one may not see answers 404, as a missing one does (its existence is not
disclosed); 403 is for what one sees but may not do. Roles: anonymous; the lead unit's staff and
head; a co-unit's head; the head of a unit that takes no part (outsider); supervisor; leader; admin.
Each cell runs against fresh state where the request changes something, so a cell never depends on
another."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from db.models import HumanTask, HumanTaskState, Plan, User
from service.operations.assessment.league import add_adjustment, publish_round
from service.operations.cycles.attachments import upload_attachment
from service.operations.cycles.complete import complete_human_task
from service.operations.supervision.declines import decline_human_task
from service.operations.supervision.extensions import request_extension
from service.operations.year.indicators import IndicatorFields, add_indicator
from service.vocabulary import PlanStatus

ROLES = ("anonymous", "unit_staff", "unit_head", "co_unit", "outsider", "supervisor", "leader", "admin")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def row(anonymous, unit_staff, unit_head, co_unit, outsider, supervisor, leader, admin):
    return dict(
        zip(ROLES, (anonymous, unit_staff, unit_head, co_unit, outsider, supervisor, leader, admin), strict=True)
    )


@dataclass
class Rig:
    runtime: Any
    world: Any
    start: Any
    make: Any
    rounds: int = 0

    def cycle(self) -> int:
        self.rounds += 1
        return self.start(f"{2000 + self.rounds}")

    def draft_plan(self) -> int:
        """A fresh draft plan with one key task led by the world's lead unit (which has a head)."""
        plan = self.make.plan(title=f"草稿{self.make._next()}")
        self.make.key_task([self.world.lead_unit], [], plan=plan)
        with self.runtime.work() as work:
            work.session.get(Plan, plan.id).status = PlanStatus.DRAFT
        return plan.id

    def open(self, cycle_id: int, step: str) -> int:
        with self.runtime.work(write=False) as work:
            return work.session.scalar(
                select(HumanTask.id).where(
                    HumanTask.cycle_id == cycle_id, HumanTask.step_id == step, HumanTask.state == HumanTaskState.OPEN
                )
            )

    def act(self, actor, task_id, **form):
        with self.runtime.work() as work:
            complete_human_task(
                work, actor, task_id, data=form.get("data"), decision=form.get("decision"), comment=form.get("comment")
            )

    def advance_to(self, step: str) -> tuple[int, int]:
        """A fresh cycle standing at ``step``: (cycle id, that step's human task id)."""
        p = self.world
        cycle_id = self.cycle()
        order = ["dispatch", "sign_for", "co_input", "consolidate", "review", "approve"]
        for current in order[: order.index(step)]:
            if current == "dispatch":
                self.act(p.supervisor, self.open(cycle_id, "dispatch"))
            elif current == "sign_for":
                self.act(p.lead_head, self.open(cycle_id, "sign_for"))
            elif current == "co_input":
                for head in p.co_heads:
                    with self.runtime.work(write=False) as work:
                        task_id = work.session.scalar(
                            select(HumanTask.id).where(
                                HumanTask.cycle_id == cycle_id,
                                HumanTask.step_id == "co_input",
                                HumanTask.unit_id == head.unit_id,
                            )
                        )
                    self.act(head, task_id, data={"text": "意见"})
            elif current == "consolidate":
                self.act(p.lead_head, self.open(cycle_id, "consolidate"), data={"report": "报告"})
            elif current == "review":
                self.act(p.supervisor, self.open(cycle_id, "review"), decision="pass")
        return cycle_id, self.open(cycle_id, step)

    def attachment_on_sign_for(self) -> tuple[int, int, int]:
        cycle_id, task_id = self.advance_to("sign_for")
        with self.runtime.work() as work:
            attachment = upload_attachment(work, self.world.lead_head, task_id, "方案.pdf", PDF)
        return cycle_id, task_id, attachment.id

    def indicator(self) -> int:
        """A fresh indicator of the key task (made by the office through the operation)."""
        fields = IndicatorFields(name="新签约项目", comparator="≥", target=80, measure="个")
        with self.runtime.work() as work:
            return add_indicator(work, self.world.supervisor, fields, key_task_id=self.world.key_task.id).id

    def fresh_key_task(self) -> int:
        """Another key task of the same units (each 销号 cell needs one not applied for yet)."""
        p = self.world
        return self.make.key_task([p.lead_unit], p.co_units, title="另一项任务").id

    def round_with_cycle(self) -> str:
        """A fresh round with a cycle of the key task (so it has something to score)."""
        self.rounds += 1
        name = f"{2000 + self.rounds}-Q1"
        self.start(name)
        return name

    def published_round(self) -> str:
        name = self.round_with_cycle()
        with self.runtime.work() as work:
            publish_round(work, self.world.supervisor, name)
        return name

    def adjustment(self) -> int:
        """A fresh 加减分 in a round not yet published."""
        with self.runtime.work() as work:
            return add_adjustment(work, self.world.supervisor, self.round_with_cycle(), self.world.lead_unit.id, 1, "x")

    def done_input(self) -> int:
        """A cycle at consolidation: the first co-unit's input (co_head_0's), done."""
        cycle_id, _task = self.advance_to("consolidate")
        with self.runtime.work(write=False) as work:
            return work.session.scalar(
                select(HumanTask.id).where(
                    HumanTask.cycle_id == cycle_id,
                    HumanTask.step_id == "co_input",
                    HumanTask.unit_id == self.world.co_units[0].id,
                )
            )

    def inputs_past_due(self) -> int:
        """A cycle whose co-unit inputs are all open and past their deadline."""
        cycle_id, _task = self.advance_to("co_input")
        with self.runtime.work() as work:
            work.session.execute(
                update(HumanTask)
                .where(HumanTask.cycle_id == cycle_id, HumanTask.step_id == "co_input")
                .values(due_at=work.now - timedelta(days=1))
            )
        return cycle_id

    def pending_decline(self) -> int:
        _cycle, task_id = self.advance_to("co_input")
        with self.runtime.work() as work:
            return decline_human_task(work, self.world.co_heads[0], task_id, comment="不是本单位职责").id

    def pending_extension(self) -> int:
        _cycle, task_id = self.advance_to("sign_for")
        with self.runtime.work() as work:
            due = work.session.get(HumanTask, task_id).due_at
            return request_extension(
                work, self.world.lead_head, task_id, new_due_date=(due + timedelta(days=7)).date(), reason="忙"
            ).id

    def user_id(self, username: str) -> int:
        with self.runtime.work(write=False) as work:
            return work.session.scalar(select(User.id).where(User.username == username))


def _complete(step: str, **body):
    def build(rig: Rig):
        _cycle, task_id = rig.advance_to(step)
        return "POST", f"/api/v1/human-tasks/{task_id}/complete", {"json": body}

    return build


# endpoint name -> (request builder, expected status per role)
MATRIX: dict[str, tuple[Any, dict[str, int]]] = {
    "GET /me": (lambda r: ("GET", "/api/v1/me", {}), row(401, 200, 200, 200, 200, 200, 200, 200)),
    "GET /units": (lambda r: ("GET", "/api/v1/units", {}), row(401, 200, 200, 200, 200, 200, 200, 200)),
    "GET /plans": (lambda r: ("GET", "/api/v1/plans", {}), row(401, 200, 200, 200, 200, 200, 200, 200)),
    "POST /plans/import": (
        lambda r: (
            "POST",
            "/api/v1/plans/import",
            {"data": {"file": (io.BytesIO("1.任务(牵头单位:区财政局)\n".encode()), "p.txt"), "dry_run": "true"}},
        ),
        row(401, 403, 403, 403, 403, 200, 403, 200),
    ),
    "GET /plans/{plan_id}": (
        lambda r: ("GET", f"/api/v1/plans/{r.world.key_task.plan_id}", {}),
        row(401, 200, 200, 200, 200, 200, 200, 200),
    ),
    "POST /plans/{plan_id}/publish": (
        lambda r: ("POST", f"/api/v1/plans/{r.draft_plan()}/publish", {"json": {}}),
        row(401, 403, 403, 403, 403, 200, 403, 200),
    ),
    "POST /plans/{plan_id}/archive": (
        lambda r: ("POST", f"/api/v1/plans/{r.draft_plan()}/archive", {"json": {}}),
        row(401, 403, 403, 403, 403, 200, 403, 200),
    ),
    "GET /key-tasks": (lambda r: ("GET", "/api/v1/key-tasks", {}), row(401, 200, 200, 200, 200, 200, 200, 200)),
    "GET /key-tasks/{id}": (
        lambda r: ("GET", f"/api/v1/key-tasks/{r.world.key_task.id}", {}),
        row(401, 200, 200, 200, 404, 200, 200, 200),
    ),
    "POST /key-tasks/{id}/cycles": (
        lambda r: ("POST", f"/api/v1/key-tasks/{r.world.key_task.id}/cycles", {"json": {"round": _round(r)}}),
        row(401, 403, 403, 403, 403, 201, 403, 201),
    ),
    "GET /cycles/{id}": (
        lambda r: ("GET", f"/api/v1/cycles/{r.cycle()}", {}),
        row(401, 200, 200, 200, 404, 200, 200, 200),
    ),
    "GET /cycles/{id}/diagram": (
        lambda r: ("GET", f"/api/v1/cycles/{r.cycle()}/diagram", {}),
        row(401, 200, 200, 200, 404, 200, 200, 200),
    ),
    "GET /inbox": (lambda r: ("GET", "/api/v1/inbox", {}), row(401, 200, 200, 200, 200, 200, 200, 200)),
    "GET /human-tasks/{dispatch}": (
        lambda r: ("GET", f"/api/v1/human-tasks/{r.advance_to('dispatch')[1]}", {}),
        row(401, 404, 404, 404, 404, 200, 200, 200),
    ),
    "GET /human-tasks/{sign_for}": (
        lambda r: ("GET", f"/api/v1/human-tasks/{r.advance_to('sign_for')[1]}", {}),
        row(401, 200, 200, 404, 404, 200, 200, 200),
    ),
    "POST complete dispatch": (_complete("dispatch"), row(401, 404, 404, 404, 404, 200, 403, 403)),
    "POST complete sign_for": (_complete("sign_for"), row(401, 403, 200, 404, 404, 403, 403, 403)),
    "POST complete consolidate": (
        _complete("consolidate", data={"report": "报告"}),
        row(401, 403, 200, 404, 404, 403, 403, 403),
    ),
    "POST complete review": (_complete("review", decision="pass"), row(401, 404, 404, 404, 404, 200, 403, 403)),
    "POST complete approve": (_complete("approve", decision="approve"), row(401, 404, 404, 404, 404, 403, 200, 403)),
    "GET /human-tasks/{id}/attachments": (
        lambda r: ("GET", f"/api/v1/human-tasks/{r.attachment_on_sign_for()[1]}/attachments", {}),
        row(401, 200, 200, 404, 404, 200, 200, 200),
    ),
    "POST /human-tasks/{id}/attachments": (
        lambda r: (
            "POST",
            f"/api/v1/human-tasks/{r.advance_to('sign_for')[1]}/attachments",
            {"data": {"file": (io.BytesIO(PDF), "方案.pdf")}},
        ),
        row(401, 403, 201, 404, 404, 403, 403, 403),
    ),
    "GET /attachments/{id}": (
        lambda r: ("GET", f"/api/v1/attachments/{r.attachment_on_sign_for()[2]}", {}),
        row(401, 200, 200, 404, 404, 200, 200, 200),
    ),
    "DELETE /attachments/{id}": (
        lambda r: ("DELETE", f"/api/v1/attachments/{r.attachment_on_sign_for()[2]}", {}),
        row(401, 403, 204, 404, 404, 403, 403, 403),
    ),
    "GET /audit": (lambda r: ("GET", "/api/v1/audit", {}), row(401, 200, 200, 200, 200, 200, 200, 200)),
    "GET /audit?cycle=": (
        lambda r: ("GET", f"/api/v1/audit?cycle={r.cycle()}", {}),
        row(401, 200, 200, 200, 404, 200, 200, 200),
    ),
    "POST /human-tasks/batch-complete": (
        lambda r: ("POST", "/api/v1/human-tasks/batch-complete", {"json": {"ids": [r.advance_to("dispatch")[1]]}}),
        row(401, 403, 403, 403, 403, 200, 200, 403),
    ),
    "POST /cycles/batch-start": (
        lambda r: (
            "POST",
            "/api/v1/cycles/batch-start",
            {"json": {"key_task_ids": [r.world.key_task.id], "round": _round(r)}},
        ),
        row(401, 403, 403, 403, 403, 200, 403, 200),
    ),
    # Not overdue: who may draw up a notice hears 409; a step one does not see is a 404, as the step itself.
    "GET /human-tasks/{id}/notice.docx": (
        lambda r: ("GET", f"/api/v1/human-tasks/{r.advance_to('dispatch')[1]}/notice.docx", {}),
        row(401, 404, 404, 404, 404, 409, 409, 403),
    ),
    "GET /search": (
        lambda r: ("GET", "/api/v1/search?q=产业链", {}),
        row(401, 200, 200, 200, 200, 200, 200, 200),
    ),
    "GET /users": (lambda r: ("GET", "/api/v1/users", {}), row(401, 403, 403, 403, 403, 403, 403, 200)),
    "POST /users": (
        lambda r: (
            "POST",
            "/api/v1/users",
            {"json": {"username": _fresh_name(r), "unit": "区财政局", "role": "unit_staff", "password": "abc12345x"}},
        ),
        row(401, 403, 403, 403, 403, 403, 403, 201),
    ),
    "POST /users/{id}/disable": (
        lambda r: ("POST", f"/api/v1/users/{_victim(r)}/disable", {}),
        row(401, 403, 403, 403, 403, 403, 403, 200),
    ),
    "POST /users/{id}/enable": (
        lambda r: ("POST", f"/api/v1/users/{_victim(r)}/enable", {}),
        row(401, 403, 403, 403, 403, 403, 403, 200),
    ),
    "POST /users/{id}/password": (
        lambda r: ("POST", f"/api/v1/users/{_victim(r)}/password", {"json": {"password": "new-pass-42"}}),
        row(401, 403, 403, 403, 403, 403, 403, 200),
    ),
    "PUT /users/{id}/mobile": (
        lambda r: ("PUT", f"/api/v1/users/{_victim(r)}/mobile", {"json": {"mobile": "13800138000"}}),
        row(401, 403, 403, 403, 403, 403, 403, 200),
    ),
    "GET /units/{unit_id}/robot": (
        lambda r: ("GET", f"/api/v1/units/{r.world.lead_unit.id}/robot", {}),
        row(401, 403, 403, 403, 403, 403, 403, 200),
    ),
    "PUT /units/{unit_id}/robot": (
        lambda r: (
            "PUT",
            f"/api/v1/units/{r.world.lead_unit.id}/robot",
            {"json": {"channel": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}},
        ),
        row(401, 403, 403, 403, 403, 403, 403, 200),
    ),
    "DELETE /units/{unit_id}/robot": (
        lambda r: ("DELETE", f"/api/v1/units/{r.world.lead_unit.id}/robot", {}),
        row(401, 403, 403, 403, 403, 403, 403, 200),
    ),
    "GET /auth/tokens": (lambda r: ("GET", "/api/v1/auth/tokens", {}), row(401, 200, 200, 200, 200, 200, 200, 200)),
    "GET /auth/csrf": (lambda r: ("GET", "/api/v1/auth/csrf", {}), row(200, 200, 200, 200, 200, 200, 200, 200)),
    "GET /openapi.json": (
        lambda r: ("GET", "/api/v1/openapi.json", {}),
        row(200, 200, 200, 200, 200, 200, 200, 200),
    ),
    "GET /key-tasks/{id}/indicators": (
        lambda r: ("GET", f"/api/v1/key-tasks/{r.world.key_task.id}/indicators", {}),
        row(401, 200, 200, 200, 404, 200, 200, 200),
    ),
    "POST /key-tasks/{id}/indicators": (
        lambda r: (
            "POST",
            f"/api/v1/key-tasks/{r.world.key_task.id}/indicators",
            {"json": {"name": "技改项目", "comparator": "≥", "target": 20, "measure": "个"}},
        ),
        row(401, 403, 403, 403, 403, 201, 403, 201),
    ),
    "GET /plans/{id}/indicators": (
        lambda r: ("GET", f"/api/v1/plans/{r.world.key_task.plan_id}/indicators", {}),
        row(401, 200, 200, 200, 200, 200, 200, 200),
    ),
    "POST /plans/{id}/indicators": (
        lambda r: (
            "POST",
            f"/api/v1/plans/{r.world.key_task.plan_id}/indicators",
            {"json": {"name": "地区生产总值增长", "comparator": "≈", "target": 7, "measure": "%"}},
        ),
        row(401, 403, 403, 403, 403, 201, 403, 201),
    ),
    "PATCH /indicators/{id}": (
        lambda r: ("PATCH", f"/api/v1/indicators/{r.indicator()}", {"json": {"target": 30}}),
        row(401, 403, 403, 403, 403, 200, 403, 200),
    ),
    "POST /indicators/{id}/retire": (
        lambda r: ("POST", f"/api/v1/indicators/{r.indicator()}/retire", {"json": {"reason": "重复"}}),
        row(401, 403, 403, 403, 403, 200, 403, 200),
    ),
    "POST /key-tasks/{id}/closing": (
        lambda r: ("POST", f"/api/v1/key-tasks/{r.fresh_key_task()}/closing", {}),
        row(401, 403, 201, 403, 404, 201, 403, 403),
    ),
    "GET /scores": (
        lambda r: ("GET", f"/api/v1/scores?round={r.round_with_cycle()}", {}),
        row(401, 404, 404, 404, 404, 200, 200, 200),
    ),
    "GET /scores (published)": (
        lambda r: ("GET", f"/api/v1/scores?round={r.published_round()}", {}),
        row(401, 200, 200, 200, 200, 200, 200, 200),
    ),
    "POST /scores/adjustments": (
        lambda r: (
            "POST",
            "/api/v1/scores/adjustments",
            {"json": {"round": r.round_with_cycle(), "unit": r.world.lead_unit.id, "points": 2, "reason": "主动作为"}},
        ),
        row(401, 403, 403, 403, 403, 201, 403, 403),
    ),
    "DELETE /scores/adjustments/{id}": (
        lambda r: ("DELETE", f"/api/v1/scores/adjustments/{r.adjustment()}", {}),
        row(401, 403, 403, 403, 403, 204, 403, 403),
    ),
    "GET /rounds/{round}/bulletin.docx": (
        lambda r: ("GET", f"/api/v1/rounds/{r.round_with_cycle()}/bulletin.docx", {}),
        row(401, 403, 403, 403, 403, 200, 200, 200),
    ),
    "POST /rounds/{round}/publish": (
        lambda r: ("POST", f"/api/v1/rounds/{r.round_with_cycle()}/publish", {}),
        row(401, 403, 403, 403, 403, 200, 403, 403),
    ),
    "POST /human-tasks/{id}/urge": (
        lambda r: ("POST", f"/api/v1/human-tasks/{r.advance_to('co_input')[1]}/urge", {"json": {}}),
        row(401, 403, 200, 403, 404, 200, 403, 403),
    ),
    "POST /human-tasks/{id}/waive": (
        lambda r: ("POST", f"/api/v1/human-tasks/{r.advance_to('co_input')[1]}/waive", {"json": {"comment": "不涉及"}}),
        row(401, 404, 404, 403, 404, 200, 403, 403),
    ),
    "POST /human-tasks/{id}/reassign": (
        lambda r: (
            "POST",
            f"/api/v1/human-tasks/{r.advance_to('co_input')[1]}/reassign",
            {"json": {"unit_id": r.world.outsider.unit_id, "comment": "职责调整"}},
        ),
        row(401, 404, 404, 403, 404, 200, 403, 403),
    ),
    "POST /human-tasks/{id}/decline": (
        lambda r: (
            "POST",
            f"/api/v1/human-tasks/{r.advance_to('co_input')[1]}/decline",
            {"json": {"comment": "非本单位"}},
        ),
        row(401, 404, 404, 201, 404, 403, 403, 403),
    ),
    "POST /human-tasks/{id}/withdraw": (
        lambda r: ("POST", f"/api/v1/human-tasks/{r.done_input()}/withdraw", {}),
        row(401, 404, 404, 200, 404, 403, 403, 403),
    ),
    "POST /cycles/{id}/close-inputs": (
        lambda r: ("POST", f"/api/v1/cycles/{r.inputs_past_due()}/close-inputs", {"json": {}}),
        row(401, 403, 200, 403, 404, 403, 403, 403),
    ),
    "POST /cycles/{id}/cancel": (
        lambda r: ("POST", f"/api/v1/cycles/{r.cycle()}/cancel", {"json": {"comment": "撤销"}}),
        row(401, 403, 403, 403, 404, 200, 403, 403),
    ),
    "GET /declines": (lambda r: ("GET", "/api/v1/declines", {}), row(401, 200, 200, 200, 200, 200, 200, 200)),
    "POST /declines/{id}/decision": (
        lambda r: (
            "POST",
            f"/api/v1/declines/{r.pending_decline()}/decision",
            {"json": {"decision": "insist", "comment": "属于本单位"}},
        ),
        row(401, 403, 403, 403, 403, 200, 403, 403),
    ),
    "POST /extensions/{id}/withdraw": (
        lambda r: ("POST", f"/api/v1/extensions/{r.pending_extension()}/withdraw", {}),
        row(401, 200, 200, 404, 404, 403, 403, 403),
    ),
    "POST /units/{id}/disable": (
        lambda r: ("POST", f"/api/v1/units/{r.make.unit().id}/disable", {"json": {}}),
        row(401, 403, 403, 403, 403, 403, 403, 200),
    ),
    "POST /units/{id}/enable": (
        lambda r: ("POST", f"/api/v1/units/{r.make.unit().id}/enable", {}),
        row(401, 403, 403, 403, 403, 403, 403, 200),
    ),
    "DELETE /audit": (lambda r: ("DELETE", "/api/v1/audit", {}), row(405, 405, 405, 405, 405, 405, 405, 405)),
}


def _round(rig: Rig) -> str:
    rig.rounds += 1
    return f"{2000 + rig.rounds}"


def _fresh_name(rig: Rig) -> str:
    rig.rounds += 1
    return f"newuser{rig.rounds}"


def _victim(rig: Rig) -> int:
    rig.rounds += 1
    username = f"victim{rig.rounds}"
    rig.make.user("unit_staff", rig.world.lead_unit, username=username)
    return rig.user_id(username)


@pytest.fixture
def rig(runtime, world, start, make):
    return Rig(runtime=runtime, world=world, start=start, make=make)


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_every_role_on_every_endpoint(endpoint, rig, api, world):
    build, expected = MATRIX[endpoint]
    got = {}
    for role in ROLES:
        actor = None if role == "anonymous" else world.by_role[role]
        method, path, kwargs = build(rig)
        response = api(actor).request(method, path, **kwargs)
        got[role] = response.status_code
        if response.status_code >= 400:
            assert response.headers["Content-Type"].startswith("application/problem+json"), (role, path)
            assert response.get_json()["status"] == response.status_code
    assert got == expected


def test_the_matrix_covers_every_api_endpoint(app):
    covered = {name.split()[1].split("?")[0] for name in MATRIX if name.split()[1].startswith("/")}
    rules = {
        re.sub(r"<[^>]*?:?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0]
        in (
            "auth",
            "directory",
            "key_tasks",
            "tasks",
            "audit",
            "users",
            "indicators",
            "scores",
            "moves",
            "search",
            "batches",
            "robots",
        )
    }
    generic = {r.split("{")[0] for r in covered}
    # Paths the matrix names generically ({dispatch}, complete …) or tests elsewhere (test_identity).
    elsewhere = {"/auth/login", "/auth/logout", "/auth/token", "/auth/tokens/{token_id}"}
    missing = sorted(
        r for r in rules - elsewhere if r.split("{")[0] not in generic and r not in covered and "complete" not in r
    )
    assert missing == []


def test_what_each_unit_sees_in_lists(rig, api, world, make):
    other_unit_task = make.key_task([world.co_units[1]], [], title="别的任务")
    rig.start("2024-Q2")
    rig.start("2024-Q2", key_task=other_unit_task)
    seen = {
        role: sorted(t["id"] for t in api(world.by_role[role]).get("/api/v1/key-tasks").get_json()["items"])
        for role in ("unit_staff", "co_unit", "outsider", "supervisor", "leader", "admin")
    }
    everything = sorted([world.key_task.id, other_unit_task.id])
    assert seen == {
        "unit_staff": [world.key_task.id],
        "co_unit": [world.key_task.id],
        "outsider": [],
        "supervisor": everything,
        "leader": everything,
        "admin": everything,
    }
    inboxes = {
        role: [i["step"] for i in api(world.by_role[role]).get("/api/v1/inbox").get_json()["items"]]
        for role in ("unit_head", "co_unit", "outsider", "supervisor", "leader")
    }
    assert inboxes == {
        "unit_head": [],
        "co_unit": [],
        "outsider": [],
        "supervisor": ["dispatch", "dispatch"],
        "leader": [],
    }


def test_what_each_role_finds(rig, api, world):
    cycle_id = rig.cycle()
    found = {}
    for role in ("unit_head", "co_unit", "outsider", "supervisor", "admin"):
        body = api(world.by_role[role]).get("/api/v1/search?q=产业链").get_json()
        found[role] = sorted(hit["kind"] for hit in body["hits"])
    assert found == {
        "unit_head": ["key_task"],
        "co_unit": ["key_task"],
        "outsider": [],
        "supervisor": ["key_task"],
        "admin": ["key_task"],
    }
    steps = {
        role: [
            (hit["kind"], hit["round"])
            for hit in api(world.by_role[role]).get("/api/v1/search?q=交办").get_json()["hits"]
        ]
        for role in ("unit_head", "supervisor")
    }
    assert steps == {"unit_head": [], "supervisor": [("human_task", "2001")]} and cycle_id
    refused = api(world.supervisor).get("/api/v1/search?q=%20")
    assert refused.status_code == 422 and refused.get_json()["field"] == "q"


def test_another_units_step_answers_exactly_like_a_missing_one(rig, api, world):
    """A 403 would confirm that the step exists; the answer is the missing step's, word for word."""
    _cycle, task_id = rig.advance_to("sign_for")
    missing = task_id + 10_000
    outsider = api(world.co_heads[0])
    for method, template, kwargs in [
        ("GET", "/api/v1/human-tasks/{}", {}),
        ("POST", "/api/v1/human-tasks/{}/complete", {"json": {}}),
        ("GET", "/api/v1/human-tasks/{}/attachments", {}),
    ]:
        seen = outsider.request(method, template.format(task_id), **kwargs)
        unknown = outsider.request(method, template.format(missing), **kwargs)
        assert seen.status_code == unknown.status_code == 404
        assert seen.get_json()["detail"].replace(str(task_id), "N") == unknown.get_json()["detail"].replace(
            str(missing), "N"
        )
