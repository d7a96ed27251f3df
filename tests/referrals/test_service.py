"""Referrals: the literal lifecycle (no step skipped), consent before anything leaves the organisation, the
snapshot the receiving organisation gets, its steps flowing back, linking to its own person record (with the
duplicate guard), and waiting lists."""

import json
import uuid
from itertools import product

import pytest
from sqlmodel import select

from app.admin.service import FieldErrors
from app.crypto import DecryptError, decrypt, unseal
from app.errors import Invalid
from app.models import IncomingReferral, Person, Referral, ReferralStep, User
from app.persons import service as persons_service
from app.referrals import service
from app.referrals.forms import LinkForm, ReferralForm, StatusForm
from app.web import validate_form
from tests.factories import make_need, make_person, make_referral, make_structure, make_team


def refer(db, actor, person, structure, **kw) -> Referral:
    result = validate_form(ReferralForm, {"person_id": person.id, "structure_id": structure.id, **kw})
    assert result.ok, result.errors
    return service.create_referral(db, actor, result.data)


def step(db, actor, referral, status, **kw):
    service.change_status(db, actor, referral, StatusForm(status=status, **kw))


def incoming_of(db, referral) -> IncomingReferral:
    return db.exec(select(IncomingReferral).where(IncomingReferral.referral_id == referral.id)).one()


def test_the_lifecycle_refuses_every_jump_that_is_not_in_the_table(db, org, actor, person):
    structure = make_structure(db, org, "Hôpital – PASS", kind="hospital")  # not in Parcours: the sender records all
    for current, wanted in product(service.STATUSES, service.STATUSES):
        if current == wanted:
            continue
        referral = make_referral(db, org, person, structure, status=current)
        if wanted in service.TRANSITIONS[current]:
            step(db, actor, referral, wanted, outcome="reached" if wanted == "closed" else None)
            assert referral.status == wanted
        else:
            with pytest.raises(Invalid) as exc:
                step(db, actor, referral, wanted, outcome="reached" if wanted == "closed" else None)
            assert "cannot become" in exc.value.message, (current, wanted)
            assert referral.status == current


def test_each_step_is_dated_and_closing_needs_an_outcome(db, org, actor, person):
    structure = make_structure(db, org, "CAARUD", kind="caarud")
    referral = refer(db, actor, person, structure, reason="Matériel", send="true")
    for status in ("accepted", "attended"):
        step(db, actor, referral, status)
    assert validate_form(StatusForm, {"status": "closed"}).errors == {
        "__all__": "Say how the referral ended to close it."
    }
    step(db, actor, referral, "closed", outcome="partly", outcome_note="Est venu une fois")
    steps = db.exec(select(ReferralStep).where(ReferralStep.referral_id == referral.id).order_by(ReferralStep.at)).all()
    assert [s.status for s in steps] == ["proposed", "sent", "accepted", "attended", "closed"]
    assert all(s.user_id == actor.user_id for s in steps)
    assert referral.outcome == "partly" and unseal(db, referral, "outcome_note") == "Est venu une fois"
    assert referral.reason.startswith("enc1:") and unseal(db, referral, "reason") == "Matériel"


def test_no_referral_to_another_organisations_team_without_consent(db, org, actor, person, partner):
    with pytest.raises(FieldErrors) as exc:
        refer(db, actor, person, partner.structure, send="true")
    assert "nothing can be sent to it without the person's consent" in exc.value.errors["consent_given"]
    assert db.exec(select(Referral)).first() is None and db.exec(select(IncomingReferral)).first() is None
    outside = make_structure(db, org, "Hospital", kind="hospital")  # not in Parcours: sharing nothing is fine
    refer(db, actor, person, outside)
    with pytest.raises(FieldErrors, match="consent"):  # but ticking something to share needs the consent
        refer(db, actor, person, outside, shared=["phone"])


def test_the_receiver_gets_a_snapshot_of_what_was_consented_and_nothing_else(db, org, team, actor, person, partner):
    need = make_need(db, org, person, team)
    referral = refer(
        db,
        actor,
        person,
        partner.structure,
        need_id=need.id,
        reason="Épuisé, a besoin de dormir",
        shared=["languages", "alert", "reason"],
        consent_given="true",
        consent_scope="Cette orientation",
        send="true",
    )
    assert referral.status == "sent" and referral.consent_by == actor.user_id and referral.consent_at is not None
    incoming = incoming_of(db, referral)
    assert incoming.org_id == partner.org.id and incoming.team_id == partner.team.id and incoming.person_id is None
    assert incoming.from_label == f"{org.name} · {team.name}"
    snap = service.read_snapshot(db, incoming)
    assert snap == {
        "alias": "Sékou",
        "languages": ["bambara", "français"],
        "alert": "Très amaigri",
        "reason": "Épuisé, a besoin de dormir",
        "consent_at": referral.consent_at.isoformat(),
        "consent_scope": "Cette orientation",
    }
    # Encrypted under the receiver's key: the sender's key does not open it, and it names nothing else.
    with pytest.raises(DecryptError):
        decrypt(db, org.id, incoming.snapshot, f"incoming_referrals.snapshot:{incoming.id}")
    assert "06 11" not in json.dumps(snap) and "Mali" not in json.dumps(snap) and "Veste" not in json.dumps(snap)


