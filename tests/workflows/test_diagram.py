"""Diagrams are untrusted input: what is deployed, what is refused, and why."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from workflows import DiagramError, Engine, EngineError, validate_submission

HERE = Path(__file__).resolve().parent
SHIPPED = HERE.parents[1] / "bpmn" / "key_task_cycle.bpmn"
QUICK = HERE / "data" / "quick_report.bpmn"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}


def shipped_with(old: str, new: str) -> bytes:
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text, old
    return text.replace(old, new, 1).encode()


def line_of(xml: bytes, needle: str) -> int:
    return xml.decode().splitlines().index(next(text for text in xml.decode().splitlines() if needle in text)) + 1


def test_the_shipped_diagram(engine):
    diagram = engine.deploy(SHIPPED.read_bytes())
    steps = {s.step_id: s for s in diagram.steps}
    assert list(steps) == ["dispatch", "sign_for", "co_input", "consolidate", "review", "approve"]
    assert {k: (s.name, s.party) for k, s in steps.items()} == {
        "dispatch": ("交办", "supervisor"),
        "sign_for": ("签收", "lead_unit"),
        "co_input": ("配合单位意见", "co_unit"),
        "consolidate": ("汇总报送", "lead_unit"),
        "review": ("审核", "supervisor"),
        "approve": ("审批", "leader"),
    }
    assert steps["co_input"].multi_instance and steps["co_input"].instance_variable == "co_unit"
    assert steps["review"].decision.values == ("pass", "return")
    assert steps["review"].decision.comment_required_for == {"return"}
    assert steps["approve"].decision.values == ("approve", "reject")
    assert [f.name for f in steps["consolidate"].fields] == ["report"]


def test_the_shipped_diagram_draws_every_element():
    """bpmn-js renders only what the diagram section places: every node and flow needs a shape."""
    root = etree.parse(str(SHIPPED)).getroot()
    process = root.find("bpmn:process", NS)
    drawable = {el.get("id") for el in process if el.get("id") and etree.QName(el).localname != "laneSet"}
    drawable |= {lane.get("id") for lane in process.iter(f"{{{NS['bpmn']}}}lane")}
    placed = {el.get("bpmnElement") for el in root.iter(f"{{{NS['bpmndi']}}}BPMNShape")}
    placed |= {el.get("bpmnElement") for el in root.iter(f"{{{NS['bpmndi']}}}BPMNEdge")}
    assert drawable - placed == set()
    # Each user step has its deadline timer drawn on it.
    for step in ("dispatch", "sign_for", "co_input", "consolidate", "review", "approve"):
        timer = process.find(f"bpmn:boundaryEvent[@attachedToRef='{step}']", NS)
        assert timer is not None and timer.get("cancelActivity") == "false"


def test_what_the_pages_read_is_declared_in_the_diagram(engine):
    """The order of the steps, what each page shows, the button's words, the decision's name and
    which decisions send work back: read from the diagram, never from a list of step ids."""
    shipped = engine.deploy(SHIPPED.read_bytes())
    # The path from the start, the returns (review → consolidate, approve → review) left out.
    assert shipped.order == ("dispatch", "sign_for", "co_input", "consolidate", "review", "approve")
    assert shipped.backward == {"review": {"return"}, "approve": {"reject"}}
    steps = {s.step_id: s for s in shipped.steps}
    assert [(x.step_id, x.folded) for x in steps["approve"].shows] == [
        ("review", False),
        ("consolidate", False),
        ("co_input", True),
    ]
    assert steps["sign_for"].submit_label == "签收" and steps["review"].decision.label == "审核结论"
    assert steps["review"].is_backward("return") and not steps["review"].is_backward("pass")
    assert steps["approve"].decision_label("reject") == "驳回"

    quick = engine.deploy(QUICK.read_bytes())
    assert quick.order == ("report", "confirm", "decide")
    assert quick.step("report").submit_label is None  # the page says 提交
    assert quick.step("decide").decision.label == "领导批示结论"  # the step's name + 结论 when not declared
    assert quick.stage_of("confirm") == 1 and quick.stage_of("no_such_step") == 3


def test_the_order_follows_the_flows_not_the_document(engine):
    """Steps written in the file in another order still read in the order work reaches them; a
    step behind a gateway's default comes after the branch that joins it."""
    text = QUICK.read_text(encoding="utf-8")
    report_start = text.index('    <bpmn:userTask id="report"')
    confirm_end = text.index("</bpmn:userTask>", text.index('<bpmn:userTask id="confirm"')) + len("</bpmn:userTask>\n")
    decide_start = text.index('    <bpmn:userTask id="decide"')
    decide_end = text.index("</bpmn:userTask>", decide_start) + len("</bpmn:userTask>\n")
    moved = (
        text[:report_start]
        + text[decide_start:decide_end]
        + text[report_start:confirm_end]
        + text[confirm_end:decide_start]
        + text[decide_end:]
    )
    diagram = engine.deploy(moved.encode())
    assert [s.step_id for s in diagram.steps] == ["decide", "report", "confirm"]
    assert diagram.order == ("report", "confirm", "decide")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('<duban:show step="review" />', '<duban:show step="reveiw" />', "不是本流程图的用户任务"),
        ('<duban:show step="review" />', '<duban:show step="review" folded="maybe" />', "folded"),
        ('<duban:show step="review" />', '<duban:show step="review" /><duban:show step="review" />', "重复"),
        ('submit="签收"', 'submit=""', "submit"),
        ('label="审核结论"', f'label="{"很长的名字" * 5}"', "label"),
    ],
)
def test_what_a_page_shows_is_checked_at_deploy(engine, old, new, message):
    with pytest.raises(DiagramError) as caught:
        engine.deploy(shipped_with(old, new))
    assert message in caught.value.message and caught.value.element


