"""Rounds: start for today's team with its members and territory, the time band, ending, anonymous contacts."""

import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from app.admin.service import FieldErrors
from app.field import rounds
from app.field.days import local_input, time_band
from app.field.forms import AnonymousForm, EndRoundForm, RoundForm
from app.models import AnonymousMaterial, Round, RoundMember, utcnow
from app.web import validate_form
from tests.factories import make_material, make_org, make_team, make_territory, make_user
from tests.persons.conftest import actor_for


def parsed(model, **kw):
    result = validate_form(model, kw)
    assert result.ok, result.errors
    return result.data


def test_a_round_starts_for_todays_team_with_its_members_and_time_band(db, org, team, actor):
    partner = make_user(db, org, role="health", teams=[team])
    territory = make_territory(db, org, "Stalingrad")
    started = utcnow() - timedelta(minutes=30)
    f = parsed(
        RoundForm,
        id=str(uuid.uuid4()),
        kind="bus",
        territory_id=str(territory.id),
        member_ids=[str(partner.id)],
        started_at=local_input(started),
    )
    rnd = rounds.start_round(db, actor, f)
    assert rnd.team_id == team.id and rnd.kind == "bus" and rnd.time_band == time_band(started)
    members = set(db.exec(select(RoundMember.user_id).where(RoundMember.round_id == rnd.id)))
    assert members == {partner.id, actor.user_id}  # who starts it is on it
    assert rounds.start_round(db, actor, f).id == rnd.id  # sent twice: one round
    assert len(db.exec(select(Round)).all()) == 1
    assert [r.id for r in rounds.running(db, actor, team.id)] == [rnd.id]
    assert rounds.round_for_encounter(db, actor, team.id).id == rnd.id
    view = rounds.views(db, actor, [rnd])[0]
    assert view.territory == "Stalingrad" and sorted(view.members) == sorted(
        [partner.name, db.get(type(partner), actor.user_id).name]
    )


def test_a_round_refuses_members_outside_the_team_and_foreign_territories(db, org, team, actor):
    stranger = make_user(db, org, teams=[make_team(db, org)])
    foreign = make_territory(db, make_org(db))
    with pytest.raises(FieldErrors) as exc:
        rounds.start_round(
            db,
            actor,
            parsed(
                RoundForm,
                id=str(uuid.uuid4()),
                kind="foot",
                member_ids=[str(stranger.id)],
                territory_id=str(foreign.id),
            ),
        )
    assert exc.value.errors == {
        "territory_id": "Choose one of the options.",
        "member_ids": "Choose one of the options.",
    }


def test_without_a_team_picked_today_nothing_starts(db, worker):
    with pytest.raises(FieldErrors) as exc:
        rounds.start_round(db, actor_for(worker), parsed(RoundForm, id=str(uuid.uuid4()), kind="foot"))
    assert exc.value.errors == {"__all__": "Choose the team you work with today first."}


def test_ending_a_round_checks_the_time_and_a_second_end_changes_nothing(db, org, actor):
    rnd = rounds.start_round(db, actor, parsed(RoundForm, id=str(uuid.uuid4()), kind="foot"))
    db.commit()
    too_early = local_input(rnd.started_at - timedelta(hours=1))
    with pytest.raises(FieldErrors) as exc:
        rounds.end_round(db, actor, rnd, parsed(EndRoundForm, ended_at=too_early))
    assert "cannot end before it started" in exc.value.errors["ended_at"]
    db.rollback()
    rnd = db.get(Round, rnd.id)
    rounds.end_round(db, actor, rnd, parsed(EndRoundForm, version=str(rnd.version)))
    ended = rnd.ended_at
    rounds.end_round(db, actor, rnd, parsed(EndRoundForm))  # the partner taps "end" too
    assert rnd.ended_at == ended and rounds.running(db, actor, rnd.team_id) == []


def test_anonymous_contacts_count_people_and_materials_on_the_round(db, org, actor):
    rnd = rounds.start_round(db, actor, parsed(RoundForm, id=str(uuid.uuid4()), kind="foot"))
    kit = make_material(db, org)
    f = parsed(AnonymousForm, id=str(uuid.uuid4()), people="3")
    contact = rounds.add_anonymous(db, actor, rnd, f, {f"m_{kit.id}": "3"})
    assert rounds.add_anonymous(db, actor, rnd, f, {f"m_{kit.id}": "3"}).id == contact.id
    assert db.exec(select(AnonymousMaterial.quantity)).all() == [3]
    assert rounds.views(db, actor, [rnd])[0].anonymous == 3
    listed = rounds.anonymous_contacts(db, actor, rnd)
    assert [(a.contact.people, a.materials) for a in listed] == [(3, [("Crack kit", 3)])]
    assert validate_form(AnonymousForm, {"id": str(uuid.uuid4()), "people": "0"}).errors == {
        "people": "Must be at least 1."
    }
    with pytest.raises(FieldErrors):
        rounds.add_anonymous(
            db, actor, rnd, parsed(AnonymousForm, id=str(uuid.uuid4()), people="1"), {f"m_{kit.id}": "-2"}
        )
