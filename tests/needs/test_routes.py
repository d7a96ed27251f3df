"""Needs through HTTP: created from a person's page and seen there, completed from the team's list, bad input
answered with messages and the typed values, lists as htmx fragments, categories for admins."""

import re
from datetime import timedelta

from sqlmodel import select

from app.models import Need, NeedCategory
from app.needs import service
from tests.factories import make_need, make_org, make_person, make_user, sign_in


def _signed(client, db, user):
    user.lang = "en"
    db.add(user)
    db.commit()
    return sign_in(client, db, user)


def test_a_need_created_from_the_person_page_shows_there_and_is_completed_from_the_list(client, db, org, team, worker):
    person = make_person(db, org, "Mohamed", teams=[team])
    _signed(client, db, worker)
    client.post("/team", data={"team_id": str(team.id)})
    page = client.get(f"/persons/{person.id}")
    assert "Open needs" in page.text and "No open need." in page.text
    form = client.get(f"/needs/new?person_id={person.id}")
    assert form.status_code == 200 and f'name="person_ids" value="{person.id}" checked' in form.text
    client_id = re.search(r'name="id" value="([^"]+)"', form.text).group(1)
    category = db.exec(select(NeedCategory).where(NeedCategory.label == "ID papers")).one()
    data = {
        "id": client_id,
        "person_ids": str(person.id),
        "team_ids": str(team.id),
        "category_ids": str(category.id),
        "description": "Refaire la carte d'identité",
        "due_on": service.today().isoformat(),
        "back": f"/persons/{person.id}",
    }
    resp = client.post("/needs", data=data, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == f"/persons/{person.id}"
    assert client.post("/needs", data=data, follow_redirects=False).status_code == 303  # a double tap
    need = db.exec(select(Need)).one()
    page = client.get(f"/persons/{person.id}")
    assert "ID papers" in page.text and f'href="/needs/{need.id}"' in page.text
    assert "Need: ID papers" in page.text  # in the timeline too
    today = client.get("/needs?view=today")
    assert "ID papers" in today.text and "Mohamed" in today.text
    done = client.post(
        f"/needs/{need.id}/status",
        data={"status": "done", "version": need.version, "back": "/needs?view=today"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/needs?view=today"
    assert "No need in this list." in client.get("/needs?view=today").text
    assert "ID papers" in client.get("/needs?view=done").text
    assert "No open need." in client.get(f"/persons/{person.id}").text
    assert "Need done: ID papers" in client.get(f"/persons/{person.id}").text


def test_bad_input_keeps_what_was_typed(client, db, org, team, worker):
    person = make_person(db, org)
    _signed(client, db, worker)
    data = {"person_ids": str(person.id), "description": "typed text", "due_on": "not a date", "team_ids": str(team.id)}
    resp = client.post("/needs", data=data)
    assert resp.status_code == 422 and "Enter a valid date." in resp.text and "typed text" in resp.text
    resp = client.post("/needs", data={"description": "typed text", "team_ids": str(team.id)})
    assert resp.status_code == 422 and "Choose at least one person." in resp.text and "typed text" in resp.text
    assert db.exec(select(Need)).first() is None


def test_an_edit_on_an_old_version_is_told_and_keeps_the_typed_values(client, db, org, team, worker):
    person = make_person(db, org)
    need = make_need(db, org, person, team)
    _signed(client, db, worker)
    base = {"person_ids": str(person.id), "team_ids": str(team.id), "version": str(need.version)}
    assert (
        client.post(f"/needs/{need.id}", data={**base, "description": "first"}, follow_redirects=False).status_code
        == 303
    )
    second = client.post(f"/needs/{need.id}", data={**base, "description": "second edit"})
    assert second.status_code == 409 and "Someone else saved this need" in second.text and "second edit" in second.text


def test_lists_answer_htmx_with_the_results_block_only(client, db, org, team, worker):
    make_need(db, org, make_person(db, org, "Sékou"), team, due_on=service.today() - timedelta(days=1))
    _signed(client, db, worker)
    frag = client.get(f"/needs?view=overdue&team_id={team.id}", headers={"HX-Request": "true"})
    assert frag.status_code == 200 and "<html" not in frag.text and 'id="results"' in frag.text and "Sékou" in frag.text
    full = client.get(f"/needs?view=overdue&team_id={team.id}&category_id=nonsense")
    assert "<html" in full.text and "Some filters are not valid" in full.text
    assert client.get(f"/needs/week?team_id={team.id}").status_code == 200


def test_another_organisations_person_cannot_be_given_a_need(client, db, org, team, worker):
    other = make_person(db, make_org(db))
    _signed(client, db, worker)
    assert client.get(f"/needs/new?person_id={other.id}").status_code == 404
    resp = client.post("/needs", data={"person_ids": str(other.id), "team_ids": str(team.id)})
    assert resp.status_code == 422 and "Choose the persons in the list." in resp.text


def test_reception_sees_no_need_and_admins_edit_categories(client, db, org, team):
    reception = make_user(db, org, role="reception", teams=[team])
    _signed(client, db, reception)
    assert client.get("/needs").status_code == 403
    admin = make_user(db, org, role="admin", teams=[team])
    _signed(client, db, admin)
    page = client.get("/admin/need-categories")
    assert page.status_code == 200 and "Papers and rights" in page.text
    data = {"label": "Dog", "group_label": "", "position": "200"}
    assert client.post("/admin/need-categories", data=data, follow_redirects=False).status_code == 303
    dog = db.exec(select(NeedCategory).where(NeedCategory.label == "Dog")).one()
    client.post(f"/admin/need-categories/{dog.id}/archive")
    db.refresh(dog)
    assert dog.archived_at is not None
    assert client.get("/needs").status_code == 200
