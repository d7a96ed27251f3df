"""Field pages through HTTP: the home page's encounter in three requests, forms that keep what was typed,
idempotent answers, check-ins, reports, configuration pages, and the health part as each role sees the pages."""

import re
import uuid
from datetime import timedelta

from sqlmodel import select

from app.field.days import local_input, working_day
from app.models import Checkin, DailyReport, Encounter, Material, Person, Territory, utcnow
from tests.factories import (
    make_custom_field,
    make_material,
    make_org,
    make_person,
    make_round,
    make_team,
    make_territory,
    make_user,
    sign_in,
)


def _as(client, db, user, team=None):
    user.lang = "en"
    db.add(user)
    db.commit()
    sign_in(client, db, user)
    if team is not None:
        assert client.post("/team", data={"team_id": str(team.id)}, follow_redirects=False).status_code == 303
    return client


def _form_id(html: str) -> str:
    return re.search(r'name="id" value="([^"]+)"', html).group(1)


def test_a_known_persons_encounter_from_the_home_page(client, db, org, team, worker):
    sekou = make_person(db, org, "Sékou", teams=[team])
    _as(client, db, worker, team)
    home = client.get("/")
    assert 'hx-get="/encounters/pick?target=home"' in home.text  # the home page's first action
    found = client.get("/encounters/pick", params={"target": "home", "q": "seko"}, headers={"HX-Request": "true"})
    assert f'href="/encounters/new?person_id={sekou.id}"' in found.text and "<html" not in found.text
    page = client.get(f"/encounters/new?person_id={sekou.id}")
    assert f'name="person_ids" value="{sekou.id}" checked' in page.text
    data = {"id": _form_id(page.text), "person_ids": str(sekou.id), "at": local_input()}
    saved = client.post("/encounters", data=data, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"/?saved={data['id']}"
    again = client.post("/encounters", data=data, follow_redirects=False)  # sent twice on a bad link
    assert again.headers["location"] == saved.headers["location"]
    assert len(db.exec(select(Encounter)).all()) == 1
    assert "Encounter recorded at" in client.get(saved.headers["location"]).text
    assert "Sékou" in client.get("/").text  # now among the persons met recently


def test_a_bad_encounter_form_comes_back_with_messages_and_what_was_typed(client, db, org, team, worker):
    person = make_person(db, org, "Nadia")
    kit = make_material(db, org, "Crack kit")
    stranger = make_person(db, make_org(db), "Stranger")
    _as(client, db, worker, team)
    form_id = _form_id(client.get("/encounters/new").text)
    base = {"id": form_id, "note": "typed note", "person_ids": str(person.id)}
    cases = [
        ({f"m_{kit.id}": "-4"}, "Enter a number from 0 to 500."),
        ({f"m_{kit.id}": "9999"}, "Enter a number from 0 to 500."),
        ({"at": local_input(utcnow() + timedelta(hours=2))}, "This time is in the future"),
        ({"person_ids": str(stranger.id)}, "One of the persons was not found."),
        ({"person_ids": ""}, "Choose at least one person."),
    ]
    for extra, message in cases:
        resp = client.post("/encounters", data={**base, **extra})
        assert resp.status_code == 422, extra
        assert message in resp.text and "typed note" in resp.text
    assert 'value="9999"' not in resp.text  # each case starts again from the base
    resp = client.post("/encounters", data={**base, f"m_{kit.id}": "-4"})
    assert 'value="-4"' in resp.text and f'name="person_ids" value="{person.id}" checked' in resp.text
    assert db.exec(select(Encounter)).first() is None


def test_an_archived_material_on_an_old_form_is_refused_and_kept_visible(client, db, org, team, worker):
    person = make_person(db, org)
    kit = make_material(db, org, "Old kit")
    _as(client, db, worker, team)
    page = client.get("/encounters/new")
    assert f'name="m_{kit.id}"' in page.text
    kit.archived_at = kit.created_at
    db.add(kit)
    db.commit()
    assert f'name="m_{kit.id}"' not in client.get("/encounters/new").text  # not offered any more
    resp = client.post(
        "/encounters", data={"id": _form_id(page.text), "person_ids": str(person.id), f"m_{kit.id}": "2"}
    )
    assert resp.status_code == 422
    assert "Old kit is archived and can no longer be recorded: set it to 0." in resp.text and 'value="2"' in resp.text


def test_the_health_part_reaches_health_staff_only_on_every_page(client, db, org, team):
    health = make_user(db, org, role="health", teams=[team])
    person = make_person(db, org, "Ibrahim", teams=[team])
    rnd = make_round(db, org, team)
    _as(client, db, health, team)
    data = {
        "id": str(uuid.uuid4()),
        "person_ids": str(person.id),
        "round_id": str(rnd.id),
        "health_care": "Wound dressing",
        "health_note": "Abscess on the left arm",
    }
    assert client.post("/encounters", data=data, follow_redirects=False).status_code == 303
    encounter = db.exec(select(Encounter)).one()
    pages = ["/", f"/encounters/{encounter.id}", f"/persons/{person.id}", f"/rounds/{rnd.id}"]
    assert "Abscess on the left arm" in client.get(f"/encounters/{encounter.id}").text
    assert "Abscess on the left arm" in client.get(f"/persons/{person.id}").text
    assert "Care given" in client.get("/encounters/new").text
    for role in ("admin", "coordinator", "worker", "reception"):
        user = make_user(db, org, role=role, teams=[team])
        _as(client, db, user, team)
        for url in pages:
            resp = client.get(url)
            assert resp.status_code in (200, 403), (role, url)
            assert "Abscess" not in resp.text and "Wound dressing" not in resp.text, (role, url)
        assert "Care given" not in client.get("/encounters/new").text
        tampered = client.post("/encounters", data={**data, "id": str(uuid.uuid4())})
        assert tampered.status_code == 403, role
    assert len(db.exec(select(Encounter)).all()) == 1


def test_rest_area_day_by_code_in_two_taps_already_present_and_closing(client, db, org, rest_area):
    desk = make_user(db, org, role="reception", teams=[rest_area])
    fatou = make_person(db, org, "Fatou")
    _as(client, db, desk)
    home = client.get("/")
    assert 'href="/checkins"' in home.text and "present now" in home.text
    found = client.get("/checkins/find", params={"q": fatou.code.lower()}, headers={"HX-Request": "true"})
    assert f"/checkins/confirm?person_id={fatou.id}" in found.text  # tap 1 opens the check-in...
    confirm = client.get(f"/checkins/confirm?person_id={fatou.id}", headers={"HX-Request": "true"})
    data = {"id": _form_id(confirm.text), "person_id": str(fatou.id)}
    assert client.post("/checkins", data=data, follow_redirects=False).status_code == 303  # ...tap 2 checks in
    again = client.post("/checkins", data=data, follow_redirects=False)
    assert again.status_code == 303 and len(db.exec(select(Checkin)).all()) == 1
    twice = client.post("/checkins", data={**data, "id": str(uuid.uuid4())})
    assert twice.status_code == 422 and "Fatou is already here" in twice.text
    assert client.post("/checkins", data={"id": str(uuid.uuid4())}, follow_redirects=False).status_code == 303
    page = client.get("/checkins")
    assert "2</strong> / 3 present now" in page.text
    person_page = client.get(f"/persons/{fatou.id}")
    assert "Present at " in person_page.text and "since" in person_page.text
    checkin = db.exec(select(Checkin).where(Checkin.person_id == fatou.id)).one()
    early = local_input(checkin.arrived_at - timedelta(hours=1))
    refused = client.post(f"/checkins/{checkin.id}/out", data={"at": early})
    assert refused.status_code == 422 and "A check-out cannot be before the check-in" in refused.text
    assert (
        client.post(f"/checkins/{checkin.id}/out?back=today", follow_redirects=False).headers["location"] == "/checkins"
    )
    closed = client.post("/checkins/close", data={"id": str(uuid.uuid4())}, follow_redirects=True)
    assert "0</strong> / 3 present now" in closed.text and "Day closed at" in closed.text


def test_the_daily_report_page_saves_the_teams_words_and_hands_over(client, db, org, team, worker):
    _as(client, db, worker, team)
    today = working_day(team)
    resp = client.get("/reports", follow_redirects=False)
    assert resp.headers["location"] == f"/reports/{team.id}/{today.isoformat()}"
    yesterday = (today - timedelta(days=1)).isoformat()
    page = client.get(f"/reports/{team.id}/{yesterday}")
    data = {"id": _form_id(page.text), "description": "Busy", "handover": "Call the PASS about Sékou"}
    assert client.post(f"/reports/{team.id}/{yesterday}", data=data, follow_redirects=False).status_code == 303
    assert client.post(f"/reports/{team.id}/{yesterday}", data=data, follow_redirects=False).status_code == 303
    assert len(db.exec(select(DailyReport)).all()) == 1
    assert "Call the PASS about Sékou" in client.get("/").text  # on today's home page
    stale = client.post(f"/reports/{team.id}/{yesterday}", data={"version": "0", "description": "Mine"})
    assert stale.status_code == 409 and "Someone else saved this report" in stale.text and "Mine" in stale.text
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert client.post(f"/reports/{team.id}/{tomorrow}", data={"description": "x"}).status_code == 422
    assert client.get(f"/reports/{team.id}/not-a-day").status_code == 404
    other_team = make_team(db, org)
    assert client.post(f"/reports/{other_team.id}/{yesterday}", data={"description": "x"}).status_code == 403


def test_catalogues_are_admin_pages_with_defaults_and_archiving(client, db, org, team, worker):
    admin = make_user(db, org, role="admin", teams=[team])
    _as(client, db, worker, team)
    assert client.get("/admin/materials").status_code == 403
    assert client.get("/admin/services").status_code == 403
    _as(client, db, admin, team)
    page = client.get("/admin/materials")
    assert "Crack kit" in page.text and "Naloxone" in page.text  # the defaults, created on first use
    naloxone = db.exec(select(Material).where(Material.org_id == org.id, Material.label == "Naloxone")).one()
    client.post(f"/admin/materials/{naloxone.id}/archive")
    assert f'name="m_{naloxone.id}"' not in client.get("/encounters/new").text
    assert "Naloxone" in client.get("/admin/materials").text  # still listed, to restore
    client.post("/admin/materials", data={"id": str(uuid.uuid4()), "label": "Straws", "position": "5"})
    assert "Straws" in client.get("/encounters/new").text
    services = client.get("/admin/services")
    assert "Shower" in services.text and "Listening" in services.text
    client.post("/admin/services", data={"id": str(uuid.uuid4()), "label": "Haircut", "scope": "checkin"})
    assert "Haircut" in client.get("/checkins/confirm").text


def test_territories_are_managed_by_coordinators_and_read_by_workers(client, db, org, team, worker):
    coordinator = make_user(db, org, role="coordinator", teams=[team])
    _as(client, db, coordinator, team)
    data = {"id": str(uuid.uuid4()), "name": "Stalingrad", "kinds": "street, square"}
    resp = client.post("/territories", data=data, follow_redirects=False)
    territory = db.exec(select(Territory)).one()
    assert resp.headers["location"] == f"/territories/{territory.id}" and territory.kinds == ["street", "square"]
    client.post(f"/territories/{territory.id}/places", data={"id": str(uuid.uuid4()), "name": "Rotonde"})
    dupe = client.post("/territories", data={**data, "id": str(uuid.uuid4()), "name": "stalingrad"})
    assert dupe.status_code == 422 and "Another territory already has this name." in dupe.text
    client.post(f"/territories/{territory.id}/archive")
    _as(client, db, worker, team)
    assert "Stalingrad" not in client.get("/territories").text  # archived: not offered to workers
    assert client.post("/territories", data={**data, "id": str(uuid.uuid4()), "name": "Éole"}).status_code == 403
    make_territory(db, org, "Jardin d'Éole")
    assert "Jardin d" in client.get("/observations/new").text


def test_observation_custom_fields_are_configured_with_the_person_fields(client, db, org, team, worker):
    admin = make_user(db, org, role="admin", teams=[team])
    _as(client, db, admin, team)
    data = {"id": str(uuid.uuid4()), "scope": "observation", "label": "Tents seen", "kind": "number"}
    assert client.post("/admin/person-fields", data=data, follow_redirects=False).status_code == 303
    assert "Territory observations" in client.get("/admin/person-fields").text
    _as(client, db, worker, team)
    assert "Tents seen" in client.get("/observations/new").text
    assert "Tents seen" not in client.get("/persons/new").text
    make_custom_field(db, org, label="Dog's name")
    assert "Dog&#39;s name" not in client.get("/observations/new").text


def test_an_observation_through_the_form(client, db, org, team, worker):
    territory = make_territory(db, org, "Porte de la Chapelle")
    _as(client, db, worker, team)
    page = client.get("/observations/new")
    data = {
        "id": _form_id(page.text),
        "where": f"t:{territory.id}",
        "women": "2",
        "men": "9",
        "atmosphere": "violent",
        "police": "present",
        "incidents": "A fight",
    }
    resp = client.post("/observations", data=data, follow_redirects=True)
    assert "Porte de la Chapelle" in resp.text and "11" in resp.text and "Violent" in resp.text
    assert client.post("/observations", data={**data, "men": "-2"}).status_code == 422
    assert len(client.get("/observations").text.split("/observations/")) > 2


def test_pages_need_a_team_picked_today(client, db, org, team):
    two_teams = make_user(db, org, teams=[team, make_team(db, org)])
    _as(client, db, two_teams)
    resp = client.get("/encounters/new")
    assert resp.status_code == 422 and "Choose the team you work with today first." in resp.text
    assert not db.exec(select(Person)).first()


def test_what_each_role_may_open(client, db, org, team, rest_area):
    desk = make_user(db, org, role="reception", teams=[rest_area])
    _as(client, db, desk)
    for url in ("/checkins", "/encounters/new", "/"):
        assert client.get(url).status_code == 200, url
    for url in ("/rounds", "/rounds/new", "/observations", "/observations/new", "/territories", "/admin/materials"):
        assert client.get(url).status_code == 403, url
    assert client.get("/reports", follow_redirects=True).status_code == 403
    coordinator = make_user(db, org, role="coordinator", teams=[team])
    _as(client, db, coordinator, team)
    for url in ("/territories/new", "/rounds/new", "/observations/new", "/checkins", "/reports"):
        assert client.get(url, follow_redirects=True).status_code == 200, url
    assert client.get("/admin/services").status_code == 403


def test_fragments_never_show_another_organisations_person(client, db, org, team, worker):
    stranger = make_person(db, make_org(db), "Stranger")
    _as(client, db, worker, team)
    assert client.get(f"/encounters/chip?person_id={stranger.id}").status_code == 404
    assert client.get(f"/checkins/confirm?person_id={stranger.id}").status_code == 404
    assert "Stranger" not in client.get(f"/encounters/new?person_id={stranger.id}").text
    assert "Stranger" not in client.get("/encounters/pick", params={"q": "stranger"}).text


def test_a_wrong_encounter_is_deleted_and_leaves_the_figures(client, db, org, team, worker):
    person = make_person(db, org)
    _as(client, db, worker, team)
    client.post("/encounters", data={"id": str(uuid.uuid4()), "person_ids": str(person.id)})
    encounter = db.exec(select(Encounter)).one()
    assert client.post(f"/encounters/{encounter.id}/delete", follow_redirects=False).status_code == 303
    assert client.get(f"/encounters/{encounter.id}").status_code == 404
    today = working_day(team).isoformat()
    assert 'data-figure="encounters">0<' in client.get(f"/reports/{team.id}/{today}").text


def test_a_need_typed_on_the_encounter_form_is_kept_on_error_and_created_with_it(client, db, org, team, worker):
    from app.models import Need, NeedCategory

    person = make_person(db, org, "Nadia", teams=[team])
    _as(client, db, worker, team)
    page = client.get(f"/encounters/new?person_id={person.id}")
    assert "Need / request" in page.text and 'name="need_category_ids"' in page.text
    assert '<details class="card need-part">' in page.text  # collapsed until used
    papers = db.exec(select(NeedCategory).where(NeedCategory.label == "ID papers")).one()
    data = {
        "id": _form_id(page.text),
        "person_ids": str(person.id),
        "note": "typed note",
        "need_description": "Carte d'identité volée",
        "need_due_on": "1800-01-01",
        "need_category_ids": str(papers.id),
    }
    resp = client.post("/encounters", data=data)
    assert resp.status_code == 422 and "Enter a valid date." in resp.text
    assert "Carte d&#39;identité volée" in resp.text and "typed note" in resp.text
    assert f'value="{papers.id}" checked' in resp.text and '<details class="card need-part" open>' in resp.text
    assert db.exec(select(Encounter)).first() is None
    resp = client.post("/encounters", data={**data, "need_due_on": "", "need_urgent": "true"}, follow_redirects=False)
    assert resp.status_code == 303
    home = client.get(resp.headers["location"])
    need = db.exec(select(Need)).one()
    assert f'href="/needs/{need.id}"' in home.text and "Need recorded: ID papers" in home.text
    assert "Nadia" in home.text.split("Urgent and overdue needs")[1]  # urgent: on the team's home
    person_page = client.get(f"/persons/{person.id}").text
    assert "Need: ID papers" in person_page and "Carte d&#39;identité volée" in person_page
    encounter = db.exec(select(Encounter)).one()
    assert f'<a href="/needs/{need.id}">ID papers</a> · To do' in client.get(f"/encounters/{encounter.id}").text
    day = working_day(team).isoformat()
    day_report = client.get(f"/reports/{team.id}/{day}").text
    assert "Needs recorded" in day_report and '<dd data-figure="needs_created">1</dd>' in day_report


def test_the_reception_role_sees_no_need_section(client, db, org, rest_area):
    reception = make_user(db, org, role="reception", teams=[rest_area])
    _as(client, db, reception, rest_area)
    page = client.get("/encounters/new")
    assert page.status_code == 200 and "Need / request" not in page.text


def test_the_rounds_list_answers_an_in_page_request_with_its_rounds(client, db, org, team, worker):
    make_round(db, org, team)
    _as(client, db, worker, team)
    r = client.get("/rounds", headers={"HX-Request": "true"})  # the list's "more" loads in place
    assert r.status_code == 200 and 'id="rounds"' in r.text and "<html" not in r.text
