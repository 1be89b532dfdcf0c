"""A unit's group robot through the API (admins): set, read back without its secret, validated with
problems naming the field; and the users' mobile numbers."""

from __future__ import annotations

from sqlalchemy import select

from db.models import AuditEvent, UnitRobot

SECRET = "SEC" + "ab12" * 16


def test_an_admin_sets_a_robot_and_never_reads_its_secret_back(api, world, runtime):
    admin = api(world.admin)
    path = f"/api/v1/units/{world.lead_unit.id}/robot"
    assert admin.get(path).get_json()["channel"] is None
    url = "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef"
    done = admin.request("PUT", path, json={"channel": "dingtalk", "url": url, "secret": SECRET})
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["has_secret"] is True and "secret" not in body
    assert body["url"] == "https://oapi.dingtalk.com/robot/send?access_token=****cdef"
    assert SECRET not in done.get_data(as_text=True) and "0123456789ab" not in done.get_data(as_text=True)
    # Changing the URL without a secret keeps the secret; an empty secret removes it.
    kept = admin.request("PUT", path, json={"channel": "dingtalk", "url": url + "0"}).get_json()
    assert kept["has_secret"] is True
    with runtime.work(write=False) as work:
        assert work.session.get(UnitRobot, world.lead_unit.id).secret == SECRET
        events = work.session.scalars(select(AuditEvent).where(AuditEvent.action == "unit.robot_set")).all()
        assert len(events) == 2 and all(SECRET not in str(e.data) and "0123456789ab" not in str(e.data) for e in events)
    cleared = admin.request("PUT", path, json={"channel": "dingtalk", "url": url, "secret": ""}).get_json()
    assert cleared["has_secret"] is False
    assert admin.delete(path).get_json()["channel"] is None


def test_bad_robot_settings_are_problems_naming_the_field(api, world):
    admin = api(world.admin)
    path = f"/api/v1/units/{world.lead_unit.id}/robot"
    wecom = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"
    for payload, field in [
        ({"channel": "feishu", "url": wecom}, "channel"),
        ({"channel": "wecom", "url": "http://qyapi.weixin.qq.com/send?key=k"}, "url"),  # https only
        ({"channel": "wecom", "url": "https://user:pw@example.com/send"}, "url"),
        ({"channel": "wecom", "url": "https:///send"}, "url"),
        ({"channel": "wecom", "url": "javascript:alert(1)"}, "url"),
        ({"channel": "wecom", "url": wecom + "#x"}, "url"),
        ({"channel": "wecom", "url": wecom, "secret": SECRET}, "secret"),  # WeCom robots do not sign
        ({"channel": "dingtalk", "url": wecom, "secret": "not-a-secret"}, "secret"),
        ({"channel": "wecom"}, "url"),
    ]:
        response = admin.request("PUT", path, json=payload)
        problem = response.get_json()
        assert response.status_code == 422, (payload, problem)
        assert response.mimetype == "application/problem+json"
        assert field in str(problem), (payload, problem)
    assert admin.get(path).get_json()["channel"] is None  # nothing half-written
    assert admin.get("/api/v1/units/999999/robot").status_code == 404


def test_mobile_numbers_are_validated_and_normalised(api, world):
    admin = api(world.admin)
    made = admin.post(
        "/api/v1/users",
        json={
            "username": "new_one",
            "unit": "区财政局",
            "role": "unit_staff",
            "password": "abc12345x",
            "mobile": "+86 138-0013-8000",
        },
    )
    assert made.status_code == 201 and made.get_json()["mobile"] == "13800138000"
    user_id = made.get_json()["id"]
    for bad in ("12800138000", "1380013800", "138001380001", "电话"):
        response = admin.request("PUT", f"/api/v1/users/{user_id}/mobile", json={"mobile": bad})
        assert response.status_code == 422 and "mobile" in str(response.get_json()), bad
    cleared = admin.request("PUT", f"/api/v1/users/{user_id}/mobile", json={"mobile": ""})
    assert cleared.status_code == 200 and cleared.get_json()["mobile"] is None
    bad_new = admin.post(
        "/api/v1/users",
        json={
            "username": "another",
            "unit": "区财政局",
            "role": "unit_staff",
            "password": "abc12345x",
            "mobile": "110",
        },
    )
    assert bad_new.status_code == 422 and "mobile" in str(bad_new.get_json())
