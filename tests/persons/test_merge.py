"""Merging two records of the same person."""

import pytest
from sqlmodel import select

from app.crypto import unseal
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.models import PersonChange, PersonMerge, PersonNote, utcnow
from app.persons import merge, search, service, timeline
from app.persons.forms import SearchForm
from tests.factories import (
    make_custom_field,
    make_document,
    make_link,
    make_note,
    make_org,
    make_person,
    make_place,
    make_team,
    make_user,
)
from tests.persons.conftest import actor_for


def test_merge_moves_everything_to_the_survivor_and_keeps_both_histories(db, actor, org, team):
    field = make_custom_field(db, org, label="Dog", kind="text")
    other_team = make_team(db, org)
    keep = make_person(db, org, "Mohamed", teams=[team], gender="Homme", phone="0600", custom={str(field.id): "Rex"})
    dup = make_person(
        db, org, "Mouhamad", teams=[other_team], other_aliases=["Momo"], birth_year=1980, phone="0611", custom={}
    )
    friend = make_person(db, org, "Karim")
    make_note(db, org, keep, body="note on the first record")
    make_note(db, org, dup, body="note on the second record")
    make_link(db, org, dup, friend, relation="cousin")
    make_link(db, org, keep, dup, relation="same person?")
    make_place(db, org, dup, name="Métro Jaurès")
    doc = make_document(db, org, dup)
    db.add(PersonChange(org_id=org.id, person_id=keep.id, kind="created"))
    db.add(PersonChange(org_id=org.id, person_id=dup.id, kind="created"))
    db.commit()

    choices = {"phone": "right", "birth_year": "right", "alias": "left"}
    entry = merge.merge(db, actor, keep, dup, choices, versions=(keep.version, dup.version))

    assert keep.alias == "Mohamed" and unseal(db, keep, "phone") == "0611"  # decrypted, then sealed to the survivor
    assert keep.birth_year == 1980 and keep.gender == "Homme"
    assert set(keep.other_aliases) == {"Mouhamad", "Momo"} and keep.custom == {str(field.id): "Rex"}
    assert {t.name for t in service.person_teams(db, keep.id)} == {team.name, other_team.name}
    bodies = {unseal(db, n, "body") for n in db.exec(select(PersonNote).where(PersonNote.person_id == keep.id))}
    assert bodies == {"note on the first record", "note on the second record"}
    assert [(link.other_alias, link.link.relation) for link in service.links(db, actor, keep)] == [("Karim", "cousin")]
    assert [pl.name for pl in service.places(db, actor, keep)] == ["Métro Jaurès"]
    db.refresh(doc)
    assert doc.person_id == keep.id and doc.version == 2  # a moved synced row is a changed row
    # The merged record is gone from every list, its id and code still lead to the survivor.
    assert dup.deleted_at is not None and dup.merged_into_id == keep.id
    assert service.resolve(db, actor, dup.id).id == keep.id
    assert [r.id for r in search.search(db, actor, SearchForm(q=dup.code)).rows] == [keep.id]
    assert [r.id for r in search.search(db, actor, SearchForm(q="Mouhamad")).rows] == [keep.id]
    # Both histories and the merge itself are on the survivor's timeline.
    kinds = [e.kind for e in timeline.timeline(db, actor, keep.id)]
    assert kinds.count("created") == 2 and "merged" in kinds and kinds.count("note") == 2
    assert entry.choices == {"phone": "right", "birth_year": "right"}
    assert db.exec(select(PersonMerge).where(PersonMerge.survivor_id == keep.id)).one().merged_id == dup.id


def test_compare_lists_the_fields_side_by_side(db, actor, org):
    a = make_person(db, org, "Aïcha", birth_year=1990)
    b = make_person(db, org, "Aisha", birth_year=1991, alert=True, alert_reason="weak")
    lines = {line.name: line for line in merge.compare(db, actor, a, b)}
    assert (lines["alias"].left, lines["alias"].right) == ("Aïcha", "Aisha")
    assert lines["alert"].right == "Yes · weak" and lines["gender"].same


def test_a_record_cannot_be_merged_with_itself_or_another_organisation(db, actor, org):
    a = make_person(db, org)
    with pytest.raises(Invalid):
        merge.pair(db, actor, a, a.id)
    with pytest.raises(Invalid):
        merge.merge(db, actor, a, a, {})
    with pytest.raises(NotFound):
        merge.pair(db, actor, a, make_person(db, make_org(db)).id)


def test_reception_may_not_merge_and_stale_versions_are_refused(db, actor, org, team):
    a, b = make_person(db, org), make_person(db, org)
    reception = actor_for(make_user(db, org, role="reception", teams=[team]), team)
    with pytest.raises(Forbidden):
        merge.pair(db, reception, a, b.id)
    b.gender = "Femme"
    db.commit()
    with pytest.raises(Conflict):
        merge.merge(db, actor, a, b, {}, versions=(a.version, b.version - 1))


def test_tables_added_later_register_themselves_to_follow_a_merge(db, actor, org):
    moved = []
    timeline.register_merge_step(lambda session, survivor, merged: moved.append((survivor, merged)))
    try:
        a, b = make_person(db, org), make_person(db, org)
        merge.merge(db, actor, a, b, {})
        assert moved == [(a.id, b.id)]
    finally:
        timeline._MERGE_STEPS.pop()
    assert utcnow()  # registry restored
