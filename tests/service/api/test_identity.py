"""Logging in: session cookies, CSRF, bearer tokens, throttling, and sessions ending with the epoch."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from db.models import ApiToken, AuditEvent, WebSession
from service.operations.common.actor import SYSTEM
from service.operations.directory.users import disable_user, reset_password
from service.security import login_required
from tests.helpers import PASSWORD


def login(client, username, password=PASSWORD, **kwargs):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password}, **kwargs)


def csrf_of(client):
    return client.get("/api/v1/auth/csrf").get_json()["csrf_token"]


def test_session_login_sets_a_protected_cookie_and_knows_the_user(app, world):
    client = app.test_client()
    response = login(client, "lead_head")
    assert response.status_code == 200
    assert response.get_json()["unit"] == "区发展改革和经济信息化局" and response.get_json()["via"] == "session"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("duban_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # [auth] secure_cookies is off on plain HTTP
    assert client.get("/api/v1/me").get_json()["username"] == "lead_head"


def test_a_session_needs_the_csrf_token_to_change_anything_and_a_bearer_token_does_not(app, world, api, start):
    client = app.test_client()
    login(client, "duchashi")
    key_task = world.key_task.id
    refused = client.post(f"/api/v1/key-tasks/{key_task}/cycles", json={"round": "2024-Q2"})
    assert refused.status_code == 403 and refused.get_json()["field"] == "X-CSRFToken"
    wrong = client.post(
        f"/api/v1/key-tasks/{key_task}/cycles", json={"round": "2024-Q2"}, headers={"X-CSRFToken": "forged"}
    )
    assert wrong.status_code == 403
    accepted = client.post(
        f"/api/v1/key-tasks/{key_task}/cycles", json={"round": "2024-Q2"}, headers={"X-CSRFToken": csrf_of(client)}
    )
    assert accepted.status_code == 201
    # The same request with a bearer token needs no CSRF token (a browser never adds the header itself).
    assert (
        api(world.supervisor).post(f"/api/v1/key-tasks/{key_task}/cycles", json={"round": "2024-Q3"}).status_code == 201
    )


def test_logging_in_twice_with_a_form_post_is_refused_across_sites(app, world):
    """The API login takes JSON only: a cross-site HTML form cannot log a victim in."""
    client = app.test_client()
    response = client.post("/api/v1/auth/login", data={"username": "lead_head", "password": PASSWORD})
    assert response.status_code == 415
    assert client.get("/api/v1/me").status_code == 401


def _cookie(client) -> str:
    return client.get_cookie("duban_session").value


def test_logout_ends_the_session_server_side(app, world, runtime):
    client = app.test_client()
    login(client, "lead_head")
    saved = _cookie(client)
    other_device = app.test_client()
    login(other_device, "lead_head")
    assert client.post("/api/v1/auth/logout", headers={"X-CSRFToken": csrf_of(client)}).status_code == 204
    assert client.get("/api/v1/me").status_code == 401
    # A copy of the cookie taken before the logout (another tab, a thief) is dead too …
    replay = app.test_client()
    replay.set_cookie("duban_session", saved)
    assert replay.get("/api/v1/me").status_code == 401
    # … while the same person's session on another device goes on.
    assert other_device.get("/api/v1/me").status_code == 200
    with runtime.work(write=False) as work:
        rows = work.session.scalars(select(WebSession).order_by(WebSession.id)).all()
        assert [(r.ended_why is not None) for r in rows] == [True, False]
        assert all(len(r.key_hash) == 64 and r.key_hash not in saved for r in rows)
        logouts = work.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.logout")).all()
        assert len(logouts) == 1


def test_web_logout_ends_the_session_server_side(app, world):
    browser = app.test_client()
    page = browser.get("/login").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    form = {"username": "lead_head", "password": PASSWORD, "csrf_token": token}
    assert browser.post("/login", data=form).status_code == 302
    saved = _cookie(browser)
    token = browser.get("/").get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 302
    replay = app.test_client()
    replay.set_cookie("duban_session", saved)
    assert replay.get("/inbox").status_code == 302  # back to the login page
    assert replay.get("/api/v1/me").status_code == 401


def test_a_session_ends_after_its_hours_server_side(app, world, clock, runtime):
    client = app.test_client()
    login(client, "lead_head")
    saved = _cookie(client)
    clock.advance(timedelta(hours=runtime.config.auth.session_hours) - timedelta(minutes=1))
    assert client.get("/api/v1/me").status_code == 200
    clock.advance(timedelta(minutes=2))
    replay = app.test_client()
    replay.set_cookie("duban_session", saved)
    assert replay.get("/api/v1/me").status_code == 401


def test_web_views_redirect_to_login_and_api_views_answer_401(app, world):
    app.add_url_rule("/x-protected", "x_protected", login_required(lambda: "secret"))
    client = app.test_client()
    response = client.get("/x-protected?tab=2&light=red")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/x-protected%3Ftab%3D2%26light%3Dred"
    login(client, "lead_head")
    assert client.get("/x-protected").get_data(as_text=True) == "secret"


def test_tokens_are_stored_hashed_listed_without_the_secret_and_revocable(app, api, world, runtime):
    client = app.test_client()
    issued = client.post("/api/v1/auth/token", json={"username": "lead_head", "password": PASSWORD, "name": "脚本"})
    assert issued.status_code == 201
    token = issued.get_json()["token"]
    assert token.startswith("dbn_") and issued.get_json()["token_type"] == "Bearer"
    with runtime.work(write=False) as work:
        stored = work.session.scalar(select(ApiToken).where(ApiToken.id == issued.get_json()["id"]))
        assert stored.token_hash != token and len(stored.token_hash) == 64 and token not in stored.prefix + "x"
    headers = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/v1/auth/tokens", headers=headers).get_json()
    assert [t["name"] for t in listed] == ["脚本"] and "token" not in listed[0]
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    after = client.get("/api/v1/me", headers=headers)
    assert after.status_code == 401 and "撤销" in after.get_json()["detail"]
    assert after.headers["WWW-Authenticate"].startswith("Bearer")
    # One user cannot revoke another's token (it is not even disclosed).
    other = api(world.co_heads[0]).delete(f"/api/v1/auth/tokens/{issued.get_json()['id']}")
    assert other.status_code == 404


def test_a_token_expires(app, world, clock, runtime):
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "lead_head", "password": PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    clock.advance(timedelta(days=runtime.config.auth.token_days) - timedelta(minutes=1))
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    clock.advance(timedelta(minutes=2))
    assert client.get("/api/v1/me", headers=headers).status_code == 401


@pytest.mark.parametrize("change", ["reset_password", "disable"])
def test_sessions_and_tokens_die_when_the_password_is_reset_or_the_account_disabled(app, world, runtime, change):
    browser = app.test_client()
    login(browser, "lead_staff")
    script = app.test_client()
    token = script.post("/api/v1/auth/token", json={"username": "lead_staff", "password": PASSWORD}).get_json()["token"]
    assert browser.get("/api/v1/me").status_code == 200
    with runtime.work() as work:
        if change == "disable":
            disable_user(work, SYSTEM, "lead_staff")
        else:
            reset_password(work, SYSTEM, "lead_staff", "brand-new-pass-1")
    assert browser.get("/api/v1/me").status_code == 401
    assert script.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    relogin = login(app.test_client(), "lead_staff", "brand-new-pass-1")
    assert relogin.status_code == (200 if change == "reset_password" else 401)
    with runtime.work(write=False) as work:
        ended = work.session.scalars(select(WebSession.ended_why).order_by(WebSession.id)).all()
        assert ended[0] == ("disabled" if change == "disable" else "password_reset")


def test_wrong_passwords_are_slowed_then_refused_for_a_while(app, world, clock, runtime):
    auth = runtime.config.auth
    client = app.test_client()
    for _ in range(auth.slow_after - 1):
        assert login(client, "lead_head", "wrong").status_code == 401
    third = login(client, "lead_head", "wrong")
    assert third.status_code == 401
    # Now slowed: even the right password must wait the delay out.
    slowed = login(client, "lead_head")
    assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) == 2
    assert "秒后再试" in slowed.get_json()["detail"]
    clock.advance(timedelta(seconds=2))
    assert login(client, "lead_head").status_code == 200  # a success clears the account's count

    client = app.test_client()  # logged out again (a logged-in session would need its CSRF token)
    for n in range(auth.lock_after):
        clock.advance(timedelta(seconds=61))  # wait out every delay: only the lock is left
        assert login(client, "lead_head", "wrong").status_code == 401, n
    locked = login(client, "lead_head")
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) == auth.lock_minutes * 60
    assert "已暂时锁定" in locked.get_json()["detail"] and f"{auth.lock_minutes} 分钟" in locked.get_json()["detail"]
    clock.advance(timedelta(minutes=auth.lock_minutes, seconds=1))
    assert login(app.test_client(), "lead_head").status_code == 200
    with runtime.work(write=False) as work:
        failures = work.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login_failed")).all()
        assert len(failures) == auth.slow_after + auth.lock_after


def test_an_unknown_name_is_throttled_like_a_known_one(app, world, runtime):
    client = app.test_client()
    statuses = [login(client, "nobody-here", "x").status_code for _ in range(runtime.config.auth.slow_after + 1)]
    assert statuses[:-1] == [401] * runtime.config.auth.slow_after and statuses[-1] == 429
    assert login(client, "nobody-here", "x").get_json()["detail"].startswith("登录失败次数较多")


def test_one_address_guessing_many_accounts_is_refused(app, make, world, runtime, clock):
    client = app.test_client()
    auth = runtime.config.auth
    statuses = []
    for i in range(auth.address_lock_after + 1):
        clock.advance(timedelta(seconds=61))
        statuses.append(login(client, f"guess{i}", "wrong").status_code)
    assert statuses[: auth.address_lock_after] == [401] * auth.address_lock_after
    assert statuses[-1] == 429
    refused = login(client, "lead_head")
    assert refused.status_code == 429 and "网络地址" in refused.get_json()["detail"]
    other_address = app.test_client()
    ok = other_address.post(
        "/api/v1/auth/login",
        json={"username": "lead_head", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.8"},
    )
    assert ok.status_code == 200


def test_bad_login_input_names_the_field(app, world):
    client = app.test_client()
    missing = client.post("/api/v1/auth/token", json={"username": "lead_head"})
    assert missing.status_code == 422 and missing.get_json()["field"] == "password"
    wrong_type = client.post("/api/v1/auth/token", json={"username": 5, "password": "x"})
    assert wrong_type.status_code == 422 and wrong_type.get_json()["field"] == "username"
    assert "应为文本" in wrong_type.get_json()["detail"]