def test_deploying_is_cached_by_content(engine):
    first = engine.deploy(SHIPPED.read_bytes())
    assert engine.deploy(SHIPPED.read_bytes()) is first
    other = engine.deploy(shipped_with('name="交办"', 'name="交办任务"'))
    assert other.digest != first.digest
    assert other.step("dispatch").name == "交办任务"


@pytest.mark.parametrize(
    ("old", "new", "element", "message"),
    [
        ("len(co_units) &gt; 0", 'len(__import__("os").listdir("/")) &gt; 0', "flow_to_co_input", "下划线"),
        ("len(co_units) &gt; 0", "().__class__.__base__", "flow_to_co_input", "下划线"),
        ("len(co_units) &gt; 0", 'open("/etc/passwd").read()', "flow_to_co_input", "open"),
        ("len(co_units) &gt; 0", 'getattr(co_units, "x")', "flow_to_co_input", "getattr"),
        ('deadline("dispatch")', 'deadline("no_such_step")', "timer_dispatch", "deadline"),
        ('deadline("dispatch")', "deadline(", "timer_dispatch", "语法"),
    ],
)
def test_unsafe_or_broken_code_is_refused(engine, old, new, element, message):
    xml = shipped_with(old, new)
    with pytest.raises(DiagramError) as caught:
        engine.deploy(xml)
    assert caught.value.element == element
    assert message in caught.value.message
    assert caught.value.line == line_of(xml, f">{new}<")


def test_imports_and_loops_in_scripts_are_refused(engine):
    script = "points = 1\nimport os\nos.system('id')"
    xml = QUICK.read_bytes().replace(b"confirmations = []", script.encode())
    with pytest.raises(DiagramError) as caught:
        engine.deploy(xml)
    assert caught.value.element == "score"
    assert "import" in caught.value.message
    assert caught.value.line == line_of(xml, "import os")

    looping = QUICK.read_bytes().replace(b"points = sum(", b"while True: pass\npoints = sum(")
    with pytest.raises(DiagramError, match="while"):
        engine.deploy(looping)


