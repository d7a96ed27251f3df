"""FastAPI dependencies shared by every router: the request's database session and the signed-in Actor."""

from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app import i18n
from app.access import Actor
from app.auth.service import load_actor
from app.db import get_session
from app.errors import NotAuthenticated, RedirectTo
from app.security import SESSION_COOKIE

# scope="function": the commit in get_session runs when the route returns, before the response is sent, so
# a client never sees "saved" for something that was not.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
# scope="request": a session that stays open while a streamed response is sent (a CSV export read row by row
# with yield_per), closed after it. Only for reading: what must be committed goes through SessionDep.
StreamSessionDep = Annotated[Session, Depends(get_session, scope="request")]


async def get_pending_actor(request: Request, session: SessionDep) -> Actor:
    """The signed-in Actor, even one whose second factor is still to come (for the second-step pages only)."""
    # async so that the language set below stays in the request's context (a sync dependency runs in a
    # worker thread whose context changes are lost); the query itself still runs off the event loop.
    actor = await run_in_threadpool(load_actor, session, request.cookies.get(SESSION_COOKIE))
    if actor is None:
        raise NotAuthenticated()
    adopt(request, actor)
    return actor


def adopt(request: Request, actor: Actor) -> None:
    """The request is this actor's: their language, and the menus of the page (request.state.actor). Called on the
    event loop, so that the language stays in the request's context."""
    if actor.lang:
        i18n.set_lang(actor.lang)
    request.state.actor = actor


async def get_actor(request: Request, actor: Annotated[Actor, Depends(get_pending_actor)]) -> Actor:
    """The signed-in Actor, fully: a session still waiting for its second factor opens nothing but that step."""
    if actor.mfa_pending:
        raise RedirectTo("/login/2fa")
    return actor


ActorDep = Annotated[Actor, Depends(get_actor)]
PendingActorDep = Annotated[Actor, Depends(get_pending_actor)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
