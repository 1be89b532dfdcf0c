"""API fixtures: clients holding real bearer tokens (issued by POST /api/v1/auth/token), through
Flask's test client or over real HTTP to the live server (tests/conftest.py has the world)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from service.operations.common.actor import Actor
from tests.helpers import PASSWORD


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
