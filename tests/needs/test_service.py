"""Needs: creation for one or several persons, encrypted description, team lists, status with completion date and
history, recurrence, the person counter, home page, week view and the organisation's categories."""

import uuid
from datetime import date, time, timedelta

import pytest
from sqlmodel import select

from app.admin.service import FieldErrors
from app.crypto import unseal
from app.errors import Conflict
from app.models import Need, NeedCategory, NeedChange, NeedTeam
from app.needs import service
from app.needs.forms import NeedFilter, NeedForm
from app.persons import timeline
from app.web import validate_form
from tests.factories import make_org, make_person, make_team, make_user
from tests.persons.conftest import actor_for


def form(**kw) -> NeedForm:
    result = validate_form(NeedForm, kw)
    assert result.ok, result.errors
    return result.data


def need(db, actor, persons, team, **kw):
    values = {"person_ids": [p.id for p in persons], "team_ids": [team.id], **kw}
    return service.create_need(db, actor, form(**values))


def aliases(rows):
    return [r.persons[0][1] for r in rows]


def test_a_need_for_a_family_keeps_its_description_encrypted_and_counts_for_each_person(db, org, team, actor):
    mother, child = make_person(db, org, "Awa"), make_person(db, org, "Petit Moussa")
    shelter = next(c for c in service.categories(db, actor) if c.label == "Shelter")
    client_id = uuid.uuid4()
    n = need(
        db, actor, [mother, child], team, id=client_id, category_ids=[shelter.id], description="Place famille ce soir"
    )
    assert n.id == client_id and n.status == "todo"
    assert n.description.startswith("enc1:") and "famille" not in n.description
    assert unseal(db, n, "description") == "Place famille ce soir"
    again = need(db, actor, [mother], team, id=client_id)  # the same form sent twice
    assert again.id == n.id and len(db.exec(select(Need)).all()) == 1
    assert timeline.count(db, actor, mother.id, "open_needs") == 1
    assert timeline.count(db, actor, child.id, "open_needs") == 1
    row = service.rows_for(db, actor, [n])[0]
    assert row.categories == ["Shelter"] and sorted(a for _i, a in row.persons) == ["Awa", "Petit Moussa"]


def test_bad_input_is_refused_with_a_sentence(db, org, team, actor):
    person = make_person(db, org)
    cases = [
        ({"team_ids": [str(team.id)]}, "person_ids", "Choose at least one person."),
        ({"person_ids": [str(person.id)]}, "team_ids", "Choose at least one team."),
        ({"person_ids": [str(person.id)], "team_ids": [str(team.id)], "due_time": "14:00"}, "__all__", "A time needs"),
        (
            {"person_ids": [str(person.id)], "team_ids": [str(team.id)], "repeat_every": "1", "repeat_unit": "week"},
            "__all__",
            "A repeated need needs a due date.",
        ),
    ]
    for values, name, message in cases:
        result = validate_form(NeedForm, values)
        assert message in result.errors.get(name, ""), (values, result.errors)
    other_person = make_person(db, make_org(db))
    with pytest.raises(FieldErrors) as exc:
        need(db, actor, [other_person], team)
    assert exc.value.errors == {"person_ids": "Choose the persons in the list."}
    with pytest.raises(FieldErrors):
        need(db, actor, [person], make_team(db, make_org(db)))


def test_team_lists_sort_needs_into_overdue_today_upcoming_and_done(db, org, team, actor):
    today = service.today()
    other_team = make_team(db, org)
    p = {a: make_person(db, org, a) for a in ("Old", "Late", "Now", "Soon", "Someday", "Finished", "Elsewhere")}
    need(db, actor, [p["Old"]], team, due_on=today - timedelta(days=9))
    need(db, actor, [p["Late"]], team, due_on=today - timedelta(days=1))
    need(db, actor, [p["Now"]], team, due_on=today, due_time=time(9, 30))
    need(db, actor, [p["Soon"]], team, due_on=today + timedelta(days=2))
    need(db, actor, [p["Someday"]], team)
    done = need(db, actor, [p["Finished"]], team, due_on=today)
    service.set_status(db, actor, done, "done")
    need(db, actor, [p["Elsewhere"]], other_team, due_on=today)

    def view(name, **kw):
        return aliases(service.list_needs(db, actor, team, NeedFilter(view=name, **kw))[0])

    assert view("overdue") == ["Old", "Late"]
    assert view("today") == ["Now"]
    assert view("upcoming") == ["Soon", "Someday"]
    assert view("done") == ["Finished"]
    assert service.counts(db, actor, team) == {"overdue": 2, "today": 1}
    assert view("overdue", person_id=p["Late"].id) == ["Late"]
    assert view("overdue", status="in_progress") == []


