"""The copies link tables keep of their record (app/copies.py): every writer keeps them in step, a drift is found
and counted per copy and organisation, repaired from the record, and `parcours copies check|repair` says so."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select, update
from typer.testing import CliRunner

from app import copies
from app.caseload import service as caseload
from app.cli import app as cli
from app.field import encounters
from app.field.days import local_input
from app.field.forms import EncounterForm
from app.indicators.service import Scope, compute
from app.models import EncounterMaterial, EncounterPerson, NeedPerson, NeedTeam, utcnow
from app.needs import service as needs
from app.needs.forms import NeedForm
from app.web import validate_form
from tests.factories import make_material, make_org, make_person, make_team, make_user
from tests.persons.conftest import actor_for

IN_STEP = {"encounter_persons": 0, "encounter_materials": 0, "need_persons": 0, "need_teams": 0}


def _form(model, **kw):
    result = validate_form(model, kw)
    assert result.ok, result.errors
    return result.data


def _encounter(db, actor, persons, raw=None, **kw):
    form = _form(EncounterForm, id=str(uuid.uuid4()), person_ids=[str(p.id) for p in persons], **kw)
    return encounters.record_encounter(db, actor, form, raw or {})


def _need(db, actor, persons, team, **kw):
    values = {"person_ids": [str(p.id) for p in persons], "team_ids": [str(team.id)], **kw}
    return needs.create_need(db, actor, _form(NeedForm, **values))


@pytest.fixture
def drift(db):
    """Overwrite a copy behind its writer's back (every row of the table, both organisations)."""

    def _drift(model, **values):
        db.exec(update(model).values(**values))  # type: ignore[call-overload]
        db.expire_all()

    return _drift


def test_every_writer_keeps_the_copies_in_step(db, org, team, actor):
    awa, moussa = make_person(db, org, "Awa"), make_person(db, org, "Moussa")
    kit = make_material(db, org, "Crack kit")
    _encounter(db, actor, [awa, moussa], {f"m_{kit.id}": "2"})
    assert copies.drifts(db, org.id) == IN_STEP
    gone = _encounter(db, actor, [awa], {f"m_{kit.id}": "1"})
    encounters.delete_encounter(db, actor, gone)
    db.flush()
    assert copies.drifts(db, org.id) == IN_STEP
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    n = _need(db, actor, [awa], team, due_on=yesterday, urgent="on")
    assert copies.drifts(db, org.id) == IN_STEP
    both = {"person_ids": [str(awa.id), str(moussa.id)], "team_ids": [str(team.id)]}
    needs.update_need(db, actor, n, _form(NeedForm, **both, urgent="on", due_time="09:30", due_on=yesterday))
    assert copies.drifts(db, org.id) == IN_STEP
    needs.set_status(db, actor, n, "done")
    assert copies.drifts(db, org.id) == IN_STEP
    needs.set_status(db, actor, _need(db, actor, [moussa], team), "cancelled")
    assert copies.drifts(db, org.id) == IN_STEP


def test_a_drift_is_counted_per_copy_and_repaired_from_the_record(db, org, team, actor, drift):
    """What a drift does to users, and that repair undoes it: a deleted encounter and its material counted again by
    the indicators (which keep their figures: the repaired links mark their days for the next reading), a person
    missing from the caseload's overdue needs, a need listed as not urgent."""
    awa = make_person(db, org, "Awa")
    kit = make_material(db, org, "Crack kit")
    five_days_ago = date.today() - timedelta(days=5)  # a day whose figures the indicators keep
    gone = _encounter(db, actor, [awa], {f"m_{kit.id}": "1"}, at=local_input(utcnow() - timedelta(days=5)))
    encounters.delete_encounter(db, actor, gone)
    n = _need(db, actor, [awa], team, due_on=(date.today() - timedelta(days=3)).isoformat(), urgent="on")
    coordinator = actor_for(make_user(db, org, role="coordinator"))

    def overdue() -> list[str]:
        return [line.alias for line in caseload.lines(db, coordinator, "overdue_needs", caseload.Filters())[0]]

    def met() -> tuple[int, int]:  # persons met, and materials given (a figure the indicators keep per day)
        figures = compute(db, Scope(org.id, five_days_ago, five_days_ago)).figures
        return figures["persons_met"], figures["materials"]

    # The same person and need in another organisation, drifted too: one organisation's repair leaves it alone.
    other_org = make_org(db)
    other_team = make_team(db, other_org)
    other_actor = actor_for(make_user(db, other_org, role="worker", teams=[other_team]), other_team)
    other_need = _need(db, other_actor, [make_person(db, other_org)], other_team)
    assert overdue() == ["Awa"] and met() == (0, 0)

    drift(EncounterPerson, deleted_at=None)
    drift(EncounterMaterial, deleted_at=None)
    drift(NeedPerson, open=False)
    drift(NeedTeam, urgent=False, due_on=None)
    drifted = {"encounter_persons": 1, "encounter_materials": 1, "need_persons": 1, "need_teams": 1}
    assert copies.drifts(db, org.id) == drifted
    assert copies.drifts(db, other_org.id) == {**IN_STEP, "need_persons": 1, "need_teams": 1}
    assert overdue() == [] and met() == (1, 1)  # what users saw

    assert copies.repair(db, org.id) == drifted
    assert copies.drifts(db, org.id) == IN_STEP
    assert overdue() == ["Awa"] and met() == (0, 0)
    link = db.exec(select(NeedTeam).where(NeedTeam.need_id == n.id)).one()
    assert link.urgent is True and link.due_on == n.due_on
    assert db.exec(select(EncounterPerson).where(EncounterPerson.encounter_id == gone.id)).one().deleted_at
    assert copies.drifts(db, other_org.id)["need_persons"] == 1  # untouched
    assert db.exec(select(NeedTeam).where(NeedTeam.need_id == other_need.id)).one().urgent is False


def test_the_daily_check_fails_on_a_drift_and_repair_mends_it(db, org, team, actor, drift, monkeypatch):
    awa = make_person(db, org, "Awa")
    _encounter(db, actor, [awa])
    _need(db, actor, [awa], team)
    monkeypatch.setattr("app.db.get_engine", lambda: db.get_bind())
    ok = CliRunner().invoke(cli, ["copies", "check"])
    assert ok.exit_code == 0, ok.output
    assert f"{org.name}: checked (all in step) in" in ok.output

    drift(EncounterPerson, at=datetime(2020, 1, 1, tzinfo=UTC))
    drift(NeedPerson, open=False)
    bad = CliRunner().invoke(cli, ["copies", "check"])
    assert bad.exit_code == 1
    assert f"{org.name}: checked (1 encounter_persons, 1 need_persons) in" in bad.output
    assert "2 link(s) out of step with their record: run `parcours copies repair`." in bad.output

    mended = CliRunner().invoke(cli, ["copies", "repair"])
    assert mended.exit_code == 0, mended.output
    assert f"{org.name}: done (repaired 1 encounter_persons, 1 need_persons) in" in mended.output
    assert CliRunner().invoke(cli, ["copies", "check"]).exit_code == 0
