"""A person's rights and the organisation's retention period: the access log, the audit filtered by person, the
export of everything held (right of access), complete erasure (right to erasure) and the daily purge."""

import io
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, text
from sqlmodel import SQLModel, select
from typer.testing import CliRunner

import app.main  # noqa: F401  (every domain registers its tables)
from app.cli import app as cli
from app.config import get_settings
from app.models import AuditEvent, MedicalFile, Organisation, Person, PersonDocument, utcnow
from app.persons import merge, timeline
from app.privacy import service
from tests.factories import (
    make_consultation,
    make_document,
    make_exit,
    make_link,
    make_medical_file,
    make_note,
    make_org,
    make_person,
    make_place,
    make_team,
    make_treatment,
    make_user,
    sign_in,
)
from tests.persons.conftest import actor_for

EN = {"Accept-Language": "en"}


@pytest.fixture
def org(db):
    return make_org(db)


@pytest.fixture
def team(db, org):
    return make_team(db, org, name="Maraude Nord")


@pytest.fixture
def admin(db, org, team):
    return make_user(db, org, role="admin", teams=[team], lang="en", name="Admin Zoé")


def _full_person(db, org, team, alias="Sékou", **kw):
    """A person with something in every kind of linked record (the consultation on the day of the last contact)."""
    person = make_person(db, org, alias, teams=[team], description="Veste rouge", **kw)
    make_note(db, org, person, body="Asked for a shower")
    make_exit(db, org, person)
    make_link(db, org, person, make_person(db, org, "Karim"), relation="brother")
    make_place(db, org, person, name="Jardin d'Éole")
    make_document(db, org, person, b"%PDF-1.4 ordonnance", name="ordonnance.pdf")
    make_medical_file(db, org, person, history="Hepatitis C")
    make_consultation(db, org, person, at=person.last_contact_at, notes="Wound on the left foot")
    make_treatment(db, org, person, name="Amoxicillin")
    return person


def _exists(db, model, row_id) -> bool:
    """Asked of the database (the session may still hold the object of a row deleted by a bulk statement)."""
    return db.exec(select(func.count()).select_from(model).where(model.id == row_id)).one() == 1


def _rows_about(db, person_id) -> dict[str, int]:
    """How many rows of each table still point at this person (by any foreign key)."""
    counts = {}
    for table in SQLModel.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "persons":
                n = db.execute(select(func.count()).select_from(table).where(fk.parent == person_id)).scalar_one()
                if n:
                    counts[f"{table.name}.{fk.parent.name}"] = n
    return counts


# ---------------------------------------------------------------- who looked, and the audit by person
def test_the_details_page_shows_who_looked_at_the_file_to_health_roles_and_admins(client, db, org, team, admin):
    person = _full_person(db, org, team)
    nurse = make_user(db, org, role="health", teams=[team], name="Nurse Awa", lang="en")
    sign_in(client, db, nurse)
    client.post("/team", data={"team_id": str(team.id)})
    client.get(f"/persons/{person.id}/health")
    reads = client.get(f"/persons/{person.id}/details")
    assert "Who looked at this file recently" in reads.text and "Nurse Awa · Maraude Nord" in reads.text
    sign_in(client, db, admin)
    page = client.get(f"/persons/{person.id}/details", headers=EN)
    assert "<strong>Medical file viewed</strong><br>Nurse Awa · Maraude Nord" in page.text
    sign_in(client, db, make_user(db, org, role="worker", teams=[team]))
    assert "Who looked at this file" not in client.get(f"/persons/{person.id}/details").text


