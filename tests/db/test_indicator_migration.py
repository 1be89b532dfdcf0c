"""Migration 0040: plans imported before indicators existed get an indicator for each stored target."""

from __future__ import annotations

import json

from sqlalchemy import create_engine, text

from db.migrate import upgrade


def test_stored_targets_become_indicators(scratch_url):
    upgrade(scratch_url, "0005")
    engine = create_engine(scratch_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO units (id, name, kind, active, created_at) VALUES "
                    "(1, '区发展改革和经济信息化局', 'department', true, '2024-01-01 00:00:00'),"
                    "(2, '凤凰街道', 'street', true, '2024-01-01 00:00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO plans (id, title, year, source_name, source_sha256, sections, imported_at) "
                    "VALUES (1, '方案', 2024, 'p.txt', :sha, '[]', '2024-02-01 08:00:00')"
                ),
                {"sha": "a" * 64},
            )
            targets = json.dumps(
                [
                    {
                        "text": "力争完成技改项目20个以上",
                        "indicator": "技改项目",
                        "comparator": "≥",
                        "value": 20,
                        "unit": "个",
                    },
                    {"text": "x", "indicator": "坏的", "comparator": "?", "value": 1, "unit": "个"},
                ]
            )
            connection.execute(
                text(
                    "INSERT INTO key_tasks (id, plan_id, number, title, body, lead_units_text, co_units_text, targets,"
                    " active) VALUES (1, 1, 2, '推动老树发新芽', '正文', 'a', 'b', :targets, true)"
                ),
                {"targets": targets},
            )
            connection.execute(
                text(
                    "INSERT INTO key_task_units (key_task_id, unit_id, part, position) VALUES "
                    "(1, 2, 'co', 0), (1, 1, 'lead', 0)"
                )
            )
        upgrade(scratch_url)
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT key_task_id, name, comparator, target, measure, responsible_unit_id, source FROM indicators"
                )
            ).all()
        assert [tuple(r) for r in rows] == [(1, "技改项目", "≥", 20.0, "个", 1, "imported")]
    finally:
        engine.dispose()
