"""The sandbox bounds work, not only loops: what is too big on its face is refused when the diagram
is deployed (with the element and the line), what depends on the data stops at run time with an
EngineError naming the element; legitimate scripts and conditions run as before."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from workflows import DiagramError, Engine, EngineError, validate_submission
from workflows.bounds import MAX_CPU_SECONDS, MAX_ITEMS, MAX_STEPS, LimitExceeded
from workflows.sandbox import RestrictedEnvironment

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "bpmn" / "key_task_cycle.bpmn"
QUICK = ROOT / "tests" / "workflows" / "data" / "quick_report.bpmn"
NOW = datetime(2024, 5, 6, tzinfo=timezone.utc)
CONDITION = "len(co_units) &gt; 0"


def _engine() -> Engine:
    return Engine(lambda step, now, data: now, live_cycles=0)


def _line_of(xml: bytes, needle: str) -> int:
    return xml.decode()[: xml.decode().index(needle)].count("\n") + 1


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("10**10**8 &gt; 0", "幂运算的结果过大"),
        ("len(co_units) * 2**2**40 &gt; 0", "幂运算的结果过大"),
        ("len([1 for a in range(10000) for b in range(10000) for c in range(10000)]) &gt; 0", "循环嵌套"),
        ("any(a == b for a in range(1000) for b in range(1000))", "循环嵌套"),
        ("len(range(10**6)) &gt; 0", "range()"),
        ('len("x" * 10**9) &gt; 0', "结果过大"),
        ("1 &lt;&lt; 10**9 &gt; 0", "移位运算"),
        ('f"{len(co_units):&gt;100000}" != ""', "宽度或精度"),
        ('f"{len(co_units):&gt;{len(co_units)}}" != ""', "格式说明中不允许使用变量"),
    ],
)
def test_work_too_big_on_its_face_is_refused_at_deploy(condition, message):
    xml = SHIPPED.read_bytes().replace(CONDITION.encode(), condition.encode())
    with pytest.raises(DiagramError) as caught:
        _engine().deploy(xml)
    assert caught.value.element == "flow_to_co_input"
    assert message in caught.value.message
    assert caught.value.line == _line_of(xml, condition)


def test_nested_loops_in_a_script_are_refused_with_their_line():
    script = "points = 0\nfor a in range(1000):\n    for b in range(1000):\n        points += 1"
    xml = QUICK.read_bytes().replace(b"confirmations = []", script.encode())
    with pytest.raises(DiagramError) as caught:
        _engine().deploy(xml)
    assert caught.value.element == "score" and "循环嵌套" in caught.value.message
    assert caught.value.line == _line_of(xml, "for b in range(1000)")


def _evaluate(expression: str, **data):
    return RestrictedEnvironment(lambda _data: {}).evaluate(expression, dict(data))


def _execute(script: str, **data):
    context = dict(data)
    RestrictedEnvironment(lambda _data: {}).execute(script, context)
    return context


@pytest.mark.parametrize(
    ("expression", "data", "message"),
    [
        ("len([1 for a in xs for b in xs for c in xs])", {"xs": list(range(1000))}, "循环次数超过上限"),
        ("len(text * n)", {"text": "督办" * 500, "n": 10**6}, "结果过大"),
        ("2 ** n", {"n": 10**8}, "幂运算"),
        ("n * n * n * n * n * n * n * n", {"n": 10**500}, "乘法的结果过大"),
        ("1 << n", {"n": 10**9}, "移位运算"),
        ("text.ljust(n)", {"text": "x", "n": 10**9}, "结果过大"),
        ("sep.join([text] * 1000)", {"sep": ",", "text": "x" * 5000}, "结果过大"),
        ("text.replace('a', text)", {"text": "a" * 5000}, "结果过大"),
        ("n.to_bytes(10**9, 'big')", {"n": 1}, "不能使用 int.to_bytes"),
        ("str([row] * 1000)", {"row": [0] * 1000}, "结果过大"),
        ("f'{rows}'", {"rows": [[0] * 1000] * 1000}, "结果过大"),
        ("'%*d' % (n, 1)", {"n": 10**9}, "宽度或精度"),
        ("round(n, -10**8)", {"n": 5}, "round()"),
        ("sum(rows, [])", {"rows": [[1]] * 10}, "sum()"),
    ],
)
def test_what_grows_with_the_data_is_stopped_at_run_time(expression, data, message):
    with pytest.raises(LimitExceeded, match=message):
        _evaluate(expression, **data)


def test_values_doubling_in_a_loop_are_stopped():
    with pytest.raises(LimitExceeded, match="结果过大"):
        _execute("x = [0]\nfor i in range(40):\n    x = x + x")
    with pytest.raises(LimitExceeded, match="结果过大"):
        _execute("x = 'ab'\nfor i in range(40):\n    x += x")
    with pytest.raises(LimitExceeded, match="结果过大"):
        _execute("x = [0]\nfor i in range(40):\n    x.extend(x)")
    with pytest.raises(LimitExceeded, match="数据过多"):
        _execute("rows = [[0] * 90000 for i in range(100)]")


def test_cheap_steps_over_a_big_value_stop_on_cpu_time():
    """Ninety thousand steps, each comparing against a hundred thousand items: within the step
    bound, far past the time bound."""
    with pytest.raises(LimitExceeded, match="计算时间超过上限"):
        _execute("big = [0] * 100000\nn = len([1 for i in range(10000) for j in range(9) if -1 in big])")
    assert MAX_CPU_SECONDS <= 1.0 and MAX_STEPS > 90_000  # the steps alone would have let it run on


def test_ordinary_snippets_run_as_before():
    assert _evaluate("len(co_units) > 0", co_units=[3]) is True
    assert _evaluate('review_decision == "pass"', review_decision="pass") is True
    assert _evaluate("sum([1 for u in units]) * (2 if urgent == '是' else 1)", units=[1, 2], urgent="是") == 4
    assert _evaluate("f'{n:>5}|{name.upper()}'", n=42, name="ab") == "   42|AB"
    assert _evaluate("'%05.1f%%' % ratio", ratio=12.345) == "012.3%"
    assert _evaluate("', '.join(sorted(names))", names=["乙", "甲"]) == "乙, 甲"
    assert _evaluate("2 ** 64 + len('x' * 1000)") == 2**64 + 1000
    assert _evaluate("round(3.14159, 2)") == 3.14
    context = _execute(
        "total = 0\nfor unit, score in scores.items():\n    total += score\nbest = max(scores, key=scores.get)",
        scores={"a": 3, "b": 5},
    )
    assert context["total"] == 8 and context["best"] == "b"
    big = _evaluate("len([0] * n)", n=MAX_ITEMS)
    assert big == MAX_ITEMS


def test_a_bound_met_while_running_is_an_engine_error_naming_the_element():
    """The script multiplies what a person typed: accepted at deploy, stopped when it runs."""
    xml = QUICK.read_bytes().replace(b"confirmations = []", b"confirmations = []\nechoed = urgent * 200000")
    engine = _engine()
    diagram = engine.deploy(xml)
    run = engine.start(diagram.digest, {"lead_units": [5], "co_units": []}, NOW)
    report = next(s for s in run.ready_steps() if s.step_id == "report")
    run.complete(
        report.instance_id,
        validate_submission(diagram.step("report"), {"summary": "进展顺利", "urgent": "否"}, None, None),
        NOW,
    )
    confirm = next(s for s in run.ready_steps() if s.step_id == "confirm")
    with pytest.raises(EngineError) as caught:
        run.complete(confirm.instance_id, validate_submission(diagram.step("confirm"), {}, None, None), NOW)
    assert caught.value.element == "score"
    assert "结果过大" in str(caught.value)
