"""Search indexes: words in key tasks, human tasks (step names, comments, inputs) and progress reports

SQLite: an FTS5 table with the trigram tokenizer beside each source table, kept by triggers (so a
write and its index entry share one transaction). PostgreSQL: pg_trgm GIN indexes on the same text
expressions (kept by PostgreSQL itself). The expressions are repeated in
``service/operations/queries/search.py``; they must stay identical for PostgreSQL to use the indexes.

Revision ID: 0025
Revises: 0030
Create Date: 2026-12-01
"""

from alembic import op

revision = "0025"
down_revision = "0030"
branch_labels = None
depends_on = None

# (table, the text of a row written over NEW., the PostgreSQL expression)
KEY_TASK_TEXT = (
    "{p}title || ' ' || coalesce({p}section, '') || ' ' || {p}lead_units_text || ' ' || "
    "{p}co_units_text || ' ' || {p}body"
)
REPORT_TEXT = "{p}problems || ' ' || {p}next_steps"
SQLITE_HUMAN_TASK_TEXT = (
    "{p}step_name || ' ' || coalesce({p}comment, '') || ' ' || coalesce((SELECT group_concat(value, ' ') "
    "FROM json_tree({p}data) WHERE type = 'text'), '')"
)
PG_HUMAN_TASK_TEXT = "step_name || ' ' || coalesce(comment, '') || ' ' || coalesce(data::jsonb::text, '')"

SQLITE = (
    ("key_tasks", KEY_TASK_TEXT, ("title", "section", "lead_units_text", "co_units_text", "body")),
    ("human_tasks", SQLITE_HUMAN_TASK_TEXT, ("step_name", "comment", "data")),
    ("progress_reports", REPORT_TEXT, ("problems", "next_steps")),
)
POSTGRES = (
    ("key_tasks", KEY_TASK_TEXT.format(p="")),
    ("human_tasks", PG_HUMAN_TASK_TEXT),
    ("progress_reports", REPORT_TEXT.format(p="")),
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for table, expression in POSTGRES:
            op.execute(f"CREATE INDEX ix_search_{table} ON {table} USING gin (({expression}) gin_trgm_ops)")
        return
    for table, expression, columns in SQLITE:
        fts = f"search_{table}"
        new, old = expression.format(p="new."), expression.format(p="")
        op.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5(text, tokenize = 'trigram')")
        op.execute(f"INSERT INTO {fts}(rowid, text) SELECT id, {old} FROM {table}")
        op.execute(
            f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, text) VALUES (new.id, {new}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {', '.join(columns)} ON {table} BEGIN "
            f"DELETE FROM {fts} WHERE rowid = old.id; INSERT INTO {fts}(rowid, text) VALUES (new.id, {new}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN DELETE FROM {fts} WHERE rowid = old.id; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, _expression in POSTGRES:
            op.execute(f"DROP INDEX IF EXISTS ix_search_{table}")
        return
    for table, _expression, _columns in SQLITE:
        fts = f"search_{table}"
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {fts}_{event}")
        op.execute(f"DROP TABLE IF EXISTS {fts}")
