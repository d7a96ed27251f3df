import uuid
from datetime import date

from fastapi import APIRouter, Request

from app.admin.service import FieldErrors
from app.deps import ActorDep, SessionDep
from app.errors import Conflict, Invalid, NotFound
from app.i18n import _
from app.persons import service as persons
from app.referrals import service as referrals
from app.stays import service
from app.stays.forms import ExitForm, ProcedureForm, StayEditForm, StayForm
from app.web import env, parse_form, posted, redirect, render

router = APIRouter()
env.globals.update(EXITS=service.EXITS, EXIT_KINDS=service.EXIT_KINDS, PROCEDURES=service.PROCEDURES)


@router.get("/stays")
def accommodation(request: Request, actor: ActorDep, session: SessionDep):
    return render(request, "stays/index.html", {"places": service.places(session, actor)})


@router.get("/stays/teams/{team_id}")
def team_accommodation(request: Request, team_id: uuid.UUID, actor: ActorDep, session: SessionDep, page: int = 1):
    place = service.team_place(session, actor, team_id)
    occupants, more = service.occupants(session, actor, team_id=place.id, page=max(1, min(page, 1000)))
    ctx = {
        "place": place,
        "occupants": occupants,
        "more_url": f"/stays/teams/{place.id}?page={page + 1}" if more else None,
        "waiting": referrals.team_waiting_list(session, actor, place.id) if actor.can("referrals.read") else [],
    }
    return render(request, "stays/place.html", ctx)


# ---------------------------------------------------------------- a stay
def _form(request, session, actor, values, errors=None, status=200):
    person = None
    if values.get("person_id"):
        try:
            person = persons.resolve(session, actor, values["person_id"])
        except NotFound:
            person = None
    ctx = {"values": values, "errors": errors or {}, "person": person, "options": service.place_options(session, actor)}
    return render(request, "stays/form.html", ctx, status=422 if errors and status == 200 else status)


@router.get("/stays/new")
def new_stay(
    request: Request, actor: ActorDep, session: SessionDep, person_id: str = "", place: str = "", referral_id: str = ""
):
    actor.require("stays.write")
    person = persons.resolve(session, actor, person_id) if person_id else None
    values = {
        "id": uuid.uuid4(),
        "person_id": person.id if person else None,
        "place": place[:60],
        "entered_on": date.today().isoformat(),
        "referral_id": referral_id[:36],
    }
    return _form(request, session, actor, values)


@router.post("/stays")
def create_stay(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("stays.write")
    form = parse_form(request, StayForm)
    if not form.ok:
        return _form(request, session, actor, form.values, form.errors)
    assert form.data is not None
    try:
        stay = service.create_stay(session, actor, form.data)
    except FieldErrors as exc:
        session.rollback()
        return _form(request, session, actor, form.values, exc.errors)
    return redirect(request, f"/stays/{stay.id}")


def _page(request, session, actor, stay, exit_values=None, edit_values=None, errors=None, status=200):
    ctx = {
        "v": service.stay_view(session, actor, stay),
        "exit_values": exit_values or {"exited_on": date.today().isoformat(), "version": stay.version},
        "edit_values": edit_values
        or {"room": stay.room, "entered_on": stay.entered_on.isoformat(), "version": stay.version},
        "errors": errors or {},
        "exit_groups": service.exit_groups(),
    }
    return render(request, "stays/detail.html", ctx, status=status)


@router.get("/stays/{stay_id}")
def stay_page(request: Request, stay_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    return _page(request, session, actor, service.get_stay(session, actor, stay_id))


@router.post("/stays/{stay_id}")
def update_stay(request: Request, stay_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    stay = service.get_for_write(session, actor, stay_id)
    form = parse_form(request, StayEditForm)
    errors = form.errors
    if form.ok:
        assert form.data is not None
        try:
            service.update_stay(session, actor, stay, form.data)
            return redirect(request, f"/stays/{stay.id}")
        except (FieldErrors, Conflict) as exc:
            session.rollback()
            errors = exc.errors if isinstance(exc, FieldErrors) else {"__all__": exc.message}
    return _page(request, session, actor, stay, edit_values=form.values, errors=errors, status=422)


@router.post("/stays/{stay_id}/exit")
def exit_stay(request: Request, stay_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    stay = service.get_for_write(session, actor, stay_id)
    form = parse_form(request, ExitForm)
    errors = form.errors
    if form.ok:
        assert form.data is not None
        try:
            service.exit_stay(session, actor, stay, form.data)
            return redirect(request, f"/stays/{stay.id}")
        except FieldErrors as exc:
            session.rollback()
            errors = exc.errors
        except (Conflict, Invalid) as exc:
            session.rollback()
            errors = {"__all__": exc.message}
    return _page(request, session, actor, stay, exit_values=form.values, errors=errors, status=422)


# ---------------------------------------------------------------- procedures
def _procedures(request, session, actor, person, values=None, errors=None, status=200):
    ctx = {
        "person": person,
        "procedures": service.person_procedures(session, actor, person.id),
        "values": values or {"id": uuid.uuid4(), "started_on": date.today().isoformat()},
        "errors": errors or {},
        "today": date.today().isoformat(),
    }
    return render(request, "stays/procedures.html", ctx, status=status)


@router.get("/procedures")
def procedures(request: Request, actor: ActorDep, session: SessionDep, person_id: str = ""):
    actor.require("stays.read")
    return _procedures(request, session, actor, persons.resolve(session, actor, person_id))


@router.post("/procedures")
def add_procedure(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("stays.write")
    form = parse_form(request, ProcedureForm)
    person = persons.resolve(session, actor, form.values.get("person_id") or "")
    if not form.ok:
        return _procedures(request, session, actor, person, form.values, form.errors, status=422)
    assert form.data is not None
    service.add_procedure(session, actor, form.data)
    return redirect(request, f"/procedures?person_id={person.id}")


@router.post("/procedures/{procedure_id}/done")
def procedure_done(request: Request, procedure_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    procedure = service.get_procedure(session, actor, procedure_id)
    raw = posted(request).get("done_on")
    try:
        day = date.fromisoformat(str(raw)) if raw else date.today()
        service.finish_procedure(session, actor, procedure, min(day, date.today()))
    except (ValueError, Invalid) as exc:
        session.rollback()
        person = persons.resolve(session, actor, procedure.person_id)
        message = exc.message if isinstance(exc, Invalid) else _("Enter a valid date.")
        return _procedures(request, session, actor, person, errors={"__all__": message}, status=422)
    return redirect(request, f"/procedures?person_id={procedure.person_id}")


@router.post("/procedures/{procedure_id}/delete")
def procedure_delete(request: Request, procedure_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    procedure = service.get_procedure(session, actor, procedure_id)
    service.remove_procedure(session, actor, procedure)
    return redirect(request, f"/procedures?person_id={procedure.person_id}")
