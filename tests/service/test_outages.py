"""While the database is away, every answer is a clean 503 in the client's own language (a problem
for the API, JSON for /health, a Chinese page for the web), and everything works again once it is
back, without a restart."""

from __future__ import annotations

from db.models import Role


def test_health_is_a_503_in_json_during_an_outage_and_200_after(outage):
    client = outage.app().test_client()
    assert client.get("/health").status_code == 200
    outage.cut()
    down = client.get("/health")
    assert down.status_code == 503
    assert down.content_type == "application/json"
    body = down.get_json()
    assert body["status"] == "error" and body["database"].startswith("unreachable")
    # Nothing of the connection (address, path) leaks into the answer.
    assert "127.0.0.1" not in down.get_data(as_text=True) and "sqlite" not in down.get_data(as_text=True)
    outage.restore()
    assert client.get("/health").status_code == 200


def test_api_and_pages_answer_503_during_an_outage_and_recover(outage, make):
    make.user(Role.SUPERVISOR, username="duchashi")
    app = outage.app()
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "duchashi", "password": "correct-horse-9"})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    assert client.get("/api/v1/inbox", headers=headers).status_code == 200
    outage.cut()
    api = client.get("/api/v1/inbox", headers=headers)
    assert api.status_code == 503 and api.content_type.startswith("application/problem+json")
    assert "数据库暂时不可用" in api.get_json()["detail"]
    page = client.get("/login")
    assert page.status_code in (200, 503)  # the login page itself needs no database
    written = client.post(
        "/api/v1/auth/token", json={"username": "duchashi", "password": "correct-horse-9"}, headers=headers
    )
    assert written.status_code == 503
    outage.restore()
    assert client.get("/api/v1/inbox", headers=headers).status_code == 200
