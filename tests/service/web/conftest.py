"""Page tests: Debian's Chromium driven by Playwright against the live server (tests/conftest.py), one
browser context per person, and Flask's test client as a logged-in person. Screenshots go to
tests/screenshots/ (ignored by git).

The server shares the test's runtime, so its clock is the test's FixedClock and its database the
test's database: what a page shows is what the operations wrote.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from service.config import REPO_ROOT
from tests.helpers import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = REPO_ROOT / "tests" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(
            "需要 Debian 的 Chromium 和中文字体: apt-get install -y chromium fonts-wqy-microhei(make test 会自动安装)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Person:
    """One person at their own browser (a context of its own: own cookies, own session)."""

    username: str
    page: Any
    base: str
    prefix: str
    shots: list[Path] = field(default_factory=list)

    def open(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.prefix}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)
        return path

    def login(self, password: str = PASSWORD) -> None:
        self.open("/login")
        self.page.fill("#username", self.username)
        self.page.fill("#password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(re.compile(r".*/$"))

    def flash(self) -> str:
        return str(self.page.locator(".flash").first.inner_text())


@pytest.fixture
def people(browser: Any, live_server: str, request: pytest.FixtureRequest) -> Iterator[Callable[..., Person]]:
    contexts: list[Any] = []
    test_name = re.sub(r"^test_", "", request.node.name)

    def sit_down(username: str, *, phone: bool = False, login: bool = True) -> Person:
        options: dict[str, Any] = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai", "accept_downloads": True}
        if phone:
            options.update(
                viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True, has_touch=True
            )
        else:
            options.update(viewport={"width": 1280, "height": 900})
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        person = Person(username=username, page=page, base=live_server, prefix=f"{test_name}-{username}")
        if login:
            person.login()
        return person

    yield sit_down
    for context in contexts:
        context.close()


class WebClient:
    """Flask's test client as a logged-in person: forms carry the session's CSRF token."""

    TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')

    def __init__(self, client: Any) -> None:
        self.client = client
        self.token = ""

    def _refresh_token(self) -> None:
        found = self.TOKEN.search(self.client.get("/login").get_data(as_text=True))
        assert found, "no CSRF token on the login page"
        self.token = found.group(1)

    def login(self, username: str, password: str = PASSWORD) -> Any:
        self._refresh_token()
        response = self.client.post(
            "/login", data={"username": username, "password": password, "csrf_token": self.token}
        )
        # A new session after login: take its token.
        found = self.TOKEN.search(self.client.get("/").get_data(as_text=True))
        self.token = found.group(1) if found else self.token
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any) -> Any:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.token)
        return self.client.post(path, data=form, **kwargs)


@pytest.fixture
def web(app: Any) -> Callable[[str | None], WebClient]:
    def open_client(username: str | None = None) -> WebClient:
        client = WebClient(app.test_client())
        if username:
            response = client.login(username)
            assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return open_client