def test_category_filter_and_one_persons_needs_across_teams(db, org, team, actor):
    cats = {c.label: c for c in service.categories(db, actor)}
    person = make_person(db, org, "Karim")
    need(db, actor, [person], team, category_ids=[cats["ID papers"].id])
    need(db, actor, [make_person(db, org, "Loïc")], team, category_ids=[cats["Income"].id])
    need(db, actor, [person], make_team(db, org), category_ids=[cats["Income"].id])
    rows, _more = service.list_needs(db, actor, team, NeedFilter(view="upcoming", category_id=cats["Income"].id))
    assert aliases(rows) == ["Loïc"]
    rows, _more = service.list_needs(db, actor, None, NeedFilter(view="all", person_id=person.id, all_teams=True))
    assert sorted(r.summary for r in rows) == ["ID papers", "Income"]


def test_status_changes_record_the_completion_date_and_the_history(db, org, team, actor):
    n = need(db, actor, [make_person(db, org)], team, due_on=service.today())
    service.set_status(db, actor, n, "in_progress")
    service.set_status(db, actor, n, "done")
    assert n.completed_at is not None and n.completed_by == actor.user_id
    assert db.exec(select(NeedTeam).where(NeedTeam.need_id == n.id)).one().open is False
    service.set_status(db, actor, n, "done")  # a double tap changes nothing
    service.set_status(db, actor, n, "todo")  # reopened
    assert n.completed_at is None and db.exec(select(NeedTeam).where(NeedTeam.need_id == n.id)).one().open
    moves = [(c.old, c.new) for c in reversed(service.history(db, actor, n)) if c.field == "status"]
    assert moves == [("To do", "In progress"), ("In progress", "Done"), ("Done", "To do")]


def test_an_edit_based_on_an_old_version_is_a_conflict_and_history_never_holds_the_description(db, org, team, actor):
    person = make_person(db, org)
    n = need(db, actor, [person], team, description="Rendez-vous CCAS")
    version = n.version
    service.update_need(
        db,
        actor,
        n,
        form(person_ids=[person.id], team_ids=[team.id], version=version, description="Secret", urgent="true"),
    )
    with pytest.raises(Conflict):
        service.update_need(db, actor, n, form(person_ids=[person.id], team_ids=[team.id], version=version))
    changes = db.exec(select(NeedChange).where(NeedChange.need_id == n.id)).all()
    assert {c.field for c in changes} == {"created", "description", "urgent"}
    assert not any("Secret" in (c.old or "") + (c.new or "") for c in changes)
    assert unseal(db, n, "description") == "Secret"


def test_completing_a_repeated_need_creates_the_next_occurrence_once(db, org, team, actor):
    cats = service.categories(db, actor)
    person = make_person(db, org)
    first_day = date(2026, 3, 2)
    n = need(
        db,
        actor,
        [person],
        team,
        due_on=first_day,
        due_time=time(14),
        repeat_every=1,
        repeat_unit="week",
        repeat_until=date(2026, 3, 10),
        category_ids=[cats[1].id],
        description="Sage-femme",
    )
    nxt = service.set_status(db, actor, n, "done")
    assert nxt is not None and nxt.due_on == date(2026, 3, 9) and nxt.due_time == time(14)
    assert nxt.previous_id == n.id and nxt.series_id == n.id and nxt.status == "todo"
    row = service.rows_for(db, actor, [nxt])[0]
    assert row.persons == [(person.id, person.alias)] and row.categories == [cats[1].label]
    assert row.description == "Sage-femme" and row.teams == [team.name]
    service.set_status(db, actor, n, "todo")
    assert service.set_status(db, actor, n, "done") is None  # done again: no second copy
    assert service.set_status(db, actor, nxt, "done") is None  # 16 March is past the end of the series
    assert len(db.exec(select(Need).where(Need.series_id == n.id)).all()) == 2


