"""The pathway on phones (360x740): a need created during an encounter and completed later from the team's list;
a referral from Boréal's patrol to Horizon's rest area, refused without consent, sent with it, accepted there
(seeing only what was consented), with the answer back at the patrol; a stay entered and exited."""

import re
from datetime import date

from playwright.sync_api import expect

from tests.e2e.conftest import pick_team, sign_in


def _person(page, alias: str, **fields: str) -> str:
    page.goto("/persons/new")
    page.fill("#f-alias", alias)
    for name, value in fields.items():
        page.fill(f"#f-{name}", value)
    page.get_by_role("button", name="Create").click()
    expect(page.locator(".summary h1")).to_have_text(alias)
    return page.url


def _fits(locator) -> None:
    box = locator.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, "fits the phone's width"


def test_a_need_created_during_an_encounter_and_completed_later(page):
    sign_in(page, "worker@boreal.demo")
    pick_team(page, "Maraude Stalingrad")
    # A new person met on the round, who asks for new ID papers: one encounter form.
    page.locator("#f-meet").press_sequentially("Tiémoko", delay=30)
    page.locator("#meet-results .new-person").click()
    expect(page.locator("#picked")).to_contain_text("Tiémoko")
    need = page.locator("details.need-part")
    expect(need.locator("#f-need_description")).to_be_hidden()  # collapsed until needed
    page.fill("#f-note", "Rencontré devant la gare")
    need.locator("summary").click()
    _fits(need)
    # Urgent but nothing said: refused with a sentence, and nothing typed is lost.
    need.get_by_text("Urgent: show it on the team home").click()
    page.get_by_role("button", name="Save the encounter").click()
    expect(page.locator("details.need-part .err")).to_contain_text("Say what is needed")
    expect(page.locator("#picked")).to_contain_text("Tiémoko")
    expect(page.locator("#f-note")).to_have_value("Rencontré devant la gare")
    expect(need.get_by_label("Urgent: show it on the team home")).to_be_checked()
    need.locator("label.chip-check", has_text="Papiers d'identité").click()
    page.fill("#f-need_description", "Refaire la carte d'identité perdue")
    page.get_by_role("button", name="Save the encounter").click()
    page.wait_for_url(re.compile(r"/\?saved="))
    expect(page.locator(".alert.saved")).to_contain_text("Need recorded: Papiers d'identité")
    expect(page.locator(".urgent-needs")).to_contain_text("Tiémoko")  # urgent: on the team's home

    # The person's page: the need at a glance and in the timeline, with the encounter.
    page.locator(".alert.saved").get_by_role("link").click()
    page.locator(".facts a", has_text="Tiémoko").click()
    needs = page.locator(".glance.needs")
    expect(needs).to_contain_text("Papiers d'identité")
    expect(page.locator(".timeline")).to_contain_text("Need: Papiers d'identité")
    expect(page.locator(".timeline")).to_contain_text("Encounter · Maraude Stalingrad")
    person_url = page.url

    # Later: it is done from the team's list.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pathway").click()
    expect(page.get_by_role("heading", name="Needs")).to_be_visible()
    page.get_by_role("link", name="Upcoming").click()  # no due date: upcoming
    item = page.locator("#results .item.need", has_text="Tiémoko")
    expect(item).to_contain_text("Refaire la carte")
    item.get_by_role("button", name="Done").click()
    expect(page.locator("#results .item.need", has_text="Tiémoko")).to_have_count(0)
    page.get_by_role("link", name="Recently done").click()
    expect(page.locator("#results")).to_contain_text("Tiémoko")

    page.goto(person_url)
    expect(needs).to_contain_text("No open need.")
    expect(page.locator(".timeline")).to_contain_text("Need done: Papiers d'identité")


