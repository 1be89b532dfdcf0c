"""工作台 as each person opens it: the admin's is about the system (issue 14 item 7), everyone
else's about their own steps."""

from __future__ import annotations

from db.models import MailStatus, OutboxMail, UnitKind
from service.operations.cycles.start import start_cycle


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_admins_home_shows_admin_work_not_every_units_steps(runtime, make, web, world):
    make.unit("区数据局")  # nobody can log in for it yet
    with runtime.work() as work:
        start_cycle(work, world.supervisor, world.key_task.id, "2024-Q2")  # a dispatch is open
        work.session.add(
            OutboxMail(
                to_addr="czj@example.gov.cn",
                subject="催办通知",
                body="…",
                status=MailStatus.FAILED,
                attempts=5,
                created_at=work.now,
                next_attempt_at=work.now,
                last_error="已尝试 5 次: 连接被拒绝",
            )
        )
    home = text(web("admin").get("/"))
    assert "我的待办" not in home and "交办" not in home  # no unit's or office's step
    assert "未开通账号的单位" in home and "区数据局" in home
    assert "区财政局" not in home.split("收不到待办")[1].split("。")[0]  # it has its head
    assert "鄂城区2024年“三新三强”行动方案" in home and "1 项" in home
    assert "czj@example.gov.cn" in home and "连接被拒绝" in home
    assert "2024 年" in home and "内置日历" in home
    for role in ("单位负责人", "督查室", "区领导", "系统管理员"):
        assert role in home
    assert "系统<" not in home.replace("督查督办系统<", "")

    # The office's home stays about its own work: the dispatch waiting for it.
    office = text(web("duchashi").get("/"))
    assert "我的待办" in office and "交办" in office and "未开通账号的单位" not in office
    # The office and the leadership are no units that need people of their own.
    make.unit("区政府督查室二", kind=UnitKind.OFFICE)
    assert "区政府督查室二" not in text(web("admin").get("/"))
