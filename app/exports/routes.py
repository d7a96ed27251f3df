"""The full export of the organisation's records (admins): start it, follow its progress, download it once."""

from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRouter

from app.db import get_session_factory
from app.deps import ActorDep, SessionDep
from app.exports import service
from app.web import redirect, render

router = APIRouter()
FactoryDep = Annotated[object, Depends(get_session_factory)]


@router.get("/admin/export")
def export_page(request: Request, actor: ActorDep, session: SessionDep):
    ctx = {"exports": service.mine(session, actor), "statuses": service.status_labels(), "hours": service.hours()}
    return render(request, "exports/page.html", ctx)


@router.post("/admin/export")
def export_start(request: Request, actor: ActorDep, session: SessionDep, tasks: BackgroundTasks, factory: FactoryDep):
    export = service.start(session, actor)
    # Runs once the response is sent (the request's commit has made the row visible), in a worker thread.
    tasks.add_task(service.run, export.id, actor, factory)
    return redirect(request, f"/admin/export/{export.id}")


@router.get("/admin/export/{export_id}")
def export_status(request: Request, export_id: str, actor: ActorDep, session: SessionDep):
    export = service.get(session, actor, export_id)
    return render(request, "exports/status.html", {"export": export}, block="progress")


@router.get("/admin/export/{export_id}/download")
def export_download(request: Request, export_id: str, actor: ActorDep, session: SessionDep):
    export, stream = service.download(session, actor, export_id)
    name = f"parcours-{export.created_at:%Y-%m-%d-%H%M}.zip"
    return StreamingResponse(
        stream,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
