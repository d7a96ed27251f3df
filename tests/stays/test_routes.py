"""Stays and the directory through HTTP: bad input answered with the message and the typed values, the
accommodation pages, CSV export and a failed import's report."""

from datetime import date, timedelta

from sqlmodel import select

from app.models import Stay, Structure
from tests.factories import make_person, make_structure, make_team, make_user, sign_in


def _signed(client, db, user):
    user.lang = "en"
    db.add(user)
    db.commit()
    return sign_in(client, db, user)


def test_a_stay_entered_and_exited_with_bad_input_answered_on_the_way(client, db, org, team, worker):
    assore = make_team(db, org, "ASSORE", kind="accommodation", capacity=2)
    person, other = make_person(db, org, "Christophe"), make_person(db, org, "Samira")
    _signed(client, db, worker)
    entered = (date.today() - timedelta(days=10)).isoformat()
    data = {"person_id": str(person.id), "place": f"team:{assore.id}", "room": "12", "entered_on": entered}
    resp = client.post("/stays", data=data, follow_redirects=False)
    assert resp.status_code == 303
    stay = db.exec(select(Stay)).one()
    clash = client.post("/stays", data={**data, "person_id": str(other.id)})
    assert clash.status_code == 422 and "12 is taken by Christophe since" in clash.text
    early = (date.today() - timedelta(days=11)).isoformat()
    resp = client.post(
        f"/stays/{stay.id}/exit", data={"exited_on": early, "exit_to": "housing", "exit_note": "Bail signé"}
    )
    assert resp.status_code == 422 and "The exit cannot be before the entry" in resp.text
    assert "Bail signé" in resp.text and early in resp.text
    db.refresh(stay)
    assert stay.exited_on is None
    place = client.get(f"/stays/teams/{assore.id}")
    assert place.status_code == 200 and "1 / 2" in place.text and "Christophe" in place.text
    data = {"exited_on": date.today().isoformat(), "exit_to": "housing"}
    assert client.post(f"/stays/{stay.id}/exit", data=data, follow_redirects=False).status_code == 303
    assert "Positive exit" in client.get(f"/stays/{stay.id}").text
    assert "Not accommodated." in client.get(f"/persons/{person.id}").text


def test_the_person_page_shows_the_current_stay_and_the_structure_page_its_occupancy(client, db, org, team, worker):
    hotel = make_structure(db, org, "Hôtel ASSORE", kind="assore", places=60)
    person = make_person(db, org, "Marie-Claire")
    db.add(Stay(org_id=org.id, person_id=person.id, structure_id=hotel.id, room="7", entered_on=date.today()))
    db.commit()
    _signed(client, db, worker)
    page = client.get(f"/persons/{person.id}")
    assert "Hôtel ASSORE · 7" in page.text
    structure_page = client.get(f"/structures/{hotel.id}")
    assert "1 / 60" in structure_page.text and "Marie-Claire" in structure_page.text


def test_csv_export_and_an_import_report(client, db, org, team):
    make_structure(db, org, "CAARUD Nord", kind="caarud")
    coordinator = make_user(db, org, role="coordinator", teams=[team])
    _signed(client, db, coordinator)
    export = client.get("/structures/export.csv")
    assert export.headers["content-type"].startswith("text/csv") and "CAARUD Nord" in export.text
    bad = b"name;kind\nNew one;csapa\nBroken;unknown\n"
    resp = client.post("/structures/import", files={"file": ("s.csv", bad, "text/csv")})
    assert resp.status_code == 422 and "Nothing was imported" in resp.text and "Line 3" in resp.text
    assert db.exec(select(Structure).where(Structure.name == "New one")).first() is None
    good = b"name;kind\nNew one;csapa\n"
    resp = client.post("/structures/import", files={"file": ("s.csv", good, "text/csv")})
    assert resp.status_code == 200 and "Imported: 1 new, 0 updated." in resp.text
    assert client.post("/structures/import", data={}).status_code == 422
