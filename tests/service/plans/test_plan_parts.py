"""The pieces on their own: targets, deadlines, the unit directory, unit lists and numbering."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from service.plans import Deadline, Target, UnitDirectory
from service.plans.deadlines import find_deadline_in_text, parse_deadline_value
from service.plans.normalize import chinese_to_int, normalize_name, unify_width
from service.plans.numbering import Kind, classify
from service.plans.targets import find_targets
from service.plans.unit_lists import split_units
from service.plans.units import find_annotations, scan_brackets


def summary(text: str) -> list[tuple[str, str, float | int, str]]:
    return [(t.indicator, t.comparator, t.value, t.unit) for t in find_targets(unify_width(text))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("力争完成技改项目20个以上。", [("技改项目", "≥", 20, "个")]),
        ("新登记市场主体2万户,", [("新登记市场主体", "=", 20000, "户")]),
        ("力争流转率达77%。", [("流转率", "≥", 77, "%")]),  # plain 达 reads as reaching at least
        ("招引落地1-2家企业。", [("企业", "≥", 1, "家")]),
        ("引进2~3个知名城市综合体。", [("知名城市综合体", "≥", 2, "个")]),
        ("总投资不低于500亿元。", [("总投资", "≥", 500, "亿元")]),
        ("年度计划投资104.5亿元。", [("年度计划投资", "=", 104.5, "亿元")]),
        ("力争占注册企业总数的30%左右。", [("占注册企业总数", "≈", 30, "%")]),
        ("企业开办时间压减至1个工作日以内。", [("企业开办时间", "≤", 1, "个工作日")]),
        ("综合能耗控制在5万吨以内。", [("综合能耗", "≤", 50000, "吨")]),
        ("控制在5%以内。", []),  # no indicator: skipped rather than guessed
        ("新改建零工市场(驿站)15家。", [("零工市场(驿站)", "=", 15, "家")]),
        ("盘活武汉东200多亩土地资源。", [("土地资源", "≥", 200, "亩")]),
        ("约300名专家参与评审。", [("专家", "≈", 300, "名")]),
        ("新增就业岗位1.2万个。", [("就业岗位", "=", 12000, "个")]),
        ("新增“四上企业”80家以上。", [("四上企业", "≥", 80, "家")]),
    ],
)
def test_targets(text: str, expected: list[tuple[str, str, float | int, str]]) -> None:
    assert summary(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "推动2024年全省县域文明指数测评提质进位。",  # a year
        "实施“十个一”文化工程。",  # Chinese numerals in a name
        "协同开展“7·22”人才周活动。",  # an id
        "兑现转型升级高质量发展“黄金22条”政策。",  # a number inside quotes
        "紧盯“三类500强”企业。",
        "围绕鄂城钢铁等12家区内行业领军企业。",  # a count of what exists, after 等
        "完成第3个片区改造。",  # an ordinal
        "联系电话027-60896105。",
    ],
)
def test_no_nonsense_targets(text: str) -> None:
    assert find_targets(unify_width(text)) == ()


def test_words_running_into_the_next_number_are_not_read_twice() -> None:
    # "79家企业年营收增幅" is not "79 家 of 企业年营收增幅": only the 10% is a target.
    assert summary("保障两大集群79家企业年营收增幅10%以上。") == [("企业年营收增幅", "≥", 10, "%")]
    # "25个小区8424户…化解": both numbers, 8424户 with the verb that qualifies what is counted.
    assert summary("推进25个小区8424户不动产登记历史遗留问题化解。") == [
        ("小区", "=", 25, "个"),
        ("不动产登记历史遗留问题化解", "=", 8424, "户"),
    ]


def test_target_keeps_its_text() -> None:
    assert find_targets("力争完成技改项目20个以上。") == (
        Target("力争完成技改项目20个以上", "技改项目", "≥", 20, "个"),
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024年6月底前", datetime.date(2024, 6, 30)),
        ("2024年9月", datetime.date(2024, 9, 30)),
        ("2024年2月底", datetime.date(2024, 2, 29)),
        ("2024年3月15日前", datetime.date(2024, 3, 15)),
        ("2024年上半年", datetime.date(2024, 6, 30)),
        ("2024年第三季度", datetime.date(2024, 9, 30)),
        ("2024年", datetime.date(2024, 12, 31)),
        ("2024-08-20", datetime.date(2024, 8, 20)),
        ("2024.10", datetime.date(2024, 10, 31)),
        ("全年", datetime.date(2025, 12, 31)),
        ("年底前", datetime.date(2025, 12, 31)),
        ("10月中旬", datetime.date(2025, 10, 20)),
        ("每季度", None),
        ("长期坚持", None),
        ("持续推进", None),
        ("按上级要求", None),
    ],
)
def test_deadline_values(value: str, expected: datetime.date | None) -> None:
    assert parse_deadline_value(value, 2025) == Deadline(value, expected)


def test_deadline_without_a_plan_year_has_no_date() -> None:
    assert parse_deadline_value("年底前", None) == Deadline("年底前", None)


def test_deadline_in_running_text() -> None:
    found = find_deadline_in_text("6月底前完成方案编制,2024年10月前全面完成改造。", 2024)
    assert found == Deadline("2024年10月前", datetime.date(2024, 10, 31))  # the latest of the two
    assert find_deadline_in_text("推动2024年全省县域文明指数测评提质进位。", 2024) is None
    assert find_deadline_in_text("彻底解决群众反映的问题。", 2024) is None


def test_directory_from_toml(directory: UnitDirectory) -> None:
    assert len(directory.units) == 54
    assert directory.resolve("区发展改革和经济信息化局") == "区发展改革和经济信息化局"
    assert directory.resolve("区发改局") == "区发展改革和经济信息化局"
    assert directory.resolve("區發改局") == "区发展改革和经济信息化局"
    assert directory.resolve(" 区财政局 ") == "区财政局"
    assert directory.resolve("鄂城区财政局") == "区财政局"
    assert directory.resolve("各镇街") is None  # a group, not a unit
    assert directory.resolve("区大数据中心") is None
    assert directory.members("各镇(街)") == directory.members("各镇街")
    assert directory.members("各乡镇") == (
        "泽林镇", "杜山镇", "新庙镇", "碧石渡镇", "汀祖镇", "燕矶镇", "杨叶镇", "花湖镇", "长港镇", "沙窝乡",
    )  # fmt: skip
    assert directory.members("各街道") == ("凤凰街道", "古楼街道", "西山街道", "樊口街道")
    # A group with another in brackets is both: the towns and the streets, in directory order.
    assert directory.members("各乡镇(街道)") == directory.members("各镇街")
    assert directory.members("区财政局") is None


def test_directory_groups_may_list_unit_names(tmp_path: Path) -> None:
    path = tmp_path / "units.toml"
    path.write_text(
        '[[units]]\nkind = "town"\nnames = ["甲镇", "乙镇"]\n'
        '[[units]]\nkind = "zone"\nnames = ["开发区"]\n'
        '[groups]\n"各镇区" = ["town", "开发区"]\n"重点镇" = ["乙镇"]\n',
        encoding="utf-8",
    )
    directory = UnitDirectory.from_toml(path)
    assert directory.members("各镇区") == ("甲镇", "乙镇", "开发区")
    assert directory.members("重点镇") == ("乙镇",)


def test_directory_rejects_an_alias_to_nowhere() -> None:
    with pytest.raises(ValueError, match="not a unit"):
        UnitDirectory(("区财政局",), {"区财局": "区教育局"}, {})


def test_split_units() -> None:
    def names(text: str) -> tuple[list[str], list[str]]:
        found = split_units(text)
        return found.names, found.marked

    assert names("区财政局、区教育局,各镇(街)、花湖开发区") == (["区财政局", "区教育局", "各镇(街)", "花湖开发区"], [])
    assert names("区住建局、区城管执法局(牵头)、各街道等") == (["区住建局", "区城管执法局", "各街道"], ["区城管执法局"])
    assert names("区财政局 区教育局;区财政局") == (["区财政局", "区教育局"], [])


def test_scan_brackets_reports_what_does_not_pair() -> None:
    groups, faults = scan_brackets("甲(乙[丙)丁")
    assert faults == ["“[”没有对应的右括号"]
    assert [(g.start, g.end) for g in groups] == [(1, 6)]
    _, faults = scan_brackets("甲)乙")
    assert faults == ["“)”没有对应的左括号"]
    groups, faults = scan_brackets("(牵头单位:区财政局")
    assert faults == ["“(”没有对应的右括号"] and groups[0].closed is False


def test_annotations_leave_prose_alone(directory: UnitDirectory) -> None:
    text = "责任单位要切实履行职责。各地要由政府牵头抓落实。"
    found = find_annotations(unify_width(text), text, directory.is_known)
    assert found.spans == [] and not found.roles.has_units


def test_numbering() -> None:
    cases = {
        "一、总体要求": (Kind.CN, 1),
        "(三)推进新治理": (Kind.PAREN_CN, 3),
        "第二部分 生态修复": (Kind.PART, 2),
        "12.提升基层治理能力": (Kind.ARABIC, 12),
        "3、推进链式招商": (Kind.ARABIC, 3),
        "(2)促进消费升级": (Kind.PAREN_ARABIC, 2),
        "②建立问题清单": (Kind.CIRCLED, 2),
        "十一、其他": (Kind.CN, 11),
    }
    for text, expected in cases.items():
        found = classify(unify_width(text))
        assert found is not None and (found.kind, found.number) == expected, text
    for text in ("1.5亿元投资", "2024年工作要点", "一是加强领导", "1.", "ICP备案号:鄂ICP备17005283号-1"):
        assert classify(unify_width(text)) is None, text


def test_normalisation() -> None:
    assert unify_width("(牵头单位:区财政局;责任单位:区教育局,各镇街)") == "(牵头单位:区财政局;责任单位:区教育局,各镇街)"
    assert normalize_name(" 區財政局等 ") == "区财政局"
    assert chinese_to_int("十四") == 14 and chinese_to_int("二十") == 20 and chinese_to_int("甲") is None