def test_external_entities_are_never_resolved(engine, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xml = (
        SHIPPED.read_text(encoding="utf-8")
        .replace(
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>',
        )
        .replace('name="交办"', 'name="&x;"')
    )
    with pytest.raises(DiagramError) as caught:
        engine.deploy(xml.encode())
    assert "TOP-SECRET" not in str(caught.value)


def test_entity_expansion_bomb_is_refused(engine):
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{"&lol" + str(i - 1) + ";" if i > 1 else "&lol;"}' * 10 + '">' for i in range(1, 9)
        )
        + ']><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol8;</bpmn:definitions>'
    )
    with pytest.raises(DiagramError):
        engine.deploy(bomb.encode())


@pytest.mark.parametrize(
    ("xml", "message", "line"),
    [
        (b"", "XML", None),
        (b"<not-closed>", "XML", 1),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "XML", None),
        (b'<?xml version="1.0"?>\n<html><body/></html>', "BPMN", 2),
    ],
)
def test_not_a_diagram(engine, xml, message, line):
    with pytest.raises(DiagramError) as caught:
        engine.deploy(xml)
    assert message in caught.value.message
    if line is not None:
        assert caught.value.line == line


def test_schema_errors_name_the_line(engine):
    xml = shipped_with(
        '<bpmn:userTask id="sign_for" name="签收">', '<bpmn:userTask id="sign_for" name="签收" bogus="1">'
    )
    with pytest.raises(DiagramError) as caught:
        engine.deploy(xml)
    assert "BPMN 2.0" in caught.value.message
    assert caught.value.line == line_of(xml, 'bogus="1"')


def test_a_user_task_outside_any_party_lane_is_refused(engine):
    xml = shipped_with("<bpmn:flowNodeRef>sign_for</bpmn:flowNodeRef>", "")
    with pytest.raises(DiagramError) as caught:
        engine.deploy(xml)
    assert caught.value.element == "sign_for"
    assert "泳道" in caught.value.message


def test_an_unknown_party_is_refused(engine):
    xml = shipped_with("<duban:party>leader</duban:party>", "<duban:party>mayor</duban:party>")
    with pytest.raises(DiagramError) as caught:
        engine.deploy(xml)
    assert caught.value.element == "lane_leader"
    assert "mayor" in caught.value.message


def test_bad_step_rules_are_refused(engine):
    with pytest.raises(DiagramError, match="workingDays") as caught:
        engine.deploy(shipped_with('<duban:step workingDays="1" submit', '<duban:step workingDays="-2" submit'))
    assert caught.value.element == "dispatch"
    with pytest.raises(DiagramError, match="commentRequiredFor"):
        engine.deploy(shipped_with('commentRequiredFor="return"', 'commentRequiredFor="retour"'))
    with pytest.raises(DiagramError, match="backward"):
        engine.deploy(shipped_with('backward="reject"', 'backward="rejected"'))


def test_another_diagram_runs_too(engine):
    """Nothing in the engine is specific to the shipped diagram."""
    from datetime import datetime, timezone

    diagram = engine.deploy(QUICK.read_bytes())
    assert [(s.step_id, s.party) for s in diagram.steps] == [
        ("report", "lead_unit"),
        ("confirm", "lead_unit"),
        ("decide", "leader"),
    ]
    now = datetime(2024, 5, 6, tzinfo=timezone.utc)
    run = engine.start(diagram.digest, {"lead_units": [5, 6], "co_units": []}, now)

    def do(step_id, **form):
        step = next(s for s in run.ready_steps() if s.step_id == step_id)
        run.complete(
            step.instance_id,
            validate_submission(diagram.step(step_id), form.get("data"), form.get("decision"), form.get("comment")),
            now,
        )
        return step

    do("report", data={"summary": "进展顺利", "urgent": "是"})
    assert sorted(s.unit for s in run.ready_steps()) == [5, 6]
    for _ in range(2):
        do("confirm")
    do("decide", decision="again", comment="补充数据")
    do("report", data={"summary": "补充后", "urgent": "否"})
    for _ in range(2):
        do("confirm")
    do("decide", decision="ok")
    assert run.completed


