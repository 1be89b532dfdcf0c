"""When the database drops its connections (a restart), a request gets a clear 503, never a 500,
and the next request works again on fresh connections."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text


def test_a_dropped_connection_is_a_503_then_recovers(api, world, is_postgres, database_url):
    if not is_postgres:
        pytest.skip("dropping a server connection is a PostgreSQL scenario")
    supervisor = api(world.supervisor)
    assert supervisor.get("/api/v1/me").status_code == 200  # the pool now holds a connection
    killer = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with killer.connect() as connection:
        dropped = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    killer.dispose()
    assert dropped >= 1
    failed = supervisor.get("/api/v1/me")
    assert failed.status_code == 503
    assert failed.content_type.startswith("application/problem+json")
    assert "数据库暂时不可用" in failed.get_json()["detail"]
    assert supervisor.get("/api/v1/me").status_code == 200
