"""The `duban` console script, run as a user runs it: a separate process on a database file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from service.config import REPO_ROOT
from service.demo.seed import PLAN_FILE

DUBAN = Path(sys.executable).parent / "duban"


def _environment(database: Path) -> dict[str, str]:
    env = {**os.environ, "DUBAN_DATABASE_URL": f"sqlite:///{database}", "DUBAN_SECRET_KEY": "test-secret"}
    env.pop("DUBAN_CONFIG", None)
    return env


@pytest.fixture(scope="module")
def loaded_database(tmp_path_factory):
    """A database file set up once by `duban db upgrade` and `duban demo load`; tests work on copies."""
    database = tmp_path_factory.mktemp("cli") / "template.sqlite3"
    env = _environment(database)
    outputs = []
    for args in (("db", "upgrade"), ("demo", "load"), ("demo", "load")):
        done = subprocess.run([str(DUBAN), *args], capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    return database, outputs


@pytest.fixture
def cli(tmp_path):
    env = _environment(tmp_path / "cli.sqlite3")

    def run(*args: str, expect: int = 0, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(DUBAN), *args], capture_output=True, text=True, env=env, input=stdin, timeout=120)
        assert done.returncode == expect, (args, done.returncode, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, done.stderr
        return done

    run.env = env  # type: ignore[attr-defined]
    return run


@pytest.fixture
def loaded_cli(cli, loaded_database, tmp_path):
    shutil.copy(loaded_database[0], tmp_path / "cli.sqlite3")
    return cli


def test_set_up_from_nothing(loaded_database, loaded_cli):
    _database, (_upgrade, first, again) = loaded_database
    assert "新建 55 个" in first and "duchashi" in first and "lingdao" in first and "admin" in first
    assert "新建 0 个" in again and "已存在" in again
    cli = loaded_cli
    units = json.loads(cli("units", "list", "--json").stdout)
    names = {u["name"]: u for u in units}
    assert names["花湖开发区"]["kind"] == "zone"
    assert "各镇街" in names["沙窝乡"]["groups"] and "区直各部门" in names["区财政局"]["groups"]
    assert names["区发展改革和经济信息化局"]["aliases"], "aliases listed"
    assert cli("cycle", "start", "1", "--round", "2024-Q2").stdout.startswith("已启动办理周期")
    failed = cli("cycle", "start", "1", "--round", "2024-Q2", expect=1)
    assert "已有办理周期" in failed.stderr


def test_plan_import_dry_run_json(loaded_cli):
    cli = loaded_cli
    out = json.loads(cli("plan", "import", str(PLAN_FILE), "--dry-run", "--json").stdout)
    assert set(out) >= {"title", "sections", "tasks", "problems"}
    assert [s["title"] for s in out["sections"]] == ["构建新产业", "打造新环境", "推进新治理"]
    task = out["tasks"][0]
    assert set(task) >= {
        "number",
        "section",
        "title",
        "body",
        "lead_units",
        "co_units",
        "co_units_resolved",
        "targets",
        "deadline",
    }
    assert task["lead_units"] == ["区发展改革和经济信息化局"]
    assert "各镇街" in task["co_units"] and "各镇街" not in task["co_units_resolved"]
    assert out["dry_run"] is True and out["already_imported"] is True  # demo load imported it


def test_not_a_plan_exits_1_with_problems(cli, tmp_path):
    cli("db", "upgrade")
    junk = tmp_path / "minutes.docx"
    junk.write_bytes(b"PK\x03\x04 this is not really a docx")
    out = cli("plan", "import", str(junk), "--json", expect=1).stdout
    parsed = json.loads(out)
    assert parsed["tasks"] == [] and parsed["problems"] and parsed["ok"] is False
    missing = cli("plan", "import", str(tmp_path / "nope.txt"), expect=1)
    assert "无法读取" in missing.stderr


def test_unknown_units_and_create_units(loaded_cli, tmp_path):
    cli = loaded_cli
    plan = tmp_path / "plan.txt"
    plan.write_text("1.建设智慧社区。(牵头单位:区数据局;责任单位:凤凰街道)\n", encoding="utf-8")
    blocked = cli("plan", "import", str(plan), expect=1).stdout
    assert "区数据局" in blocked
    done = cli("plan", "import", str(plan), "--create-units").stdout
    assert "新建单位: 区数据局" in done and "已导入为计划" in done
    assert "区数据局" in {u["name"] for u in json.loads(cli("units", "list", "--json").stdout)}

    # The import is a draft; the demo's plan is published. Publishing the draft names the lead unit
    # the import just created (no account can sign for it) until forced with a reason.
    plans = {p["source_name"]: p for p in json.loads(cli("plan", "list", "--json").stdout)}
    assert plans[PLAN_FILE.name]["status"] == "published"
    draft = plans["plan.txt"]
    assert draft["status"] == "draft" and draft["status_label"] == "草稿" and draft["key_tasks"] == 1
    # A changed version of the draft (recognised by its title and year) is a revision that replaces it.
    plan.write_text(
        "1.建设智慧社区。(牵头单位:区数据局;责任单位:凤凰街道)\n2.建设口袋公园。(牵头单位:区数据局)\n", encoding="utf-8"
    )
    preview = cli("plan", "import", str(plan), "--dry-run", "--title", draft["title"]).stdout
    assert f"修订计划 #{draft['id']}" in preview and "[新增] 2. 建设口袋公园" in preview
    revised = cli("plan", "import", str(plan), "--title", draft["title"]).stdout
    assert f"已修订计划 #{draft['id']}" in revised
    assert [p["revision"] for p in json.loads(cli("plan", "list", "--json").stdout) if p["id"] == draft["id"]] == [2]
    refused = cli("plan", "publish", str(draft["id"]), expect=1)
    assert "区数据局" in refused.stderr
    assert "已发布" in cli("plan", "publish", str(draft["id"]), "--force", "--reason", "先行发布").stdout
    assert "已归档" in cli("plan", "archive", str(draft["id"])).stdout
    listed = cli("plan", "list").stdout
    assert "已归档" in listed and "已发布" in listed
    assert "不存在" in cli("plan", "publish", "999", expect=1).stderr


def test_another_config_file(cli, tmp_path):
    config = tmp_path / "other.toml"
    config.write_text('[database]\nurl = "sqlite:///other.sqlite3"\n[server]\nport = 5999\n', encoding="utf-8")
    env = dict(cli.env)
    env.pop("DUBAN_DATABASE_URL")
    env["DUBAN_CONFIG"] = str(config)
    done = subprocess.run([str(DUBAN), "db", "upgrade"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "other.sqlite3").exists(), "relative paths resolve against the config file's directory"
    config.write_text('[database]\nurl = "sqlite:///x.sqlite3"\nbogus = 1\n', encoding="utf-8")
    bad = subprocess.run([str(DUBAN), "db", "upgrade"], capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode != 0 and "bogus" in bad.stderr


def test_the_wsgi_entry_serves_with_its_start_up_heap_frozen(loaded_database, tmp_path):
    """What gunicorn loads (`service.wsgi:app`): a working app, whose start-up objects the
    collector no longer walks (see service.app.freeze_startup_objects)."""
    shutil.copy(loaded_database[0], tmp_path / "served.sqlite3")
    probe = (
        "import gc, service.wsgi as w\n"
        "frozen = gc.get_freeze_count()\n"
        "client = w.app.test_client()\n"
        "page = client.get('/login')\n"
        "print(frozen, page.status_code, '登录' in page.get_data(as_text=True))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=_environment(tmp_path / "served.sqlite3"),
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    frozen, status, has_form = done.stdout.split()
    assert int(frozen) > 10_000 and status == "200" and has_form == "True"


def test_year_carry_over_by_hand(loaded_cli):
    """The demo plays its plan as this year's: its key tasks not closed are carried into next year, once."""
    this_year = datetime.now(ZoneInfo("Asia/Shanghai")).year
    first = loaded_cli("year", "carry-over", str(this_year)).stdout
    assert f"已挂账结转到 {this_year + 1} 年度" in first
    assert "没有需要挂账结转" in loaded_cli("year", "carry-over", str(this_year)).stdout
    assert "2000" in loaded_cli("year", "carry-over", "1999", expect=2).stderr


def test_a_new_database_upgrades_quietly_and_an_unmigrated_one_says_how_to_fix_it(cli):
    refused = cli("units", "list", expect=1)
    assert "数据库尚未初始化" in refused.stderr and "duban db upgrade" in refused.stderr
    assert "稍后重试" not in refused.stderr
    upgraded = cli("db", "upgrade")
    assert "database unavailable" not in upgraded.stdout + upgraded.stderr
    assert "no such table" not in upgraded.stdout + upgraded.stderr
    assert "数据库已迁移到最新版本" in upgraded.stdout
    assert cli("units", "list").returncode == 0


def test_the_help_lists_duban_s_commands_once_and_no_flask_options(cli):
    listed = cli("--help").stdout
    commands = listed.split("Commands:")[1].split()
    assert "cycles" in commands and "cycle" not in commands
    assert "--app" not in listed and "--env-file" not in listed and "--debug" not in listed
    assert "repair" in cli("cycle", "--help").stdout  # the singular still works, as scripts may call it
