from urllib.parse import quote

from fastapi import APIRouter, Request

from app import i18n
from app.access import Actor
from app.admin.service import list_teams, update_profile_lang
from app.auth import mfa, service
from app.auth.forms import (
    ChangePasswordForm,
    CodeForm,
    EnrolForm,
    LanguageForm,
    LoginForm,
    SetPasswordForm,
    TeamPickForm,
)
from app.config import get_settings
from app.deps import ActorDep, PendingActorDep, SessionDep, client_ip
from app.i18n import _
from app.security import SESSION_COOKIE, cookie_secure
from app.web import parse_form, redirect, render

public = APIRouter()
router = APIRouter()
# The second sign-in step: reachable with a session whose second factor is still to come.
pending = APIRouter()


def _safe_next(value: str | None) -> str:
    # Only paths of this site: never an open redirect.
    return value if value and value.startswith("/") and not value.startswith("//") and "\\" not in value else "/"


@public.get("/login")
def login_page(request: Request, next: str | None = None):
    return render(request, "auth/login.html", {"values": {"next": next}, "errors": {}})


@public.post("/login")
def login(request: Request, session: SessionDep):
    form = parse_form(request, LoginForm)
    if not form.ok:
        return render(request, "auth/login.html", {"values": form.values, "errors": form.errors}, status=422)
    assert form.data is not None
    try:
        user = service.authenticate(session, form.data.email, form.data.password, client_ip(request))
    except service.SignInRefused as exc:
        values = {"email": form.data.email, "next": form.data.next}
        return render(request, "auth/login.html", {"values": values, "errors": {"__all__": exc.message}}, status=422)
    needs_2fa = mfa.enabled(user) or mfa.required(user)
    token = service.start_session(
        session, user, client_ip(request), request.headers.get("user-agent"), mfa_pending=needs_2fa
    )
    target = _safe_next(form.data.next)
    resp = redirect(request, f"/login/2fa?next={quote(target)}" if needs_2fa else target)
    resp.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request.scope),
        max_age=get_settings().session_absolute_hours * 3600,
    )
    return resp


@public.get("/invite/{token}")
def invitation_page(request: Request, token: str, session: SessionDep):
    found = service.find_invitation(session, token)
    return render(
        request,
        "auth/invite.html",
        {"invited": found[1] if found else None, "errors": {}},
        status=200 if found else 404,
    )


@public.post("/invite/{token}")
def accept_invitation(request: Request, token: str, session: SessionDep):
    found = service.find_invitation(session, token)
    if not found:
        return render(request, "auth/invite.html", {"invited": None, "errors": {}}, status=404)
    inv, user = found
    form = parse_form(request, SetPasswordForm)
    errors = dict(form.errors)
    if form.data is not None:
        problem = service.password_problem(form.data.password, email=user.email, name=user.name)
        if problem:
            errors["password"] = problem
        elif form.data.password != form.data.confirm:
            errors["confirm"] = _("The two passwords differ.")
    if errors:
        return render(request, "auth/invite.html", {"invited": user, "errors": errors}, status=422)
    assert form.data is not None
    service.accept_invitation(session, inv, user, form.data.password, client_ip(request))
    return render(request, "auth/invite.html", {"invited": user, "done": True, "errors": {}})


@pending.post("/logout")
def logout(request: Request, actor: PendingActorDep, session: SessionDep):
    service.end_session(session, actor)
    resp = redirect(request, "/login")
    resp.delete_cookie(SESSION_COOKIE)
    return resp


@router.get("/team")
def team_page(request: Request, actor: ActorDep, session: SessionDep):
    teams = [t for t in list_teams(session, actor) if t.id in actor.team_ids]
    return render(request, "auth/team.html", {"teams": teams})


@router.post("/team")
def pick_team(request: Request, actor: ActorDep, session: SessionDep):
    form = parse_form(request, TeamPickForm)
    if not form.ok:
        teams = [t for t in list_teams(session, actor) if t.id in actor.team_ids]
        return render(request, "auth/team.html", {"teams": teams, "error": _("Choose one of the options.")}, status=422)
    assert form.data is not None
    service.pick_team(session, actor, form.data.team_id)
    return redirect(request, "/")


