"""Health pages through HTTP: the medical file, consultations and treatments, for health roles only."""

import re
import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from app.crypto import unseal
from app.models import AuditEvent, Consultation, CustomField, MedicalFile, Treatment, User, utcnow
from app.web import TZ
from tests.factories import (
    make_consultation,
    make_consultation_type,
    make_medical_file,
    make_org,
    make_person,
    make_team,
    make_treatment,
    make_user,
    sign_in,
)


@pytest.fixture
def org(db):
    return make_org(db)


@pytest.fixture
def team(db, org):
    return make_team(db, org, name="Maraude Nord")


@pytest.fixture
def nurse(db, org, team):
    return make_user(db, org, role="health", teams=[team], lang="en", name="Nurse Awa")


@pytest.fixture
def person(db, org, team):
    return make_person(db, org, "Sékou", teams=[team])


def _id(html: str) -> str:
    return re.search(r'name="id" value="([^"]+)"', html).group(1)


def _now_local() -> str:
    return utcnow().astimezone(TZ).strftime("%Y-%m-%dT%H:%M")


def test_a_nurse_fills_the_medical_file_which_is_stored_encrypted(client, db, org, nurse, person):
    sign_in(client, db, nurse)
    assert "/health" in client.get(f"/persons/{person.id}").text  # the Health tab
    form = client.get(f"/persons/{person.id}/health/edit")
    assert form.status_code == 200 and "Health insurance" in form.text
    data = {
        "insurance": "ame",
        "insurance_details": "AME ends in March",
        "care_structures": "CSAPA Aubervilliers",
        "products": ["crack", "alcohol"],
        "routes": ["smoked"],
        "history": "Hepatitis C treated in 2024",
    }
    assert client.post(f"/persons/{person.id}/health", data=data, follow_redirects=False).status_code == 303
    page = client.get(f"/persons/{person.id}/health")
    for shown in ("State medical aid (AME) · AME ends in March", "CSAPA Aubervilliers", "Crack, freebase, Alcohol"):
        assert shown in page.text
    row = db.exec(select(MedicalFile)).one()
    assert "Hepatitis" not in row.content and "Hepatitis C treated in 2024" in unseal(db, row, "content")
    views = db.exec(select(AuditEvent).where(AuditEvent.action == "health.file_viewed")).all()
    assert [(e.user_id, e.entity_id) for e in views] == [(nurse.id, str(person.id))]


def test_medical_file_bad_input_and_a_stale_edit(client, db, org, nurse, person):
    sign_in(client, db, nurse)
    bad = client.post(f"/persons/{person.id}/health", data={"insurance": "gold", "history": "kept text"})
    assert bad.status_code == 422 and "Choose one of the options." in bad.text and "kept text" in bad.text
    client.post(f"/persons/{person.id}/health", data={"history": "first"})
    mf = db.exec(select(MedicalFile)).one()
    client.post(f"/persons/{person.id}/health", data={"version": mf.version, "history": "second"})
    stale = client.post(f"/persons/{person.id}/health", data={"version": mf.version - 1, "history": "mine"})
    assert stale.status_code == 409 and "Someone else saved this" in stale.text and "mine" in stale.text
    db.refresh(mf)
    assert '"second"' in unseal(db, mf, "content")


def test_a_consultation_is_recorded_once_shown_and_every_view_audited(client, db, org, nurse, person):
    sign_in(client, db, nurse)
    form = client.get(f"/persons/{person.id}/consultations/new")
    assert "Nurse" in form.text and "Psychiatrist" in form.text  # the default types
    nurse_type = re.search(r'<option value="([^"]+)"[^>]*>Nurse</option>', form.text).group(1)
    data = {
        "id": _id(form.text),
        "type_id": nurse_type,
        "status": "done",
        "at": _now_local(),
        "care": ["wound", "burn"],
        "temperature": "37,8",
        "heart_rate": "92",
        "notes": "Burn on the right hand, dressing to change in two days",
    }
    first = client.post(f"/persons/{person.id}/consultations", data=data, follow_redirects=False)
    again = client.post(f"/persons/{person.id}/consultations", data=data, follow_redirects=False)  # a double tap
    assert first.status_code == again.status_code == 303 and first.headers["location"] == again.headers["location"]
    c = db.exec(select(Consultation)).one()
    assert "Burn" not in c.content and c.status == "done" and c.author_id == nurse.id
    page = client.get(first.headers["location"])
    for shown in ("Wound care", "Burn care", "37.8", "92", "Burn on the right hand", "Nurse Awa"):
        assert shown in page.text
    assert "Consultation: Nurse, done" in client.get(f"/persons/{person.id}").text  # on the nurse's timeline
    viewed = db.exec(select(AuditEvent).where(AuditEvent.action == "health.consultation_viewed")).one()
    assert viewed.user_id == nurse.id and viewed.entity_id == str(person.id)
    assert viewed.details == {"consultation_id": str(c.id)}