def test_next_due_days_weeks_and_months(db):
    assert service.next_due(date(2026, 1, 31), 1, "month") == date(2026, 2, 28)
    assert service.next_due(date(2026, 11, 15), 3, "month") == date(2027, 2, 15)
    assert service.next_due(date(2026, 1, 1), 10, "day") == date(2026, 1, 11)
    assert service.next_due(date(2026, 1, 1), 2, "week") == date(2026, 1, 15)


def test_home_shows_the_teams_urgent_and_overdue_needs(db, org, team, actor):
    today = service.today()
    need(db, actor, [make_person(db, org, "Late")], team, due_on=today - timedelta(days=3))
    need(db, actor, [make_person(db, org, "Urgent")], team, urgent="true", due_on=today + timedelta(days=1))
    need(db, actor, [make_person(db, org, "Calm")], team, due_on=today + timedelta(days=1))
    need(db, actor, [make_person(db, org, "Other team")], make_team(db, org), due_on=today - timedelta(days=3))
    assert aliases(service.home_needs(db, actor, team.id)) == ["Late", "Urgent"]


def test_the_week_view_lists_each_day_of_the_week(db, org, team, actor):
    monday = date(2026, 3, 2)
    need(db, actor, [make_person(db, org, "Tuesday")], team, due_on=monday + timedelta(days=1))
    need(db, actor, [make_person(db, org, "Sunday")], team, due_on=monday + timedelta(days=6))
    need(db, actor, [make_person(db, org, "Next week")], team, due_on=monday + timedelta(days=7))
    cancelled = need(db, actor, [make_person(db, org, "Cancelled")], team, due_on=monday)
    service.set_status(db, actor, cancelled, "cancelled")
    days = service.week(db, actor, team, monday)
    assert [d for d, _rows in days] == [monday + timedelta(days=i) for i in range(7)]
    assert {d.isoformat(): aliases(rows) for d, rows in days if rows} == {
        "2026-03-03": ["Tuesday"],
        "2026-03-08": ["Sunday"],
    }


def test_default_categories_are_grouped_and_created_once_per_organisation(db, org, actor):
    cats = service.categories(db, actor)
    assert len(cats) == 12 and service.categories(db, actor) == cats
    groups = dict(service.grouped(cats))
    papers = ["Domiciliation / address", "ID papers", "Health insurance", "Income"]
    assert [c.label for c in groups["Papers and rights"]] == papers
    other = actor_for(make_user(db, make_org(db), role="admin"))
    assert len(service.categories(db, other)) == 12
    assert len(db.exec(select(NeedCategory)).all()) == 24


def test_merging_two_records_keeps_one_link_to_a_need_of_both(db, org, team, actor):
    from app.persons import merge

    a, b = make_person(db, org, "Aïcha"), make_person(db, org, "Aisha")
    shared = need(db, actor, [a, b], team)
    own = need(db, actor, [b], team)
    merge.merge(db, actor, a, b, {}, (None, None))
    assert [pid for pid, _a in service.rows_for(db, actor, [shared])[0].persons] == [a.id]
    assert [pid for pid, _a in service.rows_for(db, actor, [own])[0].persons] == [a.id]
    assert timeline.count(db, actor, a.id, "open_needs") == 2


def _at(monkeypatch, *local):
    """Freeze the clock at a Paris time for the working-day helpers and the needs service."""
    from datetime import datetime

    from app.web import TZ

    now = datetime(*local, tzinfo=TZ)
    monkeypatch.setattr("app.field.days.utcnow", lambda: now)
    monkeypatch.setattr("app.needs.service.utcnow", lambda: now)