def test_a_condition_failing_at_run_time_is_an_engine_error(engine):
    from datetime import datetime, timezone

    xml = shipped_with('review_decision == "pass"', "review_decision == missing_variable")
    diagram = engine.deploy(xml)
    now = datetime(2024, 5, 6, tzinfo=timezone.utc)
    run = engine.start(diagram.digest, {"lead_units": [1], "co_units": []}, now)
    for step_id, form in (("dispatch", {}), ("sign_for", {}), ("consolidate", {"data": {"report": "x"}})):
        step = next(s for s in run.ready_steps() if s.step_id == step_id)
        run.complete(step.instance_id, validate_submission(diagram.step(step_id), form.get("data"), None, None), now)
    review = next(s for s in run.ready_steps() if s.step_id == "review")
    with pytest.raises(EngineError) as caught:
        run.complete(review.instance_id, validate_submission(diagram.step("review"), {}, "pass", None), now)
    assert "missing_variable" in str(caught.value)


def test_the_sandbox_blocks_dunder_access_at_run_time():
    """Even code that slips past the static check meets RestrictedPython's guards."""
    from workflows.sandbox import RestrictedEnvironment

    env = RestrictedEnvironment(lambda data: {})
    assert env.evaluate("len(items) + 1", {"items": [1, 2]}) == 3
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do; what matters is no escape
        env.evaluate("getattr(items, '__class__')", {"items": []})
    with pytest.raises(Exception):  # noqa: B017
        env.evaluate("items.__class__", {"items": []})
    data = {"n": 2}
    env.execute("m = n * 21", data)
    assert data["m"] == 42
    with pytest.raises(ValueError, match="range"):
        env.evaluate("sum(range(10**9))", {})


def test_forms_name_the_field_at_fault(diagram):
    from workflows import FormError

    review = diagram.step("review")
    consolidate = diagram.step("consolidate")
    cases = [
        (consolidate, {}, None, None, "data.report"),
        (consolidate, {"report": 3}, None, None, "data.report"),
        (consolidate, {"report": "x", "extra": "y"}, None, None, "data.extra"),
        (consolidate, "not a dict", None, None, "data"),
        (review, {}, None, None, "decision"),
        (review, {}, "maybe", None, "decision"),
        (review, {}, "return", None, "comment"),
        (review, {}, "return", "  ", "comment"),
        (review, {}, "pass", 42, "comment"),
        (diagram.step("sign_for"), {}, "pass", None, "decision"),
    ]
    for step, data, decision, comment, field in cases:
        with pytest.raises(FormError) as caught:
            validate_submission(step, data, decision, comment)
        assert caught.value.field == field, (data, decision, comment)
    ok = validate_submission(review, {}, "return", " 数据不全 ")
    assert (ok.decision, ok.comment) == ("return", "数据不全")


def test_engine_is_independent_of_the_web_and_the_database():
    """Nothing of Flask, SQLAlchemy, the service or the database is loaded with the engine; only the
    vocabulary (a leaf module of words, ``service/vocabulary.py``) is shared by every layer."""
    import subprocess
    import sys

    code = (
        "import sys, workflows; "
        "shared = {'service', 'service.vocabulary'}; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'service', 'db') "
        "and m not in shared]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=HERE.parents[1])
    assert out.stdout.strip() == ""


def test_diagram_size_limit(engine):
    huge = SHIPPED.read_bytes().replace(b"<!--", b"<!--" + b" " * 2_100_000, 1)
    with pytest.raises(DiagramError, match="过大"):
        engine.deploy(huge)


def test_engine_fixture_is_fresh():
    assert Engine(lambda s, n, d: n).deployed("0" * 64) is None


def test_a_progress_report_must_name_its_part_and_fit_its_lane(engine):
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "bpmn" / "key_task_cycle.bpmn").read_text(encoding="utf-8")
    wrong_part = source.replace('<duban:progress part="total" />', '<duban:progress part="all" />')
    wrong_lane = source.replace('<duban:progress part="share" />', '<duban:progress part="total" />')
    for xml, says in ((wrong_part, "total 或 share"), (wrong_lane, "牵头单位泳道")):
        with pytest.raises(DiagramError, match=says) as caught:
            engine.deploy(xml.encode())
        assert caught.value.element in ("consolidate", "co_input")
