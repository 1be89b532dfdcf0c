"""An account's role fits its unit's kind: the office's roles only in the office's unit, the
leaders in the leadership, the units' people in the units (a 422 naming the field ``role``)."""

from __future__ import annotations

from service.vocabulary import UnitKind


def _add(api, world, unit: str, role: str, username: str):
    body = {"username": username, "unit": unit, "role": role, "password": "abc12345x"}
    return api(world.admin).post("/api/v1/users", json=body)


def test_a_role_must_fit_the_unit_kind(world, api, make):
    power = make.unit("区供电公司")  # a district department
    office = make.unit("区政府督查室", kind=UnitKind.OFFICE)
    leaders = make.unit("区领导班子", kind=UnitKind.LEADERSHIP)
    refused = _add(api, world, power.name, "supervisor", "fake_office")
    assert refused.status_code == 422, refused.get_json()
    body = refused.get_json()
    assert body["field"] == "role" and "区供电公司" in body["detail"] and "督查室" in body["detail"]
    for unit, role in ((power.name, "leader"), (office.name, "unit_staff"), (leaders.name, "unit_head")):
        answer = _add(api, world, unit, role, f"x_{role}")
        assert answer.status_code == 422 and answer.get_json()["field"] == "role", (unit, role)
    for unit, role, username in (
        (office.name, "supervisor", "new_office"),
        (leaders.name, "leader", "new_leader"),
        (power.name, "unit_staff", "new_staff"),
        (office.name, "admin", "new_admin"),
    ):
        made = _add(api, world, unit, role, username)
        assert made.status_code == 201, (role, made.get_json())
