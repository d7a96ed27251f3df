"""Sign in, pick a team, reach the home page and sign out, at a phone's size; a failed sign-in says why."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import pick_team, sign_in


def test_worker_signs_in_picks_a_team_sees_home_and_signs_out(page):
    sign_in(page, "worker@boreal.demo")
    # The worker is in two teams: asked which one they work with today.
    expect(page).to_have_url(re.compile(r"/team$"))
    expect(page.get_by_role("heading")).to_have_text("Which team are you working with today?")
    page.get_by_role("button", name=re.compile("Maraude métro ligne 12")).click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".team-card h1")).to_have_text("Maraude métro ligne 12")
    expect(page.locator(".team-card")).to_contain_text("working day from noon to noon")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_visible()
    box = nav.bounding_box()
    assert box and box["y"] + box["height"] <= 740 and box["width"] == 360, "bottom navigation fits the phone"
    # Account (and sign-out) is the name in the top bar; changing team is the team's chip.
    expect(page.locator("header").get_by_role("link", name="Maraude métro ligne 12")).to_have_attribute("href", "/team")
    page.locator("header").get_by_role("link", name="Account").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))


def test_failed_sign_in_shows_its_message_and_keeps_the_email(page):
    sign_in(page, "worker@horizon.demo", "not the password")
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(page.locator("#f-email")).to_have_value("worker@horizon.demo")


def test_the_app_speaks_french_to_a_french_phone(new_page):
    page = new_page(locale="fr-FR")
    sign_in(page, "reception@horizon.demo")
    expect(page.get_by_role("navigation", name="Navigation principale")).to_contain_text("Accueil")
    expect(page.locator(".team-card h1")).to_have_text("Espace de repos Rosa")


BROKEN_WORDS = """[...document.querySelectorAll('nav.bottom a')].flatMap(a => {
  const text = [...a.childNodes].find(n => n.nodeType === 3 && n.textContent.trim());
  const broken = [];
  let at = 0;
  for (const word of text.textContent.split(/(\\s+)/)) {
    const range = document.createRange();
    range.setStart(text, at);
    range.setEnd(text, at + word.length);
    if (word.trim() && range.getClientRects().length > 1) broken.push(word);
    at += word.length;
  }
  return broken;
})"""


def test_the_admins_six_menu_labels_keep_their_words_whole(new_page):
    """With six entries each has 60 px: "Indicateurs" was cut into "Indicateur / s", also when bold (the page's own
    entry)."""
    for locale, home in (("fr-FR", "Accueil"), ("en-GB", "Home")):
        page = new_page(locale=locale)
        sign_in(page, "admin@horizon.demo")
        pick_team(page, "Coordination")
        nav = page.locator("nav.bottom a")
        expect(nav).to_have_count(6)
        expect(nav.first).to_contain_text(home)
        for i in range(6):
            nav.nth(i).click()
            expect(nav.nth(i)).to_have_class(re.compile(r"\bon\b"))
            assert page.evaluate(BROKEN_WORDS) == [], (locale, i)


def test_every_demo_role_reaches_its_home(new_page):
    for role in ("admin", "coordinator", "health", "reception"):
        page = new_page()
        sign_in(page, f"{role}@horizon.demo")
        if page.url.endswith("/team"):
            pick_team(page, "Coordination" if role in ("admin", "coordinator") else "Maraude Stalingrad")
        expect(page.locator(".team-card h1")).to_be_visible()
        admin_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin")
        expect(admin_link).to_have_count(1 if role == "admin" else 0)


def test_every_page_fits_a_phone_screen(page):
    """No page is wider than the phone: a wide table scrolls on its own, and the filters stay on screen (the audit
    log's filter grid was pushed past the right edge by its table and its date fields)."""
    from app.main import app
    from tests.test_isolation import endpoints

    sign_in(page, "admin@horizon.demo")
    pick_team(page, "Coordination")
    too_wide = []
    for route in endpoints(app):
        if "{" in route.path or "GET" not in route.methods or route.path.startswith(("/api", "/static")):
            continue
        if route.path in ("/logout", "/healthz", "/sw.js", "/manifest.webmanifest"):
            continue
        if "text/html" not in page.request.get(route.path).headers.get("content-type", ""):
            continue  # a download (CSV, PDF) or a redirect to one
        page.goto(route.path)
        width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if width[0] > width[1]:
            too_wide.append((route.path, width))
    assert too_wide == []


def test_the_audit_log_applies_a_typed_code_on_enter_and_a_tap_on_a_code_wins(page):
    """A typed code applies when the admin presses Enter (the phone's "Go") or taps Filter, not when the field loses
    the focus: that reload raced a tap on a result, and its answer undid the tapped filter."""
    sign_in(page, "admin@horizon.demo")
    pick_team(page, "Coordination")
    page.goto("/persons")
    page.locator("a.person-row").first.click()  # an admin reading a person: an audit event with the person's code
    expect(page.locator("h1")).to_be_visible()
    page.goto("/admin/audit")
    page.locator("#f-person").fill("ZZZZ9999")
    page.locator("#f-person").press("Enter")
    expect(page.locator("#audit-results .alert.error")).to_have_text("No person has this code in your organisation.")
    expect(page).to_have_url(re.compile(r"person=ZZZZ9999"))
    page.goto("/admin/audit")
    page.locator("#f-person").press_sequentially("ABC", delay=40)
    link = page.locator("#audit-results a.code").first
    code = link.get_attribute("href").split("person=")[1]
    link.click()
    expect(page).to_have_url(re.compile(f"person={code}$"))
    expect(page.locator("#f-person")).to_have_value(code)
    expect(page.locator("#audit-results .alert.error")).to_have_count(0)
