"""The home page: the team picked for today and its work."""

from dataclasses import dataclass, field

from sqlmodel import Session

from app.access import Actor, get_or_404
from app.models import Team
from app.needs.service import NeedRow, home_needs
from app.persons.service import UrgentNote, urgent_notes
from app.referrals.service import new_count


@dataclass
class Home:
    team: Team | None
    needs_team_choice: bool
    urgent_notes: list[UrgentNote] = field(default_factory=list)
    needs: list[NeedRow] = field(default_factory=list)  # urgent and overdue
    incoming: int = 0  # incoming referrals waiting for an answer


def home(session: Session, actor: Actor) -> Home:
    if actor.team_id is not None:
        team = get_or_404(session, actor, Team, actor.team_id)
        return Home(
            team=team,
            needs_team_choice=False,
            urgent_notes=urgent_notes(session, actor, team.id),
            needs=home_needs(session, actor, team.id),
            incoming=new_count(session, actor, team.id),
        )
    return Home(team=None, needs_team_choice=len(actor.team_ids) > 1)