def _account(request: Request, actor: Actor, **ctx):
    return render(
        request,
        "auth/account.html",
        {"errors": {}, "values": {}, **ctx},
        block="password",
        status=422 if ctx.get("errors") else 200,
    )


@router.get("/account")
def account_page(request: Request, actor: ActorDep):
    return _account(request, actor)


@router.post("/account/password")
def change_password(request: Request, actor: ActorDep, session: SessionDep):
    form = parse_form(request, ChangePasswordForm)
    errors = dict(form.errors)
    if form.data is not None:
        if form.data.password != form.data.confirm:
            errors["confirm"] = _("The two passwords differ.")
        else:
            problem = service.change_password(session, actor, form.data.current, form.data.password)
            if problem:
                errors[problem[0]] = problem[1]
    if errors:
        return _account(request, actor, errors=errors)
    return _account(request, actor, saved=_("Your password has been changed. Your other devices are signed out."))


@router.post("/account/language")
def change_language(request: Request, actor: ActorDep, session: SessionDep):
    form = parse_form(request, LanguageForm)
    if form.data is not None:
        update_profile_lang(session, actor, form.data.lang)
        i18n.set_lang(form.data.lang)
    return redirect(request, "/account")


# ---------------------------------------------------------------- two-factor sign-in
@pending.get("/login/2fa")
def second_step_page(request: Request, actor: PendingActorDep, session: SessionDep, next: str | None = None):
    user = service.current_user(session, actor)
    if not actor.mfa_pending:
        return redirect(request, _safe_next(next))
    if not mfa.enabled(user):
        return redirect(request, "/account/2fa")
    return render(request, "auth/second_step.html", {"values": {"next": next}, "errors": {}})


@pending.post("/login/2fa")
def second_step(request: Request, actor: PendingActorDep, session: SessionDep):
    user = service.current_user(session, actor)
    form = parse_form(request, CodeForm)
    if not actor.mfa_pending:
        return redirect(request, "/")
    if not mfa.enabled(user):
        return redirect(request, "/account/2fa")
    errors = dict(form.errors)
    if form.data is not None:
        problem = mfa.verify(session, user, actor.session_id or "", form.data.code, client_ip(request))
        if problem is None:
            return redirect(request, _safe_next(form.data.next))
        errors["code"] = problem
    return render(request, "auth/second_step.html", {"values": form.values, "errors": errors}, status=422)


def _enrol_page(request, user, errors=None, codes=None):
    ctx = {
        "user": user,
        "errors": errors or {},
        "codes": codes,
        "required": mfa.required(user),
        "enabled": mfa.enabled(user),
    }
    if not mfa.enabled(user) and codes is None:
        ctx["secret"], ctx["sealed"], ctx["qr"] = mfa.new_enrolment(user)
    return render(request, "auth/two_factor.html", ctx, status=422 if errors else 200)


@pending.get("/account/2fa")
def two_factor_page(request: Request, actor: PendingActorDep, session: SessionDep):
    user = service.current_user(session, actor)
    if actor.mfa_pending and mfa.enabled(user):
        return redirect(request, "/login/2fa")
    return _enrol_page(request, user)


@pending.post("/account/2fa")
def enrol(request: Request, actor: PendingActorDep, session: SessionDep):
    user = service.current_user(session, actor)
    if mfa.enabled(user):
        return redirect(request, "/account/2fa")
    form = parse_form(request, EnrolForm)
    if not form.ok:
        return _enrol_page(request, user, errors=form.errors)
    assert form.data is not None
    try:
        codes = mfa.confirm_enrolment(session, user, form.data.sealed, form.data.code, actor.session_id)
    except ValueError as exc:
        return _enrol_page(request, user, errors={"code": str(exc)})
    return _enrol_page(request, user, codes=codes)