def test_consultation_bad_input_keeps_what_was_typed(client, db, org, nurse, person):
    sign_in(client, db, nurse)
    kind = make_consultation_type(db, org, "Doctor")
    base = {"id": str(uuid.uuid4()), "type_id": str(kind.id), "status": "done", "notes": "kept notes"}
    cases = [
        ({"at": "2999-01-01T10:00"}, "A consultation cannot be done in the future"),
        ({"at": _now_local(), "temperature": "52"}, "Must be at most 44."),
        ({"at": _now_local(), "heart_rate": "fast"}, "Enter a whole number."),
        ({"at": "yesterday"}, "Enter a valid date."),
        ({"at": _now_local(), "type_id": str(make_consultation_type(db, make_org(db)).id)}, "Choose one of the"),
        ({"at": _now_local(), "care": ["massage"]}, "Choose one of the options."),
    ]
    for extra, message in cases:
        resp = client.post(f"/persons/{person.id}/consultations", data={**base, **extra})
        assert resp.status_code == 422 and message in resp.text, extra
        assert "kept notes" in resp.text
    next_week = (utcnow() + timedelta(days=7)).astimezone(TZ).strftime("%Y-%m-%dT%H:%M")
    planned = {**base, "status": "planned", "at": next_week}
    assert client.post(f"/persons/{person.id}/consultations", data=planned, follow_redirects=False).status_code == 303


def test_a_private_consultation_is_seen_by_its_author_only(client, db, org, team, nurse, person):
    other_nurse = make_user(db, org, role="health", teams=[team])
    mine = make_consultation(db, org, person, author=nurse, private=True, notes="Personal note of the nurse")
    sign_in(client, db, other_nurse)
    assert client.get(f"/persons/{person.id}/consultations/{mine.id}").status_code == 404
    assert "Personal note" not in client.get(f"/persons/{person.id}/health").text
    assert "Consultation:" not in client.get(f"/persons/{person.id}").text
    sign_in(client, db, nurse)
    assert "Personal note of the nurse" in client.get(f"/persons/{person.id}/consultations/{mine.id}").text
    assert "Private" in client.get(f"/persons/{person.id}/health").text


def test_editing_a_consultation_needs_the_version_it_was_based_on(client, db, org, nurse, person):
    c = make_consultation(db, org, person, author=nurse)
    sign_in(client, db, nurse)
    edit = client.get(f"/persons/{person.id}/consultations/{c.id}/edit")
    assert "Dressing on the left foot" in edit.text
    data = {"version": str(c.version), "type_id": str(c.type_id), "status": "done", "at": _now_local()}
    ok = client.post(f"/persons/{person.id}/consultations/{c.id}", data={**data, "notes": "v2"}, follow_redirects=False)
    assert ok.status_code == 303
    stale = client.post(f"/persons/{person.id}/consultations/{c.id}", data={**data, "notes": "my version"})
    assert stale.status_code == 409 and "my version" in stale.text
    deleted = client.post(f"/persons/{person.id}/consultations/{c.id}/delete", follow_redirects=False)
    assert deleted.status_code == 303 and client.get(f"/persons/{person.id}/consultations/{c.id}").status_code == 404


def test_treatments(client, db, org, nurse, person):
    sign_in(client, db, nurse)
    form = client.get(f"/persons/{person.id}/treatments/new")
    data = {
        "id": _id(form.text),
        "name": "Methadone",
        "dosage": "60 mg",
        "frequency": "daily",
        "start_on": "2026-01-05",
    }
    bad = client.post(f"/persons/{person.id}/treatments", data={**data, "end_on": "2025-12-01"})
    assert (
        bad.status_code == 422 and "The end date comes before the start date." in bad.text and "Methadone" in bad.text
    )
    assert client.post(f"/persons/{person.id}/treatments", data=data, follow_redirects=False).status_code == 303
    t = db.exec(select(Treatment)).one()
    assert "Methadone" not in t.content
    page = client.get(f"/persons/{person.id}/health")
    assert "Methadone" in page.text and "60 mg · daily" in page.text and "from 05/01/2026" in page.text
    assert "Treatment started: Methadone" in client.get(f"/persons/{person.id}").text


