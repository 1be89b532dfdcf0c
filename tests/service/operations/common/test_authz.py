"""The yes/no predicates the pages ask (menus, buttons) agree with the checks the operations make."""

from __future__ import annotations

import pytest

from service.errors import Forbidden
from service.operations.common import authz
from service.operations.common.actor import Actor
from service.vocabulary import ExtensionStage, Role


def actor(role: Role) -> Actor:
    return Actor(user_id=1, username=role.value, display_name=role.label, role=role, unit_id=7)


def allowed(check, *args) -> bool:
    try:
        check(*args)
    except Forbidden:
        return False
    return True


@pytest.mark.parametrize("role", list(Role))
def test_each_predicate_answers_what_its_check_decides(role):
    who = actor(role)
    assert authz.may_see_statistics(who) == allowed(authz.ensure_can_see_statistics, who)
    assert authz.may_start_cycles(who) == allowed(authz.ensure_can_start_cycles, who)
    assert authz.may_import_plans(who) == allowed(authz.ensure_can_import_plans, who)
    assert authz.may_manage(who) == allowed(authz.ensure_can_manage, who, "管理")
    deciding = [allowed(authz.ensure_can_decide_extension, who, stage) for stage in ExtensionStage]
    assert authz.may_decide_extensions(who) == any(deciding)


def test_who_may_do_what_by_role():
    expected = {
        Role.UNIT_STAFF: set(),
        Role.UNIT_HEAD: {"statistics"},
        Role.SUPERVISOR: {"statistics", "start", "import", "decide"},
        Role.LEADER: {"statistics", "decide"},
        Role.ADMIN: {"statistics", "start", "import", "manage"},
        Role.SYSTEM: {"statistics", "start", "import", "manage"},
        Role.ANONYMOUS: set(),
    }
    for role, may in expected.items():
        who = actor(role)
        found = {
            name
            for name, yes in (
                ("statistics", authz.may_see_statistics(who)),
                ("start", authz.may_start_cycles(who)),
                ("import", authz.may_import_plans(who)),
                ("manage", authz.may_manage(who)),
                ("decide", authz.may_decide_extensions(who)),
            )
            if yes
        }
        assert found == may, role
    assert authz.may_use_extensions(actor(Role.UNIT_STAFF)) and authz.may_use_extensions(actor(Role.LEADER))
    assert not authz.may_use_extensions(actor(Role.ADMIN))
