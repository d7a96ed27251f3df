"""The sync API: JSON, behind sign-in and the CSRF header like every page (see service.py for the rules)."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from app.deps import ActorDep, SessionDep
from app.i18n import _
from app.sync import service
from app.sync.schemas import PullOut, PushIn, PushOut, TeamPerson, Token

router = APIRouter(prefix="/api/sync", tags=["sync"])


@router.post("/push", response_model=PushOut)
def push(
    body: PushIn,
    session: SessionDep,
    actor: ActorDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
):
    """Apply a batch of changes; each is accepted or rejected on its own. With an Idempotency-Key header, the
    same key with the same batch gets the first answer again; with another batch, a 422."""
    if idempotency_key is None:
        return PushOut(results=service.push(session, actor, body.changes))
    receipt_id = service.key_id(actor.org_id, idempotency_key)  # type: ignore[arg-type]
    sent = service.digest(body.model_dump(mode="json"))
    if (receipt := service.find_receipt(session, actor, receipt_id)) is not None:
        if receipt.digest != sent:
            message = _("This Idempotency-Key was already used for another batch.")
            return JSONResponse({"message": message}, status_code=422)
        return receipt.result
    out = PushOut(results=service.push(session, actor, body.changes))
    service.keep_receipt(session, actor, receipt_id, sent, out.model_dump(mode="json"))
    return out


@router.get("/pull", response_model=PullOut)
def pull(
    session: SessionDep, actor: ActorDep, cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 500
):
    """What changed since `cursor` (none: everything), as this user may see it; deletions as tombstones."""
    return service.pull(session, actor, cursor, limit)


@router.get("/persons", response_model=list[TeamPerson])
def team_persons(session: SessionDep, actor: ActorDep):
    """The active persons of today's team, aliases and codes only, for picking on a round with no network."""
    return service.team_persons(session, actor)


@router.get("/token", response_model=Token)
def token(request: Request, actor: ActorDep):
    """The CSRF token of the current session: a phone signed in again fetches it before resending its outbox."""
    return Token(csrf_token=request.state.csrf_token)
