"""Health data on a phone (360x740): a nurse records a consultation for a person; a field worker opening the same
person finds no trace of it, on any tab, nor by its address."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import pick_team, sign_in

MARK = "Plaie au pied droit, pansement fait (e2e)"
TABS = ("", "/details", "/links", "/documents")


def _open_person(page, query: str, alias: str) -> str:
    page.goto(f"/persons?q={query}&status=all")
    page.locator("#results .item", has_text=alias).first.click()
    expect(page.locator(".summary h1")).to_have_text(alias)
    return page.url


def test_a_nurse_records_a_consultation_that_a_field_worker_never_sees(new_page):
    nurse = new_page()
    sign_in(nurse, "health@boreal.demo")  # a second factor: the helper types the code
    pick_team(nurse, "Maraude Stalingrad")
    person_url = _open_person(nurse, "loic", "Loïc")

    nurse.locator("nav.tabs").get_by_role("link", name="Health").click()
    expect(nurse.get_by_role("heading", name="Medical file")).to_be_visible()
    nurse.get_by_role("link", name="New consultation").click()
    expect(nurse.get_by_role("heading", name="New consultation")).to_be_visible()
    nurse.get_by_label("Wound care").check()
    nurse.get_by_text("Vital signs (optional)").click()
    nurse.fill("#f-temperature", "37,9")
    nurse.fill("#f-notes", MARK)
    save = nurse.get_by_role("button", name="Save")
    box = save.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, "the form fits the phone"
    save.click()

    expect(nurse).to_have_url(re.compile(r"/consultations/[0-9a-f-]{36}$"))
    consultation_url = nurse.url
    page = nurse.locator("main")
    expect(page).to_contain_text(MARK)
    expect(page).to_contain_text("Wound care")
    expect(page).to_contain_text("37.9")
    nurse.goto(person_url)
    expect(nurse.locator(".timeline")).to_contain_text(re.compile(r"Consultation: .+, done"))

    worker = new_page()
    sign_in(worker, "worker@boreal.demo")
    pick_team(worker, "Maraude Stalingrad")
    _open_person(worker, "loic", "Loïc")
    expect(worker.locator("nav.tabs").get_by_role("link", name="Health")).to_have_count(0)
    for tab in TABS:
        worker.goto(person_url + tab)
        expect(worker.locator(".summary h1")).to_have_text("Loïc")
        text = worker.locator("body").inner_text()
        for trace in (MARK, "Consultation", "Wound care", "37.9", "Medical file"):
            assert trace not in text, f"{trace!r} shown to a field worker on {tab or 'the timeline'}"
    worker.goto(consultation_url)
    expect(worker.locator("main")).to_contain_text("Your role does not allow this.")
    expect(worker.locator("main")).not_to_contain_text(MARK)
