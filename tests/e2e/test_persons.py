"""Persons on a phone (360x740): create a person, be warned of a look-alike while typing a variant spelling,
open the existing record instead, add a note, merge two records and see the timeline of both."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import pick_team, sign_in


def _create(page, alias: str, note: str | None = None) -> str:
    page.goto("/persons/new")
    page.fill("#f-alias", alias)
    page.get_by_role("button", name="Create").click()
    expect(page.locator(".summary h1")).to_have_text(alias)
    if note:
        _note(page, note)
    return page.url


def _note(page, text: str) -> None:
    page.fill("#f-body", text)
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".timeline")).to_contain_text(text)


def test_find_or_create_note_and_merge_on_a_phone(page):
    sign_in(page, "worker@boreal.demo")
    pick_team(page, "Maraude Stalingrad")

    # Create a new person from the Persons tab.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Persons").click()
    expect(page.get_by_role("heading", name="Persons")).to_be_visible()
    page.get_by_role("link", name="+ New person").click()
    page.fill("#f-alias", "Tidiane")
    page.get_by_role("button", name="Create").click()
    expect(page.locator(".summary h1")).to_have_text("Tidiane")
    expect(page.locator(".timeline")).to_contain_text("Record created")
    first_url = page.url

    # Typing a variant spelling of a known person shows the duplicate warning; one tap opens the existing record.
    page.goto("/persons/new")
    page.locator("#f-alias").press_sequentially("Mouhammad", delay=40)
    warning = page.locator("#dupes .dupes")
    expect(warning).to_contain_text("Already known?")
    expect(warning).to_contain_text("Mohamed")
    box = warning.bounding_box()
    assert box and box["width"] <= 360, "the warning fits the phone"
    warning.get_by_role("link", name=re.compile("Mohamed")).click()
    expect(page).to_have_url(re.compile(r"/persons/[0-9a-f-]{36}$"))
    expect(page.locator(".summary h1")).to_have_text("Mohamed")

    # Add a note on the existing record.
    _note(page, "Seen at Stalingrad, asked for a shower.")

    # A second record of Tidiane is made under another spelling, with its own note.
    page.goto("/persons/new")
    page.locator("#f-alias").press_sequentially("Tidjane", delay=40)
    expect(page.locator("#dupes")).to_contain_text("Tidiane")  # warned; the worker creates it anyway
    page.get_by_role("button", name="Create").click()
    expect(page.locator(".summary h1")).to_have_text("Tidjane")
    _note(page, "Note written on the second record.")
    page.goto(first_url)
    _note(page, "Note written on the first record.")

    # Merge: find the other record, compare side by side, keep the first alias, merge.
    page.get_by_role("link", name="Details").click()
    page.get_by_role("link", name="Merge with another record").click()
    page.fill("#f-merge-q", "")
    page.locator("#f-merge-q").press_sequentially("tidjane", delay=40)
    page.locator("#pick-merge").get_by_role("link", name=re.compile("Tidjane")).click()
    expect(page.get_by_role("heading", name="Merge two records")).to_be_visible()
    expect(page.locator(".compare-line").first).to_contain_text("Tidiane")
    page.get_by_role("button", name="Merge into one record").click()

    expect(page).to_have_url(first_url)
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("Merged with another record")
    expect(timeline).to_contain_text("Note written on the first record.")
    expect(timeline).to_contain_text("Note written on the second record.")
    expect(timeline.locator(".entry.created")).to_have_count(2)  # both records' histories

    # Both spellings now find the one record.
    page.goto("/persons?q=tidjane&status=all")
    expect(page.locator("#results .item")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("Tidiane")


def test_reception_finds_a_person_by_code_and_sees_the_basics_only(new_page):
    page = new_page()
    sign_in(page, "reception@boreal.demo")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Persons").click()
    page.locator("#q").press_sequentially("sekou", delay=40)
    row = page.locator("#results .item").first
    expect(row).to_contain_text("Sékou")
    code = row.locator(".code").inner_text()
    page.fill("#q", "")
    page.locator("#q").press_sequentially(code.replace("-", " ").lower(), delay=40)
    expect(page.locator("#results .item")).to_have_count(1)
    page.locator("#results .item").first.click()
    expect(page.locator(".summary h1")).to_have_text("Sékou")
    expect(page.locator(".summary")).to_contain_text("Vulnerability alert")
    expect(page.locator(".summary")).not_to_contain_text("amaigri")  # the alert's reason is not for reception
    expect(page.get_by_role("link", name="Details")).to_have_count(0)


def test_a_long_timeline_shows_older_entries_in_place(page):
    sign_in(page, "worker@boreal.demo")
    pick_team(page, "Maraude Stalingrad")
    url = _create(page, "Longue Histoire")
    csrf = page.locator("#app").get_attribute("data-csrf")
    for i in range(32):  # written through the app, as a phone would, without a page load each
        r = page.request.post(f"{url}/notes", form={"body": f"Passage n°{i:02d}", "csrf_token": csrf})
        assert r.ok, r.status
    page.goto(url)
    entries = page.locator(".timeline li.entry")
    expect(entries).to_have_count(30)
    expect(entries.first).to_contain_text("Passage n°31")
    page.get_by_role("link", name="Older entries").click()
    expect(entries).to_have_count(33)  # 32 notes and "Record created", the button gone
    expect(entries.last).to_contain_text("Record created")
    expect(page.get_by_role("link", name="Older entries")).to_have_count(0)
    expect(page).to_have_url(url)  # read in place, the address unchanged


def test_a_tap_on_a_search_result_opens_the_person_and_the_filters_still_answer_in_place(page):
    """Typing, then tapping a result: the tap also takes the focus from the search field, whose change used to send
    the search again, and that answer undid the tap (the worker tapped and nothing happened)."""
    sign_in(page, "worker@boreal.demo")
    pick_team(page, "Maraude Stalingrad")
    page.goto("/persons")
    page.locator("#q").press_sequentially("sek", delay=40)
    expect(page).to_have_url(re.compile(r"q=sek"))
    row = page.locator("#results .item").first
    expect(row).to_contain_text("Sékou")
    row.click()
    expect(page).to_have_url(re.compile(r"/persons/[0-9a-f-]{36}$"))
    expect(page.locator(".summary h1")).to_have_text("Sékou")
    page.goto("/persons?q=sek")
    page.locator(".more-filters summary").click()
    page.select_option("#f-status", "all")  # a filter still answers in place
    expect(page).to_have_url(re.compile(r"status=all"))
    expect(page.locator("#results .item").first).to_contain_text("Sékou")
