"""The full export of an organisation's records (admins): written in the background, one CSV per table, texts
decrypted, health data only with health access, downloadable once by the admin who started it, audited."""

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from sqlmodel import select

from app.crypto import seal
from app.exports import service
from app.models import AuditEvent, OrgExport, utcnow
from tests.factories import (
    make_consultation,
    make_encounter,
    make_medical_file,
    make_note,
    make_org,
    make_person,
    make_team,
    make_user,
    sign_in,
)

EN = {"Accept-Language": "en"}


@pytest.fixture
def org(db):
    return make_org(db)


@pytest.fixture
def team(db, org):
    return make_team(db, org, name="Maraude Nord")


def _records(db, org, team):
    """A person with a note, an encounter whose health part is filled, a medical file and two consultations (one
    private to a nurse)."""
    person = make_person(db, org, "Sékou", teams=[team])
    make_note(db, org, person, body="Asked for a shower")
    encounter = make_encounter(db, org, team, persons=[person])
    seal(db, encounter, "health_care", "Dressing on the left foot")
    db.commit()
    make_medical_file(db, org, person, history="Hepatitis C")
    nurse = make_user(db, org, role="health", teams=[team])
    make_consultation(db, org, person, author=nurse, notes="Seen for the wound")
    make_consultation(db, org, person, author=nurse, private=True, notes="Private words of the nurse")
    return person


def _export(client) -> tuple[str, dict[str, list[dict]]]:
    """Start an export, follow it to its page, download it: (status page, {table: rows})."""
    started = client.post("/admin/export", headers=EN)
    assert started.status_code == 200, started.text
    export_url = str(started.url.path)
    assert "The file is ready" in started.text
    got = client.get(export_url + "/download")
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    tables = {}
    with zipfile.ZipFile(io.BytesIO(got.content)) as zf:
        for name in zf.namelist():
            text = zf.read(name).decode("utf-8")
            tables[name.removesuffix(".csv")] = list(csv.DictReader(io.StringIO(text)))
    return export_url, tables


def test_an_admin_without_health_access_gets_every_record_decrypted_but_no_health_data(client, db, org, team):
    person = _records(db, org, team)
    admin = make_user(db, org, role="admin", teams=[team])
    sign_in(client, db, admin)
    export_url, tables = _export(client)
    assert [p["alias"] for p in tables["persons"]] == ["Sékou"] and tables["persons"][0]["id"] == str(person.id)
    assert tables["person_notes"][0]["body"] == "Asked for a shower"  # decrypted
    assert len(tables["encounters"]) == 1 and len(tables["encounter_persons"]) == 1
    assert "health_care" not in tables["encounters"][0]
    for health_table in ("medical_files", "consultations", "treatments", "consultation_types"):
        assert health_table not in tables
    everything = repr(tables)
    assert "Hepatitis" not in everything and "wound" not in everything and "left foot" not in everything
    assert not any("password_hash" in row or "totp_secret" in row for row in tables["users"])
    # Audited: the start and the download; downloaded once, then the file is gone.
    actions = db.exec(select(AuditEvent.action).where(AuditEvent.user_id == admin.id)).all()
    assert "export.organisation" in actions and "export.organisation_downloaded" in actions
    export = db.exec(select(OrgExport).where(OrgExport.user_id == admin.id)).one()
    assert not export.health and export.status == "downloaded" and not service.path_of(export).exists()
    assert client.get(export_url + "/download").status_code == 404


def test_an_admin_with_health_access_also_gets_health_data_but_not_a_private_consultation(client, db, org, team):
    _records(db, org, team)
    admin = make_user(db, org, role="admin", teams=[team], health_access=True)
    sign_in(client, db, admin)
    _url, tables = _export(client)
    assert "Hepatitis C" in tables["medical_files"][0]["content"]
    assert len(tables["consultations"]) == 1 and "Seen for the wound" in tables["consultations"][0]["content"]
    assert tables["encounters"][0]["health_care"] == "Dressing on the left foot"
    assert "Private words" not in repr(tables)


def test_only_the_admin_who_started_it_reaches_the_export(client, db, org, team):
    _records(db, org, team)
    admin = make_user(db, org, role="admin", teams=[team])
    db.add(export := OrgExport(org_id=org.id, user_id=admin.id, status="ready", finished_at=utcnow()))
    db.commit()
    service.path_of(export).write_bytes(b"PK")
    other_org = make_org(db)
    for intruder in (make_user(db, org, role="admin"), make_user(db, other_org, role="admin")):
        sign_in(client, db, intruder)
        assert client.get(f"/admin/export/{export.id}").status_code == 404
        assert client.get(f"/admin/export/{export.id}/download").status_code == 404
    assert service.path_of(export).exists()
    sign_in(client, db, make_user(db, org, role="coordinator"))
    assert client.get("/admin/export").status_code == 403
    assert client.post("/admin/export").status_code == 403


def test_progress_page_polls_while_running_and_an_unfetched_file_expires(client, db, org, team):
    admin = make_user(db, org, role="admin", teams=[team])
    db.add(running := OrgExport(org_id=org.id, user_id=admin.id, total_rows=200, done_rows=50))
    db.commit()
    sign_in(client, db, admin)
    page = client.get(f"/admin/export/{running.id}", headers=EN)
    assert "50 of 200 rows" in page.text and 'hx-trigger="every 2s"' in page.text
    # Another export cannot start while this one is being written.
    assert "still being written" in client.post("/admin/export", headers=EN).text
    running.status, running.finished_at = "ready", utcnow() - timedelta(hours=3)
    db.commit()
    service.path_of(running).write_bytes(b"PK")
    listing = client.get("/admin/export", headers=EN)
    assert listing.status_code == 200 and "deleted, not downloaded" in listing.text
    assert not service.path_of(running).exists()
    assert "hx-trigger" not in client.get(f"/admin/export/{running.id}", headers=EN).text
