import uuid
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.admin.service import FieldErrors, list_teams
from app.deps import ActorDep, SessionDep
from app.errors import Conflict, Invalid
from app.i18n import _
from app.referrals import crossing
from app.referrals import service as referrals
from app.stays import service as stays
from app.structures import service
from app.structures.forms import OPENINGS, STRUCTURE_KINDS, StructureFilter, StructureForm
from app.web import env, parse_form, redirect, render, validate_form

router = APIRouter(prefix="/structures")
env.globals.update(STRUCTURE_KINDS=STRUCTURE_KINDS, OPENINGS=OPENINGS)
env.filters["inbox_code"] = crossing.display_inbox_code


@router.get("")
def structures(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("structures.read")
    filt = validate_form(StructureFilter, dict(request.query_params))
    f = filt.data or StructureFilter()
    rows, more = service.list_structures(session, actor, f)
    params = {k: v for k, v in request.query_params.items() if k != "page"}
    more_url = "/structures?" + urlencode({**params, "page": f.page + 1}) if more else None
    ctx = {"rows": rows, "more_url": more_url, "filters": filt.values, "errors": filt.errors}
    return render(request, "structures/list.html", ctx, block="results")


def _form(request, session, actor, structure=None, values=None, errors=None, status=200):
    ctx = {
        "structure": structure,
        "values": values if values is not None else service.form_values(structure, actor),
        "errors": errors or {},
        "teams": list_teams(session, actor),
    }
    return render(request, "structures/form.html", ctx, status=422 if errors and status == 200 else status)


@router.get("/new")
def new_structure(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("structures.manage")
    return _form(request, session, actor)


@router.post("")
def create_structure(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("structures.manage")
    form = parse_form(request, StructureForm)
    if not form.ok:
        return _form(request, session, actor, values=form.values, errors=form.errors)
    assert form.data is not None
    try:
        structure = service.save_structure(session, actor, form.data)
    except FieldErrors as exc:
        session.rollback()
        return _form(request, session, actor, values=form.values, errors=exc.errors)
    return redirect(request, f"/structures/{structure.id}")


@router.get("/export.csv")
def export(actor: ActorDep, session: SessionDep):
    body = service.export_csv(session, actor)
    headers = {"Content-Disposition": 'attachment; filename="structures.csv"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/import")
def import_page(request: Request, actor: ActorDep):
    actor.require("structures.manage")
    return render(request, "structures/import.html", {"report": None, "error": None})


@router.post("/import")
async def import_file(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("structures.manage")
    declared = int(request.headers.get("content-length") or 0)
    if declared > 2 * service.IMPORT_MAX_BYTES:
        return render(
            request,
            "structures/import.html",
            {"report": None, "error": _("This file is too big: at most 2 MB.")},
            status=413,
        )
    upload = (await request.form()).get("file")
    if upload is None or isinstance(upload, str):
        ctx = {"report": None, "error": _("Choose a CSV file.")}
        return render(request, "structures/import.html", ctx, status=422)
    try:
        report = service.import_csv(session, actor, await upload.read(service.IMPORT_MAX_BYTES + 1))
    except Invalid as exc:
        session.rollback()
        return render(request, "structures/import.html", {"report": None, "error": exc.message}, status=422)
    if not report.ok:
        session.rollback()
    return render(
        request, "structures/import.html", {"report": report, "error": None}, status=200 if report.ok else 422
    )


@router.get("/inboxes")
def inboxes(request: Request, actor: ActorDep, session: SessionDep):
    return render(request, "structures/inboxes.html", {"rows": service.inboxes(session, actor)})


@router.post("/inboxes/{team_id}/open")
def open_inbox(request: Request, team_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    service.set_inbox(session, actor, team_id, True)
    return redirect(request, "/structures/inboxes")


@router.post("/inboxes/{team_id}/close")
def close_inbox(request: Request, team_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    service.set_inbox(session, actor, team_id, False)
    return redirect(request, "/structures/inboxes")


@router.get("/{structure_id}")
def structure_page(request: Request, structure_id: uuid.UUID, actor: ActorDep, session: SessionDep, page: int = 1):
    structure = service.get_structure(session, actor, structure_id)
    place = stays.structure_place(session, actor, structure)
    page = max(1, min(page, 1000))
    occupants, more = stays.occupants(session, actor, structure_id=structure.id, page=page) if place else ([], False)
    ctx = {
        "s": structure,
        "kind": service.kind_label(structure.kind),
        "waiting": referrals.structure_waiting_list(session, actor, structure) if actor.can("referrals.read") else [],
        "place": place,
        "occupants": occupants,
        "more_url": f"/structures/{structure.id}?page={page + 1}" if more else None,
        "partner": structure.linked_org_id is not None and structure.linked_org_id != actor.org_id,
    }
    return render(request, "structures/detail.html", ctx)


@router.get("/{structure_id}/edit")
def edit_structure(request: Request, structure_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    structure = service.get_for_write(session, actor, structure_id)
    return _form(request, session, actor, structure=structure)


@router.post("/{structure_id}")
def update_structure(request: Request, structure_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    structure = service.get_for_write(session, actor, structure_id)
    form = parse_form(request, StructureForm)
    if not form.ok:
        return _form(request, session, actor, structure=structure, values=form.values, errors=form.errors)
    assert form.data is not None
    try:
        service.save_structure(session, actor, form.data, structure)
    except FieldErrors as exc:
        session.rollback()
        return _form(request, session, actor, structure=structure, values=form.values, errors=exc.errors)
    except Conflict as exc:
        session.rollback()
        errors = {"__all__": _("Someone else saved this structure meanwhile. Your changes are still in the form.")}
        values = {**form.values, "version": structure.version}
        return _form(request, session, actor, structure, values=values, errors=errors, status=exc.status_code)
    return redirect(request, f"/structures/{structure.id}")


@router.post("/{structure_id}/archive")
def archive(request: Request, structure_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    service.set_archived(session, actor, service.get_for_write(session, actor, structure_id), True)
    return redirect(request, f"/structures/{structure_id}")


@router.post("/{structure_id}/restore")
def restore(request: Request, structure_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    service.set_archived(session, actor, service.get_for_write(session, actor, structure_id), False)
    return redirect(request, f"/structures/{structure_id}")
