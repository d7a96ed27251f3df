"""Organisation settings for persons: custom fields and the reasons to leave the active list (admins)."""

import uuid

from fastapi import APIRouter, Request

from app.admin.service import FieldErrors, list_teams
from app.deps import ActorDep, SessionDep
from app.persons import fields
from app.persons.forms import CustomFieldForm, ExitReasonForm
from app.web import parse_form, redirect, render

router = APIRouter(prefix="/admin")


def _back(scope: str) -> str:
    """Medical fields are listed on the health settings page, person fields on their own."""
    return "/admin/health" if scope == "medical" else "/admin/person-fields"


def _field_form(request, session, actor, field=None, values=None, errors=None, scope="person"):
    if values is None:
        values = (
            {"id": uuid.uuid4(), "kind": "text", "team_ids": [], "scope": scope}
            if field is None
            else field.model_dump()
        )
        if field is not None:
            values = {**field.model_dump(), "options": "\n".join(field.options)}
    ctx = {"field": field, "values": values, "errors": errors or {}, "teams": list_teams(session, actor)}
    ctx["KINDS"], ctx["SCOPE_LABELS"] = fields.KINDS, fields.SCOPE_LABELS
    ctx["scope"] = field.scope if field is not None else values.get("scope") or "person"
    ctx["back"] = _back(ctx["scope"])
    return render(request, "persons/admin_field.html", ctx, status=422 if errors else 200)


@router.get("/person-fields")
def field_list(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("org.settings")
    fields_ = fields.list_fields(session, actor, include_archived=True, scope=None)
    ctx = {"fields": fields_, "KINDS": fields.KINDS, "SCOPE_LABELS": fields.SCOPE_LABELS}
    return render(request, "persons/admin_fields.html", ctx)


@router.get("/person-fields/new")
def new_field(request: Request, actor: ActorDep, session: SessionDep, scope: str = "person"):
    actor.require("org.settings")
    return _field_form(request, session, actor, scope=scope if scope in fields.SCOPES else "person")


@router.post("/person-fields")
def create_field(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("org.settings")
    form = parse_form(request, CustomFieldForm)
    if not form.ok:
        return _field_form(request, session, actor, values=form.values, errors=form.errors)
    assert form.data is not None
    try:
        field = fields.save_field(session, actor, form.data)
    except FieldErrors as exc:
        session.rollback()
        return _field_form(request, session, actor, values=form.values, errors=exc.errors)
    return redirect(request, _back(field.scope))


@router.get("/person-fields/{field_id}")
def field_page(request: Request, field_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    return _field_form(request, session, actor, field=fields.get_field(session, actor, field_id))


@router.post("/person-fields/{field_id}")
def update_field(request: Request, field_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    field = fields.get_field(session, actor, field_id)
    form = parse_form(request, CustomFieldForm)
    if not form.ok:
        return _field_form(request, session, actor, field=field, values=form.values, errors=form.errors)
    assert form.data is not None
    try:
        fields.save_field(session, actor, form.data, field)
    except FieldErrors as exc:
        session.rollback()
        return _field_form(request, session, actor, field=field, values=form.values, errors=exc.errors)
    return redirect(request, _back(field.scope))


@router.post("/person-fields/{field_id}/archive")
def archive_field(request: Request, field_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    field = fields.get_field(session, actor, field_id)
    fields.set_field_archived(session, actor, field, True)
    return redirect(request, _back(field.scope))


@router.post("/person-fields/{field_id}/restore")
def restore_field(request: Request, field_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    field = fields.get_field(session, actor, field_id)
    fields.set_field_archived(session, actor, field, False)
    return redirect(request, _back(field.scope))


# ---------------------------------------------------------------- reasons to leave the active list
def _reasons(request, session, actor, values=None, errors=None, edit_id=None):
    ctx = {
        "reasons": fields.exit_reasons(session, actor, include_archived=True),
        "values": values or {"id": uuid.uuid4()},
        "errors": errors or {},
        "edit_id": edit_id,
    }
    return render(request, "persons/admin_reasons.html", ctx, status=422 if errors else 200)


@router.get("/exit-reasons")
def reasons(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("org.settings")
    return _reasons(request, session, actor)


@router.post("/exit-reasons")
def create_reason(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("org.settings")
    form = parse_form(request, ExitReasonForm)
    if not form.ok:
        return _reasons(request, session, actor, values=form.values, errors=form.errors)
    assert form.data is not None
    fields.save_exit_reason(session, actor, form.data)
    return redirect(request, "/admin/exit-reasons")


@router.post("/exit-reasons/{reason_id}")
def update_reason(request: Request, reason_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    reason = fields.get_exit_reason(session, actor, reason_id)
    form = parse_form(request, ExitReasonForm)
    if not form.ok:
        return _reasons(request, session, actor, values=form.values, errors=form.errors, edit_id=reason.id)
    assert form.data is not None
    fields.save_exit_reason(session, actor, form.data, reason)
    return redirect(request, "/admin/exit-reasons")


@router.post("/exit-reasons/{reason_id}/archive")
def archive_reason(request: Request, reason_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    fields.set_exit_reason_archived(session, actor, fields.get_exit_reason(session, actor, reason_id), True)
    return redirect(request, "/admin/exit-reasons")


@router.post("/exit-reasons/{reason_id}/restore")
def restore_reason(request: Request, reason_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    fields.set_exit_reason_archived(session, actor, fields.get_exit_reason(session, actor, reason_id), False)
    return redirect(request, "/admin/exit-reasons")
