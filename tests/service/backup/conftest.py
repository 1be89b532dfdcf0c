"""The backup tests' own fixtures: a populated world, and an empty database of the same engine."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from db.models import HumanTask, HumanTaskState
from service.operations.cycles.attachments import upload_attachment
from service.operations.cycles.complete import complete_human_task
from service.operations.cycles.start import start_cycle

REPORT = "第一季度工作进展:已完成产业链图谱。\n".encode()


@pytest.fixture
def attachment_bytes() -> bytes:
    """The bytes of the attachment `populated` uploads."""
    return REPORT


@pytest.fixture
def populated(runtime, world) -> str:
    """A cycle played to the co-units' input, one of them with an attachment; returns its sha256."""
    with runtime.work() as work:
        cycle = start_cycle(work, world.supervisor, world.key_task.id, "2024-Q2")
        complete_human_task(work, world.supervisor, cycle.opened[0].id)
        sign_for = work.session.scalar(
            select(HumanTask.id).where(HumanTask.step_id == "sign_for", HumanTask.state == HumanTaskState.OPEN)
        )
        opened = complete_human_task(work, world.lead_head, sign_for).opened
        mine = next(step for step in opened if step.unit_id == world.co_units[0].id)
        return upload_attachment(work, world.co_heads[0], mine.id, "进展.txt", REPORT).sha256


@pytest.fixture
def target(config, database_url, tmp_path):
    """The config of an empty database of the same engine, with an attachment store of its own."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        admin = None
    else:
        base = make_url(database_url)
        name = f"{base.database}_restored"
        admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
    yield dataclasses.replace(
        config,
        database=dataclasses.replace(config.database, url=url),
        attachments=dataclasses.replace(config.attachments, storage_dir=str(tmp_path / "restored-attachments")),
    )
    if admin is not None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
