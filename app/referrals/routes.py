import uuid
from urllib.parse import urlencode

from fastapi import APIRouter, Request

from app.admin.service import FieldErrors, list_teams
from app.deps import ActorDep, SessionDep
from app.errors import Conflict, Invalid, NotFound
from app.needs import service as needs
from app.persons import service as persons
from app.referrals import service
from app.referrals.forms import InboxFilter, LinkForm, ReferralFilter, ReferralForm, StatusForm
from app.structures import service as structures
from app.web import env, parse_form, redirect, render, validate_form

router = APIRouter(prefix="/referrals")
env.globals.update(
    REFERRAL_STATUSES=service.STATUSES,
    REFERRAL_ACTIONS=service.ACTIONS,
    SHAREABLE=service.SHAREABLE,
    OUTCOMES=service.OUTCOMES,
)


def _one_message(errors: dict[str, str]) -> dict[str, str]:
    """A status is sent by a button: its form's error is shown as the page's message."""
    return {"__all__": next(iter(errors.values()))}


# ---------------------------------------------------------------- sent
@router.get("")
def referrals(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("referrals.read")
    filt = validate_form(ReferralFilter, dict(request.query_params))
    f = filt.data or ReferralFilter()
    person = persons.resolve(session, actor, f.person_id) if f.person_id else None
    team = needs.team_for_lists(session, actor, f.team_id)
    rows, more = service.list_sent(session, actor, team, f)
    params = {k: v for k, v in request.query_params.items() if k != "page"}
    ctx = {
        "rows": rows,
        "more_url": "/referrals?" + urlencode({**params, "page": f.page + 1}) if more else None,
        "filters": filt.values,
        "errors": filt.errors,
        "f": f,
        "team": team,
        "teams": list_teams(session, actor),
        "person": person,
    }
    return render(request, "referrals/list.html", ctx, block="results")


# ---------------------------------------------------------------- incoming (the receiving side)
@router.get("/inbox")
def inbox(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("referrals.read")
    filt = validate_form(InboxFilter, dict(request.query_params))
    f = filt.data or InboxFilter()
    rows, more = service.inbox(session, actor, f)
    params = {k: v for k, v in request.query_params.items() if k != "page"}
    ctx = {
        "rows": rows,
        "more_url": "/referrals/inbox?" + urlencode({**params, "page": f.page + 1}) if more else None,
        "filters": filt.values,
        "errors": filt.errors,
        "f": f,
        "teams": list_teams(session, actor),
        "waiting": service.team_waiting_list(session, actor, f.team_id) if f.team_id else [],
    }
    return render(request, "referrals/inbox.html", ctx, block="results")


def _incoming_page(request, session, actor, incoming, errors=None, dupes=None, status=200):
    ctx = {
        "v": service.incoming_view(session, actor, incoming),
        "errors": errors or {},
        "dupes": dupes or [],
    }
    return render(request, "referrals/incoming.html", ctx, status=status)


@router.get("/inbox/{incoming_id}")
def incoming_page(request: Request, incoming_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    incoming = service.get_incoming(session, actor, incoming_id)
    return _incoming_page(request, session, actor, incoming)


@router.post("/inbox/{incoming_id}/status")
def incoming_status(request: Request, incoming_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    incoming = service.get_incoming(session, actor, incoming_id)
    form = parse_form(request, StatusForm)
    if not form.ok:
        return _incoming_page(request, session, actor, incoming, errors=_one_message(form.errors), status=422)
    assert form.data is not None
    try:
        service.receive_status(session, actor, incoming, form.data)
    except (Conflict, Invalid) as exc:
        session.rollback()
        return _incoming_page(request, session, actor, incoming, {"__all__": exc.message}, status=exc.status_code)
    return redirect(request, f"/referrals/inbox/{incoming.id}")


@router.post("/inbox/{incoming_id}/link")
def link_person(request: Request, incoming_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    incoming = service.get_incoming(session, actor, incoming_id)
    form = parse_form(request, LinkForm)
    if not form.ok:
        return _incoming_page(request, session, actor, incoming, errors=form.errors, status=422)
    assert form.data is not None
    try:
        service.link_person(session, actor, incoming, form.data)
    except service.LookAlikes as exc:
        return _incoming_page(request, session, actor, incoming, dupes=exc.rows)
    except FieldErrors as exc:
        session.rollback()
        return _incoming_page(request, session, actor, incoming, errors=exc.errors, status=422)
    return redirect(request, f"/referrals/inbox/{incoming.id}")


# ---------------------------------------------------------------- create and follow
def _form(request, session, actor, values, errors=None, status=200):
    person = None
    if values.get("person_id"):
        try:
            person = persons.resolve(session, actor, values["person_id"])
        except NotFound:  # a malformed id: the form asks for the person again
            person = None
    ctx = {
        "values": values,
        "errors": errors or {},
        "person": person,
        "structures": structures.options(session, actor),
        "needs": needs.person_list(session, actor, person.id, open_only=True) if person else [],
    }
    return render(request, "referrals/form.html", ctx, status=422 if errors and status == 200 else status)


@router.get("/new")
def new_referral(
    request: Request,
    actor: ActorDep,
    session: SessionDep,
    person_id: str = "",
    structure_id: str = "",
    need_id: str = "",
):
    actor.require("referrals.write")
    person = persons.resolve(session, actor, person_id) if person_id else None
    values = {
        "id": uuid.uuid4(),
        "person_id": person.id if person else None,
        "structure_id": structure_id[:36],
        "need_id": need_id[:36],
    }
    return _form(request, session, actor, values)


@router.post("")
def create_referral(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("referrals.write")
    form = parse_form(request, ReferralForm)
    if not form.ok:
        return _form(request, session, actor, form.values, form.errors)
    assert form.data is not None
    try:
        referral = service.create_referral(session, actor, form.data)
    except FieldErrors as exc:
        session.rollback()
        return _form(request, session, actor, form.values, exc.errors)
    except Invalid as exc:
        session.rollback()
        return _form(request, session, actor, form.values, {"__all__": exc.message})
    return redirect(request, f"/referrals/{referral.id}")


def _page(request, session, actor, referral, errors=None, status=200):
    ctx = {"v": service.view(session, actor, referral), "errors": errors or {}}
    return render(request, "referrals/detail.html", ctx, status=status)


@router.get("/{referral_id}")
def referral_page(request: Request, referral_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    return _page(request, session, actor, service.get_referral(session, actor, referral_id))


@router.post("/{referral_id}/status")
def referral_status(request: Request, referral_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    referral = service.get_referral(session, actor, referral_id)
    form = parse_form(request, StatusForm)
    if not form.ok:
        return _page(request, session, actor, referral, errors=_one_message(form.errors), status=422)
    assert form.data is not None
    try:
        service.change_status(session, actor, referral, form.data)
    except (Conflict, Invalid) as exc:
        session.rollback()
        return _page(request, session, actor, referral, errors={"__all__": exc.message}, status=exc.status_code)
    return redirect(request, form.data.back or f"/referrals/{referral.id}")
