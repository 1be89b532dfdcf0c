"""After logging in, ``next`` leads only to a path of this site, however it is encoded; a value a
header cannot carry (CR/LF) falls back to the home page instead of failing."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

from service.security import safe_next

SITE = "http://duban.example/login"

# Raw query strings, as an attacker would put them in a link (already percent-encoded).
HOSTILE = [
    "%2F%09%2Fevil.example%2Fphish",  # a tab the browser drops: //evil.example
    "%2F%0A%2Fevil.example",  # a newline, likewise
    "%2F%0D%0ASet-Cookie:%20x=1",  # header injection (was a 500)
    "%0D%0A",
    "//evil.example/",
    "%2F%2Fevil.example",
    "/%5Cevil.example",  # /\evil.example: a backslash is a slash to a browser
    "%5C%5Cevil.example",
    "/%255C/evil.example",  # backslash encoded twice
    "/%2509/evil.example",  # tab encoded twice
    "https://evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "%20//evil.example",  # a leading space a browser would strip
    "/%E2%80%8B/evil.example",  # a zero-width space
    "/%E2%80%AE/evil.example",  # a right-to-left override
    "/%01/evil.example",
    "/%7F/evil.example",
    "evil.example",
    "/%2525252F%2525252Fevil.example",  # //evil.example, percent-encoded four times over
]

LOCAL = [
    ("/inbox", "/inbox"),
    ("/ledger%3Fq%3D%25E5%258A%259E%26light%3Dred", "/ledger?q=%E5%8A%9E&light=red"),
    ("/steps/7", "/steps/7"),
    ("/ledger%3Fq%3D%E5%8A%9E", "/ledger?q=%E5%8A%9E"),  # typed Chinese comes back as ASCII
    ("/ledger%3Fq%3Da%20b", "/ledger?q=a%20b"),
]


def _browser_target(location: str) -> tuple[str, str]:
    """Where a browser would go: it drops tabs and newlines and reads a backslash as a slash."""
    cleaned = location.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/").strip()
    target = urlsplit(urljoin(SITE, cleaned))
    return target.scheme, target.netloc


@pytest.mark.parametrize("raw", HOSTILE)
def test_a_hostile_next_leads_home_after_logging_in(web, world, raw):
    client = web(None)
    client._refresh_token()
    response = client.client.post(
        f"/login?next={raw}", data={"username": "lead_head", "password": "correct-horse-9", "csrf_token": client.token}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    # Already logged in, the login page sends one straight on: the same rule holds.
    again = client.get(f"/login?next={raw}")
    assert again.status_code == 302 and again.headers["Location"] == "/"


@pytest.mark.parametrize(("raw", "expected"), LOCAL)
def test_a_local_next_survives_with_its_query(web, world, raw, expected):
    client = web("lead_head")
    response = client.get(f"/login?next={raw}")
    assert response.status_code == 302
    assert response.headers["Location"] == expected
    assert _browser_target(response.headers["Location"]) == ("http", "duban.example")


def test_a_nul_in_next_is_refused_like_any_nul(web, world):
    client = web("lead_head")
    response = client.get("/login?next=/%00/evil.example")
    assert response.status_code == 422 and "Location" not in response.headers


def test_the_login_form_carries_only_a_cleaned_next(web, world):
    client = web(None)
    page = client.get("/login?next=%2F%09%2Fevil.example%2Fphish").get_data(as_text=True)
    assert "evil.example" not in page


@pytest.mark.parametrize(
    "value",
    [
        "/\t/evil.example",
        "/\\evil.example",
        "//evil.example",
        "/\r\n",
        "/%09/x",
        "/%2509/x",
        "/\u3000/x\u2028",
        "http:/evil.example",
        "/x" * 2000,
    ],
)
def test_safe_next_never_lets_a_browser_leave_the_site(value):
    chosen = safe_next(value, default="/home")
    assert chosen == "/home"


def test_where_a_page_sends_one_back_the_same_rule_holds(web, world):
    """The notifications page's ``back`` goes through the same check."""
    client = web("lead_head")
    response = client.post("/notifications/read", {"all": "1", "back": "/\t/evil.example"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/notifications"
