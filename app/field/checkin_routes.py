"""The rest area's (or reception's) page for today: check in by search or personal code, anonymously, check
out, and close the day."""

import uuid

from fastapi import APIRouter, Request

from app.admin.service import FieldErrors
from app.deps import ActorDep, SessionDep
from app.errors import Conflict
from app.field import catalogue, checkins, encounters
from app.field.days import local_input
from app.field.forms import CheckinEditForm, CheckinForm, CheckoutForm, CloseDayForm
from app.field.rounds import team_of_today
from app.web import parse_form, redirect, render

router = APIRouter(prefix="/checkins")


def _today_page(request, session, actor, values=None, errors=None, status=200):
    team = team_of_today(session, actor)
    ctx = {
        "t": checkins.today(session, actor, team),
        "services": catalogue.services(session, actor, "checkin"),
        "values": values or {"id": uuid.uuid4()},
        "close_id": uuid.uuid4(),
        "errors": errors or {},
    }
    return render(request, "field/checkins.html", ctx, status=422 if errors and status == 200 else status)


@router.get("")
def today(request: Request, actor: ActorDep, session: SessionDep):
    return _today_page(request, session, actor)


@router.get("/find")
def find(request: Request, actor: ActorDep, session: SessionDep, q: str = ""):
    """Persons matching the letters or the personal code typed: one tap opens the check-in of one of them."""
    checkins.require(actor)
    rows, _lookalike = encounters.find_persons(session, actor, q)
    return render(request, "field/_checkin_results.html", {"rows": rows, "q": q.strip()[:120]})


@router.get("/confirm")
def confirm(request: Request, actor: ActorDep, session: SessionDep, person_id: str = ""):
    """The second tap: the person's check-in with the services used (none ticked is fine)."""
    checkins.require(actor)
    person = encounters.chosen(session, actor, person_id) if person_id else None
    ctx = {"p": person, "services": catalogue.services(session, actor, "checkin"), "values": {"id": uuid.uuid4()}}
    return render(request, "field/_checkin_confirm.html", ctx)


@router.post("")
def check_in(request: Request, actor: ActorDep, session: SessionDep):
    checkins.require(actor)
    form = parse_form(request, CheckinForm)
    if not form.ok:
        return _today_page(request, session, actor, form.values, form.errors)
    assert form.data is not None
    try:
        checkins.check_in(session, actor, form.data)
    except FieldErrors as exc:
        session.rollback()
        return _today_page(request, session, actor, {**form.values, "id": uuid.uuid4()}, exc.errors)
    return redirect(request, "/checkins")


@router.post("/close")
def close_day(request: Request, actor: ActorDep, session: SessionDep):
    checkins.require(actor)
    form = parse_form(request, CloseDayForm)
    if not form.ok:
        return _today_page(request, session, actor, errors=form.errors)
    assert form.data is not None
    checkins.close_day(session, actor, form.data)
    return redirect(request, "/checkins")


def _checkin_page(request, session, actor, checkin, values=None, errors=None, status=200):
    ctx = {
        "c": checkins.row(session, checkin),
        "services": catalogue.services(session, actor, "checkin", include_archived=True),
        "values": values or {"at": local_input(), "version": checkin.version},
        "errors": errors or {},
    }
    return render(request, "field/checkin.html", ctx, status=422 if errors and status == 200 else status)


@router.get("/{checkin_id}")
def checkin_page(request: Request, checkin_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    return _checkin_page(request, session, actor, checkins.get_checkin(session, actor, checkin_id))


@router.post("/{checkin_id}")
def update_services(request: Request, checkin_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    checkin = checkins.get_checkin(session, actor, checkin_id)
    form = parse_form(request, CheckinEditForm)
    if not form.ok:
        return _checkin_page(request, session, actor, checkin, form.values, form.errors)
    assert form.data is not None
    try:
        checkins.set_services(session, actor, checkin, form.data)
    except FieldErrors as exc:
        session.rollback()
        return _checkin_page(request, session, actor, checkin, form.values, exc.errors)
    except Conflict as exc:
        session.rollback()
        return _checkin_page(request, session, actor, checkin, None, {"__all__": exc.message}, exc.status_code)
    return redirect(request, f"/checkins/{checkin.id}")


@router.post("/{checkin_id}/out")
def check_out(request: Request, checkin_id: uuid.UUID, actor: ActorDep, session: SessionDep, back: str = ""):
    checkin = checkins.get_checkin(session, actor, checkin_id)
    form = parse_form(request, CheckoutForm)
    if not form.ok:
        return _checkin_page(request, session, actor, checkin, form.values, form.errors)
    assert form.data is not None
    try:
        checkins.check_out(session, actor, checkin, form.data)
    except FieldErrors as exc:
        session.rollback()
        return _checkin_page(request, session, actor, checkin, form.values, exc.errors)
    return redirect(request, "/checkins" if back == "today" else f"/checkins/{checkin.id}")