def test_admins_filter_the_audit_log_by_person_code(client, db, org, team, admin):
    person, other = make_person(db, org, "Sékou", teams=[team]), make_person(db, org, "Nadia", teams=[team])
    sign_in(client, db, admin)
    client.post(f"/persons/{person.id}/notes", data={"id": str(uuid.uuid4()), "body": "hello"})
    client.post(f"/persons/{other.id}/notes", data={"id": str(uuid.uuid4()), "body": "hello"})
    page = client.get("/admin/audit", params={"person": person.code.lower()})
    assert page.text.count("note.created") == 1 and f">{person.code[:3]}-{person.code[3:]}</a>" in page.text
    twin = make_person(db, org, "Sekou bis", teams=[team])
    merge.merge(db, actor_for(admin, team), person, twin, {})
    db.commit()
    merged = client.get("/admin/audit", params={"person": twin.code})  # the old code tells where the record went
    assert "person.merged_into" in merged.text and "note.created" not in merged.text
    unknown = client.get("/admin/audit", params={"person": "AAAAAA"}, headers=EN)
    assert "No person has this code in your organisation." in unknown.text and "note.created" not in unknown.text


# ---------------------------------------------------------------- right of access
def test_the_export_holds_everything_and_health_data_only_for_an_admin_with_health_access(client, db, org, team, admin):
    person = _full_person(db, org, team, phone="0612")
    sign_in(client, db, admin)
    page = client.get(f"/persons/{person.id}/export")
    assert page.status_code == 200
    for held in (
        "Veste rouge",
        "0612",
        "Asked for a shower",
        "brother",
        "Jardin d",
        "ordonnance.pdf",
        "Record created",
    ):
        assert held in page.text, held
    assert "Hepatitis C" not in page.text and "Wound on the left foot" not in page.text
    assert "included only when an admin with health access makes the export" in page.text
    archive = client.get(f"/persons/{person.id}/export.zip")
    assert archive.headers["content-disposition"] == f'attachment; filename="parcours-{person.code}.zip"'
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zf:
        assert zf.read("documents/01-ordonnance.pdf") == b"%PDF-1.4 ordonnance"  # decrypted
        assert "Asked for a shower" in zf.read("index.html").decode()
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "person.exported")).all()
    assert [e.details for e in events] == [{"format": "html", "health": False}, {"format": "zip", "health": False}]

    sign_in(client, db, make_user(db, org, role="admin", teams=[team], health_access=True))
    page = client.get(f"/persons/{person.id}/export")
    assert "Hepatitis C" in page.text and "Wound on the left foot" in page.text and "Amoxicillin" in page.text
    for role in ("coordinator", "worker", "health"):
        sign_in(client, db, make_user(db, org, role=role, teams=[team]))
        assert client.get(f"/persons/{person.id}/export").status_code == 403


# ---------------------------------------------------------------- right to erasure
def test_erasure_removes_every_row_and_file_about_the_person_and_is_audited(client, db, org, team, admin):
    person = _full_person(db, org, team)
    twin = _full_person(db, org, team, alias="Sekou bis")
    merge.merge(db, actor_for(admin, team), person, twin, {})  # the merged record goes with it
    db.commit()
    person_id, twin_id, code = person.id, twin.id, person.code
    files = [Path(get_settings().documents_dir) / d.storage_key for d in db.exec(select(PersonDocument)).all()]
    assert all(f.exists() for f in files) and _rows_about(db, person.id)
    bystander = make_person(db, org, "Karim B", teams=[team])
    sign_in(client, db, admin)
    page = client.get(f"/persons/{person_id}/erase")
    assert "Type the code" in page.text
    wrong = client.post(f"/persons/{person_id}/erase", data={"code": "AAAAAA"}, headers=EN)
    assert wrong.status_code == 422 and "Type the code shown above to confirm." in wrong.text
    done = client.post(f"/persons/{person_id}/erase", data={"code": code.lower()}, headers=EN)
    assert done.status_code == 200 and "no longer exists" in done.text
    assert _rows_about(db, person_id) == {} and _rows_about(db, twin_id) == {}
    assert not _exists(db, Person, person_id) and not _exists(db, Person, twin_id)
    assert _exists(db, Person, bystander.id)
    assert not any(f.exists() for f in files)  # removed once the transaction committed
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "person.erased")).one()
    assert event.user_id == admin.id and event.entity_id == str(person_id) and event.details["reason"] == "request"
    assert client.get(f"/persons/{person_id}").status_code == 404