def test_the_receivers_steps_flow_back_and_the_sender_cannot_record_them(db, org, actor, person, partner):
    referral = refer(db, actor, person, partner.structure, consent_given="true", send="true")
    with pytest.raises(Invalid, match="receiving team records this step"):
        step(db, actor, referral, "accepted")
    incoming = incoming_of(db, referral)
    with pytest.raises(Invalid, match="cannot become"):  # no skipping: admitted needs accepted or the waiting list
        service.receive_status(db, partner.actor, incoming, StatusForm(status="admitted"))
    with pytest.raises(Invalid):  # closing is the sender's step
        service.receive_status(db, partner.actor, incoming, StatusForm(status="closed", outcome="reached"))
    service.receive_status(db, partner.actor, incoming, StatusForm(status="waiting_list"))
    service.receive_status(db, partner.actor, incoming, StatusForm(status="admitted"))
    db.refresh(referral)
    assert referral.status == "admitted"
    back = service.view(db, actor, referral)
    assert [(s.status, s.by) for s in back.steps][-2:] == [
        ("waiting_list", "Association Horizon · Espace de repos Rosa"),
        ("admitted", "Association Horizon · Espace de repos Rosa"),
    ]
    assert back.actions == ["closed"]
    step(db, actor, referral, "closed", outcome="reached")
    assert incoming_of(db, referral).status == "closed"


def test_a_cancelled_referral_shows_cancelled_in_the_receivers_inbox(db, org, actor, person, partner):
    referral = refer(db, actor, person, partner.structure, consent_given="true", send="true")
    step(db, actor, referral, "cancelled")
    incoming = incoming_of(db, referral)
    assert incoming.status == "cancelled"
    assert service.incoming_view(db, partner.actor, incoming).actions == []


def test_a_structure_archived_or_a_closed_door_stops_the_sending_with_a_message(db, org, actor, person, partner):
    archived = make_structure(db, org, "Old", kind="caarud")
    archived.archived_at = archived.created_at
    db.add(archived)
    db.commit()
    with pytest.raises(FieldErrors) as exc:
        refer(db, actor, person, archived)
    assert exc.value.errors == {"structure_id": "Old is archived: choose another structure."}
    proposed = refer(db, actor, person, partner.structure, consent_given="true")
    partner.inbox.closed_at = partner.inbox.created_at
    db.add(partner.inbox)
    db.commit()
    with pytest.raises(Invalid, match="no longer receives referrals"):
        step(db, actor, proposed, "sent")


def test_the_receiver_links_the_referral_to_its_own_record_after_the_duplicate_guard(db, org, actor, person, partner):
    referral = refer(
        db, actor, person, partner.structure, shared=["age", "languages", "phone"], consent_given="true", send="true"
    )
    incoming = incoming_of(db, referral)
    known = make_person(db, partner.org, "Sekou")  # the receiver's own record, spelled differently
    with pytest.raises(service.LookAlikes) as exc:
        service.link_person(db, partner.actor, incoming, LinkForm(create=True))
    assert [r.id for r in exc.value.rows] == [known.id]
    created = service.link_person(db, partner.actor, incoming, LinkForm(create=True, confirm=True))
    assert created.org_id == partner.org.id and created.id != person.id and incoming.person_id == created.id
    phone = persons_service.texts(db, partner.actor, created)["phone"]  # encrypted at rest with the receiver's key
    assert (created.alias, created.birth_year, created.languages, phone) == (
        "Sékou",
        1979,
        ["bambara", "français"],
        "06 11 22 33 44",
    )
    assert created.nationality is None and created.alert is False  # not consented: not copied
    service.link_person(db, partner.actor, incoming, LinkForm(other_id=known.id))
    assert incoming.person_id == known.id
    with pytest.raises(FieldErrors):  # the sender's person is not the receiver's to pick
        service.link_person(db, partner.actor, incoming, LinkForm(other_id=person.id))


def test_a_referral_to_a_team_of_the_same_organisation_needs_no_consent(db, org, actor, person):
    rest = make_structure(db, org, "Our rest area", kind="rest_area")
    rest_team = make_team(db, org, "Espace Rosa", kind="rest_area")
    rest.linked_team_id, rest.linked_org_id = rest_team.id, org.id
    db.add(rest)
    db.commit()
    referral = refer(db, actor, person, rest, send="true")
    incoming = incoming_of(db, referral)
    assert incoming.org_id == org.id and incoming.person_id == person.id
    service.receive_status(db, actor, incoming, StatusForm(status="accepted"))
    assert referral.status == "accepted"
    assert [s.by for s in service.view(db, actor, referral).steps][-1] == db.get(User, actor.user_id).name


def test_waiting_lists_give_each_persons_position_and_waiting_time(db, org, actor, partner):
    persons = [make_person(db, org, alias) for alias in ("First", "Second", "Third")]
    for p in persons:
        referral = refer(db, actor, p, partner.structure, consent_given="true", send="true")
        service.receive_status(db, partner.actor, incoming_of(db, referral), StatusForm(status="waiting_list"))
    rows = service.team_waiting_list(db, partner.actor, partner.team.id)
    assert [(r.position, r.alias, r.waiting_days) for r in rows] == [(1, "First", 0), (2, "Second", 0), (3, "Third", 0)]
    assert service.incoming_view(db, partner.actor, rows[1].incoming).position == 2
    sender_side = service.structure_waiting_list(db, actor, partner.structure)
    assert [r.alias for r in sender_side] == ["First", "Second", "Third"]
    assert service.team_waiting_list(db, actor, partner.team.id) == []  # not the sender's list to read


def test_the_same_form_sent_twice_makes_one_referral(db, org, actor, person, partner):
    client_id = uuid.uuid4()
    first = refer(db, actor, person, partner.structure, id=client_id, consent_given="true", send="true")
    again = refer(db, actor, person, partner.structure, id=client_id, consent_given="true", send="true")
    assert again.id == first.id == client_id
    assert len(db.exec(select(IncomingReferral)).all()) == 1
    assert len(db.exec(select(Person).where(Person.org_id == partner.org.id)).all()) == 0
