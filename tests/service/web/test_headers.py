"""What every answer says about itself: a download is never sniffed, framed or run (web and API
alike), a text file names its charset once, pages carry a content security policy and refuse to be
framed. (That the pages still work under the policy is checked in Chromium: test_browser.py.)"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import HumanTask, HumanTaskState
from service.headers import ATTACHMENT_POLICY
from service.operations.cycles.attachments import upload_attachment
from service.operations.cycles.complete import complete_human_task
from service.operations.cycles.start import start_cycle

HTML_IN_TEXT = "<html><script>alert(document.cookie)</script>说明</html>".encode()


@pytest.fixture
def attachment_id(runtime, world) -> int:
    """A .txt attached by 区财政局 on its co-unit input (content a browser might sniff as HTML)."""
    with runtime.work() as work:
        cycle = start_cycle(work, world.supervisor, world.key_task.id, "2024-Q2")
        complete_human_task(work, world.supervisor, cycle.opened[0].id)
        sign_for = work.session.scalar(
            select(HumanTask.id).where(HumanTask.step_id == "sign_for", HumanTask.state == HumanTaskState.OPEN)
        )
        opened = complete_human_task(work, world.lead_head, sign_for).opened
        mine = next(s for s in opened if s.unit_id == world.co_units[0].id)
        return upload_attachment(work, world.co_heads[0], mine.id, "说明.txt", HTML_IN_TEXT).id


def _check_download(response) -> None:
    assert response.status_code == 200 and response.data == HTML_IN_TEXT
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Type"].count("charset") == 1
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == ATTACHMENT_POLICY
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_a_web_download_is_sandboxed_and_names_its_charset_once(web, attachment_id):
    _check_download(web("co_head_0").get(f"/attachments/{attachment_id}"))


def test_an_api_download_is_sandboxed_alike(app, attachment_id):
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "co_head_0", "password": "correct-horse-9"})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    _check_download(client.get(f"/api/v1/attachments/{attachment_id}", headers=headers))


@pytest.mark.parametrize("path", ["/login", "/", "/inbox", "/no-such-page", "/api/v1/docs"])
def test_pages_refuse_framing_and_carry_a_script_policy(web, world, path):
    response = web("duchashi").get(path)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy and "'unsafe-eval'" not in policy
    assert "script-src 'self'" in policy or "script-src" not in policy  # scripts from this site only


def test_json_answers_carry_the_same_headers(app):
    response = app.test_client().get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_no_template_carries_inline_script_the_policy_would_refuse():
    """The pages' CSP runs no inline script: an on…= attribute or a javascript: link would be dead in the
    browser (a confirm that never asks); scripts bind through data- attributes in static/js instead."""
    import re
    from pathlib import Path

    templates = Path(__file__).parents[3] / "service" / "web" / "templates"
    inline = re.compile(r"""\son[a-z]+\s*=\s*["']|javascript:""", re.IGNORECASE)
    found = [
        f"{path.name}:{number}"
        for path in sorted(templates.glob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if inline.search(line)
    ]
    assert found == []
