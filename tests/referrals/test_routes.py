"""Referrals through HTTP: the consent refusal keeps what was typed, a skipped step is answered with the steps
possible, the receiving side answers and links from its inbox, and the team's home counts what awaits it."""

import re

from sqlmodel import select

from app.models import IncomingReferral, Referral
from tests.factories import make_person, make_structure, make_user, sign_in


def _signed(client, db, user, team=None):
    user.lang = "en"
    db.add(user)
    db.commit()
    sign_in(client, db, user)
    if team is not None:
        client.post("/team", data={"team_id": str(team.id)})
    return client


def test_without_consent_nothing_is_sent_and_the_form_keeps_what_was_typed(
    client, db, org, team, worker, person, partner
):
    _signed(client, db, worker, team)
    form = client.get(f"/referrals/new?person_id={person.id}")
    assert form.status_code == 200 and "Rosa (Horizon)" in form.text and "⇄ Association Horizon" in form.text
    client_id = re.search(r'name="id" value="([^"]+)"', form.text).group(1)
    data = {
        "id": client_id,
        "person_id": str(person.id),
        "structure_id": str(partner.structure.id),
        "reason": "Needs to sleep",
        "shared": ["languages", "phone"],
        "send": "true",
    }
    resp = client.post("/referrals", data=data)
    assert resp.status_code == 422 and "without the person&#39;s consent" in resp.text
    assert "Needs to sleep" in resp.text and 'value="phone" checked' in resp.text
    assert db.exec(select(Referral)).first() is None
    resp = client.post(
        "/referrals", data={**data, "consent_given": "true", "consent_scope": "This referral"}, follow_redirects=False
    )
    assert resp.status_code == 303 and resp.headers["location"] == f"/referrals/{client_id}"
    page = client.get(f"/referrals/{client_id}")
    assert "Sent" in page.text and "This referral" in page.text and "Alias, Languages, Phone" in page.text


def test_a_status_that_skips_steps_is_refused_with_the_steps_possible(client, db, org, team, worker, person):
    structure = make_structure(db, org, "CAARUD", kind="caarud")
    _signed(client, db, worker, team)
    client.post("/referrals", data={"person_id": str(person.id), "structure_id": str(structure.id)})
    referral = db.exec(select(Referral)).one()
    resp = client.post(f"/referrals/{referral.id}/status", data={"status": "admitted", "version": referral.version})
    assert resp.status_code == 422
    assert "A referral “Proposed” cannot become “Admitted”. Next steps possible: “Sent”, “Cancelled”." in resp.text
    resp = client.post(f"/referrals/{referral.id}/status", data={"status": "flying"})
    assert resp.status_code == 422 and "Choose one of the options." in resp.text


def test_the_receiver_answers_links_a_record_and_the_sender_sees_the_answer(
    client, db, org, team, worker, person, partner
):
    _signed(client, db, worker, team)
    data = {
        "person_id": str(person.id),
        "structure_id": str(partner.structure.id),
        "consent_given": "true",
        "send": "true",
    }
    client.post("/referrals", data=data)
    referral = db.exec(select(Referral)).one()
    make_person(db, partner.org, "Sekou")  # a look-alike in the receiving organisation

    _signed(client, db, partner.user, partner.team)
    home = client.get("/")
    assert "1 incoming referral to answer" in home.text
    inbox = client.get("/referrals/inbox?status=new")
    incoming = db.exec(select(IncomingReferral)).one()
    assert f"/referrals/inbox/{incoming.id}" in inbox.text and "Sékou" in inbox.text
    resp = client.post(f"/referrals/inbox/{incoming.id}/status", data={"status": "accepted"}, follow_redirects=False)
    assert resp.status_code == 303
    guard = client.post(f"/referrals/inbox/{incoming.id}/link", data={"create": "true"})
    assert guard.status_code == 200 and "Already known?" in guard.text and "Sekou" in guard.text
    client.post(f"/referrals/inbox/{incoming.id}/link", data={"create": "true", "confirm": "true"})
    db.refresh(incoming)
    assert incoming.person_id is not None and incoming.person_id != person.id
    own_page = client.get(f"/persons/{incoming.person_id}")
    assert "Referral from" in own_page.text and "Accepted" in own_page.text

    _signed(client, db, worker, team)
    page = client.get(f"/referrals/{referral.id}")
    assert "Accepted" in page.text and "Association Horizon · Espace de repos Rosa" in page.text
    person_page = client.get(f"/persons/{person.id}")
    assert "Referrals in progress" in person_page.text and "Rosa (Horizon)" in person_page.text


def test_reception_reads_the_directory_but_no_referral(client, db, org, team, person):
    reception = make_user(db, org, role="reception", teams=[team])
    _signed(client, db, reception)
    assert client.get("/structures").status_code == 200
    assert client.get("/referrals").status_code == 403
    assert client.get("/referrals/inbox").status_code == 403
