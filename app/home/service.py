"""The home page: the team picked for today and its work. Its primary action fits the team: "who did you meet?"
(a new encounter in at most three taps) for patrols, today's check-ins for rest areas and receptions."""

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from app.access import Actor, get_or_404, scoped
from app.field import checkins, encounters, report, rounds
from app.field.days import day_bounds, working_day
from app.models import Encounter, Team
from app.needs.service import NeedRow, home_needs, recorded_with
from app.persons.service import UrgentNote, urgent_notes
from app.referrals.service import new_count

CHECKIN_KINDS = ("rest_area", "reception")
ROUND_KINDS = ("patrol", "metro_patrol")


@dataclass
class Home:
    team: Team | None
    needs_team_choice: bool
    urgent_notes: list[UrgentNote] = field(default_factory=list)
    needs: list[NeedRow] = field(default_factory=list)  # urgent and overdue
    incoming: int = 0  # incoming referrals waiting for an answer
    day: date | None = None
    checkin_first: bool = False  # the primary action is the check-in page, not a new encounter
    can_record: bool = False  # may record encounters (field roles, and the reception's quick ones)
    patrol: bool = False  # a team that goes out on rounds: the round under way is shown
    recent_persons: list[encounters.PersonChoice] = field(default_factory=list)
    running: list[rounds.RoundView] = field(default_factory=list)
    today: checkins.Today | None = None
    figures: report.Figures | None = None
    team_encounters: list[encounters.EncounterView] = field(default_factory=list)
    handover: report.Handover | None = None
    saved: encounters.EncounterView | None = None  # the encounter just recorded, confirmed at the top
    saved_need: NeedRow | None = None  # the need recorded with it, if any


def home(session: Session, actor: Actor, saved: uuid.UUID | None = None) -> Home:
    if actor.team_id is None:
        return Home(team=None, needs_team_choice=len(actor.team_ids) > 1)
    team = get_or_404(session, actor, Team, actor.team_id)
    page = Home(
        team=team,
        needs_team_choice=False,
        urgent_notes=urgent_notes(session, actor, team.id),
        needs=home_needs(session, actor, team.id),
        incoming=new_count(session, actor, team.id),
    )
    page.day = working_day(team)
    page.checkin_first = team.kind in CHECKIN_KINDS and actor.can("checkins.write")
    page.can_record = encounters.can_record(actor)
    if page.can_record:
        page.recent_persons = encounters.recent_persons(session, actor, team.id)
    if saved is not None:
        found = session.exec(scoped(Encounter, actor).where(Encounter.id == saved)).first()
        if found is not None:
            page.saved = encounters.views(session, actor, [found])[0]
            page.saved_need = recorded_with(session, actor, found.id)
    if page.checkin_first:
        page.today = checkins.today(session, actor, team)
    page.patrol = team.kind in ROUND_KINDS and actor.can("field.read")
    if page.patrol:
        page.running = rounds.views(session, actor, rounds.running(session, actor, team.id))
    if actor.can("field.read"):
        page.figures = report.figures(session, actor, team, page.day)
        start, end = day_bounds(team, page.day)
        page.team_encounters = encounters.team_day(session, actor, team.id, start, end, limit=5)
        page.handover = report.handover(session, actor, team)
    return page
