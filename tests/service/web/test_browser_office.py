"""Pages a 督查室 works with, in Chromium at 1366 px and on a 375 px phone: the header's search box,
batch work on 待办 and the ledger, the diagram (issue 14 items 2, 9, 10)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

DESKTOP = {"width": 1366, "height": 900}


def _fits(person: Any, width: int) -> None:
    assert person.page.evaluate("document.documentElement.scrollWidth") <= width


def test_search_from_the_header_box(people, world, start, open_steps, act):
    cycle_id = start()
    act(world.supervisor, open_steps(cycle_id, "dispatch")[0].id, comment="请抓紧落实链长制")
    desk = people("duchashi")
    desk.page.set_viewport_size(DESKTOP)
    desk.open("/inbox")
    box = desk.page.locator("header .search-box input[name=q]")
    box.fill("链长制")
    box.press("Enter")
    expect(desk.page.locator("#key_task li")).to_have_count(1)
    expect(desk.page.locator("#key_task li a")).to_have_text("推行产业链长制")
    expect(desk.page.locator("#human_task .snippet")).to_contain_text("请抓紧落实链长制")
    expect(desk.page.locator("h1")).to_contain_text("链长制")
    expect(box).to_have_value("链长制")  # the results page keeps the words in the box, legible
    assert box.evaluate("e => getComputedStyle(e).color") != box.evaluate("e => getComputedStyle(e).backgroundColor")
    _fits(desk, 1366)
    desk.shot("search")

    phone = people("co_head_0", phone=True)
    phone.open("/")
    box = phone.page.locator("header .search-box input[name=q]")
    expect(box).to_be_visible()
    box.fill("产业")  # two characters
    box.press("Enter")
    expect(phone.page.locator("#key_task li")).to_have_count(1)
    expect(phone.page.locator("#human_task")).to_have_count(0)  # the supervisor's step is not the unit's
    _fits(phone, 375)
    phone.shot("search")
