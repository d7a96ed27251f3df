import uuid
from datetime import datetime
from urllib.parse import quote, urlencode

import segno
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from markupsafe import Markup

from app.access import Actor
from app.admin.service import FieldErrors, list_teams
from app.deps import ActorDep, SessionDep
from app.errors import Conflict, Invalid, NotFound
from app.i18n import _
from app.persons import documents, fields, merge, search, service, timeline
from app.persons.codes import clean_code, display_code
from app.persons.forms import DeleteForm, ExitForm, LinkForm, NoteForm, PersonForm, PlaceForm, SearchForm
from app.privacy.service import GRACE_DAYS, recent_reads
from app.web import env, is_partial, parse_form, posted, redirect, render, validate_form

router = APIRouter(prefix="/persons")
env.filters["code"] = display_code


def _shown(value: str) -> str:
    """A history value for display: yes/no translated, ISO dates as day/month/year."""
    if value in ("true", "false"):
        return _("Yes") if value == "true" else _("No")
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        return f"{value[8:]}/{value[5:7]}/{value[:4]}"
    return value


env.filters["shown"] = _shown
env.filters["options"] = lambda rows, attr="name": [(r.id, getattr(r, attr)) for r in rows]


def _person_page(request, session, actor: Actor, person, template: str, ctx=None, *, block=None, status=200):
    """Every tab of a person's page: the summary card (the view this role may receive) and the tab's content."""
    base = {"p": service.view(session, actor, person), "person_id": person.id, "version": person.version}
    return render(request, template, {**base, **(ctx or {})}, block=block, status=status)


# ---------------------------------------------------------------- list and search
@router.get("")
def persons(request: Request, actor: ActorDep, session: SessionDep):
    service.require_read(actor)
    filt = validate_form(SearchForm, dict(request.query_params))
    form = filt.data or SearchForm()
    results = search.search(session, actor, form)
    more_url = "/persons?" + urlencode({**request.query_params, "page": form.page + 1})
    ctx = {"results": results, "filters": filt.values, "errors": filt.errors, "more_url": more_url}
    # The team filter is on the whole page only: a keystroke's results (htmx) do not read the teams.
    ctx["teams"] = list_teams(session, actor) if not (service.is_basic(actor) or is_partial(request)) else []
    return render(request, "persons/list.html", ctx, block="results")


@router.get("/duplicates")
def duplicates(request: Request, actor: ActorDep, session: SessionDep, alias: str = "", exclude: str = ""):
    rows = search.duplicates(session, actor, alias[:120], exclude=_uuid_or_none(exclude))
    return render(request, "persons/_duplicates.html", {"dupes": rows})


@router.get("/pick")
def pick(request: Request, actor: ActorDep, session: SessionDep, q: str = "", exclude: str = "", mode: str = "link"):
    """Choosing another person (for a family link or a merge): a small list of matches."""
    actor.require("persons.read")
    rows = search.search(session, actor, SearchForm(q=q[:120], status="all")).rows if q.strip() else []
    excluded = _uuid_or_none(exclude)
    rows = [r for r in rows if r.id != excluded][:8]
    return render(request, "persons/_pick.html", {"rows": rows, "mode": mode, "exclude": excluded})


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


@router.get("/code/{code}")
def by_code(request: Request, code: str, actor: ActorDep, session: SessionDep):
    """Where a card's QR code leads: the person with this code in the reader's organisation, or a 404."""
    service.require_read(actor)
    rows = search.search(session, actor, SearchForm(q=clean_code(code) or "-", status="all")).rows
    match = next((r for r in rows if r.score >= 1000), None)
    if match is None:
        raise NotFound()
    return redirect(request, f"/persons/{match.id}")


# ---------------------------------------------------------------- create and edit
def _custom_raw(form) -> dict[str, list[str]]:
    return {k: [str(v) for v in form.getlist(k)] for k in form if k.startswith("cf_")}


def _form(request, session, actor, person=None, values=None, errors=None, status=200):
    if values is None:
        values = service.form_values(session, actor, person)
    ctx = {
        "person": person,
        "values": values,
        "errors": errors or {},
        "teams": list_teams(session, actor),
        "custom_fields": fields.form_fields(session, actor),
        "KINDS": fields.KINDS,
    }
    if person is not None:
        ctx["dupes"] = []
    return render(request, "persons/form.html", ctx, status=422 if errors and status == 200 else status)


@router.get("/new")
def new_person(request: Request, actor: ActorDep, session: SessionDep, alias: str = ""):
    actor.require("persons.write")
    values = service.form_values(session, actor, None)
    values["alias"] = alias[:120]
    return _form(request, session, actor, values=values)


