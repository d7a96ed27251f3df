"""A person's health pages (health roles only): the medical file, consultations and treatments."""

import uuid

from fastapi import APIRouter, Request

from app.admin.service import FieldErrors
from app.deps import ActorDep, SessionDep
from app.errors import Conflict
from app.health import forms, service
from app.health.forms import ConsultationForm, MedicalFileForm, TreatmentForm
from app.i18n import _, lazy
from app.persons import fields
from app.persons import service as persons
from app.web import parse_form, posted, redirect, render

router = APIRouter(prefix="/persons")

CONFLICT = lazy(
    "Someone else saved this while you were editing it. Your changes are still in the form: "
    "check the other tab, then save again."
)


def _page(request, session, actor, person, template: str, ctx: dict, status: int = 200):
    """A health page under the person's summary card and tabs."""
    base = {"p": persons.view(session, actor, person), "person_id": person.id, "forms": forms}
    return render(request, template, {**base, **ctx}, status=status)


def _custom_raw(form) -> dict[str, list[str]]:
    return {k: [str(v) for v in form.getlist(k)] for k in form if k.startswith("cf_")}


def _conflict() -> dict[str, str]:
    return {"__all__": _(CONFLICT)}


# ---------------------------------------------------------------- the health tab and the medical file
@router.get("/{person_id}/health")
def health_page(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = persons.resolve(session, actor, person_id)
    service.require_read(actor)
    ctx = {
        "file": service.file_view(session, actor, person),
        "consultations": service.consultations(session, actor, person.id),
        "treatments": service.treatments(session, actor, person.id),
    }
    return _page(request, session, actor, person, "health/page.html", ctx)


def _file_form(request, session, actor, person, values=None, errors=None, status=200):
    readable = True
    if values is None:
        values, readable = service.file_form_values(session, actor, person)
    ctx = {
        "values": values,
        "errors": errors or {},
        "readable": readable,
        "custom_fields": fields.form_fields(session, actor, scope="medical"),
    }
    return _page(request, session, actor, person, "health/file_form.html", ctx, status=status)


@router.get("/{person_id}/health/edit")
def edit_file(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = persons.resolve(session, actor, person_id)
    service.require_write(actor)
    return _file_form(request, session, actor, person)


@router.post("/{person_id}/health")
def save_file(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = persons.resolve(session, actor, person_id)
    service.require_write(actor)
    form = parse_form(request, MedicalFileForm)
    raw = _custom_raw(posted(request))
    values = {**form.values, **{k: (v if len(v) > 1 else v[0]) for k, v in raw.items()}}
    if not form.ok:
        return _file_form(request, session, actor, person, values, form.errors, status=422)
    assert form.data is not None
    try:
        service.save_file(session, actor, person, form.data, raw)
    except FieldErrors as exc:
        session.rollback()
        return _file_form(request, session, actor, person, values, exc.errors, status=422)
    except Conflict:
        session.rollback()
        mf = service.medical_file(session, actor, person)
        values["version"] = mf.version if mf else None  # saving again now overwrites knowingly
        return _file_form(request, session, actor, person, values, _conflict(), status=409)
    return redirect(request, f"/persons/{person.id}/health")


# ---------------------------------------------------------------- consultations
def _consultation_form(request, session, actor, person, c=None, values=None, errors=None, status=200):
    readable = True
    if values is None:
        values, readable = service.consultation_values(session, actor, c)
    ctx = {
        "consultation": c,
        "values": values,
        "errors": errors or {},
        "readable": readable,
        "types": service.consultation_types(session, actor, include_archived=c is not None),
    }
    return _page(request, session, actor, person, "health/consultation_form.html", ctx, status=status)


@router.get("/{person_id}/consultations/new")
def new_consultation(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = persons.resolve(session, actor, person_id)
    service.require_write(actor)
    return _consultation_form(request, session, actor, person)


def _save_consultation(request, session, actor, person, c=None):
    form = parse_form(request, ConsultationForm)
    if not form.ok:
        return _consultation_form(request, session, actor, person, c, form.values, form.errors, status=422)
    assert form.data is not None
    try:
        saved = service.save_consultation(session, actor, person, form.data, c)
    except FieldErrors as exc:
        session.rollback()
        return _consultation_form(request, session, actor, person, c, form.values, exc.errors, status=422)
    except Conflict:
        session.rollback()
        values = {**form.values, "version": c.version if c else None}
        return _consultation_form(request, session, actor, person, c, values, _conflict(), status=409)
    return redirect(request, f"/persons/{person.id}/consultations/{saved.id}")


@router.post("/{person_id}/consultations")
def create_consultation(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = persons.resolve(session, actor, person_id)
    service.require_write(actor)
    return _save_consultation(request, session, actor, person)


@router.get("/{person_id}/consultations/{consultation_id}")
def consultation_page(
    request: Request, person_id: uuid.UUID, consultation_id: uuid.UUID, actor: ActorDep, session: SessionDep
):
    person = persons.resolve(session, actor, person_id)
    c = service.get_consultation(session, actor, person, consultation_id)
    ctx = {"view": service.consultation_view(session, actor, c)}
    return _page(request, session, actor, person, "health/consultation.html", ctx)


@router.get("/{person_id}/consultations/{consultation_id}/edit")
def edit_consultation(
    request: Request, person_id: uuid.UUID, consultation_id: uuid.UUID, actor: ActorDep, session: SessionDep
):
    person = persons.resolve(session, actor, person_id)
    c = service.get_consultation(session, actor, person, consultation_id)
    service.require_write(actor)
    return _consultation_form(request, session, actor, person, c)


@router.post("/{person_id}/consultations/{consultation_id}")
def update_consultation(
    request: Request, person_id: uuid.UUID, consultation_id: uuid.UUID, actor: ActorDep, session: SessionDep
):
    person = persons.resolve(session, actor, person_id)
    c = service.get_consultation(session, actor, person, consultation_id)
    service.require_write(actor)
    return _save_consultation(request, session, actor, person, c)


@router.post("/{person_id}/consultations/{consultation_id}/delete")
def delete_consultation(
    request: Request, person_id: uuid.UUID, consultation_id: uuid.UUID, actor: ActorDep, session: SessionDep
):
    person = persons.resolve(session, actor, person_id)
    service.delete_consultation(session, actor, service.get_consultation(session, actor, person, consultation_id))
    return redirect(request, f"/persons/{person.id}/health")


# ---------------------------------------------------------------- treatments
def _treatment_form(request, session, actor, person, t=None, values=None, errors=None, status=200):
    readable = True
    if values is None:
        values, readable = service.treatment_values(session, actor, t)
    ctx = {"treatment": t, "values": values, "errors": errors or {}, "readable": readable}
    return _page(request, session, actor, person, "health/treatment_form.html", ctx, status=status)


def _save_treatment(request, session, actor, person, t=None):
    form = parse_form(request, TreatmentForm)
    if not form.ok:
        return _treatment_form(request, session, actor, person, t, form.values, form.errors, status=422)
    assert form.data is not None
    try:
        service.save_treatment(session, actor, person, form.data, t)
    except FieldErrors as exc:
        session.rollback()
        return _treatment_form(request, session, actor, person, t, form.values, exc.errors, status=422)
    except Conflict:
        session.rollback()
        values = {**form.values, "version": t.version if t else None}
        return _treatment_form(request, session, actor, person, t, values, _conflict(), status=409)
    return redirect(request, f"/persons/{person.id}/health")


@router.get("/{person_id}/treatments/new")
def new_treatment(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = persons.resolve(session, actor, person_id)
    service.require_write(actor)
    return _treatment_form(request, session, actor, person)


@router.post("/{person_id}/treatments")
def create_treatment(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = persons.resolve(session, actor, person_id)
    service.require_write(actor)
    return _save_treatment(request, session, actor, person)


@router.get("/{person_id}/treatments/{treatment_id}/edit")
def edit_treatment(
    request: Request, person_id: uuid.UUID, treatment_id: uuid.UUID, actor: ActorDep, session: SessionDep
):
    person = persons.resolve(session, actor, person_id)
    t = service.get_treatment(session, actor, person, treatment_id)
    service.require_write(actor)
    return _treatment_form(request, session, actor, person, t)


@router.post("/{person_id}/treatments/{treatment_id}")
def update_treatment(
    request: Request, person_id: uuid.UUID, treatment_id: uuid.UUID, actor: ActorDep, session: SessionDep
):
    person = persons.resolve(session, actor, person_id)
    t = service.get_treatment(session, actor, person, treatment_id)
    service.require_write(actor)
    return _save_treatment(request, session, actor, person, t)


@router.post("/{person_id}/treatments/{treatment_id}/delete")
def delete_treatment(
    request: Request, person_id: uuid.UUID, treatment_id: uuid.UUID, actor: ActorDep, session: SessionDep
):
    person = persons.resolve(session, actor, person_id)
    service.delete_treatment(session, actor, service.get_treatment(session, actor, person, treatment_id))
    return redirect(request, f"/persons/{person.id}/health")
