import uuid
from datetime import timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request

from app.admin.service import FieldErrors, list_teams
from app.deps import ActorDep, SessionDep
from app.errors import Conflict, Invalid
from app.i18n import _
from app.needs import service
from app.needs.forms import CategoryForm, NeedFilter, NeedForm, NeedStatusForm, WeekFilter
from app.persons import service as persons
from app.web import env, parse_form, redirect, render, validate_form

router = APIRouter(prefix="/needs")
admin_router = APIRouter(prefix="/admin")
env.globals.update(NEED_STATUSES=service.STATUSES, REPEAT_UNITS=service.UNITS)


# ---------------------------------------------------------------- lists
@router.get("")
def needs_list(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("needs.read")
    filt = validate_form(NeedFilter, dict(request.query_params))
    f = filt.data or NeedFilter()
    person = persons.resolve(session, actor, f.person_id) if f.person_id else None
    team = None if (f.all_teams and person) else service.team_for_lists(session, actor, f.team_id)
    rows, more = service.list_needs(session, actor, team, f)
    params = {k: v for k, v in request.query_params.items() if k != "page"}
    ctx = {
        "rows": rows,
        "more_url": "/needs?" + urlencode({**params, "page": f.page + 1}) if more else None,
        "filters": filt.values,
        "errors": filt.errors,
        "f": f,
        "team": team,
        "person": person,
        "teams": list_teams(session, actor),
        "categories": service.categories(session, actor),
        "counts": service.counts(session, actor, team) if team else {},
        "tab_url": lambda view: "/needs?" + urlencode({**params, "view": view}),
    }
    return render(request, "needs/list.html", ctx, block="results")


@router.get("/week")
def needs_week(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("needs.read")
    f = validate_form(WeekFilter, dict(request.query_params)).data or WeekFilter()
    team = service.team_for_lists(session, actor, f.team_id)
    today = service.work_day(team).day  # the team's working day (noon to noon for night teams)
    start = f.start or today
    start -= timedelta(days=start.weekday())  # weeks start on Monday
    ctx = {
        "team": team,
        "teams": list_teams(session, actor),
        "start": start,
        "days": service.week(session, actor, team, start) if team else [],
        "today": today,
        "prev": (start - timedelta(days=7)).isoformat(),
        "next": (start + timedelta(days=7)).isoformat(),
        "limit": service.WEEK_LIMIT,
    }
    return render(request, "needs/week.html", ctx)


# ---------------------------------------------------------------- create and edit
def _form(request, session, actor, need=None, values=None, errors=None, status=200):
    if values is None:
        values = service.form_values(session, actor, need)
    ctx = {
        "need": need,
        "values": values,
        "errors": errors or {},
        "chosen": service.persons_for_form(session, actor, values.get("person_ids") or []),
        "groups": service.grouped(service.categories(session, actor)),
        "teams": list_teams(session, actor),
        "users": service.assignable_users(session, actor),
    }
    return render(request, "needs/form.html", ctx, status=422 if errors and status == 200 else status)


@router.get("/new")
def new_need(request: Request, actor: ActorDep, session: SessionDep, person_id: str = "", back: str = ""):
    actor.require("needs.write")
    person = persons.resolve(session, actor, person_id) if person_id else None
    values = service.form_values(session, actor, None, person.id if person else None)
    values["back"] = back or (f"/persons/{person.id}" if person else "/needs")
    return _form(request, session, actor, values=values)


@router.post("")
def create_need(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("needs.write")
    form = parse_form(request, NeedForm)
    if not form.ok:
        return _form(request, session, actor, values=form.values, errors=form.errors)
    assert form.data is not None
    try:
        need = service.create_need(session, actor, form.data)
    except FieldErrors as exc:
        session.rollback()
        return _form(request, session, actor, values=form.values, errors=exc.errors)
    return redirect(request, form.data.back or f"/needs/{need.id}")


@router.get("/{need_id}")
def need_page(request: Request, need_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    need = service.get_need(session, actor, need_id)
    return _detail(request, session, actor, need)


def _detail(request, session, actor, need, errors=None, status=200):
    ctx = {
        "r": service.rows_for(session, actor, [need], service.actor_day(session, actor))[0],
        "changes": service.history(session, actor, need),
        "errors": errors or {},
        "due_text": service.due_text(need),
    }
    return render(request, "needs/detail.html", ctx, status=status)


@router.get("/{need_id}/edit")
def edit_need(request: Request, need_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    need = service.get_for_write(session, actor, need_id)
    return _form(request, session, actor, need=need)


@router.post("/{need_id}")
def update_need(request: Request, need_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    need = service.get_for_write(session, actor, need_id)
    form = parse_form(request, NeedForm)
    if not form.ok:
        return _form(request, session, actor, need=need, values=form.values, errors=form.errors)
    assert form.data is not None
    try:
        service.update_need(session, actor, need, form.data)
    except FieldErrors as exc:
        session.rollback()
        return _form(request, session, actor, need=need, values=form.values, errors=exc.errors)
    except Conflict as exc:
        session.rollback()
        errors = {
            "__all__": _(
                "Someone else saved this need while you were editing it. Your changes are still in the form: "
                "check the need in another tab, then save again."
            )
        }
        values = {**form.values, "version": need.version}  # saving again now overwrites knowingly
        return _form(request, session, actor, need=need, values=values, errors=errors, status=exc.status_code)
    return redirect(request, f"/needs/{need.id}")


@router.post("/{need_id}/status")
def need_status(request: Request, need_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    need = service.get_for_write(session, actor, need_id)
    form = parse_form(request, NeedStatusForm)
    if not form.ok:
        return _detail(request, session, actor, need, errors={"__all__": next(iter(form.errors.values()))}, status=422)
    assert form.data is not None
    try:
        service.set_status(session, actor, need, form.data.status, form.data.version)
    except (Conflict, Invalid) as exc:
        session.rollback()
        return _detail(request, session, actor, need, errors={"__all__": exc.message}, status=exc.status_code)
    return redirect(request, form.data.back or f"/needs/{need.id}")


# ---------------------------------------------------------------- categories (admins)
def _categories(request, session, actor, values=None, errors=None):
    ctx = {
        "categories": service.categories(session, actor, include_archived=True),
        "values": values or {"id": uuid.uuid4()},
        "errors": errors or {},
    }
    return render(request, "needs/admin_categories.html", ctx, status=422 if errors else 200)


@admin_router.get("/need-categories")
def categories_page(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("org.settings")
    return _categories(request, session, actor)


@admin_router.post("/need-categories")
def create_category(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("org.settings")
    form = parse_form(request, CategoryForm)
    if not form.ok:
        return _categories(request, session, actor, values=form.values, errors=form.errors)
    assert form.data is not None
    service.save_category(session, actor, form.data)
    return redirect(request, "/admin/need-categories")


@admin_router.post("/need-categories/{category_id}")
def update_category(request: Request, category_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    category = service.get_category(session, actor, category_id)
    form = parse_form(request, CategoryForm)
    if not form.ok:
        return _categories(request, session, actor, values=form.values, errors=form.errors)
    assert form.data is not None
    try:
        service.save_category(session, actor, form.data, category)
    except Conflict as exc:
        session.rollback()
        return _categories(request, session, actor, values=form.values, errors={"__all__": exc.message})
    return redirect(request, "/admin/need-categories")


@admin_router.post("/need-categories/{category_id}/archive")
def archive_category(request: Request, category_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    service.set_category_archived(session, actor, service.get_category(session, actor, category_id), True)
    return redirect(request, "/admin/need-categories")


@admin_router.post("/need-categories/{category_id}/restore")
def restore_category(request: Request, category_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    service.set_category_archived(session, actor, service.get_category(session, actor, category_id), False)
    return redirect(request, "/admin/need-categories")
