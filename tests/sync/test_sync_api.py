"""The sync API through HTTP: a batch of creates from a phone, each accepted or rejected on its own, idempotent
on client ids (and Idempotency-Key), edits merged field by field with conflicts shown, pull with tombstones and
cut to what the role may see, and CSRF after a session renewal."""

import uuid

from sqlmodel import func, select

from app.models import Checkin, Encounter, EncounterPerson, Observation, Person, PersonNote, utcnow
from app.security import csrf_token_for
from tests.factories import (
    make_encounter,
    make_note,
    make_org,
    make_person,
    make_team,
    make_territory,
    make_user,
    sign_in,
)


def _as(client, db, user, team=None):
    user.lang = "en"
    db.add(user)
    db.commit()
    sign_in(client, db, user)
    if team is not None:
        assert client.post("/team", data={"team_id": str(team.id)}, follow_redirects=False).status_code == 303
    return client


def push(client, *changes, **headers):
    resp = client.post("/api/sync/push", json={"changes": list(changes)}, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()["results"]


def ch(type_, data, id_=None, **kw):
    return {"id": str(id_ or uuid.uuid4()), "type": type_, "data": data, **kw}


def count(db, model):
    return db.exec(select(func.count()).select_from(model)).one()


def test_a_round_made_offline_arrives_whole_and_a_replay_creates_nothing_twice(client, db, org, team, worker):
    _as(client, db, worker, team)
    known = make_person(db, org, "Sékou", teams=[team])
    territory = make_territory(db, org, "Stalingrad")
    new_id = uuid.uuid4()
    batch = [
        ch("person", {"alias": "Nouvelle", "team_ids": [str(team.id)]}, new_id),
        ch("encounter", {"person_ids": [str(new_id)], "note": "Premier contact"}),
        ch("encounter", {"person_ids": [str(known.id)]}),
        ch("checkin", {"person_id": str(known.id)}),
        ch("observation", {"where": f"t:{territory.id}", "men": 3, "atmosphere": "calm", "police": "none"}),
        ch("note", {"person_id": str(new_id), "body": "Cherche un hébergement"}),
    ]
    results = push(client, *batch)
    assert [r["status"] for r in results] == ["accepted"] * 6
    before = {m: count(db, m) for m in (Person, Encounter, Checkin, Observation, PersonNote, EncounterPerson)}
    # The answer was lost: the phone sends the same batch again.
    assert [r["status"] for r in push(client, *batch)] == ["duplicate"] * 6
    assert {m: count(db, m) for m in before} == before
    assert db.get(Person, new_id).alias == "Nouvelle"
    enc = db.get(Encounter, uuid.UUID(batch[1]["id"]))
    assert [ep.person_id for ep in db.exec(select(EncounterPerson).where(EncounterPerson.encounter_id == enc.id))] == [
        new_id
    ]


def test_each_change_is_accepted_or_rejected_on_its_own_with_a_reason(client, db, org, team, worker):
    _as(client, db, worker, team)
    good, bad = ch("person", {"alias": "Karim"}), ch("person", {"alias": "!!!"})
    missing = ch("encounter", {"person_ids": [str(uuid.uuid4())]})
    results = push(client, good, bad, missing)
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected"]
    assert results[1]["code"] == 422 and "letter or digit" in results[1]["message"]
    assert "not found" in results[2]["message"]
    assert db.get(Person, uuid.UUID(good["id"])) is not None
    assert db.get(Person, uuid.UUID(bad["id"])) is None
    # Corrected and resent under the same id: accepted (a rejection is not kept).
    bad["data"]["alias"] = "Moussa"
    assert push(client, bad)[0]["status"] == "accepted"


def test_the_same_id_with_other_content_is_refused(client, db, org, team, worker):
    _as(client, db, worker, team)
    change = ch("person", {"alias": "Karim"})
    push(client, change)
    change["data"]["alias"] = "Someone else"
    result = push(client, change)[0]
    assert result["status"] == "rejected" and result["code"] == 422
    assert db.get(Person, uuid.UUID(change["id"])).alias == "Karim"


def test_an_idempotency_key_returns_the_first_answer(client, db, org, team, worker):
    _as(client, db, worker, team)
    change = ch("person", {"alias": "Karim"})
    first = push(client, change, **{"Idempotency-Key": "abc-1"})
    assert push(client, change, **{"Idempotency-Key": "abc-1"}) == first
    other = client.post(
        "/api/sync/push", json={"changes": [ch("person", {"alias": "Lina"})]}, headers={"Idempotency-Key": "abc-1"}
    )
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["message"]
    assert count(db, Person) == 1


def test_edits_merge_field_by_field_and_a_real_conflict_comes_back_with_both_values(client, db, org, team, worker):
    _as(client, db, worker, team)
    person = make_person(db, org, "Karim", teams=[team])
    base = {"alias": "Karim", "nationality": None, "gender": None}
    v1 = person.version
    # Someone else changes the nationality and the alias on the web.
    person.nationality, person.alias = "Mali", "Karim B."
    db.add(person)
    db.commit()
    edit = {"id": str(person.id), "change_id": str(uuid.uuid4()), "type": "person", "op": "update"}
    result = push(client, {**edit, "base_version": v1, "base": base, "data": {"gender": "man", "alias": "Karim D."}})[0]
    assert result["status"] == "conflict"
    assert result["conflicts"] == {"alias": {"yours": "Karim D.", "theirs": "Karim B."}}
    db.refresh(person)
    assert (person.gender, person.nationality, person.alias) == ("man", "Mali", "Karim B.")
    # The worker keeps their value: a new edit on the version they were shown.
    chosen = {**edit, "change_id": str(uuid.uuid4()), "base_version": result["version"], "data": {"alias": "Karim D."}}
    assert push(client, chosen)[0]["status"] == "accepted"
    db.refresh(person)
    assert person.alias == "Karim D."


def test_pull_returns_changes_once_with_tombstones_and_a_cursor(client, db, org, team, worker):
    _as(client, db, worker, team)
    karim = make_person(db, org, "Karim", teams=[team])
    enc = make_encounter(db, org, team, [karim], note="Vu")
    page = client.get("/api/sync/pull").json()
    ids = {(c["type"], c["id"]) for c in page["changes"]}
    assert {("person", str(karim.id)), ("encounter", str(enc.id))} <= ids
    assert client.get("/api/sync/pull", params={"cursor": page["cursor"]}).json()["changes"] == []
    enc.deleted_at = utcnow()
    db.add(enc)
    db.commit()
    later = client.get("/api/sync/pull", params={"cursor": page["cursor"]}).json()
    assert later["changes"] == [
        {"type": "encounter", "id": str(enc.id), "deleted": True, "version": None, "data": None}
    ]
    bad = client.get("/api/sync/pull", params={"cursor": "x"})
    assert bad.status_code == 422 and bad.json()["message"]


def test_pull_never_gives_health_to_others_nor_notes_to_reception(client, db, org, team):
    karim = make_person(db, org, "Karim", teams=[team])
    make_note(db, org, karim, body="Secret")
    worker = make_user(db, org, role="worker", teams=[team])
    _as(client, db, worker, team)
    push(client, ch("encounter", {"person_ids": [str(karim.id)], "note": "Vu"}))
    changes = client.get("/api/sync/pull").json()["changes"]
    enc = next(c for c in changes if c["type"] == "encounter")
    assert "health_care" not in enc["data"] and enc["data"]["note"] == "Vu"
    reception = make_user(db, org, role="reception", teams=[team])
    _as(client, db, reception, team)
    seen = client.get("/api/sync/pull").json()["changes"]
    assert {c["type"] for c in seen} == {"person"}
    assert set(seen[0]["data"]) == {"alias", "code", "alert"}


def test_another_organisations_records_are_neither_pulled_nor_overwritten(client, db, org, team, worker):
    other = make_org(db)
    theirs = make_person(db, other, "Theirs")
    _as(client, db, worker, team)
    assert all(c["id"] != str(theirs.id) for c in client.get("/api/sync/pull").json()["changes"])
    result = push(client, ch("person", {"alias": "Mine"}, theirs.id))[0]
    assert result["status"] == "rejected"
    assert db.get(Person, theirs.id).alias == "Theirs"


def test_the_team_persons_for_offline_picking_hold_aliases_and_codes_only(client, db, org, team, worker):
    make_person(db, org, "Karim", teams=[team])
    make_person(db, org, "Elsewhere", teams=[make_team(db, org)])
    _as(client, db, worker, team)
    rows = client.get("/api/sync/persons").json()
    assert [set(r) for r in rows] == [{"id", "alias", "code"}] and rows[0]["alias"] == "Karim"


def test_a_replay_after_signing_in_again_uses_the_new_sessions_token(client, db, org, team, worker):
    _as(client, db, worker, team)
    change = ch("person", {"alias": "Karim"}, team_id=str(team.id))
    old_token = client.headers["X-CSRF-Token"]
    sign_in(client, db, worker)  # the session timed out; a new one, no team picked yet
    client.headers["X-CSRF-Token"] = old_token
    refused = client.post("/api/sync/push", json={"changes": [change]})
    assert refused.status_code == 403 and refused.json()["message"]
    token = client.get("/api/sync/token").json()["csrf_token"]
    assert token == csrf_token_for(client.cookies.get("parcours_session"))
    client.headers["X-CSRF-Token"] = token
    assert push(client, change)[0]["status"] == "accepted"


def test_without_a_session_the_api_answers_401_in_json(client):
    resp = client.post("/api/sync/push", json={"changes": []}, headers={"X-CSRF-Token": "x"})
    assert resp.status_code in (401, 403) and resp.json()["message"]
    assert client.get("/api/sync/pull").status_code == 401


def test_the_api_is_in_the_openapi_schema(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/api/sync/push", "/api/sync/pull"} <= set(paths)


def test_an_encounter_sent_from_the_outbox_brings_its_need_once_and_a_bad_one_is_rejected(
    client, db, org, team, worker
):
    from app.models import Need

    _as(client, db, worker, team)
    known = make_person(db, org, "Sékou", teams=[team])
    change = ch(
        "encounter", {"person_ids": str(known.id), "need_description": "Rendez-vous CSAPA", "need_urgent": "on"}
    )
    assert [r["status"] for r in push(client, change)] == ["accepted"]
    assert [r["status"] for r in push(client, change)] == ["duplicate"]
    need = db.exec(select(Need)).one()
    assert need.urgent and need.id == uuid.uuid5(uuid.UUID(change["id"]), "need")
    bad = push(client, ch("encounter", {"person_ids": str(known.id), "need_urgent": "on"}))[0]
    assert bad["status"] == "rejected" and bad["code"] == 422 and "need_description" in bad["errors"]
    assert count(db, Need) == 1 and count(db, Encounter) == 1


def test_old_receipts_are_purged_and_a_late_replay_still_doubles_nothing(client, db, org, team, worker, monkeypatch):
    from datetime import timedelta

    from typer.testing import CliRunner

    from app.cli import app as cli
    from app.models import SyncReceipt
    from app.privacy import service as privacy

    _as(client, db, worker, team)
    old, recent = ch("person", {"alias": "Ancien"}), ch("person", {"alias": "Récent"})
    push(client, old, recent)
    receipt = db.get(SyncReceipt, uuid.UUID(old["id"]))
    receipt.created_at = utcnow() - timedelta(days=31)
    db.add(receipt)
    db.commit()

    monkeypatch.setattr("app.db.get_engine", lambda: db.get_bind())
    dry = CliRunner().invoke(cli, ["retention", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 sync receipt(s) older than 30 days" in dry.output
    assert db.get(SyncReceipt, uuid.UUID(old["id"])) is not None
    assert privacy.purge(db, org_id=org.id)[0].receipts == 1
    assert db.get(SyncReceipt, uuid.UUID(old["id"])) is None
    assert db.get(SyncReceipt, uuid.UUID(recent["id"])) is not None
    # A phone replaying the old change after its receipt went: recognised by the record's id, not created again.
    assert push(client, old)[0]["status"] in ("accepted", "duplicate")
    assert count(db, Person) == 2


def test_a_note_written_offline_keeps_its_time_and_follows_the_online_rules(client, db, org, team, worker):
    from datetime import timedelta

    _as(client, db, worker, team)
    karim = make_person(db, org, "Karim", teams=[team])
    written = (utcnow() - timedelta(hours=3)).replace(microsecond=0)
    data = {"person_id": str(karim.id), "body": "Cherche un lit", "urgent": "true", "at": written.isoformat()}
    note = ch("note", data)
    assert push(client, note)[0]["status"] == "accepted"
    saved = db.get(PersonNote, uuid.UUID(note["id"]))
    assert saved.urgent and saved.created_at == written and saved.author_id == worker.id
    future = ch("note", {"person_id": str(karim.id), "body": "x", "at": (utcnow() + timedelta(days=1)).isoformat()})
    assert push(client, future)[0]["code"] == 422
    # The reception role writes no notes, online or offline.
    reception = make_user(db, org, role="reception", teams=[team])
    _as(client, db, reception, team)
    refused = push(client, ch("note", {"person_id": str(karim.id), "body": "Vu"}))[0]
    assert refused["status"] == "rejected" and refused["code"] == 403


def test_a_person_merged_meanwhile_still_gets_what_was_recorded_offline(client, db, org, team, rest_area, worker):
    from app.persons import merge
    from tests.persons.conftest import actor_for

    keep, dup = make_person(db, org, "Mohamed", teams=[team]), make_person(db, org, "Mouhamad", teams=[team])
    merge.merge(db, actor_for(worker, team), keep, dup, {})
    db.commit()
    _as(client, db, worker, team)
    enc = ch("encounter", {"person_ids": [str(dup.id), str(keep.id)]})
    note = ch("note", {"person_id": str(dup.id), "body": "Vu à Jaurès"})
    assert [r["status"] for r in push(client, enc, note)] == ["accepted", "accepted"]
    linked = db.exec(select(EncounterPerson.person_id).where(EncounterPerson.encounter_id == uuid.UUID(enc["id"])))
    assert list(linked) == [keep.id]
    assert db.get(PersonNote, uuid.UUID(note["id"])).person_id == keep.id


def test_values_of_the_wrong_kind_are_refused_with_a_reason_not_a_crash(client, db, org, team, worker):
    _as(client, db, worker, team)
    karim = make_person(db, org, "Karim", teams=[team])
    for person_ids in ({"a": 1}, [[str(karim.id)]], 12, [None]):  # JSON may carry anything where ids are expected
        result = push(client, ch("encounter", {"person_ids": person_ids}))[0]
        assert result["status"] == "rejected" and result["code"] == 422 and result["errors"], person_ids
    assert push(client, ch("checkin", {"person_id": {"a": 1}}))[0]["status"] == "rejected"
    assert count(db, Encounter) == 0 and count(db, Checkin) == 0
    for cursor in ("99999999999999999999999.1", "1.99999999999999999999999", "-1.-1"):  # beyond a bigint, negative
        bad = client.get("/api/sync/pull", params={"cursor": cursor})
        assert bad.status_code == 422 and "pull again from the start" in bad.json()["message"], cursor
