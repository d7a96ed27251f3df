"""Stays: entering and leaving an accommodation with an exit kind; one open stay per person and per room
(checked with a message, and by the database); occupancy against capacity; procedures and the share of
sheltered people who started them."""

from datetime import date, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from app.admin.service import FieldErrors
from app.crypto import unseal
from app.errors import Invalid
from app.models import Stay
from app.persons import merge, timeline
from app.stays import service
from app.stays.forms import ExitForm, ProcedureForm, StayForm
from app.web import validate_form
from tests.factories import make_org, make_person, make_structure, make_team

TODAY = date.today()


def enter(db, actor, person, place, room=None, days_ago=0, **kw):
    values = {
        "person_id": person.id,
        "place": place,
        "room": room,
        "entered_on": TODAY - timedelta(days=days_ago),
        **kw,
    }
    result = validate_form(StayForm, values)
    assert result.ok, result.errors
    return service.create_stay(db, actor, result.data)


def leave(db, actor, stay, exit_to="housing", days_ago=0, note=None):
    result = validate_form(
        ExitForm, {"exited_on": TODAY - timedelta(days=days_ago), "exit_to": exit_to, "exit_note": note}
    )
    assert result.ok, result.errors
    return service.exit_stay(db, actor, stay, result.data)


@pytest.fixture
def assore(db, org):
    return make_team(db, org, "Hébergement ASSORE", kind="accommodation", capacity=3)


def test_a_stay_is_entered_and_exited_with_a_kind_and_an_encrypted_reason(db, org, actor, assore):
    person = make_person(db, org, "Christophe")
    stay = enter(db, actor, person, f"team:{assore.id}", room="12", days_ago=30)
    assert service.current_stay(db, actor, person.id).id == stay.id
    leave(db, actor, stay, "housing", note="Bail signé")
    assert (stay.exited_on, stay.exit_to, stay.exit_kind) == (TODAY, "housing", "positive")
    assert stay.exit_note.startswith("enc1:") and unseal(db, stay, "exit_note") == "Bail signé"
    assert service.current_stay(db, actor, person.id) is None
    leave(db, actor, stay, "housing")  # the same exit sent twice
    with pytest.raises(Invalid, match="already ended"):
        leave(db, actor, stay, "prison")
    again = enter(db, actor, person, f"team:{assore.id}", room="12")  # the room is free again
    leave(db, actor, again, "street")
    assert again.exit_kind == "negative"
    titles = [e.title for e in timeline.timeline(db, actor, person.id)]
    assert "Left Hébergement ASSORE · 12: Housing" in titles and "Entered Hébergement ASSORE · 12" in titles


def test_bad_stays_are_refused_with_a_clear_message(db, org, actor, assore):
    person, other = make_person(db, org, "Nadia"), make_person(db, org, "Samira")
    stay = enter(db, actor, person, f"team:{assore.id}", room="3", days_ago=10)
    with pytest.raises(FieldErrors) as exc:
        leave(db, actor, stay, days_ago=11)
    assert exc.value.errors["exited_on"].startswith("The exit cannot be before the entry")
    assert stay.exited_on is None
    with pytest.raises(FieldErrors) as exc:
        enter(db, actor, person, f"team:{assore.id}", room="4")
    assert "Nadia is already staying at Hébergement ASSORE since" in exc.value.errors["place"]
    with pytest.raises(FieldErrors) as exc:
        enter(db, actor, other, f"team:{assore.id}", room="3")
    assert exc.value.errors["room"].startswith("3 is taken by Nadia since")
    archived = make_structure(db, org, "Old hotel", kind="assore")
    archived.archived_at = archived.created_at
    db.add(archived)
    db.commit()
    with pytest.raises(FieldErrors, match="archived"):
        enter(db, actor, other, f"structure:{archived.id}")
    patrol = make_team(db, org, kind="patrol")
    for place in (f"team:{patrol.id}", f"team:{make_team(db, make_org(db), kind='accommodation').id}", "nonsense"):
        with pytest.raises(FieldErrors) as exc:
            enter(db, actor, other, place)
        assert exc.value.errors == {"place": "Choose one of the options."}
    result = validate_form(StayForm, {"person_id": other.id, "place": "x", "entered_on": TODAY + timedelta(days=1)})
    assert result.errors["entered_on"] == "Enter a date between 1990 and today."