def test_a_night_teams_lists_run_from_noon_to_noon_around_midnight_and_noon(db, org, actor, monkeypatch):
    night = make_team(db, org, name="Night patrol", noon_to_noon=True)
    day_team = make_team(db, org, name="Day patrol")
    monday, tuesday = date(2026, 3, 9), date(2026, 3, 10)
    dues = {
        "Mon 09:00": (monday, time(9)),  # before Monday noon: Sunday's night shift
        "Mon": (monday, None),
        "Mon 20:00": (monday, time(20)),
        "Tue 03:00": (tuesday, time(3)),  # the end of Monday's night shift
        "Tue 12:00": (tuesday, time(12)),
        "Tue": (tuesday, None),
    }
    for alias, (due_on, due_time) in dues.items():
        person = make_person(db, org, alias)
        need(db, actor, [person], night, due_on=due_on, due_time=due_time)
        need(db, actor, [person], day_team, due_on=due_on, due_time=due_time)

    def lists(team):
        return {
            v: set(aliases(service.list_needs(db, actor, team, NeedFilter(view=v))[0]))
            for v in ("overdue", "today", "upcoming")
        }

    monday_shift = {
        "overdue": {"Mon 09:00"},
        "today": {"Mon", "Mon 20:00", "Tue 03:00"},
        "upcoming": {"Tue 12:00", "Tue"},
    }
    for moment in ((2026, 3, 9, 12, 0), (2026, 3, 9, 23, 59), (2026, 3, 10, 0, 1), (2026, 3, 10, 11, 59)):
        _at(monkeypatch, *moment)
        assert lists(night) == monday_shift, moment  # midnight changes nothing for a night team
        assert service.counts(db, actor, night) == {"overdue": 1, "today": 3}
    # ...whereas a day team's "today" turned at midnight.
    assert lists(day_team) == {
        "overdue": {"Mon 09:00", "Mon", "Mon 20:00"},
        "today": {"Tue 03:00", "Tue 12:00", "Tue"},
        "upcoming": set(),
    }
    # Noon on Tuesday: the night team's Monday shift is over.
    _at(monkeypatch, 2026, 3, 10, 12, 0)
    assert lists(night) == {
        "overdue": {"Mon 09:00", "Mon", "Mon 20:00", "Tue 03:00"},
        "today": {"Tue 12:00", "Tue"},
        "upcoming": set(),
    }
    home = service.home_needs(db, actor, night.id)
    assert aliases(home) == ["Mon 09:00", "Mon 20:00", "Mon", "Tue 03:00"] and all(r.overdue for r in home)
    # Late on Monday night, "Tue 03:00" is today's, not overdue, on the night team's rows.
    _at(monkeypatch, 2026, 3, 10, 4, 0)
    today_rows = service.list_needs(db, actor, night, NeedFilter(view="today"))[0]
    assert {aliases([r])[0]: r.overdue for r in today_rows}["Tue 03:00"] is False
    assert [aliases([r])[0] for r in service.home_needs(db, actor, night.id)] == ["Mon 09:00"]


def test_a_night_teams_week_puts_the_small_hours_in_the_shift_they_end(db, org, actor, monkeypatch):
    _at(monkeypatch, 2026, 3, 10, 4, 0)  # Tuesday 04:00: still Monday's shift
    night = make_team(db, org, name="Night patrol", noon_to_noon=True)
    monday = date(2026, 3, 9)
    need(db, actor, [make_person(db, org, "Sunday night")], night, due_on=monday, due_time=time(6))
    need(db, actor, [make_person(db, org, "Monday night")], night, due_on=monday + timedelta(days=1), due_time=time(2))
    need(db, actor, [make_person(db, org, "Sunday")], night, due_on=monday + timedelta(days=6))
    need(db, actor, [make_person(db, org, "After Sunday")], night, due_on=monday + timedelta(days=7), due_time=time(1))
    need(db, actor, [make_person(db, org, "Next Monday")], night, due_on=monday + timedelta(days=7), due_time=time(13))
    days = dict(service.week(db, actor, night, monday))
    assert {d.isoformat(): aliases(rows) for d, rows in days.items() if rows} == {
        "2026-03-09": ["Monday night"],
        "2026-03-15": ["Sunday", "After Sunday"],
    }


