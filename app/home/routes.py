import uuid

from fastapi import APIRouter, Request

from app.deps import ActorDep, SessionDep
from app.home import service
from app.web import redirect, render

router = APIRouter()


@router.get("/")
def home(request: Request, actor: ActorDep, session: SessionDep, saved: str = ""):
    if actor.role == "steering":
        return redirect(request, "/steering")
    try:
        saved_id = uuid.UUID(saved) if saved else None
    except ValueError:
        saved_id = None
    page = service.home(session, actor, saved=saved_id)
    if page.needs_team_choice:
        return redirect(request, "/team")
    return render(request, "home/index.html", {"page": page})
