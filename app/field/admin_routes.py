"""Configuration of field work: the materials catalogue and the services lists (admins, under /admin), and the
territories with their places (admins and coordinators)."""

import uuid

from fastapi import APIRouter, Request

from app.admin.service import FieldErrors
from app.deps import ActorDep, SessionDep
from app.errors import Conflict
from app.field import catalogue, territories
from app.field.forms import MaterialForm, PlaceForm, ServiceForm, TerritoryForm
from app.web import env, parse_form, redirect, render

router = APIRouter()
env.globals["SERVICE_SCOPES"] = catalogue.SCOPES


# ---------------------------------------------------------------- materials
def _materials(request, session, actor, values=None, errors=None):
    ctx = {
        "rows": catalogue.materials(session, actor, include_archived=True),
        "values": values or {"id": uuid.uuid4()},
        "errors": errors or {},
    }
    return render(request, "field/admin_materials.html", ctx, status=422 if errors else 200)


@router.get("/admin/materials")
def materials(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("org.settings")
    return _materials(request, session, actor)


@router.post("/admin/materials")
def create_material(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("org.settings")
    form = parse_form(request, MaterialForm)
    if not form.ok:
        return _materials(request, session, actor, form.values, form.errors)
    assert form.data is not None
    catalogue.save_material(session, actor, form.data)
    return redirect(request, "/admin/materials")


@router.post("/admin/materials/{material_id}")
def update_material(request: Request, material_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    material = catalogue.get_material(session, actor, material_id)
    form = parse_form(request, MaterialForm)
    if form.ok:
        assert form.data is not None
        try:
            catalogue.save_material(session, actor, form.data, material)
            return redirect(request, "/admin/materials")
        except Conflict as exc:
            session.rollback()
            return _materials(request, session, actor, errors={"__all__": exc.message})
    return _materials(request, session, actor, errors=form.errors)


@router.post("/admin/materials/{material_id}/archive")
def archive_material(request: Request, material_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    catalogue.set_material_archived(session, actor, catalogue.get_material(session, actor, material_id), True)
    return redirect(request, "/admin/materials")


@router.post("/admin/materials/{material_id}/restore")
def restore_material(request: Request, material_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    catalogue.set_material_archived(session, actor, catalogue.get_material(session, actor, material_id), False)
    return redirect(request, "/admin/materials")


# ---------------------------------------------------------------- services of encounters and check-ins
def _services(request, session, actor, values=None, errors=None):
    ctx = {
        "groups": [
            (scope, label, catalogue.services(session, actor, scope, include_archived=True))
            for scope, label in catalogue.SCOPES.items()
        ],
        "values": values or {"id": uuid.uuid4(), "scope": "encounter"},
        "errors": errors or {},
    }
    return render(request, "field/admin_services.html", ctx, status=422 if errors else 200)


@router.get("/admin/services")
def services(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("org.settings")
    return _services(request, session, actor)


@router.post("/admin/services")
def create_service(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("org.settings")
    form = parse_form(request, ServiceForm)
    if not form.ok:
        return _services(request, session, actor, form.values, form.errors)
    assert form.data is not None
    catalogue.save_service(session, actor, form.data)
    return redirect(request, "/admin/services")


@router.post("/admin/services/{service_id}")
def update_service(request: Request, service_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    service = catalogue.get_service(session, actor, service_id)
    form = parse_form(request, ServiceForm)
    if form.ok:
        assert form.data is not None
        try:
            catalogue.save_service(session, actor, form.data, service)
            return redirect(request, "/admin/services")
        except Conflict as exc:
            session.rollback()
            return _services(request, session, actor, errors={"__all__": exc.message})
    return _services(request, session, actor, errors=form.errors)


@router.post("/admin/services/{service_id}/archive")
def archive_service(request: Request, service_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    catalogue.set_service_archived(session, actor, catalogue.get_service(session, actor, service_id), True)
    return redirect(request, "/admin/services")


@router.post("/admin/services/{service_id}/restore")
def restore_service(request: Request, service_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    catalogue.set_service_archived(session, actor, catalogue.get_service(session, actor, service_id), False)
    return redirect(request, "/admin/services")


# ---------------------------------------------------------------- territories and places
@router.get("/territories")
def territory_list(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("field.read")
    manage = actor.can("territories.manage")
    ctx = {"rows": territories.territories(session, actor, include_archived=manage), "manage": manage}
    return render(request, "field/territories.html", ctx)


def _territory_form(request, session, actor, territory=None, values=None, errors=None, place_values=None, status=200):
    if values is None:
        values = {"id": uuid.uuid4()}
        if territory is not None:
            values = {**territory.model_dump(), "kinds": ", ".join(territory.kinds)}
    ctx = {
        "territory": territory,
        "values": values,
        "errors": errors or {},
        "places": territories.places(session, actor, territory, include_archived=True) if territory else [],
        "place_values": place_values or {"id": uuid.uuid4()},
        "manage": actor.can("territories.manage"),
    }
    return render(request, "field/territory.html", ctx, status=422 if errors and status == 200 else status)


@router.get("/territories/new")
def new_territory(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("territories.manage")
    return _territory_form(request, session, actor)


@router.post("/territories")
def create_territory(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("territories.manage")
    form = parse_form(request, TerritoryForm)
    if not form.ok:
        return _territory_form(request, session, actor, values=form.values, errors=form.errors)
    assert form.data is not None
    try:
        territory = territories.save_territory(session, actor, form.data)
    except FieldErrors as exc:
        session.rollback()
        return _territory_form(request, session, actor, values=form.values, errors=exc.errors)
    return redirect(request, f"/territories/{territory.id}")


@router.get("/territories/{territory_id}")
def territory_page(request: Request, territory_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    return _territory_form(request, session, actor, territories.get_territory(session, actor, territory_id))


@router.post("/territories/{territory_id}")
def update_territory(request: Request, territory_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    territory = territories.get_territory(session, actor, territory_id)
    actor.require("territories.manage")
    form = parse_form(request, TerritoryForm)
    if not form.ok:
        return _territory_form(request, session, actor, territory, form.values, form.errors)
    assert form.data is not None
    try:
        territories.save_territory(session, actor, form.data, territory)
    except FieldErrors as exc:
        session.rollback()
        return _territory_form(request, session, actor, territory, form.values, exc.errors)
    except Conflict as exc:
        session.rollback()
        values = {**form.values, "version": territory.version}
        errors = {"__all__": exc.message}
        return _territory_form(request, session, actor, territory, values, errors, status=exc.status_code)
    return redirect(request, f"/territories/{territory.id}")


@router.post("/territories/{territory_id}/archive")
def archive_territory(request: Request, territory_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    territory = territories.get_territory(session, actor, territory_id)
    territories.set_territory_archived(session, actor, territory, True)
    return redirect(request, f"/territories/{territory.id}")


@router.post("/territories/{territory_id}/restore")
def restore_territory(request: Request, territory_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    territory = territories.get_territory(session, actor, territory_id)
    territories.set_territory_archived(session, actor, territory, False)
    return redirect(request, f"/territories/{territory.id}")


@router.post("/territories/{territory_id}/places")
def add_place(request: Request, territory_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    territory = territories.get_territory(session, actor, territory_id)
    actor.require("territories.manage")
    form = parse_form(request, PlaceForm)
    if not form.ok:
        errors = {f"place_{k}": v for k, v in form.errors.items()}
        return _territory_form(request, session, actor, territory, errors=errors, place_values=form.values)
    assert form.data is not None
    territories.save_place(session, actor, territory, form.data)
    return redirect(request, f"/territories/{territory.id}")


@router.post("/territories/{territory_id}/places/{territory_place_id}")
def rename_place(
    request: Request, territory_id: uuid.UUID, territory_place_id: uuid.UUID, actor: ActorDep, session: SessionDep
):
    territory = territories.get_territory(session, actor, territory_id)
    place = territories.get_place(session, actor, territory, territory_place_id)
    form = parse_form(request, PlaceForm)
    if not form.ok:
        errors = {f"place_{k}": v for k, v in form.errors.items()}
        return _territory_form(request, session, actor, territory, errors=errors)
    assert form.data is not None
    try:
        territories.save_place(session, actor, territory, form.data, place)
    except Conflict as exc:
        session.rollback()
        return _territory_form(request, session, actor, territory, errors={"__all__": exc.message})
    return redirect(request, f"/territories/{territory.id}")


@router.post("/territories/{territory_id}/places/{territory_place_id}/archive")
def archive_place(
    request: Request, territory_id: uuid.UUID, territory_place_id: uuid.UUID, actor: ActorDep, session: SessionDep
):
    territory = territories.get_territory(session, actor, territory_id)
    place = territories.get_place(session, actor, territory, territory_place_id)
    territories.set_place_archived(session, actor, place, True)
    return redirect(request, f"/territories/{territory.id}")


@router.post("/territories/{territory_id}/places/{territory_place_id}/restore")
def restore_place(
    request: Request, territory_id: uuid.UUID, territory_place_id: uuid.UUID, actor: ActorDep, session: SessionDep
):
    territory = territories.get_territory(session, actor, territory_id)
    place = territories.get_place(session, actor, territory, territory_place_id)
    territories.set_place_archived(session, actor, place, False)
    return redirect(request, f"/territories/{territory.id}")
