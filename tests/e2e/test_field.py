"""Field work on a phone (360x740): a round with three encounters (one of them a new person), a known person's
encounter in at most three taps from the home page, a rest-area day, an observation, and the daily report
matching what was recorded."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import pick_team, sign_in


def idle(page) -> None:
    expect(page.locator(".htmx-request")).to_have_count(0)


def saved(page) -> None:
    page.wait_for_url(re.compile(r"/\?saved="))
    expect(page.locator(".alert.saved")).to_be_visible()


def add_person(page, letters: str, name: str) -> None:
    """On the encounter form: type a few letters, tap the person found."""
    page.locator("#f-person-q").press_sequentially(letters, delay=30)
    page.locator("#person-results .person-pick", has_text=name).first.click()
    expect(page.locator("#picked")).to_contain_text(name)
    idle(page)


def qty(page, index: int, taps: int) -> str:
    """Tap + `taps` times on the index-th material of the form; returns the material's label."""
    row = page.locator(".qty").nth(index)
    for _ in range(taps):
        row.locator("[data-step='1']").click()
    return row.locator("label").inner_text().strip()


class Taps:
    """Counts what a thumb does: taps (clicks, and the tap that focuses a box before typing) and typing."""

    def __init__(self, page):
        self.page, self.taps, self.typed = page, 0, 0

    def tap(self, locator) -> None:
        self.taps += 1
        locator.click()

    def type(self, locator, text: str) -> None:
        self.taps += 1  # focusing the box
        self.typed += 1
        locator.press_sequentially(text, delay=30)


def test_a_round_with_three_encounters_one_of_them_a_new_person(page):
    sign_in(page, "worker@boreal.demo")
    pick_team(page, "Maraude Stalingrad")
    page.locator(".rounds-now").get_by_role("link", name="Start a round").click()
    page.get_by_label("Territory").select_option(label="Stalingrad")
    page.get_by_role("button", name="Start the round").click()
    expect(page.locator(".rounds-now .round-running")).to_contain_text("Stalingrad")

    # 1: a person met recently by the team, with two crack kits, listening, and the phone's position.
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 48.88421, "longitude": 2.36987, "accuracy": 12})
    page.locator("#meet .chips").get_by_role("link", name="Mohamed").click()
    expect(page.locator("#picked")).to_contain_text("Mohamed")
    expect(page.locator(".round-chip")).to_contain_text("Stalingrad")
    kit = qty(page, 0, 2)
    page.locator(".check.pill").nth(1).click()
    page.get_by_role("button", name="Add my position").click()
    expect(page.locator("#geo-status")).to_have_text("Position added (within 12 m).")
    page.get_by_role("button", name="Save the encounter").click()
    saved(page)
    page.locator(".today .encounters .item", has_text="Mohamed").get_by_role("link").first.click()
    expect(page.locator(".facts")).to_contain_text("48.88421, 2.36987 (± 12 m)")
    expect(page.locator(".facts")).to_contain_text(f"2 × {kit}")
    page.goto("/")

    # 2: two persons in one encounter, found by a few letters each.
    page.get_by_role("link", name="Encounter with several persons or a new one").click()
    add_person(page, "djib", "Djibril")
    add_person(page, "loic", "Loïc")
    page.get_by_label("Short note").fill("Both asked about the shower at Rosa.")
    page.get_by_role("button", name="Save the encounter").click()
    saved(page)
    expect(page.locator(".alert.saved")).to_contain_text("Djibril, Loïc")

    # 3: someone new, created on the spot; the duplicate guard finds nobody like them.
    page.locator("#f-meet").press_sequentially("Zinedine", delay=30)
    expect(page.locator("#meet-results")).to_contain_text("Nobody matches")
    page.locator("#meet-results .new-person").click()
    expect(page.locator("#picked .chip.new")).to_contain_text("Zinedine")
    qty(page, 0, 1)
    page.get_by_role("button", name="Save the encounter").click()
    saved(page)

    # The round holds the three encounters; an anonymous contact is added, then the round ends.
    page.locator(".rounds-now .round-running").first.click()
    expect(page.locator(".encounters .item")).to_have_count(3)
    expect(page.locator(".round-line").first).to_contain_text("3 encounters · 4 persons")
    page.get_by_text("+ Anonymous contact").click()
    page.locator("#f-people").fill("2")
    page.locator(".anonymous .qty").first.locator("[data-step='1']").click()
    page.get_by_role("button", name="Add the anonymous contact").click()
    expect(page.locator(".anonymous .list .item")).to_contain_text("2 persons")
    expect(page.locator(".anonymous .list .item")).to_contain_text(f"1 × {kit}")
    page.get_by_text("End the round").first.click()
    page.locator(".end-round").get_by_role("button", name="End the round").click()
    expect(page.locator(".card").first).to_contain_text("ended at")

    # The new person has a record, and the encounter is in their timeline.
    page.locator(".encounters .item", has_text="Zinedine").get_by_role("link").click()
    page.get_by_role("link", name="Zinedine").click()
    expect(page.locator(".summary h1")).to_have_text("Zinedine")
    expect(page.locator(".timeline")).to_contain_text("Encounter · Maraude Stalingrad")
    expect(page.locator(".timeline")).to_contain_text(f"1 × {kit}")


