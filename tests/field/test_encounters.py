"""Encounters: one submit for several persons (known or created on the spot), materials, services, place, note;
encryption, idempotency, bad input, what each role receives, timelines and merges."""

import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from app.admin.service import FieldErrors
from app.errors import Forbidden
from app.field import encounters
from app.field.days import local_input
from app.field.forms import EncounterForm
from app.models import AuditEvent, Encounter, EncounterMaterial, EncounterPerson, EncounterService, Person, utcnow
from app.persons import merge, service, timeline
from app.web import validate_form
from tests.factories import (
    make_field_place,
    make_material,
    make_need_category,
    make_org,
    make_person,
    make_service,
    make_team,
    make_territory,
)


def form(**kw) -> EncounterForm:
    result = validate_form(EncounterForm, {"id": str(uuid.uuid4()), **kw})
    assert result.ok, result.errors
    return result.data


def errors_of(db, actor, raw=None, **kw) -> dict[str, str]:
    with pytest.raises(FieldErrors) as exc:
        encounters.record_encounter(db, actor, form(**kw), raw or {})
    db.rollback()
    return exc.value.errors


def test_one_submit_records_several_persons_a_new_one_materials_services_and_place(db, org, team, actor):
    sekou, aicha = make_person(db, org, "Sékou"), make_person(db, org, "Aïcha")
    kit, tips = make_material(db, org, "Crack kit"), make_material(db, org, "Pipe tips", position=20)
    listening = make_service(db, org, label="Listening")
    place = make_field_place(db, org, make_territory(db, org, "Stalingrad"), "Rotonde")
    new_id = uuid.uuid4()
    enc = encounters.record_encounter(
        db,
        actor,
        form(
            person_ids=[str(sekou.id), str(aicha.id), str(sekou.id)],
            new_persons=[f"{new_id} Tidiane"],
            where=f"p:{place.id}",
            service_ids=[str(listening.id)],
            note="Asked for a shower.",
            latitude="48.8842",
            longitude="2.3700",
            accuracy_m="25",
        ),
        {f"m_{kit.id}": "2", f"m_{tips.id}": "6"},
    )
    assert enc.team_id == team.id and enc.place_id == place.id and enc.territory_id == place.territory_id
    assert (enc.latitude, enc.longitude, enc.accuracy_m) == (48.8842, 2.37, 25)
    rows = db.exec(select(EncounterPerson).where(EncounterPerson.encounter_id == enc.id)).all()
    assert {r.person_id for r in rows} == {sekou.id, aicha.id, new_id}
    assert [r.new for r in rows if r.person_id == new_id] == [True]
    tidiane = db.get(Person, new_id)
    assert tidiane.alias == "Tidiane" and [t.id for t in service.person_teams(db, new_id)] == [team.id]
    quantities = {m.material_id: m.quantity for m in db.exec(select(EncounterMaterial)).all()}
    assert quantities == {kit.id: 2, tips.id: 6}
    assert db.exec(select(EncounterService.service_id)).all() == [listening.id]
    db.refresh(sekou)
    assert sekou.last_contact_at == enc.at and sekou.last_contact_by == actor.user_id
    view = encounters.views(db, actor, [enc])[0]
    assert [p.alias for p in view.persons] == ["Aïcha", "Sékou", "Tidiane"]
    assert view.materials == [("Crack kit", 2), ("Pipe tips", 6)] and view.services == ["Listening"]
    assert view.where == "Stalingrad · Rotonde" and view.note == "Asked for a shower."


def test_the_note_is_stored_encrypted_and_never_in_the_audit_log(db, org, actor):
    person = make_person(db, org, "Nadia")
    enc = encounters.record_encounter(db, actor, form(person_ids=[str(person.id)], note="Nadia is pregnant"), {})
    stored = db.exec(select(Encounter.note).where(Encounter.id == enc.id)).one()
    assert stored.startswith("enc1:") and "pregnant" not in stored
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "encounter.created")).one()
    assert "Nadia" not in str(event.details) and "pregnant" not in str(event.details)


