"""Documents: stored encrypted outside the database, typed by their content, size-limited, streamed only to users
who may see the person."""

import io
from pathlib import Path

from sqlmodel import select

from app.config import get_settings
from app.crypto import unseal
from app.models import AuditEvent, PersonDocument
from tests.factories import make_document, make_org, make_person, make_user, sign_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100


def _upload(client, person, content, name="photo.png", folder="", **extra):
    return client.post(
        f"/persons/{person.id}/documents",
        files={"file": (name, io.BytesIO(content), "image/png")},
        data={"folder": folder, **extra},
        headers={"Accept-Language": "en"},
        follow_redirects=False,
    )


def test_a_photo_is_stored_encrypted_outside_the_database_listed_and_streamed_back(client, db, org, team, worker):
    person = make_person(db, org, "Fatou", teams=[team])
    sign_in(client, db, worker)
    photo = JPEG + b"carte vitale de Fatou" * 5000  # several 64 KiB chunks
    resp = _upload(client, person, photo, name="../../carte vitale.jpg", folder="Papiers")
    assert resp.status_code == 303
    doc = db.exec(select(PersonDocument)).one()
    assert doc.storage_key.startswith(str(org.id)) and doc.storage_key.endswith(".enc")
    assert unseal(db, doc, "name") == "carte vitale.jpg" and unseal(db, doc, "folder") == "Papiers"
    assert "carte" not in doc.name and "Papiers" not in (doc.folder or "")  # encrypted in the database
    on_disk = (Path(get_settings().documents_dir) / doc.storage_key).read_bytes()
    assert b"carte vitale" not in on_disk and JPEG[:4] not in on_disk[:64]  # and on disk
    page = client.get(f"/persons/{person.id}/documents")
    assert "carte vitale.jpg" in page.text and "Papiers" in page.text
    file = client.get(f"/persons/{person.id}/documents/{doc.id}")
    assert file.status_code == 200 and file.content == photo and file.headers["content-type"] == "image/jpeg"
    assert "sandbox" in file.headers["content-security-policy"]
    assert "carte%20vitale.jpg" in file.headers["content-disposition"]
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "document.opened")).one().user_id == worker.id


def test_a_damaged_or_swapped_file_is_a_clear_message_and_audited(client, db, org, team, worker):
    person = make_person(db, org, teams=[team])
    first, second = make_document(db, org, person, b"%PDF-1.4 first"), make_document(db, org, person, b"%PDF-1.4 two")
    root = Path(get_settings().documents_dir)
    (root / first.storage_key).write_bytes((root / second.storage_key).read_bytes())  # another document's file
    sign_in(client, db, worker)
    resp = client.get(f"/persons/{person.id}/documents/{first.id}", headers={"Accept-Language": "en"})
    assert resp.status_code == 422 and "This file cannot be read" in resp.text
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "crypto.unreadable")).one()
    assert event.entity_id == str(first.id) and event.user_id == worker.id
    assert client.get(f"/persons/{person.id}/documents/{second.id}").content == b"%PDF-1.4 two"


def test_the_same_upload_sent_twice_is_kept_once(client, db, org, team, worker):
    person = make_person(db, org, teams=[team])
    sign_in(client, db, worker)
    doc_id = "6f1f0c2e-5d1e-4b7a-9c0d-3a3d8f0f9a11"
    assert _upload(client, person, PNG, id=doc_id).status_code == 303
    assert _upload(client, person, PNG, id=doc_id).status_code == 303
    assert len(db.exec(PersonDocument.__table__.select()).all()) == 1  # type: ignore[attr-defined]


def test_wrong_type_and_too_big_files_get_a_clear_message(client, db, org, team, worker, monkeypatch):
    person = make_person(db, org, teams=[team])
    sign_in(client, db, worker)
    resp = _upload(client, person, b"<html><script>alert(1)</script></html>", name="x.png")
    assert resp.status_code == 422 and "This type of file is not accepted" in resp.text
    monkeypatch.setattr(get_settings(), "documents_max_mb", 1)
    resp = _upload(client, person, PNG + b"\x00" * (1024 * 1024))
    assert resp.status_code == 422 and "larger than 1 MB" in resp.text
    resp = _upload(client, person, b"")
    assert resp.status_code == 422 and "Choose a file or take a photo." in resp.text
    assert db.exec(PersonDocument.__table__.select()).first() is None  # type: ignore[attr-defined]


def test_documents_are_not_for_reception_nor_other_organisations(client, db, org, team):
    person = make_person(db, org, teams=[team])
    doc = make_document(db, org, person)
    sign_in(client, db, make_user(db, org, role="reception", teams=[team]))
    assert client.get(f"/persons/{person.id}/documents/{doc.id}").status_code == 403
    other = make_org(db)
    sign_in(client, db, make_user(db, other, role="admin"))
    assert client.get(f"/persons/{person.id}/documents/{doc.id}").status_code == 404


def test_a_removed_document_is_no_longer_served(client, db, org, team, worker):
    person = make_person(db, org, teams=[team])
    doc = make_document(db, org, person)
    sign_in(client, db, worker)
    assert client.post(f"/persons/{person.id}/documents/{doc.id}/delete", follow_redirects=False).status_code == 303
    assert client.get(f"/persons/{person.id}/documents/{doc.id}").status_code == 404
