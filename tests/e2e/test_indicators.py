"""Coordinators and steering on a phone (360x740): a coordinator reviews the caseload, narrows it to a team and
opens a person from a list; a steering account reads consolidated figures and reaches no record by any URL."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in


def test_a_coordinator_reviews_the_caseload_and_opens_a_person(page):
    sign_in(page, "coordinator@boreal.demo")
    page.get_by_role("link", name="File active").or_(page.get_by_role("link", name="Caseload")).first.click()
    expect(page.locator("h1")).to_have_text(re.compile("File active|Caseload"))
    active = page.locator('[data-count="active"]')
    total = int(active.inner_text())
    assert total > 0
    expect(page.locator("#f-team")).to_have_count(0)  # the filters come when asked for
    page.get_by_text(re.compile("^(Filtres|Filters)$")).click()
    page.select_option("#f-team", label="Maraude Stalingrad")
    page.get_by_role("button", name=re.compile("Afficher|Show")).click()
    expect(page.locator(".htmx-request")).to_have_count(0)
    assert "team=" in page.url  # the filtered view is a link one can share or reload
    assert int(page.locator('[data-count="active"]').inner_text()) <= total
    page.locator('[data-list="active"]').click()
    first = page.locator(".caseload-lines a.item").first
    alias = first.locator("strong").inner_text()
    box = first.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, "fits the phone's width"
    first.click()
    expect(page.locator(".summary h1")).to_have_text(alias)
    # A bad number of days is explained, the typed value kept.
    page.goto("/caseload?days=-2")
    expect(page.locator("#f-days")).to_have_value("-2")
    expect(page.locator(".err")).to_be_visible()


def test_steering_reads_consolidated_figures_and_reaches_no_record(page):
    sign_in(page, "steering@plan.demo")
    expect(page).to_have_url(re.compile("/steering"))
    expect(page.locator("th", has_text="Association Boréal").first).to_be_visible()
    expect(page.locator("th", has_text="Association Horizon")).to_have_count(0)  # Horizon does not share
    assert page.locator(".list a.item").count() == 0  # no list of persons anywhere
    assert not page.locator('a[href^="/persons"]').count()
    for url in (
        "/persons",
        "/caseload",
        "/indicators",
        "/indicators/persons?figure=persons_met",
        "/needs",
        "/admin/users",
        "/indicators/export.csv",
        "/caseload/export.csv",
    ):
        response = page.goto(url)
        assert response is not None and response.status in (403, 404), url
    page.goto("/steering/report")
    page.emulate_media(media="print")
    expect(page.locator(".print-report h1")).to_be_visible()
    expect(page.locator(".bottom")).to_be_hidden()
