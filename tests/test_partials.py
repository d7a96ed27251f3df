"""Every page that answers htmx with one block of itself (`render(..., block=...)`) renders that block alone: the
block must see everything it uses (its macros, its context), which a whole-page request does not prove. Each case
is the request htmx sends (HX-Request) with a record in the block, as the role that uses the page."""

from datetime import timedelta

import pytest

from app.models import OrgExport, utcnow
from tests.factories import (
    make_encounter,
    make_incoming,
    make_note,
    make_org,
    make_person,
    make_referral,
    make_structure,
    make_team,
    make_user,
    sign_in,
)

HX = {"HX-Request": "true", "Accept-Language": "en"}


@pytest.fixture
def org(db):
    return make_org(db, "Boréal")


@pytest.fixture
def team(db, org):
    return make_team(db, org, "Maraude Nord")


def _as(client, db, org, team, role):
    user = make_user(db, org, role=role, teams=[team], lang="en")
    sign_in(client, db, user)
    client.post("/team", data={"team_id": str(team.id)})
    return user


def _fragment(resp, *texts):
    assert resp.status_code == 200, resp.text[:500]
    assert "<html" not in resp.text  # the block alone, not the page
    for text in texts:
        assert text in resp.text


def test_the_referral_lists_answer_in_place(client, db, org, team):
    karim = make_person(db, org, "Karim", teams=[team])
    make_referral(db, org, karim, make_structure(db, org, "CHU Nord"), team_id=team.id)
    incoming = make_incoming(db, org, team=team)
    _as(client, db, org, team, "coordinator")
    _fragment(client.get(f"/referrals?team_id={team.id}&status=all", headers=HX), "Karim", "CHU Nord")
    _fragment(client.get("/referrals/inbox?status=all", headers=HX), f"/referrals/inbox/{incoming.id}")


def test_the_caseload_summary_and_a_list_answer_in_place(client, db, org, team):
    karim = make_person(db, org, "Karim", teams=[team])
    make_note(db, org, karim, body="Cherche un lit", urgent=True)
    _as(client, db, org, team, "coordinator")
    _fragment(client.get("/caseload", headers=HX), "/caseload/list?name=urgent_notes")
    _fragment(client.get("/caseload/list?name=urgent_notes", headers=HX), "Karim")
    bad = client.get("/caseload/list?name=not_seen&days=-3", headers=HX)
    assert bad.status_code == 422 and "<html" not in bad.text
    assert "Must be at least 1." in bad.text  # the field's own message is outside the part replaced: the alert says it


def test_the_structures_list_answers_in_place(client, db, org, team):
    make_structure(db, org, "CHU Nord")
    _as(client, db, org, team, "worker")
    _fragment(client.get("/structures?q=CHU", headers=HX), "CHU Nord")


def test_an_older_page_of_a_persons_timeline_answers_in_place(client, db, org, team):
    karim = make_person(db, org, "Karim", teams=[team])
    for days in range(35):  # more than a page of the timeline
        make_encounter(db, org, team, [karim], at=utcnow() - timedelta(days=days, hours=1))
    note = make_note(db, org, karim, body="Cherche un lit", urgent=True)  # not handled: its button is on the page
    note.created_at = utcnow() - timedelta(days=40)
    db.commit()
    _as(client, db, org, team, "worker")
    page = client.get(f"/persons/{karim.id}", headers={"Accept-Language": "en"}).text
    before = page.split("before=", 1)[1].split('"', 1)[0].replace("&amp;", "&")
    older = client.get(f"/persons/{karim.id}?before={before}", headers=HX)
    _fragment(older, "Encounter", "Cherche un lit", "Mark as handled", 'name="csrf_token"')


def test_an_exports_progress_answers_in_place(client, db, org, team):
    admin = _as(client, db, org, team, "admin")
    db.add(running := OrgExport(org_id=org.id, user_id=admin.id, total_rows=200, done_rows=50))
    db.commit()
    _fragment(client.get(f"/admin/export/{running.id}", headers=HX), "50 of 200 rows")


def test_every_block_rendered_alone_imports_the_macros_it_calls():
    """A macro imported at the top of a page is not seen by a block rendered alone (jinja2-fragments): a button
    added later to a list's block would fail only in place, with a 500. Blocks named in `render(..., block=...)`."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    rendered = set()
    for py in (root / "app").rglob("*.py"):
        rendered |= set(re.findall(r'"([\w/]+\.html)",[^)]*?block="(\w+)"', py.read_text(), re.S))
    assert ("persons/detail.html", "timeline_page") in rendered and len(rendered) >= 10
    imports = re.compile(r'\{%-?\s*from\s+"[^"]+"\s+import\s+(.+?)\s*-?%\}')

    def imported(text):
        return {n.strip().split(" as ")[-1] for found in imports.findall(text) for n in found.split(",")} - {""}

    missing = []
    for template, block in sorted(rendered):
        text = (root / "templates" / template).read_text()
        start = re.search(r"\{%-?\s*block " + block + r"\s*-?%\}", text)
        assert start, (template, block)
        depth, at = 1, start.end()
        for tag in re.finditer(r"\{%-?\s*(block \w+|endblock)\b[^%]*%\}", text[at:]):
            depth += 1 if tag.group(1).startswith("block") else -1
            if depth == 0:
                body = text[at : at + tag.start()]
                break
        page_macros = {m.replace(" with context", "") for m in imported(text[: start.start()])}
        called = {m for m in page_macros if re.search(r"\b" + re.escape(m) + r"\s*\(", body)}
        own = {m.replace(" with context", "") for m in imported(body)}
        missing += [(template, block, m) for m in called - own]
    assert missing == []


def test_a_list_whose_filters_are_not_valid_says_so(client, db, org, team):
    make_structure(db, org, "CHU Nord")
    _as(client, db, org, team, "coordinator")
    for url in ("/structures?page=-1", "/referrals?page=0", "/referrals/inbox?page=abc"):
        page = client.get(url, headers={"Accept-Language": "en"})
        assert page.status_code == 200 and "Some filters are not valid and were ignored." in page.text, url
