"""Writes that bypass the ORM's unit of work (bulk UPDATE/DELETE: merges, erasure, the retention purge) reach
phones too: a phone that pulled before gets the moved records, and tombstones for what was deleted."""

import uuid
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col

from app.models import Encounter, utcnow
from app.persons import merge
from app.privacy import service as privacy
from app.sync import service
from tests.factories import make_checkin, make_encounter, make_note, make_person, make_user
from tests.persons.conftest import actor_for


def _all(db, actor, cursor=None):
    out, more = [], True
    while more:
        page = service.pull(db, actor, cursor)
        out += page["changes"]
        cursor, more = page["cursor"], page["more"]
    return out, cursor


def test_a_merge_reaches_a_phone_that_pulled_before_it(db, org, team, rest_area, actor):
    keep = make_person(db, org, "Mohamed", teams=[team])
    dup = make_person(db, org, "Mouhamad", teams=[team])
    other = make_person(db, org, "Karim", teams=[team])
    both = make_encounter(db, org, team, [keep, dup])
    moved = make_encounter(db, org, team, [dup, other])
    note = make_note(db, org, dup, body="Cherche un lit")
    checkin = make_checkin(db, org, rest_area, dup)
    _before, cursor = _all(db, actor)  # the phone is up to date

    merge.merge(db, actor, keep, dup, {}, versions=(keep.version, dup.version))
    db.flush()

    changes, _cursor = _all(db, actor, cursor)
    by_id = {c["id"]: c for c in changes}
    assert by_id[str(dup.id)]["deleted"] is True  # the merged record: a tombstone
    assert by_id[str(moved.id)]["data"]["person_ids"] == sorted([str(keep.id), str(other.id)])
    assert by_id[str(both.id)]["data"]["person_ids"] == [str(keep.id)]  # kept once
    assert by_id[str(note.id)]["data"]["person_id"] == str(keep.id)
    assert by_id[str(checkin.id)]["data"]["person_id"] == str(keep.id)
    assert by_id[str(moved.id)]["version"] > 1


def test_an_erasure_sends_tombstones_and_the_shared_encounter_without_the_person(db, org, team, actor):
    gone = make_person(db, org, "Effacé", teams=[team])
    stays = make_person(db, org, "Reste", teams=[team])
    alone = make_encounter(db, org, team, [gone])
    shared = make_encounter(db, org, team, [gone, stays])
    note = make_note(db, org, gone)
    _before, cursor = _all(db, actor)

    privacy.erase(db, org.id, [gone.id])

    changes, _cursor = _all(db, actor, cursor)
    tombstones = {c["id"] for c in changes if c["deleted"]}
    assert {str(gone.id), str(alone.id), str(note.id)} <= tombstones
    live = {c["id"]: c for c in changes if not c["deleted"]}
    assert live[str(shared.id)]["data"]["person_ids"] == [str(stays.id)]
    assert str(stays.id) not in tombstones


def test_the_retention_purge_sends_tombstones(db, org, team, actor):
    old = make_person(db, org, "Ancien", teams=[team])
    old.last_contact_at = utcnow() - timedelta(days=800)
    db.add(old)
    db.flush()
    _before, cursor = _all(db, actor)

    privacy.purge(db, org_id=org.id)

    changes, _cursor = _all(db, actor, cursor)
    assert {"type": "person", "id": str(old.id), "deleted": True} in changes


def test_any_bulk_update_of_a_synced_table_is_logged_and_nothing_else_is(db, org, team, actor):
    person = make_person(db, org, "Karim", teams=[team])
    enc = make_encounter(db, org, team, [person])
    _before, cursor = _all(db, actor)
    db.exec(update(Encounter).where(col(Encounter.id) == enc.id).values(version=Encounter.version + 1))  # type: ignore[call-overload]
    changes, cursor = _all(db, actor, cursor)
    assert [(c["type"], c["id"]) for c in changes] == [("encounter", str(enc.id))]
    # A statement matching nothing logs nothing.
    db.exec(update(Encounter).where(col(Encounter.team_id) == actor.user_id).values(version=5))  # type: ignore[call-overload]
    assert _all(db, actor, cursor)[0] == []


