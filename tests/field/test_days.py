"""Working days (noon to noon for night teams) and time bands, in Paris time whatever the server's zone."""

from datetime import UTC, date, datetime

from app.field.days import day_bounds, time_band, working_day
from app.models import Team
from app.web import TZ


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def test_a_day_team_works_from_midnight_to_midnight_paris_time():
    team = Team(name="Day", kind="patrol", noon_to_noon=False)
    assert working_day(team, paris(2026, 3, 10, 23, 59)) == date(2026, 3, 10)
    assert working_day(team, paris(2026, 3, 11, 0, 1)) == date(2026, 3, 11)
    # 23:30 UTC in summer is already 01:30 the next day in Paris.
    assert working_day(team, datetime(2026, 7, 1, 23, 30, tzinfo=UTC)) == date(2026, 7, 2)
    start, end = day_bounds(team, date(2026, 3, 10))
    assert start == paris(2026, 3, 10, 0, 0) and end == paris(2026, 3, 11, 0, 0)


def test_a_night_shift_is_one_working_day_from_noon_to_noon():
    team = Team(name="Night", kind="rest_area", noon_to_noon=True)
    assert working_day(team, paris(2026, 3, 10, 20, 0)) == date(2026, 3, 10)
    assert working_day(team, paris(2026, 3, 11, 7, 30)) == date(2026, 3, 10)  # the same shift
    assert working_day(team, paris(2026, 3, 11, 11, 59)) == date(2026, 3, 10)
    assert working_day(team, paris(2026, 3, 11, 12, 0)) == date(2026, 3, 11)
    start, end = day_bounds(team, date(2026, 3, 10))
    assert start == paris(2026, 3, 10, 12, 0) and end == paris(2026, 3, 11, 12, 0)


def test_days_around_the_clock_changes_are_23_and_25_hours_long():
    team = Team(name="Day", kind="patrol", noon_to_noon=False)
    spring = day_bounds(team, date(2026, 3, 29))
    autumn = day_bounds(team, date(2026, 10, 25))
    assert (spring[1] - spring[0]).total_seconds() == 23 * 3600
    assert (autumn[1] - autumn[0]).total_seconds() == 25 * 3600


def test_time_bands_follow_the_start_in_paris_time():
    assert time_band(paris(2026, 3, 10, 9, 0)) == "day"  # a Tuesday
    assert time_band(paris(2026, 3, 10, 17, 59)) == "day"
    assert time_band(paris(2026, 3, 10, 18, 0)) == "evening"
    assert time_band(paris(2026, 3, 10, 22, 0)) == "night"
    assert time_band(paris(2026, 3, 11, 6, 59)) == "night"
    assert time_band(paris(2026, 3, 14, 10, 0)) == "weekend"  # a Saturday
    assert time_band(paris(2026, 3, 15, 23, 0)) == "weekend"  # a Sunday night
    assert time_band(datetime(2026, 3, 10, 17, 30, tzinfo=UTC)) == "evening"  # 18:30 in Paris
