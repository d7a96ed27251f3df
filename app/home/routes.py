from fastapi import APIRouter, Request

from app.deps import ActorDep, SessionDep
from app.home import service
from app.web import redirect, render

router = APIRouter()


@router.get("/")
def home(request: Request, actor: ActorDep, session: SessionDep):
    if actor.role == "steering":
        return render(request, "home/steering.html")
    page = service.home(session, actor)
    if page.needs_team_choice:
        return redirect(request, "/team")
    return render(request, "home/index.html", {"page": page})
