"""Every notice's words come from one module, name the key task and the round in Chinese, and use
one quotation style (「」 around a title; no “”, ‘’ or 《》)."""

from __future__ import annotations

import inspect
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from service.operations.common import notice_texts as texts
from service.vocabulary import EscalationLevel, NoticeKind

TZ = ZoneInfo("Asia/Shanghai")
INLINE = re.compile(r"(?<![\w.])Notice\(\s*(kind=|\n)")
SUBJECT = texts.Subject(5, "培育经济增长点", "2026-Q4")
LABEL = "重点任务5「培育经济增长点」2026年第四季度"
AT = datetime(2026, 12, 1, 9, tzinfo=TZ)


def every_notice() -> list[texts.Words]:
    s = SUBJECT
    return [
        texts.step_opened(s, "汇总报送", AT, TZ, unit=None),
        texts.step_returned(s, "汇总报送", "退回", "审核", AT, TZ, "数据不全"),
        texts.cycle_closed(s, "审批", "同意", None),
        texts.reminder(s, "签收", AT, TZ),
        texts.cuiban(s, "签收", AT, TZ, "区财政局"),
        texts.duban(s, "签收", AT, TZ, "区财政局", 6),
        texts.role_overdue(s, "审核", AT, TZ, "区政府督查室", None),
        texts.extension_requested(s, "汇总报送", "区财政局", "2026-12-01", "2026-12-04", 3, False, "等数据"),
        texts.extension_forwarded(s, "汇总报送", "2026-12-20", 12, 5),
        texts.extension_granted(s, "汇总报送", "2026-12-04", None),
        texts.extension_refused(s, "汇总报送", "2026-12-04", "2026-12-01", "理由不足"),
        texts.extension_lapsed(s, "汇总报送", "已转办"),
        texts.urged(s, "配合单位意见", "泽林镇", "区政府督查室", 2, "请尽快"),
        texts.waived(s, "配合单位意见", "泽林镇", "机构改革"),
        texts.reassigned_to(s, "配合单位意见", "泽林镇", AT, TZ, "职责调整"),
        texts.reassigned_from(s, "配合单位意见", "区商务局", "职责调整", later_rounds=True),
        texts.declined(s, "配合单位意见", "泽林镇", "非本单位职责"),
        texts.decline_insisted(s, "配合单位意见", "属于你单位职责"),
        texts.inputs_closed(s, "配合单位意见", ["泽林镇"], None),
        texts.withdrawn(s, "汇总报送", "区财政局"),
        texts.cancelled(s, "重复立项"),
    ]


def test_every_notice_about_a_step_names_the_key_task_and_round_in_one_quotation_style():
    notices = every_notice()
    assert {n.kind for n in notices} == set(NoticeKind) - {NoticeKind.ROUND_OPENED, NoticeKind.DIGEST}
    for words in notices:
        assert words.title.startswith(LABEL + ":"), words.title
        assert LABEL in words.body, words.body
        assert not any(q in words.title + words.body for q in "“”‘’《》\"'"), words
    assert texts.step_returned(SUBJECT, "汇总报送", "退回", "审核", AT, TZ, None).title == f"{LABEL}:汇总报送被退回"


def test_a_digest_counts_by_kind_and_links_every_step():
    lines = [texts.DigestLine("催办", SUBJECT, "签收", "区财政局", f"/human-tasks/{n}") for n in range(39)]
    lines += [texts.DigestLine("督办", SUBJECT, "签收", "区财政局", f"/human-tasks/{n}") for n in range(47)]
    words = texts.digest(lines)
    assert words.title == "您有 39 项催办、47 项督办"
    assert words.body.count("→ /human-tasks/") == 86
    assert texts.ladder_level_words(EscalationLevel.CUIBAN, "supervisor") == "逾期提醒"


def test_a_long_title_is_shortened_in_the_key_tasks_title_not_cut_mid_sentence():
    long = texts.Subject(7, "很长的标题" * 60, "2026-Q4")
    words = texts.step_opened(long, "汇总报送", AT, TZ, unit=None)
    assert len(words.title) <= texts.TITLE_MAX and words.title.endswith("」2026年第四季度:汇总报送待办理")


def test_no_verb_writes_a_notice_of_its_own_words():
    """Notice(kind=…, title=…) built inline outside notice_texts: the words belong there."""
    root = Path(inspect.getfile(texts)).parents[2]
    offenders = [
        str(path.relative_to(root)) for path in root.rglob("*.py") if INLINE.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
