"""Wrong passwords sent all at once are throttled exactly like the same number sent one after
another: each attempt takes its place in the count before its password is checked. Real HTTP, a
real threaded server, forty clients released together by a barrier (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter

import requests
from sqlalchemy import select

from db.models import LoginThrottle, Role

ATTEMPTS = 40


def _all_at_once(url: str, bodies: list[dict[str, str]], address: str | None = None) -> Counter[int]:
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = []
    lock = threading.Lock()

    def attempt(body: dict[str, str]) -> None:
        with requests.Session() as http:
            barrier.wait()
            status = http.post(f"{url}/api/v1/auth/login", json=body, timeout=120).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=attempt, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Counter(statuses)


def _one_after_another(url: str, bodies: list[dict[str, str]]) -> Counter[int]:
    with requests.Session() as http:
        return Counter(http.post(f"{url}/api/v1/auth/login", json=body, timeout=60).status_code for body in bodies)


def test_forty_wrong_passwords_at_once_count_like_forty_in_a_row(live_server, make, runtime):
    make.user(Role.UNIT_HEAD, username="target")
    make.user(Role.UNIT_HEAD, username="control")
    in_a_row = _one_after_another(live_server, [{"username": "control", "password": "wrong"}] * ATTEMPTS)
    # The clock stands still: no delay runs out between the attempts, in either case.
    at_once = _all_at_once(live_server, [{"username": "target", "password": "wrong"}] * ATTEMPTS)
    slow_after = runtime.config.auth.slow_after
    assert in_a_row == Counter({401: slow_after, 429: ATTEMPTS - slow_after})
    assert at_once == in_a_row
    with runtime.work(write=False) as work:
        rows = {r.key: r for r in work.session.scalars(select(LoginThrottle))}
    assert rows["user:target"].failures == rows["user:control"].failures == slow_after
    assert rows["user:target"].pending == 0  # every reservation was settled


def test_forty_accounts_guessed_at_once_from_one_address_count_like_in_a_row(live_server, make, runtime):
    """The address's own count (an office's shared address gets more tries) holds at once too."""
    auth = runtime.config.auth
    at_once = _all_at_once(live_server, [{"username": f"guess{i}", "password": "wrong"} for i in range(ATTEMPTS)])
    # One address: the first lock_after attempts are checked; at once, the rest wait their turn.
    assert at_once[401] == auth.lock_after
    assert at_once[429] == ATTEMPTS - auth.lock_after
    with runtime.work(write=False) as work:
        address = work.session.scalar(select(LoginThrottle).where(LoginThrottle.key == "ip:127.0.0.1"))
    assert address.failures == auth.lock_after and address.pending == 0


def test_the_right_password_among_simultaneous_attempts_logs_in_when_its_turn_is_free(live_server, make, runtime):
    """Fewer simultaneous attempts than the threshold are all checked, the right one included."""
    make.user(Role.UNIT_HEAD, username="owner")
    slow_after = runtime.config.auth.slow_after
    bodies = [{"username": "owner", "password": "wrong"}] * (slow_after - 1)
    bodies.append({"username": "owner", "password": "correct-horse-9"})
    at_once = _all_at_once(live_server, bodies)
    assert at_once == Counter({401: slow_after - 1, 200: 1})