def test_other_roles_get_nothing_and_an_admin_needs_health_access_from_another_admin(client, db, org, team, person):
    make_medical_file(db, org, person)
    c = make_consultation(db, org, person)
    t = make_treatment(db, org, person)
    paths = [
        f"/persons/{person.id}/health",
        f"/persons/{person.id}/health/edit",
        f"/persons/{person.id}/consultations/new",
        f"/persons/{person.id}/consultations/{c.id}",
        f"/persons/{person.id}/treatments/{t.id}/edit",
    ]
    for role in ("admin", "coordinator", "worker", "reception"):
        sign_in(client, db, make_user(db, org, role=role, teams=[team]))
        assert [client.get(p).status_code for p in paths] == [403] * len(paths), role
        assert client.post(f"/persons/{person.id}/health", data={"history": "x"}).status_code == 403
        assert f"/persons/{person.id}/health" not in client.get(f"/persons/{person.id}").text

    admin, other_admin = make_user(db, org, role="admin", teams=[team]), make_user(db, org, role="admin", teams=[team])
    sign_in(client, db, admin)
    own = {"version": admin.version, "name": admin.name, "email": admin.email, "role": "admin", "health_access": "true"}
    refused = client.post(f"/admin/users/{admin.id}", data=own, headers={"Accept-Language": "en"})
    assert refused.status_code == 422 and "Another admin must change your own health access." in refused.text
    sign_in(client, db, other_admin)
    granted = client.post(f"/admin/users/{admin.id}", data=own, follow_redirects=False)
    assert granted.status_code == 303
    assert db.get(User, admin.id).health_access
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "user.health_access_granted")).one()
    assert event.user_id == other_admin.id and event.entity_id == str(admin.id)
    sign_in(client, db, admin)
    assert [client.get(p).status_code for p in paths] == [200] * len(paths)


def test_medical_fields_live_in_the_medical_file_only(client, db, org, team, nurse, person):
    admin = make_user(db, org, role="admin", teams=[team])
    sign_in(client, db, admin)
    new = client.get("/admin/person-fields/new?scope=medical")
    assert 'name="scope" value="medical"' in new.text and "Use in indicators" not in new.text
    data = {"id": _id(new.text), "scope": "medical", "label": "HIV status", "kind": "choice", "options": "negative\n+"}
    resp = client.post("/admin/person-fields", data=data, follow_redirects=False)
    assert resp.status_code == 303, resp.text
    assert resp.headers["location"] == "/admin/health"
    field = db.exec(select(CustomField)).one()
    assert field.scope == "medical" and "HIV status" in client.get("/admin/health").text
    assert "HIV status" not in client.get("/admin/person-fields").text
    assert "HIV status" not in client.get(f"/persons/{person.id}/edit").text
    sign_in(client, db, nurse)
    assert "HIV status" in client.get(f"/persons/{person.id}/health/edit").text
    client.post(f"/persons/{person.id}/health", data={f"cf_{field.id}": "negative"})
    assert "HIV status" in client.get(f"/persons/{person.id}/health").text
    assert "HIV status" not in client.get(f"/persons/{person.id}/details").text
    assert "negative" in unseal(db, db.exec(select(MedicalFile)).one(), "content")


def test_consultation_types_are_the_organisations(client, db, org, team):
    sign_in(client, db, make_user(db, org, role="admin", teams=[team], lang="en"))
    page = client.get("/admin/health")
    assert all(t in page.text for t in ("Nurse", "Doctor", "Psychologist", "Psychiatrist"))
    form_id = _id(page.text)
    for _twice in range(2):
        data = {"id": form_id, "label": "Midwife", "position": "50"}
        resp = client.post("/admin/consultation-types", data=data, follow_redirects=False)
        assert resp.status_code == 303
    assert client.get("/admin/health").text.count('value="Midwife"') == 1
    assert client.post("/admin/consultation-types", data={"label": ""}).status_code == 422


def test_damaged_health_data_reads_as_unreadable_never_a_crash(client, db, org, nurse, person):
    mf = make_medical_file(db, org, person)
    c = make_consultation(db, org, person, author=nurse)
    mf.content = c.content  # a ciphertext moved from another record does not decrypt
    c.content = c.content[:-8] + "AAAAAAAA"
    db.commit()
    sign_in(client, db, nurse)
    page = client.get(f"/persons/{person.id}/health")
    assert page.status_code == 200 and "This medical file cannot be read" in page.text
    view = client.get(f"/persons/{person.id}/consultations/{c.id}")
    assert view.status_code == 200 and "This consultation cannot be read" in view.text
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "crypto.unreadable")).all()
    assert {e.entity_type for e in events} == {"medical_files", "consultations"}
