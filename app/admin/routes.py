import uuid
from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.admin import service
from app.admin.forms import TeamForm, UserForm
from app.audit.service import list_events
from app.auth import mfa
from app.deps import ActorDep, SessionDep
from app.i18n import _
from app.privacy.service import codes_of, person_by_code
from app.security import SESSION_COOKIE
from app.web import parse_form, posted, redirect, render, validate_form

router = APIRouter(prefix="/admin")


# ---------------------------------------------------------------- users
def _user_form(request, session, actor, user=None, values=None, errors=None, invite_token=None):
    teams = service.list_teams(session, actor)
    if values is None:
        values = (
            {"id": uuid.uuid4(), "role": "worker", "team_ids": []}
            if user is None
            else {**user.model_dump(), "team_ids": service.membership_team_ids(session, user)}
        )
    ctx = {"user": user, "values": values, "errors": errors or {}, "teams": teams, "invite_token": invite_token}
    if user is not None:
        ctx["sessions"] = service.active_sessions(session, actor, user)
        ctx["mfa_enabled"], ctx["mfa_required"] = mfa.enabled(user), mfa.required(user)
    return render(request, "admin/user.html", ctx, status=422 if errors else 200)


@router.get("/users")
def users(request: Request, actor: ActorDep, session: SessionDep):
    return render(request, "admin/users.html", {"users": service.list_users(session, actor)})