def test_the_database_itself_refuses_two_open_stays_for_one_person_or_one_room(db, org, assore):
    person, other = make_person(db, org), make_person(db, org)
    db.add(Stay(org_id=org.id, person_id=person.id, team_id=assore.id, room="1", entered_on=TODAY))
    db.commit()
    for stay in (
        Stay(org_id=org.id, person_id=person.id, team_id=assore.id, room="2", entered_on=TODAY),
        Stay(org_id=org.id, person_id=other.id, team_id=assore.id, room="1", entered_on=TODAY),
    ):
        with pytest.raises(IntegrityError), db.begin_nested():
            db.add(stay)
            db.flush()
    db.add(Stay(org_id=org.id, person_id=other.id, team_id=assore.id, room="1", entered_on=TODAY, exited_on=TODAY))
    db.commit()  # a closed stay in the same room is history, not a clash


def test_occupancy_against_capacity_who_is_in_and_since_when(db, org, actor, assore):
    hotel = make_structure(db, org, "Hôtel ASSORE", kind="assore", places=60)
    for alias, days in (("Old", 400), ("New", 2)):
        enter(db, actor, make_person(db, org, alias), f"team:{assore.id}", days_ago=days)
    leave(db, actor, enter(db, actor, make_person(db, org, "Gone"), f"team:{assore.id}", days_ago=50), days_ago=1)
    enter(db, actor, make_person(db, org, "Hotel"), f"structure:{hotel.id}")
    place = service.team_place(db, actor, assore.id)
    assert (place.occupied, place.capacity) == (2, 3)
    rows, more = service.occupants(db, actor, team_id=assore.id)
    assert [(o.alias, o.days) for o in rows] == [("Old", 400), ("New", 2)] and not more
    overview = {p.name: (p.occupied, p.capacity) for p in service.places(db, actor)}
    assert overview == {"Hébergement ASSORE": (2, 3), "Hôtel ASSORE": (1, 60)}


def test_procedures_and_the_share_of_sheltered_people_who_started_one(db, org, actor, assore):
    sheltered = [make_person(db, org, a) for a in ("A", "B", "C")]
    for p in sheltered:
        enter(db, actor, p, f"team:{assore.id}", days_ago=100)
    street = make_person(db, org, "Street")
    for person, kind in (
        (sheltered[0], "domiciliation"),
        (sheltered[0], "income"),
        (sheltered[1], "id_papers"),
        (street, "income"),
    ):
        result = validate_form(
            ProcedureForm, {"person_id": person.id, "kind": kind, "started_on": TODAY - timedelta(days=5)}
        )
        service.add_procedure(db, actor, result.data)
    assert service.sheltered_with_procedures(db, actor, TODAY - timedelta(days=30), TODAY) == (3, 2)
    assert service.sheltered_with_procedures(db, actor, TODAY - timedelta(days=30), TODAY - timedelta(days=10)) == (
        3,
        0,
    )
    procedure = service.person_procedures(db, actor, sheltered[1].id)[0]
    with pytest.raises(Invalid, match="cannot end before it started"):
        service.finish_procedure(db, actor, procedure, TODAY - timedelta(days=6))
    service.finish_procedure(db, actor, procedure, TODAY)
    assert procedure.done_on == TODAY
    titles = [e.title for e in timeline.timeline(db, actor, sheltered[1].id)]
    assert "Procedure started: ID papers" in titles and "Procedure completed: ID papers" in titles


def test_merging_two_records_both_in_accommodation_is_stopped(db, org, actor, assore):
    a, b = make_person(db, org, "Karim"), make_person(db, org, "Abdel Karim")
    enter(db, actor, a, f"team:{assore.id}", room="1")
    stay_b = enter(db, actor, b, f"team:{assore.id}", room="2")
    db.commit()
    with pytest.raises(Invalid, match="Both records have a current stay"):
        merge.merge(db, actor, a, b, {}, (None, None))
    db.rollback()
    leave(db, actor, db.get(Stay, stay_b.id))
    merge.merge(db, actor, db.get(type(a), a.id), db.get(type(b), b.id), {}, (None, None))
    assert len(db.exec(select(Stay).where(Stay.person_id == a.id)).all()) == 2
