"""The scheduling sections of config.toml, and lights rolled up to cycles and key tasks."""

from __future__ import annotations

import pytest

from service.config import REPO_ROOT, ConfigError, load_config
from service.operations.common.lights import cycle_lights, key_task_lights
from service.operations.cycles.start import start_cycle
from tests.helpers import local


def test_the_defaults_follow_common_practice():
    config = load_config(REPO_ROOT / "config.toml")
    assert (config.escalation.remind_before, config.escalation.cuiban_after, config.escalation.duban_after) == (1, 1, 5)
    assert (config.rounds.period, config.rounds.report_day) == ("quarter", 20)
    assert config.smtp.enabled is False
    assert config.extensions.leader_above_days == 5


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("escalation.at", "9am", "time of day"),
        ("escalation.cuiban_after", 0, "cuiban_after"),
        ("rounds.period", "weekly", "quarter, month or off"),
        ("rounds.report_day", 31, "between 1 and 28"),
        ("smtp.security", "tls", "none, starttls or ssl"),
        ("smtp.port", "25", "must be int"),
        ("scheduler.interval_seconds", 0, "at least 1"),
        ("extensions.max_working_days", 0, "max_working_days"),
        ("escalation.sound", True, "unknown key"),
    ],
)
def test_wrong_settings_are_named(key, value, words):
    with pytest.raises(ConfigError, match=words):
        load_config(REPO_ROOT / "config.toml", overrides={key: value})


def test_a_key_task_is_as_red_as_its_worst_open_step(runtime, make):
    supervisor = make.user("supervisor")
    lead = make.unit()
    first, second = make.key_task([lead], []), make.key_task([lead], [])
    with runtime.work(now=local(2024, 4, 1, 9)) as work:
        a = start_cycle(work, supervisor, first.id, "2024-Q2").id  # dispatch due 2 April
    with runtime.work(now=local(2024, 4, 2, 9)) as work:
        b = start_cycle(work, supervisor, first.id, "2024-M04").id  # due 3 April
        c = start_cycle(work, supervisor, second.id, "2024-Q2").id
    with runtime.work(write=False, now=local(2024, 4, 3, 9)) as work:
        # a is overdue (red); b and c are due today (yellow: a one-day step turns yellow on its day).
        assert cycle_lights(work.session, work.now, [a, b, c, 999]) == {a: "red", b: "yellow", c: "yellow", 999: None}
        assert key_task_lights(work.session, work.now, [first.id, second.id]) == {first.id: "red", second.id: "yellow"}
        assert key_task_lights(work.session, work.now, []) == {}