def test_the_same_form_sent_twice_records_one_encounter(db, org, actor):
    person = make_person(db, org)
    new_id = uuid.uuid4()
    f = form(person_ids=[str(person.id)], new_persons=[f"{new_id} Loïc"])
    first = encounters.record_encounter(db, actor, f, {})
    second = encounters.record_encounter(db, actor, f, {})
    assert first.id == second.id
    assert len(db.exec(select(Encounter)).all()) == 1
    assert len(db.exec(select(Person).where(Person.alias == "Loïc")).all()) == 1


def test_bad_input_gets_a_message_per_field_and_saves_nothing(db, org, actor):
    person = make_person(db, org)
    kit = make_material(db, org, "Crack kit")
    old = make_material(db, org, "Old pipes", archived_at=utcnow())
    gone = make_service(db, org, label="Old service", archived_at=utcnow())
    other_org = make_org(db)
    stranger = make_person(db, other_org, "Stranger")
    foreign_material = make_material(db, other_org, "Theirs")
    foreign_place = make_territory(db, other_org)
    closed_place = make_territory(db, org, archived_at=utcnow())
    ok = {"person_ids": [str(person.id)]}
    assert errors_of(db, actor, {f"m_{kit.id}": "-1"}, **ok) == {f"m_{kit.id}": "Enter a number from 0 to 500."}
    assert errors_of(db, actor, {f"m_{kit.id}": "5000"}, **ok) == {f"m_{kit.id}": "Enter a number from 0 to 500."}
    assert errors_of(db, actor, {f"m_{kit.id}": "two"}, **ok) == {f"m_{kit.id}": "Enter a whole number."}
    assert "archived" in errors_of(db, actor, {f"m_{old.id}": "1"}, **ok)[f"m_{old.id}"]
    assert "not in your catalogue" in errors_of(db, actor, {f"m_{foreign_material.id}": "1"}, **ok)["__all__"]
    assert "archived" in errors_of(db, actor, service_ids=[str(gone.id)], **ok)["service_ids"]
    assert errors_of(db, actor, where=f"t:{foreign_place.id}", **ok) == {"where": "Choose one of the options."}
    assert "archived" in errors_of(db, actor, where=f"t:{closed_place.id}", **ok)["where"]
    assert "not found" in errors_of(db, actor, person_ids=[str(stranger.id)])["person_ids"]
    assert "at least one person" in errors_of(db, actor)["person_ids"]
    assert db.exec(select(Encounter)).first() is None
    # The time is checked by the form itself.
    future = validate_form(EncounterForm, {"id": str(uuid.uuid4()), "at": local_input(utcnow() + timedelta(hours=2))})
    assert future.errors == {"at": "This time is in the future: check the day and the hour."}
    # An archived material with 0 typed is no problem (an old form on a phone).
    encounters.record_encounter(db, actor, form(**ok), {f"m_{old.id}": "0", f"m_{kit.id}": ""})


def test_reception_records_quick_encounters_without_note_or_new_person(db, org, role_actor):
    reception = role_actor("reception", at_rest_area=True)
    person = make_person(db, org, "Fatou")
    enc = encounters.record_encounter(db, reception, form(person_ids=[str(person.id)]), {})
    assert enc.author_id == reception.user_id
    with pytest.raises(Forbidden):
        encounters.record_encounter(db, reception, form(person_ids=[str(person.id)], note="x"), {})
    with pytest.raises(Forbidden):
        encounters.record_encounter(db, reception, form(new_persons=[f"{uuid.uuid4()} Zoé"]), {})
    assert encounters.views(db, reception, [enc])[0].note is None
    assert timeline.timeline(db, reception, person.id) == []  # no timeline for the reception role


def test_the_health_part_is_kept_encrypted_and_given_to_health_roles_only(db, org, role_actor):
    health = role_actor("health")
    person = make_person(db, org, "Ibrahim")
    enc = encounters.record_encounter(
        db,
        health,
        form(person_ids=[str(person.id)], health_care="Wound dressing", health_note="Abscess, left arm", note="Ok"),
        {},
    )
    stored = db.exec(select(Encounter.health_care, Encounter.health_note).where(Encounter.id == enc.id)).one()
    assert all(v.startswith("enc1:") for v in stored)
    view = encounters.views(db, health, [enc])[0]
    assert (view.health_care, view.health_note) == ("Wound dressing", "Abscess, left arm")
    health_entries = timeline.timeline(db, health, person.id)
    assert any("Abscess" in (e.body or "") for e in health_entries)
    for role in ("admin", "coordinator", "worker", "reception"):
        other = role_actor(role)
        view = encounters.views(db, other, [enc])[0]
        assert view.health_care is None and view.health_note is None, role
        assert all(
            "Abscess" not in (e.body or "") and "Wound" not in (e.body or "")
            for e in timeline.timeline(db, other, person.id)
        )
        with pytest.raises(Forbidden):  # and nobody else may write one
            encounters.record_encounter(db, other, form(person_ids=[str(person.id)], health_note="x"), {})