def test_a_known_persons_encounter_takes_three_taps_from_the_home_page(page):
    sign_in(page, "worker@horizon.demo")
    pick_team(page, "Maraude Stalingrad")
    expect(page.locator("#meet")).to_be_in_viewport()  # the home page's first action, no scrolling

    # By a few letters: tap the box and type, tap the person, tap save.
    t = Taps(page)
    t.type(page.locator("#f-meet"), "sék")
    t.tap(page.locator("#meet-results .person-pick", has_text="Sékou"))
    expect(page.locator("#picked")).to_contain_text("Sékou")
    t.tap(page.get_by_role("button", name="Save the encounter"))
    saved(page)
    expect(page.locator(".alert.saved")).to_contain_text("Sékou")
    assert (t.taps, t.typed) == (3, 1)

    # Someone met recently, with a material: tap them, tap +, tap save; nothing typed at all.
    t = Taps(page)
    t.tap(page.locator("#meet .chips").get_by_role("link", name="Sékou"))
    t.tap(page.locator(".qty").first.locator("[data-step='1']"))
    t.tap(page.get_by_role("button", name="Save the encounter"))
    saved(page)
    assert (t.taps, t.typed) == (3, 0)
    expect(page.locator(".today .encounters .item")).to_have_count(2)


def test_a_rest_area_day_with_named_and_anonymous_check_ins(new_page):
    page = new_page()
    sign_in(page, "reception@boreal.demo")
    page.get_by_role("link", name="Check someone in or out").click()
    present = int(page.locator(".occupancy strong").inner_text())

    # By alias: the search, then two taps.
    page.locator("#f-checkin-q").press_sequentially("sekou", delay=30)
    page.locator("#checkin-results .person-pick", has_text="Sékou").click()
    page.locator(".confirm .check.pill").nth(1).click()  # a service used (a shower)
    page.get_by_role("button", name="Check in Sékou").click()
    expect(page.locator(".present")).to_contain_text("Sékou")
    expect(page.locator(".occupancy strong")).to_have_text(str(present + 1))

    # By personal code, read from a card: the same two taps.
    page.locator("#f-checkin-q").press_sequentially("fatou", delay=30)
    code = page.locator("#checkin-results .person-pick", has_text="Fatou").locator(".code").inner_text()
    page.locator("#f-checkin-q").fill("")
    page.locator("#f-checkin-q").press_sequentially(code.replace("-", "").lower(), delay=30)
    # The search of the last letter (250 ms after it) must not replace the confirmation opened by the tap below.
    page.wait_for_timeout(400)
    expect(page.locator(".htmx-request")).to_have_count(0)
    expect(page.locator("#checkin-results .person-pick")).to_have_count(1)
    page.locator("#checkin-results .person-pick").click()
    page.get_by_role("button", name="Check in Fatou").click()
    expect(page.locator(".occupancy strong")).to_have_text(str(present + 2))

    # Someone already present is told so; nothing is added.
    page.locator("#f-checkin-q").press_sequentially("sekou", delay=30)
    page.locator("#checkin-results .person-pick", has_text="Sékou").click()
    page.get_by_role("button", name="Check in Sékou").click()
    expect(page.get_by_role("alert")).to_contain_text("Sékou is already here, checked in since")
    expect(page.locator(".occupancy strong")).to_have_text(str(present + 2))

    # An anonymous check-in.
    page.get_by_text("Anonymous check-in").click()
    page.get_by_role("button", name="Check in someone anonymous").click()
    expect(page.locator(".occupancy strong")).to_have_text(str(present + 3))

    # The reception sees where the person is on their page (alias, code, alert and presence only).
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Persons").click()
    page.locator("#q").press_sequentially("sekou", delay=40)
    page.locator("#results .item", has_text="Sékou").first.click()
    expect(page.locator(".summary")).to_contain_text("Present at Espace de repos Rosa since")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    page.get_by_role("link", name="Check someone in or out").click()

    # Fatou leaves; then the day is closed and whoever is left is checked out, with a record of it.
    page.locator(".present .checkin-row", has_text="Fatou").get_by_role("button", name="Check out").click()
    expect(page.locator(".left")).to_contain_text("Fatou")
    expect(page.locator(".occupancy strong")).to_have_text(str(present + 2))
    page.get_by_text("Close the day", exact=True).click()
    page.get_by_role("button", name="Close the day now").click()
    expect(page.locator(".occupancy strong")).to_have_text("0")
    expect(page.locator(".closing")).to_contain_text(f"{present + 2} checked out")
    expect(page.locator(".left")).to_contain_text("checked out at closing")
    box = page.locator(".closing").bounding_box()
    assert box and box["width"] <= 360