def test_erasure_is_for_admins_only(client, db, org, team):
    person = make_person(db, org, teams=[team])
    for role in ("coordinator", "worker", "health"):
        sign_in(client, db, make_user(db, org, role=role, teams=[team]))
        assert client.get(f"/persons/{person.id}/erase").status_code == 403
        assert client.post(f"/persons/{person.id}/erase", data={"code": person.code}).status_code == 403
    assert db.get(Person, person.id) is not None


def test_every_table_pointing_at_persons_is_registered_for_merges_and_erasure():
    registered = {(m.__tablename__, c) for m, c in timeline.person_columns()}
    # rebuilt or merged by merge steps (register_merge_step), which check what a plain move cannot
    handled_by_steps = {
        ("person_teams", "person_id"),
        ("person_names", "person_id"),
        ("stays", "person_id"),
        ("need_persons", "person_id"),
        ("encounter_persons", "person_id"),
    }
    history = {("person_merges", "survivor_id"), ("person_merges", "merged_id"), ("persons", "merged_into_id")}
    # kept by the indicators from the records (app/indicators/rollup.py): a merge or an erasure marks both persons'
    # encounters and check-ins, and their rows are recomputed; an erased person's rows go with them (CASCADE)
    history.add(("indicator_person_activity", "person_id"))
    found = {
        (table.name, fk.parent.name)
        for table in SQLModel.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name == "persons"
    }
    assert found - registered - handled_by_steps - history == set(), "register these with register_person_column"


# ---------------------------------------------------------------- retention
def test_the_purge_erases_past_retention_and_deleted_records_after_their_grace_period(db, org, team, admin):
    now = utcnow()
    old = _full_person(db, org, team, alias="Old", last_contact_at=now - timedelta(days=2 * 365 + 10))
    recent = make_person(db, org, "Recent", last_contact_at=now - timedelta(days=2 * 365 - 10))
    in_care = make_person(db, org, "In care", last_contact_at=now - timedelta(days=3 * 365))
    make_consultation(db, org, in_care)  # a consultation done this week: a contact, seen by no other role
    gone = make_person(db, org, "Gone", deleted_at=now - timedelta(days=31))
    just_gone = make_person(db, org, "Just gone", deleted_at=now - timedelta(days=29))
    keep = make_person(db, org, "Keep")
    removed = make_document(db, org, keep)
    removed.deleted_at = now - timedelta(days=40)
    db.commit()
    removed_file = Path(get_settings().documents_dir) / removed.storage_key

    preview = service.purge(db, dry_run=True, org_id=org.id)[0]
    assert (preview.expired, preview.deleted, preview.removed_documents) == ([old.id], [gone.id], [removed.id])
    assert db.get(Person, old.id) is not None  # a dry run changes nothing

    service.purge(db, org_id=org.id)
    db.commit()
    assert [p.alias for p in db.exec(select(Person).where(Person.org_id == org.id).order_by(Person.alias))] == [
        "In care",
        "Just gone",
        "Karim",
        "Keep",
        "Recent",
    ]
    assert _rows_about(db, old.id) == {} and not _exists(db, PersonDocument, removed.id)
    assert not removed_file.exists()
    erased = db.exec(select(AuditEvent).where(AuditEvent.action == "person.erased")).all()
    assert {(e.entity_id, e.details["reason"]) for e in erased} == {
        (str(old.id), "retention"),
        (str(gone.id), "deleted"),
    }
    summary = db.exec(select(AuditEvent).where(AuditEvent.action == "retention.purged")).one()
    assert summary.details["expired"] == 1 and summary.details["deleted"] == 1 and summary.details["documents"] == 1
    assert all(_exists(db, Person, p.id) for p in (recent, in_care, just_gone))