def test_each_encounter_shows_in_the_timeline_of_each_of_its_persons(db, org, actor):
    a, b = make_person(db, org, "Mohamed"), make_person(db, org, "Djibril")
    kit = make_material(db, org, "Crack kit")
    encounters.record_encounter(
        db, actor, form(person_ids=[str(a.id), str(b.id)], note="Both fine"), {f"m_{kit.id}": "1"}
    )
    entries = [e for e in timeline.timeline(db, actor, a.id) if e.kind == "encounter"]
    assert len(entries) == 1
    assert entries[0].title == "Encounter · Maraude Nord"
    assert "With Djibril" in entries[0].body and "1 × Crack kit" in entries[0].body and "Both fine" in entries[0].body
    assert entries[0].url.startswith("/encounters/")
    assert [e.kind for e in timeline.timeline(db, actor, b.id)].count("encounter") == 1


def test_a_merge_moves_encounters_to_the_survivor_once(db, org, actor, role_actor):
    survivor, dupe, third = make_person(db, org, "Tidiane"), make_person(db, org, "Tidjane"), make_person(db, org)
    both = encounters.record_encounter(db, actor, form(person_ids=[str(survivor.id), str(dupe.id)]), {})
    only_dupe = encounters.record_encounter(db, actor, form(person_ids=[str(dupe.id), str(third.id)]), {})
    version = only_dupe.version
    merge.merge(db, actor, survivor, dupe, {})
    rows = db.exec(select(EncounterPerson.encounter_id, EncounterPerson.person_id)).all()
    assert sorted((str(e), str(p)) for e, p in rows) == sorted(
        [(str(both.id), str(survivor.id)), (str(only_dupe.id), str(survivor.id)), (str(only_dupe.id), str(third.id))]
    )
    db.refresh(only_dupe)
    assert only_dupe.version == version + 1  # phones learn that it changed
    assert [e.kind for e in timeline.timeline(db, actor, survivor.id)].count("encounter") == 2


def test_recently_met_persons_come_first_latest_first_and_only_the_teams(db, org, team, actor):
    old, recent, other_team_person = make_person(db, org, "Old"), make_person(db, org, "Recent"), make_person(db, org)
    now = utcnow()
    encounters.record_encounter(db, actor, form(person_ids=[str(old.id)], at=local_input(now - timedelta(days=3))), {})
    encounters.record_encounter(
        db, actor, form(person_ids=[str(recent.id)], at=local_input(now - timedelta(hours=1))), {}
    )
    from tests.factories import make_encounter

    make_encounter(db, org, make_team(db, org), persons=[other_team_person], at=now)
    assert [p.alias for p in encounters.recent_persons(db, actor, team.id)] == ["Recent", "Old"]


def test_views_take_the_same_number_of_queries_for_one_or_many_encounters(db, org, actor, count_queries):
    kit = make_material(db, org)
    service_ = make_service(db, org)
    made = [
        encounters.record_encounter(
            db,
            actor,
            form(person_ids=[str(make_person(db, org).id)], service_ids=[str(service_.id)], note="n"),
            {f"m_{kit.id}": "1"},
        )
        for _ in range(12)
    ]
    encounters.views(db, actor, made[:1])  # warm the organisation key cache
    with count_queries() as one:
        encounters.views(db, actor, made[:1])
    with count_queries() as many:
        encounters.views(db, actor, made)
    assert many.n == one.n


def test_key_rotation_re_encrypts_encounter_notes_and_health_parts(db, org, role_actor):
    from app.crypto import key_id_of, new_org_key, reencrypt_all

    health = role_actor("health")
    person = make_person(db, org)
    enc = encounters.record_encounter(
        db, health, form(person_ids=[str(person.id)], note="Note", health_note="Health"), {}
    )
    old_key = key_id_of(enc.note)
    new_key = new_org_key(db, org.id).id
    assert reencrypt_all(db) >= 2
    db.refresh(enc)
    assert key_id_of(enc.note) == key_id_of(enc.health_note) == new_key != old_key
    view = encounters.views(db, health, [enc])[0]
    assert (view.note, view.health_note) == ("Note", "Health")