def test_an_observation_of_a_territory(page):
    sign_in(page, "worker@boreal.demo")
    pick_team(page, "Maraude Stalingrad")
    page.get_by_role("navigation", name="Field work").get_by_role("link", name="Observations").click()
    page.get_by_role("link", name="+ Observation").click()
    page.get_by_label("Territory or place").select_option(label="\u00a0\u00a0· Terrain de sport")
    for _ in range(3):
        page.locator("[data-for='f-women']").nth(1).click()
    page.locator("#f-men").fill("11")
    page.locator(".check.pill", has_text="Tense").click()
    page.locator(".check.pill", has_text="Police passing by").click()
    page.locator(".found-grid input").nth(6).fill("14")  # the fourth material (syringes): found
    page.locator(".found-grid input").nth(7).fill("9")  # collected
    page.get_by_label("Incidents").fill("A fight near the sports ground, over before we came.")
    page.get_by_role("button", name="Save the observation").click()
    expect(page.get_by_role("heading", name=re.compile("Observation of"))).to_be_visible()
    facts = page.locator(".facts")
    expect(facts).to_contain_text("14 (women 3, men 11, other 0)")
    expect(facts).to_contain_text("Tense")
    expect(page.locator(".table")).to_contain_text("14")
    expect(page.locator(".card")).to_contain_text("Jardin d'Éole · Terrain de sport")


def test_the_daily_report_matches_what_was_recorded(page):
    sign_in(page, "worker@horizon.demo")
    pick_team(page, "Maraude métro ligne 12")  # a team the demo leaves empty
    page.get_by_role("link", name="Start a round").first.click()
    page.locator(".check.pill", has_text="Metro").click()
    page.get_by_role("button", name="Start the round").click()

    page.locator("#f-meet").press_sequentially("ousm", delay=30)
    page.locator("#meet-results .person-pick", has_text="Ousmane").click()
    kit = qty(page, 0, 2)
    page.get_by_role("button", name="Save the encounter").click()
    saved(page)

    page.locator("#f-meet").press_sequentially("Kofi", delay=30)
    page.locator("#meet-results .new-person").click()
    qty(page, 0, 1)
    syringes = qty(page, 3, 3)
    page.get_by_role("button", name="Save the encounter").click()
    saved(page)

    page.locator(".rounds-now .round-running").first.click()
    page.get_by_text("+ Anonymous contact").click()
    page.locator("#f-people").fill("2")
    page.locator(".anonymous .qty").first.locator("[data-step='1']").click()
    page.get_by_role("button", name="Add the anonymous contact").click()
    expect(page.locator(".anonymous .list .item")).to_have_count(1)

    page.goto("/observations/new")
    page.get_by_label("Territory or place").select_option(label="Métro ligne 12")
    page.locator("#f-men").fill("4")
    page.get_by_role("button", name="Save the observation").click()
    expect(page.get_by_role("heading", name=re.compile("Observation of"))).to_be_visible()

    page.goto("/")
    page.locator(".today").get_by_role("link", name="Daily report").click()
    figure = lambda key: page.locator(f"[data-figure='{key}']")  # noqa: E731
    expect(figure("rounds")).to_have_text("1")
    expect(figure("encounters")).to_have_text("2")
    expect(figure("persons")).to_have_text("2")
    expect(figure("new_persons")).to_have_text("1")
    expect(figure("anonymous_people")).to_have_text("2")
    expect(figure("observations")).to_have_text("1")
    expect(figure("people_seen")).to_have_text("4")
    expect(page.locator(f"[data-material='{kit}']")).to_have_text("4")  # 2 + 1 + 1 to the anonymous contact
    expect(page.locator(f"[data-material='{syringes}']")).to_have_text("3")

    page.get_by_label("How the day went").fill("Quiet evening on line 12.")
    page.get_by_label("Partners worked with").fill("RATP security")
    page.get_by_label("Handover for the next shift").fill("Kofi wants to see the nurse tomorrow.")
    page.get_by_role("button", name="Save the report").click()
    expect(page.get_by_label("Handover for the next shift")).to_have_value("Kofi wants to see the nurse tomorrow.")
    expect(figure("encounters")).to_have_text("2")
