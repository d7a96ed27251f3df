"""Health settings of the organisation (admins): the medical file's custom fields and the consultation types."""

import uuid

from fastapi import APIRouter, Request

from app.admin.service import FieldErrors
from app.deps import ActorDep, SessionDep
from app.health import service
from app.health.forms import ConsultationTypeForm
from app.persons import fields
from app.web import parse_form, redirect, render

router = APIRouter(prefix="/admin")


def _settings(request, session, actor, values=None, errors=None):
    ctx = {
        "medical_fields": fields.list_fields(session, actor, include_archived=True, scope="medical"),
        "types": service.consultation_types(session, actor, include_archived=True),
        "values": values or {"id": uuid.uuid4()},
        "errors": errors or {},
        "KINDS": fields.KINDS,
    }
    return render(request, "health/admin.html", ctx, status=422 if errors else 200)


@router.get("/health")
def health_settings(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("org.settings")
    return _settings(request, session, actor)


@router.post("/consultation-types")
def create_type(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("org.settings")
    form = parse_form(request, ConsultationTypeForm)
    if not form.ok:
        return _settings(request, session, actor, form.values, form.errors)
    assert form.data is not None
    try:
        service.save_type(session, actor, form.data)
    except FieldErrors as exc:
        session.rollback()
        return _settings(request, session, actor, form.values, exc.errors)
    return redirect(request, "/admin/health")


@router.post("/consultation-types/{type_id}")
def update_type(request: Request, type_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    kind = service.get_type(session, actor, type_id)
    form = parse_form(request, ConsultationTypeForm)
    if not form.ok:
        return _settings(request, session, actor, errors=form.errors)
    assert form.data is not None
    service.save_type(session, actor, form.data, kind)
    return redirect(request, "/admin/health")


@router.post("/consultation-types/{type_id}/archive")
def archive_type(request: Request, type_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    service.set_type_archived(session, actor, service.get_type(session, actor, type_id), True)
    return redirect(request, "/admin/health")


@router.post("/consultation-types/{type_id}/restore")
def restore_type(request: Request, type_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    service.set_type_archived(session, actor, service.get_type(session, actor, type_id), False)
    return redirect(request, "/admin/health")
