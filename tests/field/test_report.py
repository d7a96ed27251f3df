"""The daily team report: figures computed from the records of the working day, the team's own words (one
report per team and day, idempotent, optimistic concurrency), the handover on the next day, the extension point."""

import uuid
from datetime import timedelta

import pytest

from app.errors import Conflict, Forbidden
from app.field import report
from app.field.days import day_bounds, working_day
from app.field.forms import ReportForm
from app.i18n import lazy
from app.models import AnonymousContact, AnonymousMaterial, EncounterMaterial, utcnow
from app.web import validate_form
from tests.factories import (
    make_checkin,
    make_encounter,
    make_material,
    make_observation,
    make_person,
    make_round,
    make_team,
)
from tests.persons.conftest import actor_for


def report_form(**kw) -> ReportForm:
    result = validate_form(ReportForm, kw)
    assert result.ok, result.errors
    return result.data


def test_figures_count_what_the_team_recorded_during_its_working_day(db, org, worker, count_queries):
    night = make_team(db, org, name="Night rest area", kind="rest_area", capacity=10, noon_to_noon=True)
    actor = actor_for(worker, night)
    day = working_day(night)
    start, end = day_bounds(night, day)
    inside, before = start + timedelta(hours=1), start - timedelta(minutes=1)
    kit, tips = make_material(db, org, "Crack kit"), make_material(db, org, "Pipe tips", position=20)
    old = make_person(db, org, "Old", created_at=start - timedelta(days=40))
    new = make_person(db, org, "New", created_at=inside)
    checked = make_person(db, org, "Checked", created_at=start - timedelta(days=3))
    rnd = make_round(db, org, night, started_at=inside)
    make_round(db, org, night, started_at=before)  # the previous day's
    e1 = make_encounter(db, org, night, persons=[old, new], at=inside, round_id=rnd.id)
    make_encounter(db, org, night, persons=[old], at=inside + timedelta(hours=2))
    make_encounter(db, org, night, persons=[make_person(db, org)], at=before)  # the previous day's
    make_encounter(db, org, night, persons=[checked], at=inside, deleted_at=utcnow())  # deleted: not counted
    db.add_all(
        [
            EncounterMaterial(
                encounter_id=e1.id, material_id=kit.id, org_id=org.id, quantity=2, team_id=night.id, at=e1.at
            ),
            EncounterMaterial(
                encounter_id=e1.id, material_id=tips.id, org_id=org.id, quantity=5, team_id=night.id, at=e1.at
            ),
        ]
    )
    contact = AnonymousContact(org_id=org.id, team_id=night.id, round_id=rnd.id, at=inside, people=4)
    db.add(contact)
    db.flush()
    db.add(AnonymousMaterial(contact_id=contact.id, material_id=kit.id, org_id=org.id, quantity=3))
    db.commit()
    a = make_checkin(db, org, night, person=checked, arrived_at=inside, left_at=inside + timedelta(hours=5))
    make_checkin(db, org, night, person=old, arrived_at=inside + timedelta(hours=1))
    make_checkin(db, org, night, arrived_at=inside + timedelta(hours=6))  # anonymous, after `a` left
    make_observation(db, org, night, at=inside, women=2, men=5, others=1)
    assert a.day == day
    with count_queries() as queries:
        f = report.figures(db, actor, night, day)
    assert (f.rounds, f.encounters, f.persons, f.new_persons) == (1, 2, 3, 1)
    assert (f.anonymous_contacts, f.anonymous_people) == (1, 4)
    assert f.materials == [("Crack kit", 5), ("Pipe tips", 5)]
    assert (f.checkins, f.checkin_persons, f.anonymous_checkins, f.peak_occupancy) == (3, 2, 1, 2)
    assert (f.observations, f.people_seen) == (1, 8)
    # counts, materials, check-in times, and one statement per registered figure (needs): whatever the volume
    assert queries.n == 3 + len(report._FIGURES)
    assert not f.empty and report.figures(db, actor, night, day - timedelta(days=2)).empty


def test_a_registered_figure_appears_on_every_report(db, org, team, actor):
    registered = list(report._FIGURES)
    report.register_figure("test_seven", lazy("Needs recorded"), lambda session, actor, team, start, end: 7)
    report.register_figure("test_hidden", lazy("Hidden"), lambda session, actor, team, start, end: None)
    try:
        f = report.figures(db, actor, team, working_day(team))
        assert f.extra[-1] == ("test_seven", "Needs recorded", 7)
        assert "test_hidden" not in [key for key, _label, _value in f.extra]  # None: not for this actor
    finally:
        report._FIGURES[:] = registered


def test_one_report_per_team_and_day_saved_twice_once_and_edits_checked(db, org, team, actor, role_actor):
    day = working_day(team)
    first = report_form(id=str(uuid.uuid4()), description="Calm day", handover="See Sékou first")
    saved = report.save_report(db, actor, team, day, first)
    again = report.save_report(db, actor, team, day, first)  # the same form sent twice
    assert again.id == saved.id and report.get_report(db, actor, team, day).handover == "See Sékou first"
    version = saved.version
    db.commit()
    report.save_report(db, actor, team, day, report_form(version=str(version), partners="PASS"))
    db.commit()
    with pytest.raises(Conflict):  # an edit based on the first version, after the second
        report.save_report(db, actor, team, day, report_form(version=str(version), partners="Other"))
    db.rollback()
    with pytest.raises(Conflict):  # a second phone's first save of the same day
        report.save_report(db, actor, team, day, report_form(id=str(uuid.uuid4()), description="Mine"))
    db.rollback()
    outsider = role_actor("worker", at_rest_area=True)  # not in this team
    with pytest.raises(Forbidden):
        report.save_report(db, outsider, team, day, report_form(id=str(uuid.uuid4())))
    reception = role_actor("reception")
    assert not report.can_edit(reception, team)


def test_the_handover_shows_during_the_next_working_day_only(db, org, team, worker, actor):
    today = working_day(team)
    report.save_report(db, actor, team, today, report_form(handover="Today's note"))
    assert report.handover(db, actor, team) is None  # the current shift's own note is not "handed over" yet
    report.save_report(db, actor, team, today - timedelta(days=1), report_form(handover="Yesterday's note"))
    shown = report.handover(db, actor, team)
    assert shown.report.handover == "Yesterday's note" and shown.author == worker.name
    report.save_report(db, actor, team, today - timedelta(days=2), report_form(handover="Older"))
    assert report.handover(db, actor, team).report.handover == "Yesterday's note"