@router.post("")
def create_person(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("persons.write")
    form = parse_form(request, PersonForm)
    raw = posted(request)
    values = {**form.values, **{k: (v if len(v) > 1 else v[0]) for k, v in _custom_raw(raw).items()}}
    if not form.ok:
        return _form(request, session, actor, values=values, errors=form.errors)
    assert form.data is not None
    try:
        person = service.create_person(session, actor, form.data, _custom_raw(raw))
    except FieldErrors as exc:
        session.rollback()
        return _form(request, session, actor, values=values, errors=exc.errors)
    return redirect(request, f"/persons/{person.id}")


@router.get("/{person_id}/edit")
def edit_person(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = service.get_for_write(session, actor, person_id)
    return _form(request, session, actor, person=person)


@router.post("/{person_id}")
def update_person(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = service.get_for_write(session, actor, person_id)
    form = parse_form(request, PersonForm)
    raw = posted(request)
    values = {**form.values, **{k: (v if len(v) > 1 else v[0]) for k, v in _custom_raw(raw).items()}}
    if not form.ok:
        return _form(request, session, actor, person=person, values=values, errors=form.errors)
    assert form.data is not None
    try:
        service.update_person(session, actor, person, form.data, _custom_raw(raw))
    except FieldErrors as exc:
        session.rollback()
        return _form(request, session, actor, person=person, values=values, errors=exc.errors)
    except Conflict as exc:
        session.rollback()
        errors = {
            "__all__": _(
                "Someone else saved this record while you were editing it. Your changes are "
                "still in the form: check the record in another tab, then save again."
            )
        }
        values["version"] = person.version  # saving again now overwrites knowingly
        return _form(request, session, actor, person=person, values=values, errors=errors, status=exc.status_code)
    return redirect(request, f"/persons/{person.id}")


# ---------------------------------------------------------------- the person's page
def _before(value: str | None) -> datetime | None:
    """The timeline's page cursor: an instant with its offset; anything else is the first page."""
    try:
        at = datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


@router.get("/{person_id}")
def person_page(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep, before: str = ""):
    """The person's card, summary and timeline (newest first, a page at a time: an older page comes in place of its
    button with htmx, or as the page itself without JavaScript)."""
    person = service.resolve(session, actor, person_id)
    if person.id != person_id:
        return redirect(request, f"/persons/{person.id}")
    entries, older = timeline.page(session, actor, person.id, before=_before(before))
    if is_partial(request):
        ctx = {"entries": entries, "older": older, "person_id": person.id}
        return render(request, "persons/detail.html", ctx, block="timeline_page")
    ctx = {
        "entries": entries,
        "older": older,
        "sections": timeline.summary_sections(session, actor, person.id),
        "note": {"id": uuid.uuid4()},
        "errors": {},
    }
    return _person_page(request, session, actor, person, "persons/detail.html", ctx)


@router.post("/{person_id}/notes")
def add_note(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = service.get_for_write(session, actor, person_id)
    actor.require("notes.write")
    form = parse_form(request, NoteForm)
    if not form.ok:
        entries, older = timeline.page(session, actor, person.id)
        ctx = {
            "entries": entries,
            "older": older,
            "sections": timeline.summary_sections(session, actor, person.id),
            "note": form.values,
            "errors": form.errors,
        }
        return _person_page(request, session, actor, person, "persons/detail.html", ctx, status=422)
    assert form.data is not None
    service.add_note(session, actor, person, form.data)
    return redirect(request, f"/persons/{person.id}")


@router.post("/{person_id}/notes/{note_id}/handled")
def handle_note(
    request: Request, person_id: uuid.UUID, note_id: uuid.UUID, actor: ActorDep, session: SessionDep, back: str = ""
):
    person = service.resolve(session, actor, person_id)
    service.handle_note(session, actor, service.get_note(session, actor, person, note_id))
    return redirect(request, "/" if back == "home" else f"/persons/{person.id}")


@router.get("/{person_id}/details")
def details(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = service.resolve(session, actor, person_id)
    actor.require("persons.read")
    ctx = {
        "changes": service.changes(session, actor, person) if actor.can("persons.history") else [],
        "reads": recent_reads(session, actor, person) if actor.can("persons.access_log") else [],
        "reasons": fields.exit_reasons(session, actor),
        "teams": list_teams(session, actor),
        "exit_values": {"left_on": service.utcnow().date().isoformat()},
        "errors": {},
    }
    return _person_page(request, session, actor, person, "persons/details.html", ctx)


@router.get("/{person_id}/card")
def card(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = service.resolve(session, actor, person_id)
    url = f"{str(request.base_url).rstrip('/')}/persons/code/{person.code}"
    qr = segno.make(url, error="m")
    svg = qr.svg_inline(scale=5, dark="#000", light="#fff", omitsize=False)
    return _person_page(request, session, actor, person, "persons/card.html", {"qr": Markup(svg)})  # noqa: S704


# ---------------------------------------------------------------- active list
@router.post("/{person_id}/exits")
def leave(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = service.get_for_write(session, actor, person_id)
    form = parse_form(request, ExitForm)
    errors = form.errors
    if form.ok:
        assert form.data is not None
        try:
            service.leave_active_list(session, actor, person, form.data)
            return redirect(request, f"/persons/{person.id}/details")
        except FieldErrors as exc:
            session.rollback()
            errors = exc.errors
    ctx = {
        "changes": service.changes(session, actor, person) if actor.can("persons.history") else [],
        "reads": recent_reads(session, actor, person) if actor.can("persons.access_log") else [],
        "reasons": fields.exit_reasons(session, actor),
        "teams": list_teams(session, actor),
        "exit_values": form.values,
        "errors": errors,
    }
    return _person_page(request, session, actor, person, "persons/details.html", ctx, status=422)


@router.post("/{person_id}/exits/{exit_id}/return")
def come_back(request: Request, person_id: uuid.UUID, exit_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = service.get_for_write(session, actor, person_id)
    service.come_back(session, actor, person, exit_id)
    return redirect(request, f"/persons/{person.id}/details")


# ---------------------------------------------------------------- family links and places
def _links_page(request, session, actor, person, link_values=None, place_values=None, errors=None, status=200):
    ctx = {
        "links": service.links(session, actor, person),
        "places": service.places(session, actor, person),
        "link_values": link_values or {"id": uuid.uuid4()},
        "place_values": place_values or {"id": uuid.uuid4()},
        "errors": errors or {},
    }
    return _person_page(request, session, actor, person, "persons/links.html", ctx, status=status)


@router.get("/{person_id}/links")
def links(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = service.resolve(session, actor, person_id)
    actor.require("persons.read")
    return _links_page(request, session, actor, person)


@router.post("/{person_id}/links")
def add_link(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = service.get_for_write(session, actor, person_id)
    form = parse_form(request, LinkForm)
    if form.ok:
        assert form.data is not None
        try:
            service.add_link(session, actor, person, form.data)
            return redirect(request, f"/persons/{person.id}/links")
        except FieldErrors as exc:
            session.rollback()
            return _links_page(request, session, actor, person, link_values=form.values, errors=exc.errors, status=422)
    return _links_page(request, session, actor, person, link_values=form.values, errors=form.errors, status=422)


@router.post("/{person_id}/links/{link_id}/delete")
def remove_link(request: Request, person_id: uuid.UUID, link_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = service.get_for_write(session, actor, person_id)
    service.remove_link(session, actor, person, link_id)
    return redirect(request, f"/persons/{person.id}/links")


@router.post("/{person_id}/places")
def add_place(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = service.get_for_write(session, actor, person_id)
    form = parse_form(request, PlaceForm)
    if not form.ok:
        return _links_page(request, session, actor, person, place_values=form.values, errors=form.errors, status=422)
    assert form.data is not None
    service.add_place(session, actor, person, form.data)
    return redirect(request, f"/persons/{person.id}/links")


@router.post("/{person_id}/places/{place_id}/delete")
def remove_place(request: Request, person_id: uuid.UUID, place_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = service.get_for_write(session, actor, person_id)
    service.remove_place(session, actor, person, place_id)
    return redirect(request, f"/persons/{person.id}/links")


# ---------------------------------------------------------------- documents
def _documents_page(request, session, actor, person, values=None, errors=None, status=200):
    ctx = {
        "groups": documents.list_documents(session, actor, person),
        "values": values or {"id": uuid.uuid4()},
        "errors": errors or {},
        "max_mb": documents.get_settings().documents_max_mb,
    }
    return _person_page(
        request, session, actor, person, "persons/documents.html", ctx, block="documents", status=status
    )


@router.get("/{person_id}/documents")
def documents_page(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = service.resolve(session, actor, person_id)
    actor.require("persons.read")
    return _documents_page(request, session, actor, person)


@router.post("/{person_id}/documents")
async def add_document(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = service.get_for_write(session, actor, person_id)
    declared = int(request.headers.get("content-length") or 0)
    if declared > 2 * documents.max_bytes() + 65536:  # far too big: refused before reading it all
        return _documents_page(
            request, session, actor, person, errors={"file": documents.too_big_message()}, status=413
        )
    raw = await request.form()
    upload, folder, doc_id = raw.get("file"), str(raw.get("folder") or ""), _uuid_or_none(str(raw.get("id") or ""))
    values = {"id": doc_id or uuid.uuid4(), "folder": folder}
    if upload is None or isinstance(upload, str):
        return _documents_page(
            request, session, actor, person, values, {"file": _("Choose a file or take a photo.")}, status=422
        )
    try:
        documents.add_document(session, actor, person, upload.file, upload.filename, folder, doc_id)
    except FieldErrors as exc:
        session.rollback()
        return _documents_page(request, session, actor, person, values, exc.errors, status=422)
    return redirect(request, f"/persons/{person.id}/documents")


@router.get("/{person_id}/documents/{document_id}")
def document_file(request: Request, person_id: uuid.UUID, document_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = service.resolve(session, actor, person_id)
    doc = documents.get_document(session, actor, person, document_id)
    try:
        name, content = documents.open_document(session, actor, doc)
    except documents.UnreadableFile as exc:  # answered, not raised: the audit event must be committed
        return render(request, "error.html", {"message": exc.message, "status": 422}, status=422)
    disposition = "inline" if doc.content_type in documents.INLINE_TYPES else "attachment"
    return StreamingResponse(
        content,
        media_type=doc.content_type,
        headers={
            "Content-Disposition": f"{disposition}; filename*=utf-8''{quote(name)}",
            "Content-Length": str(doc.size),
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox",
            "Cache-Control": "no-store",
        },
    )


@router.post("/{person_id}/documents/{document_id}/delete")
def delete_document(
    request: Request, person_id: uuid.UUID, document_id: uuid.UUID, actor: ActorDep, session: SessionDep
):
    person = service.get_for_write(session, actor, person_id)
    documents.delete_document(session, actor, documents.get_document(session, actor, person, document_id))
    return redirect(request, f"/persons/{person.id}/documents")


# ---------------------------------------------------------------- merge
@router.get("/{person_id}/merge")
def merge_pick(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = service.resolve(session, actor, person_id)
    actor.require("persons.merge")
    return _person_page(request, session, actor, person, "persons/merge_pick.html")


def _merge_ctx(session, actor, person, other, errors=None, choices=None):
    return {
        "left": merge.side(session, person),
        "right": merge.side(session, other),
        "lines": merge.compare(session, actor, person, other),
        "choices": choices or {},
        "errors": errors or {},
    }


@router.get("/{person_id}/merge/{other_id}")
def merge_compare(request: Request, person_id: uuid.UUID, other_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = service.resolve(session, actor, person_id)
    other = merge.pair(session, actor, person, other_id)
    return _person_page(
        request, session, actor, person, "persons/merge.html", _merge_ctx(session, actor, person, other)
    )


@router.post("/{person_id}/merge/{other_id}")
def merge_do(request: Request, person_id: uuid.UUID, other_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = service.get_for_write(session, actor, person_id)
    other = merge.pair(session, actor, person, other_id)
    raw = posted(request)
    choices = {k: str(v) for k, v in raw.items() if k not in ("csrf_token", "left_version", "right_version")}
    versions = (_int_or_none(raw.get("left_version")), _int_or_none(raw.get("right_version")))
    try:
        merge.merge(session, actor, person, other, choices, versions)
    except (Conflict, Invalid) as exc:
        session.rollback()
        ctx = _merge_ctx(session, actor, person, other, errors={"__all__": exc.message}, choices=choices)
        return _person_page(request, session, actor, person, "persons/merge.html", ctx, status=exc.status_code)
    return redirect(request, f"/persons/{person.id}")


def _int_or_none(value) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- delete
@router.get("/{person_id}/delete")
def delete_page(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = service.resolve(session, actor, person_id)
    actor.require("persons.delete")
    ctx = {"values": {}, "errors": {}, "grace_days": GRACE_DAYS}
    return _person_page(request, session, actor, person, "persons/delete.html", ctx)


@router.post("/{person_id}/delete")
def delete_person(request: Request, person_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    person = service.resolve(session, actor, person_id)
    actor.require("persons.delete")
    form = parse_form(request, DeleteForm)
    if not form.ok:
        ctx = {"values": form.values, "errors": form.errors, "grace_days": GRACE_DAYS}
        return _person_page(request, session, actor, person, "persons/delete.html", ctx, status=422)
    assert form.data is not None
    service.delete_person(session, actor, person, form.data.reason)
    return redirect(request, "/persons")
