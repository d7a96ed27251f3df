"""The home page: the team picked for today and its work."""

from dataclasses import dataclass

from sqlmodel import Session

from app.access import Actor, get_or_404
from app.models import Team


@dataclass
class Home:
    team: Team | None
    needs_team_choice: bool


def home(session: Session, actor: Actor) -> Home:
    if actor.team_id is not None:
        return Home(team=get_or_404(session, actor, Team, actor.team_id), needs_team_choice=False)
    return Home(team=None, needs_team_choice=len(actor.team_ids) > 1)
