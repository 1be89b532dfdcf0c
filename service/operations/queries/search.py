"""Search by words: key tasks, human tasks (steps and what was entered on them) and progress reports.

What is searched (the rule is issue 14 item 9):
- a key task by its title, section, body and its units as the plan wrote them;
- a human task by its step's name, its unit's name, the comment and the text entered on it (the
  co-units' inputs, the consolidated report, opinions), that is every text value of its data;
- a progress report by its 存在问题 and 下步打算.

Each word of the query (split on white space) must occur; case is ignored. Only what the actor may
see is found: key tasks and reports through ``authz.key_task_visible``, human tasks through
``authz.human_task_visible``.

The indexes (migration 0025): on SQLite an FTS5 table with the trigram tokenizer beside each table,
kept by triggers in the writing transaction; a word of three characters or more is a phrase query
on it, a shorter one (two Chinese characters are a common query) a substring test over the same
table. On PostgreSQL pg_trgm GIN indexes on the very expressions below (``ILIKE``; for words under
three characters PostgreSQL reads the whole index, still correct).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, Text, bindparam, column, func, literal_column, or_, select, table

from db.models import Cycle, HumanTask, KeyTask, Plan, ProgressReport, Unit

from ...errors import Invalid
from ...runtime import Work
from ...vocabulary import SearchKind
from ..common import authz
from ..common.actor import Actor

MAX_QUERY = 100
MAX_WORDS = 5
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
SNIPPET = 60

# The PostgreSQL expressions of migration 0025's GIN indexes, character for character.
PG_TEXT = {
    "key_tasks": "key_tasks.title || ' ' || coalesce(key_tasks.section, '') || ' ' || key_tasks.lead_units_text"
    " || ' ' || key_tasks.co_units_text || ' ' || key_tasks.body",
    "human_tasks": "human_tasks.step_name || ' ' || coalesce(human_tasks.comment, '') || ' ' || "
    "coalesce(human_tasks.data::jsonb::text, '')",
    "progress_reports": "progress_reports.problems || ' ' || progress_reports.next_steps",
}


@dataclass(frozen=True)
class SearchHit:
    """One thing found: its kind, id, a title, where it belongs, and the text around the first word."""

    kind: SearchKind
    id: int
    title: str
    key_task_id: int
    key_task_title: str
    plan_title: str
    unit_name: str | None
    round: str | None
    snippet: str

    @property
    def kind_label(self) -> str:
        return self.kind.label


@dataclass(frozen=True)
class SearchResult:
    """The hits by kind (newest first, at most ``limit`` each) and whether a kind had more."""

    query: str
    words: tuple[str, ...]
    hits: tuple[SearchHit, ...]
    more: tuple[SearchKind, ...]

    def of(self, kind: SearchKind) -> list[SearchHit]:
        return [hit for hit in self.hits if hit.kind == kind]


def words_of(query: str) -> tuple[str, ...]:
    """The words of a query, deduplicated, in order. Invalid (422, field ``q``) when it is empty,
    longer than ``MAX_QUERY`` characters or has more than ``MAX_WORDS`` words."""
    query = query.strip()
    if not query:
        raise Invalid("请输入要查找的词", field="q")
    if len(query) > MAX_QUERY:
        raise Invalid(f"查找的词不能超过 {MAX_QUERY} 个字", field="q")
    words = tuple(dict.fromkeys(query.split()))
    if len(words) > MAX_WORDS:
        raise Invalid(f"最多同时查找 {MAX_WORDS} 个词", field="q")
    return words


def search(work: Work, actor: Actor, query: str, *, limit: int = DEFAULT_LIMIT) -> SearchResult:
    """Finds what the actor may see whose words contain every word of ``query``.

    ``limit`` (1…100) caps each kind; a kind with more hits is named in ``more``. Raises Invalid
    (422, field ``q``) for an empty or too long query (``words_of``)."""
    words = words_of(query)
    limit = max(1, min(limit, MAX_LIMIT))
    postgres = work.session.get_bind().dialect.name == "postgresql"
    hits: list[SearchHit] = []
    more: list[SearchKind] = []
    for kind, statement in (
        (SearchKind.KEY_TASK, _key_tasks(actor, words, postgres)),
        (SearchKind.HUMAN_TASK, _human_tasks(actor, words, postgres, _units_named(work, words))),
        (SearchKind.REPORT, _reports(actor, words, postgres)),
    ):
        rows = work.session.execute(statement.limit(limit + 1)).all()
        if len(rows) > limit:
            more.append(kind)
        hits.extend(_hit(kind, row, words) for row in rows[:limit])
    return SearchResult(query=query.strip(), words=words, hits=tuple(hits), more=tuple(more))


class _Index:
    """How one source table is searched: through its FTS5 table (SQLite) or its GIN expression
    (PostgreSQL). ``driver`` is what the query selects from and orders by (newest first), so that
    SQLite walks the index by rowid from the newest row and stops once it has ``limit`` hits."""

    def __init__(self, name: str, id_column: Any, postgres: bool) -> None:
        self.name, self.id_column, self.postgres = name, id_column, postgres
        self.fts = table(f"search_{name}", column("rowid", Integer), column("text", Text))

    def joined(self, statement: Any) -> Any:
        if self.postgres:
            return statement
        return statement.join(self.fts, self.fts.c.rowid == self.id_column)

    @property
    def newest_first(self) -> Any:
        return self.id_column.desc() if self.postgres else self.fts.c.rowid.desc()

    def contains(self, word: str) -> ColumnElement[bool]:
        """The rows whose indexed text contains ``word`` (case ignored)."""
        if self.postgres and len(word) < 3:
            # No trigram in it: the index cannot help, so no ILIKE to tempt the planner into reading
            # all of it; the rows are walked newest first and the walk stops at ``limit``.
            return func.strpos(func.lower(literal_column(f"({PG_TEXT[self.name]})")), word.lower()) > 0
        if self.postgres:
            # Inlined at execution (quoted by the driver's dialect), not a bound parameter: a plan cached
            # for "ILIKE $1" cannot tell a rare word from a common one and walks every row newest first.
            pattern = bindparam(None, f"%{_escape_like(word)}%", Text(), unique=True, literal_execute=True)
            return literal_column(f"({PG_TEXT[self.name]})").ilike(pattern, escape="\\")
        return func.instr(func.lower(self.fts.c.text), word.lower()) > 0

    def matching(self, words: list[str]) -> list[ColumnElement[bool]]:
        """Conditions for words that must all occur: on SQLite the words of three characters or
        more as one FTS5 query (phrases, all required), the shorter ones as substring tests."""
        if self.postgres:
            return [self.contains(w) for w in words]
        long = [w for w in words if len(w) >= 3]
        conditions = [self.contains(w) for w in words if len(w) < 3]
        if long:
            query = " ".join('"' + w.replace('"', '""') + '"' for w in long)
            conditions.insert(0, self.fts.c.text.op("MATCH")(query))
        return conditions


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _units_named(work: Work, words: tuple[str, ...]) -> dict[str, list[int]]:
    """For each word, the units whose name contains it (the directory is small)."""
    found: dict[str, list[int]] = {}
    for word in words:
        ids = work.session.scalars(select(Unit.id).where(Unit.name.ilike(f"%{_escape_like(word)}%", escape="\\"))).all()
        if ids:
            found[word] = list(ids)
    return found


def _key_tasks(actor: Actor, words: tuple[str, ...], postgres: bool) -> Select[Any]:
    index = _Index("key_tasks", KeyTask.id, postgres)
    statement: Any = select(
        KeyTask.id,
        KeyTask.title,
        KeyTask.id.label("key_task_id"),
        KeyTask.title.label("key_task_title"),
        Plan.title.label("plan_title"),
        KeyTask.lead_units_text.label("unit_name"),
        literal_column("NULL").label("round"),
        (KeyTask.title + " " + KeyTask.lead_units_text + " " + KeyTask.co_units_text + " " + KeyTask.body).label(
            "text"
        ),
    )
    return (
        index.joined(statement)
        .join(Plan, Plan.id == KeyTask.plan_id)
        .where(authz.key_task_visible(actor), *index.matching(list(words)))
        .order_by(index.newest_first)
    )


def _human_tasks(actor: Actor, words: tuple[str, ...], postgres: bool, units: dict[str, list[int]]) -> Select[Any]:
    """A word that names a unit matches that unit's steps too (so it cannot use FTS5's MATCH, which
    admits no OR; the walk newest first stops at ``limit`` all the same)."""
    index = _Index("human_tasks", HumanTask.id, postgres)
    plain = [w for w in words if w not in units]
    either = [or_(index.contains(w), HumanTask.unit_id.in_(units[w])) for w in words if w in units]
    statement = select(
        HumanTask.id,
        HumanTask.step_name.label("title"),
        KeyTask.id.label("key_task_id"),
        KeyTask.title.label("key_task_title"),
        Plan.title.label("plan_title"),
        Unit.name.label("unit_name"),
        Cycle.round,
        HumanTask.comment,
        HumanTask.data,
    )
    return (
        index.joined(statement)
        .join(Cycle, Cycle.id == HumanTask.cycle_id)
        .join(KeyTask, KeyTask.id == HumanTask.key_task_id)
        .join(Plan, Plan.id == KeyTask.plan_id)
        .outerjoin(Unit, Unit.id == HumanTask.unit_id)
        .where(authz.human_task_visible(actor), *index.matching(plain), *either)
        .order_by(index.newest_first)
    )


def _reports(actor: Actor, words: tuple[str, ...], postgres: bool) -> Select[Any]:
    index = _Index("progress_reports", ProgressReport.id, postgres)
    statement = select(
        ProgressReport.id,
        KeyTask.title,
        KeyTask.id.label("key_task_id"),
        KeyTask.title.label("key_task_title"),
        Plan.title.label("plan_title"),
        Unit.name.label("unit_name"),
        ProgressReport.round,
        (ProgressReport.problems + " " + ProgressReport.next_steps).label("text"),
    )
    return (
        index.joined(statement)
        .join(KeyTask, KeyTask.id == ProgressReport.key_task_id)
        .join(Plan, Plan.id == KeyTask.plan_id)
        .join(Unit, Unit.id == ProgressReport.unit_id)
        .where(
            authz.key_task_visible(actor),
            ProgressReport.superseded_at.is_(None),
            *index.matching(list(words)),
        )
        .order_by(index.newest_first)
    )


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def _snippet(body: str, words: tuple[str, ...]) -> str:
    """The text around the first word found in ``body`` (or its start), on one line."""
    body = " ".join(body.split())
    lowered = body.lower()
    at = min((i for i in (lowered.find(w.lower()) for w in words) if i >= 0), default=0)
    start = max(0, at - SNIPPET // 3)
    piece = body[start : start + SNIPPET]
    return ("…" if start else "") + piece + ("…" if start + SNIPPET < len(body) else "")


def _hit(kind: SearchKind, row: Any, words: tuple[str, ...]) -> SearchHit:
    if kind == SearchKind.HUMAN_TASK:
        body = " ".join([row.comment or "", *_texts(row.data or {})]).strip()
        snippet = _snippet(body, words) if body else ""
    else:
        snippet = _snippet(row.text, words)
    return SearchHit(
        kind=kind,
        id=row.id,
        title=row.title,
        key_task_id=row.key_task_id,
        key_task_title=row.key_task_title,
        plan_title=row.plan_title,
        unit_name=row.unit_name,
        round=row.round,
        snippet=snippet,
    )