def test_the_daily_report_counts_the_needs_recorded_done_and_overdue_in_a_night_teams_working_day(
    db, org, actor, monkeypatch
):
    from datetime import datetime

    from app.field import report
    from app.web import TZ

    night = make_team(db, org, name="Night patrol", noon_to_noon=True)
    monday, sunday = date(2026, 3, 9), date(2026, 3, 8)

    def paris(d, h, m=0):
        return datetime(d.year, d.month, d.day, h, m, tzinfo=TZ)

    def make(alias, created, team=night, **kw):
        n = need(db, actor, [make_person(db, org, alias)], team, **kw)
        n.created_at = created
        db.add(n)
        db.flush()
        return n

    def close(n, status, at):
        monkeypatch.setattr("app.needs.service.utcnow", lambda: at)
        service.set_status(db, actor, n, status)

    tuesday = monday + timedelta(days=1)
    in_day = make("Recorded and done", paris(monday, 13), due_on=tuesday)
    close(in_day, "done", paris(tuesday, 2))  # 02:00: still Monday's shift
    make("Overdue, open", paris(monday, 11), due_on=sunday)
    make("Recorded in the small hours, overdue", paris(tuesday, 11, 30), due_on=monday, due_time=time(9))
    early = make("Done before the shift", paris(sunday, 10), due_on=monday, due_time=time(10))
    close(early, "done", paris(monday, 11))
    late = make("Overdue, done during the shift", paris(sunday, 9), due_on=sunday)
    close(late, "done", paris(monday, 15))
    make("Next shift", paris(tuesday, 12, 30), due_on=sunday)
    dropped = make("Cancelled", paris(sunday, 9), due_on=tuesday)
    close(dropped, "cancelled", paris(monday, 20))
    make("Another team's", paris(monday, 14), team=make_team(db, org), due_on=sunday)

    def figures(day):
        return {key: value for key, _label, value in report.figures(db, actor, night, day).extra}

    monkeypatch.setattr("app.needs.service.utcnow", lambda: paris(tuesday + timedelta(days=1), 9))  # Wednesday

    assert figures(monday) == {"needs_created": 2, "needs_done": 2, "needs_overdue": 3}
    # Sunday's shift (Sunday noon to Monday noon): "Overdue, open" recorded at 11:00 on Monday, one done.
    assert figures(sunday) == {"needs_created": 1, "needs_done": 1, "needs_overdue": 0}
    # Tuesday's shift, still under way on Wednesday at 09:00.
    assert figures(tuesday) == {"needs_created": 1, "needs_done": 0, "needs_overdue": 3}
    # Figures the actor may not read are not shown at all.
    reader = actor_for(make_user(db, org, role="reception", teams=[night]), night)
    assert all(
        fn(db, reader, night, *report.day_bounds(night, monday)) is None
        for fn in (service.created_in_day, service.done_in_day, service.overdue_in_day)
    )


def test_the_caseload_follows_every_change_of_a_need(db, org, team, actor):
    """The caseload's "overdue needs" and "no open need" read the need links' copy of their need (open, due day):
    a new need, a person added or removed, a due day moved and a status changed each move them at once."""
    from app.caseload import service as caseload

    coordinator = actor_for(make_user(db, org, role="coordinator"))
    awa, moussa = make_person(db, org, "Awa"), make_person(db, org, "Moussa")

    def listed(name: str) -> list[str]:
        return sorted(line.alias for line in caseload.lines(db, coordinator, name, caseload.Filters())[0])

    def overdue_count() -> int:
        return next(
            n for name, _t, n in caseload.summary(db, coordinator, caseload.Filters()) if name == "overdue_needs"
        )

    past, later = date.today() - timedelta(days=2), date.today() + timedelta(days=5)
    assert listed("no_open_need") == ["Awa", "Moussa"]
    n = need(db, actor, [awa], team, due_on=past)
    assert listed("overdue_needs") == ["Awa"] and overdue_count() == 1 and listed("no_open_need") == ["Moussa"]
    service.update_need(db, actor, n, form(person_ids=[awa.id, moussa.id], team_ids=[team.id], due_on=past))
    assert listed("overdue_needs") == ["Awa", "Moussa"] and overdue_count() == 2 and listed("no_open_need") == []
    service.update_need(db, actor, n, form(person_ids=[moussa.id], team_ids=[team.id], due_on=later))
    assert listed("overdue_needs") == [] and overdue_count() == 0 and listed("no_open_need") == ["Awa"]
    service.set_status(db, actor, n, "done")
    assert listed("no_open_need") == ["Awa", "Moussa"]
    service.set_status(db, actor, n, "todo")  # reopened
    assert listed("no_open_need") == ["Awa"]
