"""API fixtures: a small world of people, clients holding real bearer tokens (issued by
POST /api/v1/auth/token), and a live threaded HTTP server for the suites that need real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from db.models import KeyTask, Role, Unit
from service.operations.common.actor import Actor
from service.operations.cycles.start import start_cycle
from tests.service.scheduling.conftest import district  # noqa: F401 (a fixture: test_supervision_endpoints.py)

# The password the factory gives every user (tests/conftest.py: make.user).
PASSWORD = "correct-horse-9"


@dataclass
class People:
    supervisor: Actor
    leader: Actor
    admin: Actor
    lead_unit: Unit
    lead_head: Actor
    lead_staff: Actor
    co_units: list[Unit]
    co_heads: list[Actor]
    outsider: Actor  # the head of a unit that takes no part in the key task
    key_task: KeyTask
    by_role: dict[str, Actor] = field(default_factory=dict)


@pytest.fixture
def people(make: Any) -> People:
    lead = make.unit("区发展改革和经济信息化局")
    co_units = [make.unit("区财政局"), make.unit("凤凰街道")]
    other = make.unit("区统计局")
    world = People(
        supervisor=make.user(Role.SUPERVISOR, username="duchashi"),
        leader=make.user(Role.LEADER, username="lingdao"),
        admin=make.user(Role.ADMIN, username="admin"),
        lead_unit=lead,
        lead_head=make.user(Role.UNIT_HEAD, lead, username="lead_head"),
        lead_staff=make.user(Role.UNIT_STAFF, lead, username="lead_staff"),
        co_units=co_units,
        co_heads=[make.user(Role.UNIT_HEAD, u, username=f"co_head_{i}") for i, u in enumerate(co_units)],
        outsider=make.user(Role.UNIT_HEAD, other, username="outsider"),
        key_task=make.key_task([lead], co_units, title="推行产业链长制"),
    )
    world.by_role = {
        "unit_staff": world.lead_staff,
        "unit_head": world.lead_head,
        "co_unit": world.co_heads[0],
        "outsider": world.outsider,
        "supervisor": world.supervisor,
        "leader": world.leader,
        "admin": world.admin,
    }
    return world


class ApiClient:
    """Flask's test client speaking for one user through a bearer token (or for nobody)."""

    def __init__(self, client: Any, token: str | None) -> None:
        self.client = client
        self.token = token

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.client.post(path, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.client.delete(path, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.client.open(path, method=method, headers=self._headers(kwargs.pop("headers", None)), **kwargs)


def issue_token(client: Any, username: str, password: str = PASSWORD) -> str:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 201, response.get_data(as_text=True)
    token: str = response.get_json()["token"]
    return token


@pytest.fixture
def api(app: Any) -> Any:
    """``api(actor)``: a client with a fresh token for that actor; ``api(None)``: anonymous."""
    cache: dict[str | None, ApiClient] = {}

    def _api(actor: Actor | None) -> ApiClient:
        key = actor.username if actor else None
        if key not in cache:
            client = app.test_client()
            cache[key] = ApiClient(client, issue_token(client, actor.username) if actor else None)
        return cache[key]

    return _api


@pytest.fixture
def start(runtime: Any, people: People) -> Any:
    """Starts a cycle through the operation (set-up, not what the test is about)."""

    def _start(round_name: str = "2024-Q2", key_task: KeyTask | None = None) -> int:
        with runtime.work() as work:
            return start_cycle(work, people.supervisor, (key_task or people.key_task).id, round_name).id

    return _start


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    """The app behind a real threaded HTTP server on a free loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def http_login(live_server: str) -> Any:
    """``http_login(actor)``: a requests session holding a bearer token issued over HTTP."""
    sessions: list[requests.Session] = []

    def _login(actor: Actor, password: str = PASSWORD) -> requests.Session:
        response = requests.post(
            f"{live_server}/api/v1/auth/token", json={"username": actor.username, "password": password}, timeout=30
        )
        assert response.status_code == 201, response.text
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {response.json()['token']}"
        sessions.append(session)
        return session

    yield _login
    for session in sessions:
        session.close()