def test_another_organisations_bulk_changes_are_not_pulled(db, org, team, actor):
    from tests.factories import make_org, make_team

    other_org = make_org(db)
    other_team = make_team(db, other_org)
    theirs = make_person(db, other_org, "Theirs", teams=[other_team])
    enc = make_encounter(db, other_org, other_team, [theirs])
    _before, cursor = _all(db, actor)
    privacy.erase(db, other_org.id, [theirs.id])
    assert _all(db, actor, cursor)[0] == []
    their_actor = actor_for(make_user(db, other_org, role="worker", teams=[other_team]), other_team)
    seen = {c["id"] for c in _all(db, their_actor)[0] if c["deleted"]}
    assert {str(theirs.id), str(enc.id)} <= seen


def test_the_daily_compaction_keeps_one_row_per_record_and_every_phone_still_gets_the_same_records(
    db, org, team, actor
):
    from sqlmodel import func, select

    from app.models import SyncChange

    karim = make_person(db, org, "Karim", teams=[team])
    gone = make_person(db, org, "Parti", teams=[team])
    first = make_encounter(db, org, team, [karim])
    _before, cursor = _all(db, actor)  # a phone up to date here; another one never pulled
    for alias in ("Karim B.", "Karim Ben"):  # two edits after the phone's cursor
        karim.alias = alias
        db.add(karim)
        db.flush()
    gone.deleted_at = utcnow()
    db.add(gone)
    db.flush()
    later = make_encounter(db, org, team, [karim, gone])

    def state(changes):
        return sorted((c["type"], c["id"], c["deleted"], c.get("version")) for c in changes)

    since, everything = state(_all(db, actor, cursor)[0]), state(_all(db, actor)[0])
    rows = db.exec(select(func.count()).select_from(SyncChange).where(SyncChange.org_id == org.id)).one()
    assert service.compact_changes(db, org.id, dry_run=True) > 0
    assert db.exec(select(func.count()).select_from(SyncChange)).one() == rows  # a dry run deletes nothing

    gone_rows = service.compact_changes(db, org.id)

    records = db.exec(
        select(func.count()).select_from(select(SyncChange.entity, SyncChange.entity_id).distinct().subquery())
    ).one()
    assert gone_rows > 0 and rows - gone_rows == records  # one row per record left
    assert state(_all(db, actor, cursor)[0]) == since  # the edits and the tombstone after the cursor still come
    assert state(_all(db, actor)[0]) == everything
    assert ("person", str(karim.id)) in {(c["type"], c["id"]) for c in _all(db, actor, cursor)[0]}
    assert {str(first.id), str(later.id)} <= {c["id"] for c in _all(db, actor)[0]}


def test_one_write_logs_its_record_and_each_person_touched_in_one_statement(db, org, team, actor):
    """An encounter with three persons (the ORM's path): one change for the encounter, one per person whose last
    contact it moved, written by one INSERT, and a phone pulls all four."""
    from sqlalchemy import event

    from app.field import encounters
    from app.field.forms import EncounterForm
    from app.web import validate_form

    persons = [make_person(db, org, alias, teams=[team]) for alias in ("Awa", "Sékou", "Karim")]
    _before, cursor = _all(db, actor)
    form = validate_form(EncounterForm, {"id": str(uuid.uuid4()), "person_ids": [str(p.id) for p in persons]})
    assert form.ok, form.errors
    inserts = []

    def _log(conn, cursor, statement, *args):
        if statement.startswith("INSERT INTO sync_changes"):
            inserts.append(statement)

    event.listen(db.connection(), "before_cursor_execute", _log)
    try:
        encounter = encounters.record_encounter(db, actor, form.data, {})
        db.flush()
    finally:
        event.remove(db.connection(), "before_cursor_execute", _log)
    changes, _cursor = _all(db, actor, cursor)
    assert len(inserts) == 1
    assert {c["id"] for c in changes} == {str(encounter.id), *(str(p.id) for p in persons)}
