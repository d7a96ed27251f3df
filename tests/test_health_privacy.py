"""No page, timeline, search, export, audit view or API response ever returns health data to a role that may not see
it. Every GET route of the app is visited, as each role without health access, with the ids of a person who has a
medical file, consultations (one of them private) and a treatment, all holding marker strings: no marker may appear
anywhere, not even inside a downloaded archive. The same walk as a nurse finds every marker, so the markers are real.

A route added later with a new path parameter needs an entry in tests/test_isolation.py ID_FACTORIES (or below)."""

import io
import zipfile

import pytest

from app.models import CustomField
from tests.factories import (
    make_consultation,
    make_medical_file,
    make_org,
    make_person,
    make_team,
    make_treatment,
    make_user,
    sign_in,
)
from tests.test_isolation import ID_FACTORIES, endpoints

MARKERS = {
    "file": "HMK-FILE-history",
    "insurance": "HMK-FILE-insurance",
    "custom": "HMK-FILE-custom",
    "consultation": "HMK-CONSULT-notes",
    "care": "HMK-CONSULT-care",
    "private": "HMK-PRIVATE-notes",
    "treatment": "HMK-TREAT-name",
    "dosage": "HMK-TREAT-dosage",
}
NON_HEALTH_ROLES = ("admin", "coordinator", "worker", "reception", "steering")


@pytest.fixture
def world(db):
    org = make_org(db)
    team = make_team(db, org)
    nurse = make_user(db, org, role="health", teams=[team])
    person = make_person(db, org, "Sékou", teams=[team], description="plain description")
    field = CustomField(org_id=org.id, label="Hepatitis C", kind="text", scope="medical")
    db.add(field)
    db.commit()
    make_medical_file(
        db,
        org,
        person,
        insurance="ame",
        insurance_details=MARKERS["insurance"],
        history=MARKERS["file"],
        custom={str(field.id): MARKERS["custom"]},
    )
    consultation = make_consultation(
        db, org, person, author=nurse, notes=MARKERS["consultation"], care=["wound"], care_other=MARKERS["care"]
    )
    private = make_consultation(db, org, person, author=nurse, private=True, notes=MARKERS["private"])
    treatment = make_treatment(db, org, person, name=MARKERS["treatment"], dosage=MARKERS["dosage"])
    return {"org": org, "team": team, "nurse": nurse, "person": person, "c": consultation, "t": treatment, "p": private}


def _urls(db, app, world) -> list[str]:
    person = world["person"]
    ids = {
        "person_id": person.id,
        "other_id": make_person(db, world["org"]).id,
        "consultation_id": world["c"].id,
        "treatment_id": world["t"].id,
        "code": person.code,
        "token": "not-a-token",
        "path": "app.css",
        "fmt": "csv",  # the exports (export.{fmt}) as text, where a marker would show
    }
    urls = []
    for route in endpoints(app):
        if "GET" not in route.methods:
            continue
        path = route.path
        for name in route.param_convertors:
            value = ids[name] if name in ids else ID_FACTORIES[name](db, world["org"])
            path = path.replace("{" + name + "}", str(value))
        urls.append(path)
    code = person.code
    return urls + [
        f"/persons/{person.id}/consultations/{world['p'].id}",
        f"/persons/{person.id}/consultations/{world['p'].id}/edit",
        f"/persons?q={code}",
        "/persons?q=sekou&status=all",
        "/persons/pick?q=sekou",
        "/persons/duplicates?alias=Sekou",
        f"/admin/audit?person={code}",
        "/admin/audit?action=health.",
    ]


def _texts(resp) -> list[str]:
    """The response as text; a .zip is opened and each file read."""
    if resp.headers.get("content-type", "").startswith("application/zip"):
        with zipfile.ZipFile(io.BytesIO(resp.content)) as zf:
            return [zf.read(n).decode("utf-8", "replace") for n in zf.namelist()]
    return [resp.content.decode("utf-8", "replace")]


def _walk(client, db, user, urls) -> tuple[set[str], list[str]]:
    """(markers seen, pages that crashed) over every url, as `user`."""
    sign_in(client, db, user)
    seen, crashed = set(), []
    for url in urls:
        resp = client.get(url)
        if resp.status_code >= 500:
            crashed.append(url)
        for text in _texts(resp):
            seen |= {name for name, marker in MARKERS.items() if marker in text}
    return seen, crashed


def test_no_route_returns_health_data_to_a_role_without_health_access(client, db, app, world):
    urls = _urls(db, app, world)
    assert len(urls) > 40
    # The nurse opens the file and a consultation, an admin with health access exports: the audit log and the
    # access log now hold health reads, which the others' pages list without their content.
    sign_in(client, db, world["nurse"])
    client.get(f"/persons/{world['person'].id}/health")
    client.get(f"/persons/{world['person'].id}/consultations/{world['c'].id}")
    health_admin = make_user(db, world["org"], role="admin", teams=[world["team"]], health_access=True)
    exported, crashed = _walk(client, db, health_admin, [f"/persons/{world['person'].id}/export.zip"])
    assert exported == set(MARKERS) - {"private"} and not crashed  # the export carries health data to this admin
    for role in NON_HEALTH_ROLES:
        org = None if role == "steering" else world["org"]
        user = make_user(db, org, role=role, teams=[world["team"]] if org else [])
        seen, crashed = _walk(client, db, user, urls)
        assert seen == set(), f"{role} received health data: {sorted(seen)}"
        assert crashed == [], f"{role} crashed on {crashed}"


def test_the_walk_finds_every_marker_as_the_nurse_who_wrote_them(client, db, app, world):
    seen, crashed = _walk(client, db, world["nurse"], _urls(db, app, world))
    assert seen == set(MARKERS) and crashed == []