def test_the_retention_period_is_the_organisations_and_the_command_reports(client, db, org, team, admin, monkeypatch):
    make_person(db, org, "Ten months", last_contact_at=utcnow() - timedelta(days=300))
    sign_in(client, db, admin)
    page = client.get("/admin/privacy")
    assert page.status_code == 200 and 'value="24"' in page.text
    assert "0 persons without contact for longer than the retention period" in page.text
    bad = client.post("/admin/privacy", data={"version": org.version, "retention_months": "2"}, headers=EN)
    assert bad.status_code == 422 and "Must be at least 6." in bad.text
    ok = client.post("/admin/privacy", data={"version": org.version, "retention_months": "6"}, follow_redirects=False)
    assert ok.status_code == 303 and db.get(Organisation, org.id).retention_months == 6
    assert "1 person without contact for longer than the retention period" in client.get("/admin/privacy").text
    stale = client.post("/admin/privacy", data={"version": "1", "retention_months": "12"}, headers=EN)
    assert stale.status_code == 409 and "Another admin changed this setting" in stale.text
    change = db.exec(select(AuditEvent).where(AuditEvent.action == "org.retention_changed")).one()
    assert change.details == {"from": 24, "to": 6}
    sign_in(client, db, make_user(db, org, role="coordinator", teams=[team]))
    assert client.get("/admin/privacy").status_code == 403

    # The daily command, on this test's database session.
    monkeypatch.setattr("app.db.get_engine", lambda: db.get_bind())
    result = CliRunner().invoke(cli, ["retention", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"{org.name}: would erase 1 person(s) without contact for 6 months" in result.output
    assert "Dry run: nothing was erased." in result.output
    assert db.exec(select(func.count()).select_from(Person).where(Person.org_id == org.id)).one() == 1


def test_a_merge_settles_two_medical_files_into_one(db, org, team, admin):
    keep, dup = make_person(db, org, "Fatou", teams=[team]), make_person(db, org, "Fatoumata", teams=[team])
    make_medical_file(db, org, keep, insurance="unknown", history="Asthma", products=["crack"])
    make_medical_file(db, org, dup, insurance="ame", history="Pregnant, 5 months", products=["alcohol"])
    make_consultation(db, org, dup)
    merge.merge(db, actor_for(admin, team), keep, dup, {})
    db.commit()
    files = db.exec(select(MedicalFile).where(MedicalFile.org_id == org.id)).all()
    assert len(files) == 1 and files[0].person_id == keep.id
    from app.crypto import unseal

    content = unseal(db, files[0], "content")
    assert "Asthma" in content and "Pregnant" in content and '"ame"' in content and "alcohol" in content
    assert db.execute(text("SELECT count(*) FROM consultations WHERE person_id = :p"), {"p": dup.id.hex}).scalar() in (
        0,
        None,
    )


def test_erasure_takes_the_encounters_and_needs_that_were_only_about_the_person(db, org, team):
    from app.models import Encounter, EncounterPerson, Need
    from tests.factories import make_encounter, make_need

    person, friend = make_person(db, org, "Sékou"), make_person(db, org, "Awa")
    alone = make_encounter(db, org, team, persons=[person])
    together = make_encounter(db, org, team, persons=[person, friend])
    own_need = make_need(db, org, person=person, team=team)
    friends_need = make_need(db, org, person=friend, team=team)
    service.erase(db, org.id, [person.id])
    db.commit()
    assert not _exists(db, Encounter, alone.id)  # its note could only be about the erased person
    assert _exists(db, Encounter, together.id)  # the friend's record stays, without the erased person
    assert db.exec(select(EncounterPerson.person_id).where(EncounterPerson.encounter_id == together.id)).all() == [
        friend.id
    ]
    assert not _exists(db, Need, own_need.id) and _exists(db, Need, friends_need.id)
