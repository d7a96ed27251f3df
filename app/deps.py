"""FastAPI dependencies shared by every router: the request's database session and the signed-in Actor."""

from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app import i18n
from app.access import Actor
from app.auth.service import load_actor
from app.db import get_session
from app.errors import NotAuthenticated
from app.security import SESSION_COOKIE

# scope="function": the commit in get_session runs when the route returns, before the response is sent, so
# a client never sees "saved" for something that was not.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def get_actor(request: Request, session: SessionDep) -> Actor:
    # async so that the language set below stays in the request's context (a sync dependency runs in a
    # worker thread whose context changes are lost); the query itself still runs off the event loop.
    actor = await run_in_threadpool(load_actor, session, request.cookies.get(SESSION_COOKIE))
    if actor is None:
        raise NotAuthenticated()
    if actor.lang:
        i18n.set_lang(actor.lang)
    request.state.actor = actor
    return actor


ActorDep = Annotated[Actor, Depends(get_actor)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
