"""Encryption at rest, seen from outside: a dump of every table holds none of the texts in clear; a damaged value
reads as such (audited), never as a crash; a wrong master key is refused at start."""

import html
import re
import uuid

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel, select

import app.main  # noqa: F401  (every domain registers its tables)
from app import crypto
from app.crypto import CryptoConfigError, MasterKey, check_master_key
from app.models import AuditEvent, PersonNote
from tests.factories import make_org, make_person, make_team, make_user, sign_in

SECRETS = [
    "Dort sous le pont Riquet",  # a note
    "Veste rouge, chien noir",  # the description
    "Crises d'epilepsie",  # the alert's reason
    "06 12 34 56 78",  # the phone
    "Ordonnance-Sekou",  # a document's name
    "Plaie infectee au pied",  # consultation notes
    "Hepatite C en 2024",  # medical history
    "Buprenorphine",  # a treatment
    "Demande de suppression par la personne",  # a deletion reason
]


def _dump(db) -> str:
    """Every row of every table, as text: what a stolen database dump shows."""
    out = []
    for table in SQLModel.metadata.sorted_tables:
        for row in db.execute(text(f'SELECT * FROM "{table.name}"')):  # noqa: S608 (table names from the metadata)
            out.append(" | ".join(str(v) for v in row))
    return "\n".join(out)


def test_a_database_dump_holds_none_of_the_texts_in_clear(client, db):
    org = make_org(db)
    team = make_team(db, org)
    nurse = make_user(db, org, role="health", teams=[team])
    admin = make_user(db, org, role="admin", teams=[team])
    person = make_person(db, org, "Sékou", teams=[team])
    sign_in(client, db, nurse)
    client.post(f"/persons/{person.id}/notes", data={"id": str(uuid.uuid4()), "body": SECRETS[0]})
    edit = {"version": person.version, "alias": "Sékou", "description": SECRETS[1], "alert": "true"}
    client.post(f"/persons/{person.id}", data={**edit, "alert_reason": SECRETS[2], "phone": SECRETS[3]})
    client.post(
        f"/persons/{person.id}/documents",
        files={"file": (f"{SECRETS[4]}.pdf", b"%PDF-1.4 " + SECRETS[4].encode(), "application/pdf")},
    )
    form = client.get(f"/persons/{person.id}/consultations/new").text
    kind = re.search(r'<option value="([^"]+)"', form).group(1)
    at = re.search(r'name="at" type="datetime-local" value="([^"]+)"', form).group(1)
    client.post(
        f"/persons/{person.id}/consultations",
        data={"id": str(uuid.uuid4()), "type_id": kind, "status": "done", "at": at, "notes": SECRETS[5]},
    )
    client.post(f"/persons/{person.id}/health", data={"history": SECRETS[6]})
    client.post(f"/persons/{person.id}/treatments", data={"id": str(uuid.uuid4()), "name": SECRETS[7]})
    page = html.unescape(client.get(f"/persons/{person.id}").text)
    assert SECRETS[0] in page and SECRETS[2] in page  # readable in the app...
    sign_in(client, db, admin)
    client.post(f"/persons/{person.id}/delete", data={"reason": SECRETS[8]})
    dump = _dump(db)
    assert "Sékou" in dump  # ...aliases stay searchable, by design
    assert [s for s in SECRETS if s in dump] == []  # ...but none of the texts is in the dump
    assert "enc1:" in dump


def test_a_damaged_note_reads_as_unreadable_is_audited_and_the_page_still_works(client, db):
    org = make_org(db)
    team = make_team(db, org)
    worker = make_user(db, org, role="worker", teams=[team], lang="en")
    person = make_person(db, org, "Loïc", teams=[team], description="Blue coat")
    note = PersonNote(org_id=org.id, person_id=person.id)
    crypto.seal(db, note, "body", "Good note")
    db.add(note)
    bad = PersonNote(org_id=org.id, person_id=person.id, body=note.body)  # a ciphertext moved to another row
    db.add(bad)
    person.description = person.description[:-6] + "AAAAAA"  # damaged in place
    db.commit()
    sign_in(client, db, worker)
    page = client.get(f"/persons/{person.id}")
    assert page.status_code == 200 and "Good note" in page.text
    assert page.text.count("This text cannot be read") == 1
    details = client.get(f"/persons/{person.id}/details")
    assert details.status_code == 200 and "This text cannot be read" in details.text
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "crypto.unreadable")).all()
    assert {(e.entity_type, e.entity_id) for e in events} == {
        ("person_notes", str(bad.id)),
        ("persons", str(person.id)),
    }
    # Editing the record keeps the damaged description unless something new is typed in its place.
    form = client.get(f"/persons/{person.id}/edit")
    assert "This text cannot be read" not in form.text
    damaged = person.description
    client.post(f"/persons/{person.id}", data={"version": person.version, "alias": "Loïc B"})
    db.refresh(person)
    assert person.alias == "Loïc B" and person.description == damaged


def test_a_master_key_that_is_not_the_databases_is_refused(db, monkeypatch):
    org = make_org(db)
    crypto.encrypt(db, org.id, "x", "ctx")  # the organisation now has a key wrapped by the configured master key
    check_master_key(db)
    monkeypatch.setattr(crypto, "master_key", lambda: MasterKey(b"w" * 32))
    with pytest.raises(CryptoConfigError, match="is not the one this database's organisation keys are wrapped with"):
        check_master_key(db)


def test_after_an_organisation_key_rotation_reencrypt_moves_texts_and_files_and_skips_damaged_values(db):
    from app.persons.documents import decrypted, reencrypt_files
    from tests.factories import make_document, make_note

    org = make_org(db)
    person = make_person(db, org, description="Red jacket")
    note = make_note(db, org, person, body="Before the rotation")
    damaged = make_note(db, org, person, body="lost")
    damaged.body = damaged.body[:-6] + "AAAAAA"
    doc = make_document(db, org, person, b"%PDF-1.4 before")
    old_key = crypto.key_id_of(note.body)
    new_key = crypto.new_org_key(db, org.id).id
    assert crypto.reencrypt_all(db) >= 2  # the note and the description at least; the damaged note is left as is
    assert reencrypt_files(db) == 1
    assert crypto.key_id_of(note.body) == crypto.key_id_of(person.description) == new_key != old_key
    assert crypto.unseal(db, note, "body") == "Before the rotation"
    assert b"".join(decrypted(db, doc)) == b"%PDF-1.4 before"
    assert crypto.key_id_of(damaged.body) == old_key
