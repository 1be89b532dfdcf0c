"""The migrations build exactly the schema the models describe, and go down and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from db.migrate import alembic_config, current, downgrade, include_object, upgrade
from db.models import Base


def test_upgrade_matches_the_models_and_downgrade_undoes_it(scratch_url):
    upgrade(scratch_url)
    assert current(scratch_url) == ScriptDirectory.from_config(alembic_config(scratch_url)).get_current_head()
    engine = create_engine(scratch_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": True, "include_object": include_object}),
                Base.metadata,
            )
        assert differences == []
        downgrade(scratch_url, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(scratch_url)
        assert {t.name for t in Base.metadata.sorted_tables} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
