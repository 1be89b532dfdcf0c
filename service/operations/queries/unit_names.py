"""Units as a plan wrote them, named as the directory knows them (issue 14 item 5).

A key task keeps its unit lists as the plan writes them (``KeyTask.lead_units_text``: group words such
as 各镇街 kept; words corrected at import are stored as corrected). Pages and exports show each name as
written, and where the plan's words are an alias rather than the directory's name (an abbreviation like
区发改局) the directory's full name beside them: 区发改局(区发展改革和经济信息化局).
Group words and names the directory has as they are stay as written.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from db.models import Unit, UnitAlias

from ...runtime import Work

SEPARATOR = "、"


def unit_namer(work: Work) -> Callable[[str], str]:
    """A function from a unit list as written (names joined by 、) to the same list with the
    directory's full name in brackets after each alias; reads the aliases once."""
    full = dict(work.session.execute(select(UnitAlias.alias, Unit.name).join(Unit, Unit.id == UnitAlias.unit_id)).all())

    def named(text: str) -> str:
        if not text or not full:
            return text
        return SEPARATOR.join(
            f"{name}({full[name]})" if name in full and full[name] != name else name for name in text.split(SEPARATOR)
        )

    return named
