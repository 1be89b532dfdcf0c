"""Attachments (limits, types by content, who downloads), the audit trail (scope, tamper evidence,
`duban audit verify`) and `duban user …`."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text, update

from db.models import AuditEvent, HumanTask, HumanTaskState, User
from service.cli import main as duban
from service.config import REPO_ROOT, load_config
from service.runtime import build_runtime

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def open_step(runtime, cycle_id, step):
    with runtime.work(write=False) as work:
        return work.session.scalar(
            select(HumanTask.id).where(
                HumanTask.cycle_id == cycle_id, HumanTask.step_id == step, HumanTask.state == HumanTaskState.OPEN
            )
        )


@pytest.fixture
def at_sign_for(api, world, runtime, start):
    cycle_id = start()
    api(world.supervisor).post(f"/api/v1/human-tasks/{open_step(runtime, cycle_id, 'dispatch')}/complete", json={})
    return cycle_id, open_step(runtime, cycle_id, "sign_for")


def upload(client, task_id, data, name):
    return client.post(f"/api/v1/human-tasks/{task_id}/attachments", data={"file": (io.BytesIO(data), name)})


def test_attachments_are_checked_by_content_stored_once_and_downloaded_by_those_who_may(
    api, world, runtime, at_sign_for
):
    cycle_id, task_id = at_sign_for
    head = api(world.lead_head)
    first = upload(head, task_id, PDF, "../../工作方案.pdf")
    assert first.status_code == 201, first.get_data(as_text=True)
    body = first.get_json()
    assert body["filename"] == "工作方案.pdf" and body["content_type"] == "application/pdf" and body["size"] == len(PDF)
    second = upload(head, task_id, PDF, "副本.pdf")
    assert second.get_json()["sha256"] == body["sha256"]
    stored = runtime.config.path(runtime.config.attachments.storage_dir) / body["sha256"][:2] / body["sha256"]
    assert stored.read_bytes() == PDF and len(list(stored.parent.iterdir())) == 1
    assert upload(head, task_id, docx_bytes(), "说明.docx").status_code == 201

    disguised = upload(head, task_id, b"MZ\x90\x00 this is a program", "看我.pdf")
    assert disguised.status_code == 422 and disguised.get_json()["field"] == "file"
    assert "不符" in disguised.get_json()["detail"]
    assert upload(head, task_id, PDF, "脚本.exe").status_code == 422
    assert upload(head, task_id, PDF, "renamed.docx").status_code == 422
    not_a_file = head.post(f"/api/v1/human-tasks/{task_id}/attachments", data={"file": "text"})
    assert not_a_file.status_code == 422 and not_a_file.get_json()["field"] == "file"

    download = api(world.lead_staff).get(body["url"])
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert api(world.co_heads[0]).get(body["url"]).status_code == 404  # not a 403: not even disclosed
    assert api(world.outsider).get(body["url"]).status_code == 404
    listed = api(world.supervisor).get(f"/api/v1/human-tasks/{task_id}/attachments").get_json()["items"]
    assert [a["filename"] for a in listed] == ["工作方案.pdf", "副本.pdf", "说明.docx"]
    trail = api(world.supervisor).get(f"/api/v1/audit?cycle={cycle_id}&action=attachment.uploaded").get_json()
    assert trail["total"] == 3

    # Once the step is done nothing more is attached to it.
    assert head.post(f"/api/v1/human-tasks/{task_id}/complete", json={}).status_code == 200
    late = upload(head, task_id, PDF, "迟到.pdf")
    assert late.status_code == 409


def test_an_upload_past_the_size_limit_is_413(database_url, tmp_path, clock, world, at_sign_for):
    _cycle, task_id = at_sign_for
    config = load_config(
        REPO_ROOT / "config.toml",
        overrides={
            "database.url": database_url,
            "server.secret_key_file": str(tmp_path / "key"),
            "attachments.max_mb": 1,
            "attachments.storage_dir": str(tmp_path / "files"),
        },
    )
    from service.app import create_app

    runtime = build_runtime(config, clock)
    try:
        client = create_app(runtime=runtime).test_client()
        token = client.post("/api/v1/auth/token", json={"username": "lead_head", "password": "correct-horse-9"})
        headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
        big = PDF + b"0" * (1024 * 1024)
        response = client.post(
            f"/api/v1/human-tasks/{task_id}/attachments", data={"file": (io.BytesIO(big), "大.pdf")}, headers=headers
        )
        assert response.status_code == 413
        assert response.get_json()["detail"] == "附件不能超过 1 MB"
        way_too_big = client.post(
            f"/api/v1/human-tasks/{task_id}/attachments",
            data={"file": (io.BytesIO(big * 2), "更大.pdf")},
            headers=headers,
        )
        assert way_too_big.status_code == 413 and "1 MB" in way_too_big.get_json()["detail"]
        assert not (tmp_path / "files").exists()
    finally:
        runtime.dispose()


def test_units_read_only_their_cycles_in_the_audit_and_not_other_units_content(api, world, runtime, start, make):
    cycle_id = start()
    sup = api(world.supervisor)
    sup.post(f"/api/v1/human-tasks/{open_step(runtime, cycle_id, 'dispatch')}/complete", json={})
    api(world.lead_head).post(f"/api/v1/human-tasks/{open_step(runtime, cycle_id, 'sign_for')}/complete", json={})
    for i, head in enumerate(world.co_heads):
        with runtime.work(write=False) as work:
            task = work.session.scalar(
                select(HumanTask.id).where(HumanTask.cycle_id == cycle_id, HumanTask.unit_id == head.unit_id)
            )
        api(head).post(f"/api/v1/human-tasks/{task}/complete", json={"data": {"text": f"意见{i}"}})

    def texts(actor):
        items = api(actor).get(f"/api/v1/audit?cycle={cycle_id}").get_json()["items"]
        return sorted(
            (e["data"] or {}).get("fields", {}).get("text", "(隐)") for e in items if e["step_id"] == "co_input"
        )

    assert texts(world.co_heads[0]) == ["(隐)", "(隐)", "意见0"]
    assert texts(world.lead_head) == ["意见0", "意见1", "意见2"]
    assert texts(world.supervisor) == ["意见0", "意见1", "意见2"]
    everything = api(world.co_heads[0]).get("/api/v1/audit").get_json()["items"]
    assert {e["cycle_id"] for e in everything} == {cycle_id}  # no logins, no administration
    assert all(e["ip"] is None for e in everything)
    assert api(world.admin).get("/api/v1/audit?action=auth.token_issued").get_json()["total"] >= 3


def test_nothing_in_the_api_changes_an_event(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    assert set(spec["paths"]["/api/v1/audit"]) == {"get"}
    writers = [p for p, ops in spec["paths"].items() if "audit" in p and set(ops) - {"get", "parameters"}]
    assert writers == []


def test_audit_verify_reports_the_first_broken_link(runtime, world, start, monkeypatch, config):
    for round_name in ("2024-Q2", "2024-Q3", "2024-Q4"):
        start(round_name)
    cli = CliRunner()
    monkeypatch.setenv("DUBAN_DATABASE_URL", config.database_url)
    monkeypatch.setenv("DUBAN_SECRET_KEY", "test-secret")
    monkeypatch.delenv("DUBAN_CONFIG", raising=False)
    ok = cli.invoke(duban, ["audit", "verify"])
    assert ok.exit_code == 0 and "哈希链无断裂" in ok.output
    with runtime.work() as work:
        second_cycle = work.session.scalars(
            select(AuditEvent.seq).where(AuditEvent.action == "cycle.started").order_by(AuditEvent.seq)
        ).all()[1]
        work.session.execute(update(AuditEvent).where(AuditEvent.seq == second_cycle).values(actor_name="篡改者"))
    broken = cli.invoke(duban, ["audit", "verify"])
    assert broken.exit_code == 1
    assert f"第 {second_cycle} 个事件" in broken.output and "被篡改" in broken.output
    with runtime.work() as work:
        work.session.execute(text("DELETE FROM audit_events WHERE seq = :s"), {"s": second_cycle})
    deleted = cli.invoke(duban, ["audit", "verify"])
    assert deleted.exit_code == 1 and "缺失" in deleted.output


def test_an_anchor_kept_outside_detects_a_deleted_tail(runtime, world, start, monkeypatch, config):
    start("2024-Q2")
    start("2024-Q3")
    cli = CliRunner()
    monkeypatch.setenv("DUBAN_DATABASE_URL", config.database_url)
    monkeypatch.setenv("DUBAN_SECRET_KEY", "test-secret")
    monkeypatch.delenv("DUBAN_CONFIG", raising=False)
    head = cli.invoke(duban, ["audit", "head"])
    assert head.exit_code == 0
    anchor = head.output.strip()
    seq, digest = anchor.split(":")
    with runtime.work(write=False) as work:
        newest = work.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert (int(seq), digest) == (newest.seq, newest.hash)
    verified = cli.invoke(duban, ["audit", "verify", "--anchor", anchor])
    assert verified.exit_code == 0 and "锚点相符" in verified.output and anchor in verified.output
    assert int(seq) >= 2
    forged = cli.invoke(duban, ["audit", "verify", "--anchor", f"1:{'0' * 64}"])
    assert forged.exit_code == 1 and "第 1 个事件" in forged.output and "锚点不符" in forged.output
    start("2024-Q4")  # the chain grows past the anchor: still fine
    assert cli.invoke(duban, ["audit", "verify", "--anchor", anchor]).exit_code == 0
    # Deleting the newest events leaves a chain that holds on its own, but not against the anchor.
    with runtime.work() as work:
        work.session.execute(text("DELETE FROM audit_events WHERE seq >= :s"), {"s": int(seq)})
    assert cli.invoke(duban, ["audit", "verify"]).exit_code == 0
    truncated = cli.invoke(duban, ["audit", "verify", "--anchor", anchor])
    assert truncated.exit_code == 1
    assert f"止于第 {int(seq) - 1} 个事件" in truncated.output and "最新的事件被删除" in truncated.output
    for bad in ("12", "x:abc", f"0:{'0' * 64}", f"3:{'g' * 64}"):
        refused = cli.invoke(duban, ["audit", "verify", "--anchor", bad])
        assert refused.exit_code == 2 and "锚点" in refused.output


def test_user_commands(runtime, world, monkeypatch, config):
    monkeypatch.setenv("DUBAN_DATABASE_URL", config.database_url)
    monkeypatch.setenv("DUBAN_SECRET_KEY", "test-secret")
    monkeypatch.delenv("DUBAN_CONFIG", raising=False)
    cli = CliRunner()
    added = cli.invoke(
        duban, ["user", "add", "wangwu", "--unit", "区财政局", "--role", "unit_staff"], input="pass-word-1\n"
    )
    assert added.exit_code == 0, added.output
    assert "wangwu" in added.output and "区财政局" in added.output
    assert (
        cli.invoke(
            duban, ["user", "add", "wangwu", "--unit", "区财政局", "--role", "unit_staff"], input="pass-word-1\n"
        ).exit_code
        != 0
    )
    unknown = cli.invoke(
        duban, ["user", "add", "zhaoliu", "--unit", "不存在的局", "--role", "unit_staff"], input="pass-word-1\n"
    )
    assert unknown.exit_code != 0 and "不存在的局" in unknown.output
    weak = cli.invoke(duban, ["user", "add", "zhaoliu", "--unit", "区财政局", "--role", "unit_staff"], input="short\n")
    assert weak.exit_code != 0 and "密码" in weak.output
    with runtime.work(write=False) as work:
        user = work.session.scalar(select(User).where(User.username == "wangwu"))
        assert user.password_hash.startswith("$argon2") and "pass-word-1" not in user.password_hash
    assert cli.invoke(duban, ["user", "reset-password", "wangwu"], input="other-pass-2\n").exit_code == 0
    assert cli.invoke(duban, ["user", "disable", "wangwu"]).exit_code == 0
    listed = cli.invoke(duban, ["user", "list", "--json"])
    rows = {r["username"]: r for r in __import__("json").loads(listed.output)}
    assert rows["wangwu"]["active"] is False and rows["lead_head"]["role"] == "unit_head"
    assert cli.invoke(duban, ["user", "disable", "nobody"]).exit_code != 0
    assert Path(config.base_dir).exists()
