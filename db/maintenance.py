"""Emptying every table: what tests and benchmarks do before they write their own data."""

from __future__ import annotations

from sqlalchemy import Engine, delete, text

from db.models import Base


def empty_all_tables(engine: Engine) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(delete(table))