def test_a_referral_to_another_organisations_rest_area_accepted_there(new_page):
    patrol = new_page()
    sign_in(patrol, "worker@boreal.demo")
    pick_team(patrol, "Maraude Stalingrad")
    person_url = _person(patrol, "Ablaye", languages="wolof, français", phone="06 99 88 77 66", nationality="Sénégal")
    patrol.locator(".glance.referrals").get_by_role("link", name="+ Referral").click()
    option = patrol.locator("#f-structure_id option", has_text="Espace de repos Rosa (Horizon)")
    patrol.select_option("#f-structure_id", value=option.get_attribute("value"))
    patrol.fill("#f-reason", "Ne dort plus, demande un lit de nuit.")
    patrol.locator("label.chip-check", has_text="Languages").click()
    patrol.get_by_role("button", name="Send now").click()
    # No consent, nothing leaves: a clear message, and what was typed is still there.
    expect(patrol.locator(".consent .err")).to_contain_text("without the person's consent")
    expect(patrol.locator("#f-reason")).to_have_value("Ne dort plus, demande un lit de nuit.")
    patrol.get_by_text("The person agrees to this referral").click()
    patrol.fill("#f-consent_scope", "Cette orientation")
    patrol.get_by_role("button", name="Send now").click()
    expect(patrol.locator("h1")).to_contain_text("Espace de repos Rosa (Horizon)")
    expect(patrol.locator(".chip.st-sent")).to_be_visible()
    referral_url = patrol.url

    # Horizon's rest area: the referral is in its inbox, with only the alias and the languages.
    rest = new_page()
    sign_in(rest, "coordinator@horizon.demo")
    pick_team(rest, "Espace de repos Rosa")
    rest.locator(".alert-card").click()
    rest.locator("#results .item", has_text="Ablaye").click()
    card = rest.locator(".card.incoming")
    expect(card).to_contain_text("wolof, français")
    expect(card).to_contain_text("Association Boréal · Maraude Stalingrad")
    for hidden in ("06 99", "Sénégal", "lit de nuit"):  # not consented: not there at all
        expect(rest.locator("main")).not_to_contain_text(hidden)
    _fits(card)
    rest.get_by_role("button", name="Accept").click()
    expect(card.locator(".chip.st-accepted")).to_be_visible()
    rest.get_by_role("button", name="Create a record for Ablaye").click()
    rest.locator("main a.btn", has_text="Ablaye").click()
    expect(rest.locator(".summary h1")).to_have_text("Ablaye")
    expect(rest.locator(".summary")).not_to_contain_text("Sénégal")
    expect(rest.locator(".timeline")).to_contain_text("Referral from Association Boréal · Maraude Stalingrad")
    # Nothing else of Boréal opens: neither the person nor the referral.
    for url in (person_url, referral_url):
        rest.goto(url)
        expect(rest.get_by_text("This page does not exist, or you may not see it.")).to_be_visible()

    # Back at the patrol: the answer is there.
    patrol.goto(referral_url)
    expect(patrol.locator(".chip.st-accepted")).to_be_visible()
    expect(patrol.locator(".steps-list")).to_contain_text("Association Horizon · Espace de repos Rosa")
    patrol.goto(person_url)
    expect(patrol.locator(".glance.referrals")).to_contain_text("Accepted")


def test_a_stay_entered_and_exited(page):
    sign_in(page, "worker@boreal.demo")
    pick_team(page, "Maraude Stalingrad")
    person_url = _person(page, "Ousseynou")
    stays = page.locator(".glance.stays")
    expect(stays).to_contain_text("Not accommodated.")
    stays.get_by_role("link", name="+ Stay").click()
    option = page.locator("#f-place option", has_text="Hébergement ASSORE")
    page.select_option("#f-place", value=option.first.get_attribute("value"))
    page.fill("#f-room", "R-5")
    page.get_by_role("button", name="Record the entry").click()
    expect(page).to_have_url(re.compile(r"/stays/[0-9a-f-]{36}$"))
    expect(page.locator(".facts")).to_contain_text("R-5")
    stay_url = page.url

    page.goto(person_url)
    expect(stays).to_contain_text("Hébergement ASSORE · R-5")
    page.goto(stay_url)
    # An exit before the entry is refused, and the typed reason is kept.
    page.fill("#f-exited_on", "2020-01-01")
    page.select_option("#f-exit_to", "housing")
    page.fill("#f-exit_note", "Logement social")
    page.get_by_role("button", name="Record the exit").click()
    expect(page.locator("#exit .err")).to_contain_text("The exit cannot be before the entry")
    expect(page.locator("#f-exit_note")).to_have_value("Logement social")
    page.fill("#f-exited_on", date.today().isoformat())
    page.get_by_role("button", name="Record the exit").click()
    expect(page.locator(".chip.st-positive")).to_have_text("Positive exit")

    page.goto(person_url)
    expect(stays).to_contain_text("Not accommodated.")
    expect(page.locator(".timeline")).to_contain_text(re.compile(r"Left Hébergement ASSORE · R-5: Housing"))


def test_the_current_tab_is_on_screen_when_the_tabs_are_wider_than_the_phone(new_page):
    """The pathway's five tabs and a record's five are wider than 360 px: the current one is scrolled into view,
    on a first load as after a tap (a boosted page). "Accommodation" and "Directory" sat off screen."""
    page = new_page(locale="fr-FR")
    sign_in(page, "coordinator@horizon.demo")
    pick_team(page, "Coordination")

    def current_tab_on_screen() -> None:  # in each strip of the page (the needs add their lists' strip)
        tabs = page.locator("nav.tabs a.on")
        expect(tabs.first).to_be_visible()
        for i in range(tabs.count()):
            expect(tabs.nth(i)).to_be_in_viewport(ratio=1)

    page.goto("/structures")
    current_tab_on_screen()
    page.locator("nav.tabs a", has_text="Demandes").click()
    expect(page).to_have_url(re.compile(r"/needs$"))
    current_tab_on_screen()
    page.goto("/needs")
    page.locator("nav.tabs a", has_text="Hébergement").click()
    expect(page).to_have_url(re.compile(r"/stays$"))
    current_tab_on_screen()
