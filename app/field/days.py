"""Working days and time bands, in Paris time.

A team's working day runs from midnight to midnight, or from noon to noon for night teams (Team.noon_to_noon):
a night shift from 20:00 to 08:00 is then one day, the day it started. `working_day` is the one helper that says
which day an instant belongs to; the home page, the check-in day and the daily report all use it."""

from datetime import UTC, date, datetime, time, timedelta

from app.i18n import lazy
from app.models import Team, utcnow
from app.web import TZ

TIME_BANDS = {
    "day": lazy("Day"),
    "evening": lazy("Evening"),
    "night": lazy("Night"),
    "weekend": lazy("Weekend"),
}
# How far ahead of the server's clock a phone's time may be before it counts as "in the future".
CLOCK_SKEW = timedelta(minutes=5)


def _start_hour(team: Team) -> int:
    return 12 if team.noon_to_noon else 0


def working_day(team: Team, at: datetime | None = None) -> date:
    """The working day of `team` that the instant `at` (now by default) belongs to."""
    local = (at or utcnow()).astimezone(TZ)
    if local.hour < _start_hour(team):
        return local.date() - timedelta(days=1)
    return local.date()


def day_bounds(team: Team, day: date) -> tuple[datetime, datetime]:
    """[start, end) of the team's working day `day`, in UTC (23 or 25 hours long on the clock-change days)."""
    hour = time(_start_hour(team))
    start = datetime.combine(day, hour, TZ)
    end = datetime.combine(day + timedelta(days=1), hour, TZ)
    return start.astimezone(UTC), end.astimezone(UTC)


def time_band(at: datetime) -> str:
    """The band a round started in: weekend (Saturday, Sunday), else day (7:00-18:00), evening (18:00-22:00) or
    night (22:00-7:00), in Paris time."""
    local = at.astimezone(TZ)
    if local.weekday() >= 5:
        return "weekend"
    if 7 <= local.hour < 18:
        return "day"
    if 18 <= local.hour < 22:
        return "evening"
    return "night"


def local_input(at: datetime | None = None) -> str:
    """A value for an <input type="datetime-local">: Paris time, to the minute."""
    return (at or utcnow()).astimezone(TZ).strftime("%Y-%m-%dT%H:%M")


def is_future(at: datetime) -> bool:
    return at > utcnow() + CLOCK_SKEW
