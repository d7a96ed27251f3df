"""A person's rights (admins): export everything held about them, erase them; and the retention period."""

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from app.admin.service import FieldErrors
from app.deps import ActorDep, SessionDep
from app.errors import Conflict
from app.i18n import _, get_lang
from app.persons import service as persons
from app.privacy import service
from app.privacy.forms import EraseForm, RetentionForm
from app.web import env, parse_form, redirect, render

router = APIRouter()


@router.get("/persons/{person_id}/export")
def export_page(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = persons.resolve(session, actor, person_id)
    data = service.export(session, actor, person, "html")
    return render(request, "privacy/export.html", {"data": data}, headers={"X-Robots-Tag": "noindex"})


@router.get("/persons/{person_id}/export.zip")
def export_zip(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = persons.resolve(session, actor, person_id)
    data = service.export(session, actor, person, "zip")
    html = env.get_template("privacy/export_file.html").render(
        data=data, lang=get_lang(), actor=actor, entry_name=service.document_entry_name
    )
    return StreamingResponse(
        service.export_zip(session, data, html),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="parcours-{person.code}.zip"',
            "Cache-Control": "no-store",
        },
    )


def _erase_page(request, session, actor, person, values=None, errors=None, status=200):
    ctx = {"p": persons.view(session, actor, person), "values": values or {}, "errors": errors or {}}
    return render(request, "privacy/erase.html", ctx, status=status)


@router.get("/persons/{person_id}/erase")
def erase_page(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = persons.resolve(session, actor, person_id)
    actor.require("persons.erase")
    return _erase_page(request, session, actor, person)


@router.post("/persons/{person_id}/erase")
def erase(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = persons.resolve(session, actor, person_id)
    actor.require("persons.erase")
    form = parse_form(request, EraseForm)
    if not form.ok:
        return _erase_page(request, session, actor, person, form.values, form.errors, status=422)
    assert form.data is not None
    try:
        result = service.erase_person(session, actor, person, form.data.code)
    except FieldErrors as exc:
        session.rollback()
        return _erase_page(request, session, actor, person, form.values, exc.errors, status=422)
    return render(request, "privacy/erased.html", {"result": result, "code": person.code})


# ---------------------------------------------------------------- retention (admins)
def _settings(request, session, actor, values=None, errors=None, status=200):
    org = service.organisation(session, actor)
    ctx = {
        "org": org,
        "values": values or {"retention_months": org.retention_months, "version": org.version},
        "errors": errors or {},
        "preview": service.purge(session, dry_run=True, org_id=org.id)[0],
        "grace_days": service.GRACE_DAYS,
    }
    return render(request, "privacy/settings.html", ctx, status=status)


@router.get("/admin/privacy")
def privacy_settings(request: Request, actor: ActorDep, session: SessionDep):
    return _settings(request, session, actor)


@router.post("/admin/privacy")
def save_privacy_settings(request: Request, actor: ActorDep, session: SessionDep):
    service.organisation(session, actor)
    form = parse_form(request, RetentionForm)
    if not form.ok:
        return _settings(request, session, actor, form.values, form.errors, status=422)
    assert form.data is not None
    try:
        service.save_retention(session, actor, form.data)
    except Conflict:
        session.rollback()
        errors = {"__all__": _("Another admin changed this setting meanwhile. Check the value below and save again.")}
        return _settings(request, session, actor, None, errors, status=409)
    return redirect(request, "/admin/privacy")
