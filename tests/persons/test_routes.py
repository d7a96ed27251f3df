"""Person pages end to end through HTTP: forms, messages, htmx fragments, roles, merge and delete."""

import re
import uuid

from sqlmodel import select

from app.models import CustomField, ExitReason, Person, PersonNote, User
from tests.factories import make_custom_field, make_note, make_org, make_person, make_team, make_user, sign_in

EN = {"Accept-Language": "en"}


def _signed(client, db, user, lang="en"):
    user.lang = lang
    db.add(user)
    db.commit()
    return sign_in(client, db, user)


def test_create_from_the_form_and_land_on_the_new_record(client, db, org, team, worker):
    _signed(client, db, worker)
    form = client.get("/persons/new")
    assert form.status_code == 200 and 'hx-get="/persons/duplicates' in form.text
    client_id = re.search(r'name="id" value="([^"]+)"', form.text).group(1)
    data = {"id": client_id, "alias": "Tidiane", "birth_year": "1990", "team_ids": str(team.id)}
    resp = client.post("/persons", data=data, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == f"/persons/{client_id}"
    again = client.post("/persons", data=data, follow_redirects=False)  # a double tap
    assert again.headers["location"] == f"/persons/{client_id}"
    assert len(db.exec(select(Person).where(Person.alias == "Tidiane")).all()) == 1
    page = client.get(f"/persons/{client_id}")
    assert "Tidiane" in page.text and "Maraude Nord" in page.text and "Record created" in page.text


def test_a_large_organisations_other_teams_wait_in_a_closed_list_behind_the_users_own(client, db, org, team, worker):
    """A form on a phone starts with the worker's own teams and the ones already chosen; when the organisation has
    many others they wait in a closed "Other teams" list, every box still in the form."""
    others = [make_team(db, org, f"Équipe {i:02}") for i in range(8)]
    _signed(client, db, worker)

    def boxes(html: str) -> tuple[str, str]:
        fieldset = html.split("Followed by", 1)[1].split("</fieldset>", 1)[0]
        first, _sep, rest = fieldset.partition("<details")
        return first, rest

    first, rest = boxes(client.get("/persons/new").text)
    assert f'value="{team.id}"' in first and "Other teams (8)" in rest
    assert all(f'value="{t.id}"' in rest and f'value="{t.id}"' not in first for t in others)
    followed = make_person(db, org, "Awa", teams=[others[3]])
    first, rest = boxes(client.get(f"/persons/{followed.id}/edit").text)
    assert f'value="{others[3].id}" checked' in first and f'value="{team.id}">' in first  # chosen, and mine
    assert "Other teams (7)" in rest and f'value="{others[3].id}"' not in rest
    refused = client.post("/persons", data={"id": str(uuid.uuid4()), "alias": "", "team_ids": str(others[5].id)})
    first, rest = boxes(refused.text)  # a refused form keeps the one team ticked, among the first
    assert refused.status_code == 422 and f'value="{others[5].id}" checked' in first


def test_bad_input_is_answered_with_messages_and_the_typed_values(client, db, org, team, worker):
    _signed(client, db, worker)
    field = make_custom_field(db, org, label="Dogs", kind="number")
    cases = [
        ({"alias": ""}, "This field is required."),
        ({"alias": "x" * 200}, "At most 120 characters."),
        ({"alias": "Nadia", "birth_year": "2999"}, "Enter a year between 1900 and"),
        ({"alias": "Nadia", "birth_year": "1850"}, "Enter a year between 1900 and"),
        ({"alias": "Nadia", f"cf_{field.id}": "two dogs"}, "Enter a number."),
    ]
    for data, message in cases:
        resp = client.post("/persons", data={"id": str(uuid.uuid4()), "description": "kept text", **data})
        assert resp.status_code == 422, data
        assert message in resp.text
        assert "kept text" in resp.text  # nothing typed is lost
    assert 'value="two dogs"' in resp.text
    assert db.exec(select(Person)).first() is None


def test_the_second_of_two_concurrent_edits_is_told_and_keeps_its_values(client, db, org, team, worker):
    person = make_person(db, org, "Loïc", teams=[team])
    _signed(client, db, worker)
    version = str(person.version)
    first = client.post(f"/persons/{person.id}", data={"version": version, "alias": "Loïc A"}, follow_redirects=False)
    assert first.status_code == 303
    second = client.post(f"/persons/{person.id}", data={"version": version, "alias": "Loïc B", "phone": "0612"})
    assert second.status_code == 409
    assert "Someone else saved this record while you were editing it" in second.text
    assert 'value="Loïc B"' in second.text and 'value="0612"' in second.text
    db.refresh(person)
    assert person.alias == "Loïc A"


def test_duplicate_guard_fragment_and_search_fragment(client, db, org, team, worker):
    existing = make_person(db, org, "Mohamed", teams=[team])
    make_person(db, make_org(db), "Mohamed")  # another organisation's: never shown
    _signed(client, db, worker)
    frag = client.get("/persons/duplicates", params={"alias": "Mouhamad"}, headers={"HX-Request": "true"})
    assert frag.status_code == 200 and "<html" not in frag.text
    assert frag.text.count("/persons/") == 1 and f'href="/persons/{existing.id}"' in frag.text
    assert client.get("/persons/duplicates", params={"alias": "Zz"}).text.strip() == ""
    results = client.get("/persons", params={"q": "mohammed"}, headers={"HX-Request": "true"})
    assert 'id="results"' in results.text and "<html" not in results.text and "Mohamed" in results.text
    full = client.get("/persons", params={"q": "mohammed", "days": "not a number"})
    assert "<html" in full.text and "Some filters are not valid" in full.text


def test_a_card_with_its_qr_code_and_the_code_leads_to_the_record(client, db, org, team, worker):
    person = make_person(db, org, "Sékou", teams=[team])
    _signed(client, db, worker)
    card = client.get(f"/persons/{person.id}/card")
    assert "<svg" in card.text and f"{person.code[:3]}-{person.code[3:]}" in card.text
    resp = client.get(f"/persons/code/{person.code.lower()}", follow_redirects=False)
    assert resp.headers["location"] == f"/persons/{person.id}"
    assert client.get("/persons/code/AAAAAA").status_code == 404


def test_reception_pages_show_alias_code_and_alert_only(client, db, org, team):
    person = make_person(
        db, org, "Nadia", teams=[team], alert=True, alert_reason="secret reason", description="tattoo on the left arm"
    )
    make_note(db, org, person, body="private note")
    _signed(client, db, make_user(db, org, role="reception", teams=[team]))
    page = client.get(f"/persons/{person.id}")
    assert page.status_code == 200 and "Nadia" in page.text and "Vulnerability alert" in page.text
    for secret in (
        "secret reason",
        "tattoo on the left arm",
        "private note",
        "Maraude Nord",
        "/details",
        "Record created",
    ):
        assert secret not in page.text
    listing = client.get("/persons", params={"q": person.code})
    assert "Nadia" in listing.text and "Maraude Nord" not in listing.text
    for path in ("details", "links", "documents", "edit", "merge"):
        assert client.get(f"/persons/{person.id}/{path}").status_code == 403, path
    assert client.post(f"/persons/{person.id}/notes", data={"body": "x"}).status_code == 403
    assert "Persons" in client.get("/").text  # the navigation offers the list


def test_notes_urgent_on_the_team_home_until_handled(client, db, org, team, worker):
    person = make_person(db, org, "Sékou", teams=[team])
    _signed(client, db, worker)
    client.post("/team", data={"team_id": str(team.id)})
    resp = client.post(f"/persons/{person.id}/notes", data={"id": str(uuid.uuid4()), "body": "", "urgent": "true"})
    assert resp.status_code == 422 and "This field is required." in resp.text
    note_id = str(uuid.uuid4())
    data = {"id": note_id, "body": "Needs a bed tonight", "urgent": "true"}
    assert client.post(f"/persons/{person.id}/notes", data=data, follow_redirects=False).status_code == 303
    home = client.get("/")
    assert "Urgent notes" in home.text and "Needs a bed tonight" in home.text
    done = client.post(f"/persons/{person.id}/notes/{note_id}/handled?back=home", follow_redirects=False)
    assert done.headers["location"] == "/"
    assert "Needs a bed tonight" not in client.get("/").text
    assert db.get(PersonNote, uuid.UUID(note_id)).handled_by == worker.id


def test_history_and_active_list_from_the_details_page(client, db, org, team, worker):
    person = make_person(db, org, "Samira", teams=[team])
    _signed(client, db, worker)
    client.post(f"/persons/{person.id}", data={"version": str(person.version), "alias": "Samira", "phone": "0611"})
    details = client.get(f"/persons/{person.id}/details")
    assert "History of changes" in details.text and "0611" in details.text and worker.name in details.text
    reason = db.exec(select(ExitReason).where(ExitReason.org_id == org.id)).first()
    bad = client.post(f"/persons/{person.id}/exits", data={"left_on": "2026-01-01"})
    assert bad.status_code == 422 and "This field is required." in bad.text
    ok = client.post(
        f"/persons/{person.id}/exits",
        data={"reason_id": str(reason.id), "left_on": "2026-01-01"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert "Samira" not in client.get("/persons").text
    assert "Samira" in client.get("/persons", params={"status": "inactive"}).text


def test_merge_through_the_pages(client, db, org, team, worker):
    a = make_person(db, org, "Tidiane", teams=[team], phone="0600")
    b = make_person(db, org, "Tidjane", teams=[team], phone="0611")
    make_note(db, org, b, body="note of the second record")
    _signed(client, db, worker)
    pick = client.get("/persons/pick", params={"q": "tidjane", "mode": "merge", "exclude": str(a.id)})
    assert f"/persons/{a.id}/merge/{b.id}" in pick.text
    compare = client.get(f"/persons/{a.id}/merge/{b.id}")
    assert "0600" in compare.text and "0611" in compare.text
    itself = client.get(f"/persons/{a.id}/merge/{a.id}")
    assert itself.status_code == 422 and "cannot be merged with itself" in itself.text
    foreign = make_person(db, make_org(db), "Tidjane")
    assert client.get(f"/persons/{a.id}/merge/{foreign.id}").status_code == 404
    assert client.post(f"/persons/{a.id}/merge/{foreign.id}").status_code == 404
    stale = {"phone": "right", "left_version": str(a.version - 1), "right_version": str(b.version)}
    conflict = client.post(f"/persons/{a.id}/merge/{b.id}", data=stale)
    assert conflict.status_code == 409
    data = {"phone": "right", "left_version": str(a.version), "right_version": str(b.version)}
    done = client.post(f"/persons/{a.id}/merge/{b.id}", data=data, follow_redirects=False)
    assert done.headers["location"] == f"/persons/{a.id}"
    page = client.get(f"/persons/{a.id}")
    assert "note of the second record" in page.text and "Merged with another record" in page.text
    assert client.get(f"/persons/{b.id}", follow_redirects=False).headers["location"] == f"/persons/{a.id}"


def test_delete_needs_an_admin_and_a_reason(client, db, org, team, worker):
    person = make_person(db, org, "Christophe", teams=[team])
    _signed(client, db, worker)
    assert client.post(f"/persons/{person.id}/delete", data={"reason": "x"}).status_code == 403
    admin = make_user(db, org, role="admin", teams=[team])
    _signed(client, db, admin)
    assert client.post(f"/persons/{person.id}/delete", data={"reason": ""}).status_code == 422
    resp = client.post(
        f"/persons/{person.id}/delete", data={"reason": "Duplicate made by mistake"}, follow_redirects=False
    )
    assert resp.status_code == 303
    assert client.get(f"/persons/{person.id}").status_code == 404
    assert "Christophe" not in client.get("/persons", params={"status": "all"}).text


def test_links_and_places_pages(client, db, org, team, worker):
    a, b = make_person(db, org, "Aïcha", teams=[team]), make_person(db, org, "Nadia", teams=[team])
    _signed(client, db, worker)
    assert client.post(f"/persons/{a.id}/links", data={"relation": "sister"}).status_code == 422
    ok = client.post(f"/persons/{a.id}/links", data={"other_id": str(b.id), "relation": "sister"})
    assert ok.status_code == 200 and "sister" in ok.text  # redirected to the tab
    assert "Aïcha" in client.get(f"/persons/{b.id}/links").text
    client.post(f"/persons/{a.id}/places", data={"name": "Jardin d'Éole"})
    assert "Jardin d&#39;Éole" in client.get(f"/persons/{a.id}/links").text


def test_admins_configure_custom_fields_and_exit_reasons(client, db, org, team, worker):
    admin = make_user(db, org, role="admin", teams=[team])
    _signed(client, db, admin)
    assert client.post("/admin/person-fields", data={"label": "Dog", "kind": "choice"}).status_code == 422
    data = {"id": str(uuid.uuid4()), "label": "Dog", "kind": "choice", "options": "yes\nno", "required": "true"}
    assert client.post("/admin/person-fields", data=data, follow_redirects=False).status_code == 303
    field = db.exec(select(CustomField).where(CustomField.org_id == org.id)).one()
    assert field.options == ["yes", "no"] and field.required
    assert "Dog" in client.get("/admin/person-fields").text
    assert client.post(f"/admin/person-fields/{field.id}/archive", follow_redirects=False).status_code == 303
    reasons = client.get("/admin/exit-reasons")
    assert reasons.status_code == 200 and "Housed durably" in reasons.text
    client.post("/admin/exit-reasons", data={"label": "Returned home", "position": "5"})
    assert "Returned home" in client.get("/admin/exit-reasons").text
    _signed(client, db, worker)
    assert client.get("/admin/person-fields").status_code == 403


def test_pages_speak_french(client, db, org, team, worker):
    person = make_person(db, org, "Sékou", teams=[team])
    _signed(client, db, worker, lang="fr")
    page = client.get(f"/persons/{person.id}")
    assert "Ajouter une note" in page.text and "Chronologie" in page.text
    resp = client.post("/persons", data={"alias": "x" * 200})
    assert "120 caractères" in resp.text


def test_steering_has_no_person_pages(client, db):
    _signed(client, db, make_user(db, None, role="steering"))
    assert client.get("/persons").status_code in (403, 404)
    assert db.exec(select(User).where(User.role == "steering")).first() is not None
    assert make_team  # noqa: B018 (imported for symmetry with other tests)


def test_a_long_timeline_comes_a_page_at_a_time_without_gaps_or_repeats(client, db, org, team, worker):
    from datetime import UTC, datetime, timedelta

    from app.persons import timeline

    person = make_person(db, org, "Long Story", teams=[team])
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    # 70 notes a day apart, but notes 39 and 40 at the same instant, where the first page ends (30th and 31st):
    # the page stops before the pair, which comes whole on the next one.
    for i in range(70):
        at = start + timedelta(days=i if i != 40 else 39)
        make_note(db, org, person, body=f"Note {i:02d}", created_at=at)
    _signed(client, db, worker)
    page = client.get(f"/persons/{person.id}", headers=EN)
    shown = re.findall(r"Note (\d\d)", page.text)
    assert shown == [f"{i}" for i in range(69, 40, -1)]  # newest first, one page less the pair
    assert timeline.PAGE == 30
    older = re.search(r'hx-get="(/persons/[^"]+\?before=[^"]+)"', page.text).group(1).replace("&amp;", "&")
    seen = list(shown)
    while older:
        part = client.get(older, headers={**EN, "HX-Request": "true"})
        assert part.status_code == 200 and "<html" not in part.text  # the entries only, in place of the button
        seen += re.findall(r"Note (\d\d)", part.text)
        found = re.search(r'hx-get="(/persons/[^"]+\?before=[^"]+)"', part.text)
        older = found.group(1).replace("&amp;", "&") if found else None
    assert sorted(seen) == [f"{i:02d}" for i in range(70)] and len(seen) == 70, " ".join(seen)
    # Without JavaScript the button is a link to the same page, older entries first; a bad cursor is the first page.
    assert 'href="/persons/' in page.text and "#timeline" in page.text
    assert re.findall(r"Note (\d\d)", client.get(f"/persons/{person.id}?before=yesterday", headers=EN).text) == shown