# ---------------------------------------------------------------- a need recorded with the encounter
def test_a_need_recorded_with_an_encounter_is_for_its_persons_and_the_team_and_made_once(db, org, team, actor):
    from app.models import Need, NeedPerson, NeedTeam
    from app.needs import service as needs

    sekou = make_person(db, org, "Sékou")
    shelter = next(c for c in needs.categories(db, actor) if c.label == "Shelter")
    new_id = uuid.uuid4()
    due = utcnow().date() + timedelta(days=2)
    f = form(
        person_ids=[str(sekou.id)],
        new_persons=[f"{new_id} Tidiane"],
        need_category_ids=[str(shelter.id)],
        need_description="  Une place pour deux ce soir  ",
        need_urgent="true",
        need_due_on=due.isoformat(),
    )
    enc = encounters.record_encounter(db, actor, f, {})
    need = db.exec(select(Need)).one()
    assert need.id == needs.encounter_need_id(enc.id) and need.created_by == actor.user_id
    assert need.urgent and need.due_on == due and need.status == "todo"
    assert need.description.startswith("enc1:") and "place" not in need.description
    assert {r.person_id for r in db.exec(select(NeedPerson))} == {sekou.id, new_id}  # the new person too
    assert db.exec(select(NeedTeam.team_id)).all() == [team.id]
    row = needs.recorded_with(db, actor, enc.id)
    assert row.categories == ["Shelter"] and row.description == "Une place pour deux ce soir"
    # The same form again (a double tap, an outbox replay): one encounter, one need.
    assert encounters.record_encounter(db, actor, f, {}).id == enc.id
    assert len(db.exec(select(Need)).all()) == 1
    # Shown on both persons' timelines and counted as open.
    for pid in (sekou.id, new_id):
        titles = [e.title for e in timeline.timeline(db, actor, pid)]
        assert "Need: Shelter" in titles, titles
        assert timeline.count(db, actor, pid, "open_needs") == 1
    # Without the section nothing is created.
    encounters.record_encounter(db, actor, form(person_ids=[str(sekou.id)]), {})
    assert len(db.exec(select(Need)).all()) == 1


def test_a_bad_need_on_an_encounter_is_said_under_its_field_and_nothing_is_saved(db, org, actor):
    from app.models import Need

    person = make_person(db, org)
    theirs = make_need_category(db, make_org(db), "Their category")
    ok = {"person_ids": [str(person.id)]}
    message = "Say what is needed: choose a category or write a few words."
    assert errors_of(db, actor, need_urgent="true", **ok) == {"need_description": message}
    assert errors_of(db, actor, need_due_on="2026-12-01", **ok) == {"need_description": message}
    assert errors_of(db, actor, need_category_ids=[str(theirs.id)], **ok) == {
        "need_category_ids": "Choose one of the options."
    }
    assert (
        "Enter a valid date."
        in validate_form(EncounterForm, {"id": str(uuid.uuid4()), "need_due_on": "1900-01-01"}).errors["need_due_on"]
    )
    # A need with no person: the encounter's own message, once.
    assert errors_of(db, actor, need_description="Papers") == {
        "person_ids": "Choose at least one person. People not identified are counted on the round."
    }
    # Errors of both parts come back together.
    kit = make_material(db, org, "Crack kit")
    both = errors_of(db, actor, {f"m_{kit.id}": "-1"}, need_urgent="true", **ok)
    assert set(both) == {f"m_{kit.id}", "need_description"}
    assert db.exec(select(Encounter)).first() is None and db.exec(select(Need)).first() is None


def test_a_role_that_may_not_write_needs_cannot_slip_one_into_an_encounter(db, org, role_actor):
    from app.models import Need

    reception = role_actor("reception", at_rest_area=True)
    person = make_person(db, org)
    with pytest.raises(Forbidden):
        encounters.record_encounter(db, reception, form(person_ids=[str(person.id)], need_description="x"), {})
    assert db.exec(select(Need)).first() is None