@router.get("/users/new")
def new_user(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("users.manage")
    return _user_form(request, session, actor)


@router.post("/users")
def create_user(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("users.manage")
    form = parse_form(request, UserForm)
    if not form.ok:
        return _user_form(request, session, actor, values=form.values, errors=form.errors)
    assert form.data is not None
    try:
        user, token = service.create_user(session, actor, form.data)
    except service.FieldErrors as exc:
        session.rollback()
        return _user_form(request, session, actor, values=form.values, errors=exc.errors)
    if token is None:
        return redirect(request, f"/admin/users/{user.id}")
    return _user_form(request, session, actor, user=user, invite_token=token)


@router.get("/users/{user_id}")
def user_page(request: Request, user_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    return _user_form(request, session, actor, user=service.get_user(session, actor, user_id))


@router.post("/users/{user_id}")
def update_user(request: Request, user_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    user = service.get_user(session, actor, user_id)
    form = parse_form(request, UserForm)
    if not form.ok:
        return _user_form(request, session, actor, user=user, values=form.values, errors=form.errors)
    assert form.data is not None
    try:
        service.update_user(session, actor, user, form.data)
    except service.FieldErrors as exc:
        session.rollback()
        return _user_form(request, session, actor, user=user, values=form.values, errors=exc.errors)
    return redirect(request, f"/admin/users/{user.id}")


@router.post("/users/{user_id}/deactivate")
def deactivate_user(request: Request, user_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    service.set_user_active(session, actor, service.get_user(session, actor, user_id), False)
    return redirect(request, f"/admin/users/{user_id}")


@router.post("/users/{user_id}/activate")
def activate_user(request: Request, user_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    service.set_user_active(session, actor, service.get_user(session, actor, user_id), True)
    return redirect(request, f"/admin/users/{user_id}")


@router.post("/users/{user_id}/revoke-sessions")
def revoke_sessions(request: Request, user_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    service.revoke_sessions(session, actor, service.get_user(session, actor, user_id))
    return redirect(request, f"/admin/users/{user_id}")


@router.post("/users/{user_id}/invitation")
def new_invitation(request: Request, user_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    user = service.get_user(session, actor, user_id)
    token = service.new_invitation(session, actor, user)
    return _user_form(request, session, actor, user=user, invite_token=token)


@router.post("/users/{user_id}/reset-2fa")
def reset_two_factor(request: Request, user_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    mfa.reset(session, actor, service.get_user(session, actor, user_id))
    return redirect(request, f"/admin/users/{user_id}")


@router.post("/users/{user_id}/sessions/{session_id}/end")
def end_session(request: Request, user_id: uuid.UUID, session_id: str, actor: ActorDep, session: SessionDep):
    service.end_one_session(session, actor, service.get_user(session, actor, user_id), session_id)
    return redirect(request, f"/admin/users/{user_id}")


@router.get("/security")
def security_page(request: Request, actor: ActorDep):
    actor.require("org.settings")
    return render(request, "admin/security.html", {"errors": {}})


@router.post("/panic")
def panic(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("org.settings")
    form = posted(request)
    if form.get("confirm") != "yes":
        return render(
            request, "admin/security.html", {"errors": {"confirm": _("Tick the box to confirm.")}}, status=422
        )
    service.panic(session, actor)
    resp = redirect(request, "/login")
    resp.delete_cookie(SESSION_COOKIE)
    return resp


# ---------------------------------------------------------------- teams
def _team_form(request, team=None, values=None, errors=None):
    if values is None:
        values = {"id": uuid.uuid4(), "kind": "patrol"} if team is None else team.model_dump()
    return render(
        request,
        "admin/team.html",
        {"team": team, "values": values, "errors": errors or {}},
        status=422 if errors else 200,
    )


@router.get("/teams")
def teams(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("teams.manage")
    return render(request, "admin/teams.html", {"teams": service.list_teams(session, actor, include_archived=True)})


@router.get("/teams/new")
def new_team(request: Request, actor: ActorDep):
    actor.require("teams.manage")
    return _team_form(request)


@router.post("/teams")
def create_team(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("teams.manage")
    form = parse_form(request, TeamForm)
    if not form.ok:
        return _team_form(request, values=form.values, errors=form.errors)
    assert form.data is not None
    try:
        service.save_team(session, actor, form.data)
    except service.FieldErrors as exc:
        session.rollback()
        return _team_form(request, values=form.values, errors=exc.errors)
    return redirect(request, "/admin/teams")


@router.get("/teams/{team_id}")
def team_page(request: Request, team_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    return _team_form(request, team=service.get_team(session, actor, team_id))


@router.post("/teams/{team_id}")
def update_team(request: Request, team_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    team = service.get_team(session, actor, team_id)
    form = parse_form(request, TeamForm)
    if not form.ok:
        return _team_form(request, team=team, values=form.values, errors=form.errors)
    assert form.data is not None
    try:
        service.save_team(session, actor, form.data, team)
    except service.FieldErrors as exc:
        session.rollback()
        return _team_form(request, team=team, values=form.values, errors=exc.errors)
    return redirect(request, "/admin/teams")


@router.post("/teams/{team_id}/archive")
def archive_team(request: Request, team_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    service.set_team_archived(session, actor, service.get_team(session, actor, team_id), True)
    return redirect(request, "/admin/teams")


@router.post("/teams/{team_id}/restore")
def restore_team(request: Request, team_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    service.set_team_archived(session, actor, service.get_team(session, actor, team_id), False)
    return redirect(request, "/admin/teams")


# ---------------------------------------------------------------- audit log
class AuditFilter(BaseModel):
    user_id: uuid.UUID | None = None
    person: str | None = None  # a personal code
    action: str | None = None
    day_from: date | None = None
    day_to: date | None = None
    page: int = Field(default=1, ge=1, le=100000)


@router.get("/audit")
def audit(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("audit.read")
    filt = validate_form(AuditFilter, dict(request.query_params))
    f = filt.data or AuditFilter()
    errors = dict(filt.errors)
    entity_id = None
    if f.person:
        person = person_by_code(session, actor, f.person)
        if person is None:
            errors["person"] = _("No person has this code in your organisation.")
        entity_id = str(person.id) if person else "-"
    events, more = list_events(
        session,
        actor,
        user_id=f.user_id,
        action=f.action,
        day_from=f.day_from,
        day_to=f.day_to,
        entity_id=entity_id,
        page=f.page,
    )
    users = [u for u, _ in service.list_users(session, actor)]
    next_url = "/admin/audit?" + urlencode({**request.query_params, "page": f.page + 1})
    return render(
        request,
        "admin/audit.html",
        {
            "events": events,
            "codes": codes_of(session, actor, [e for e, _n, _t in events]),
            "more": more,
            "filters": filt.values,
            "errors": errors,
            "next_url": next_url,
            "users": users,
        },
        block="results",
    )
