"""The installable app: the manifest, the service worker (served from the root so its scope is the whole app)
and the offline page it shows when there is no network. The offline page holds forms only, no one's data."""

import hashlib
import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from app.deps import ActorDep, SessionDep
from app.field import territories
from app.i18n import _
from app.needs import service as needs
from app.web import _VERSIONS, STATIC, TEMPLATES, render, static_url

public = APIRouter()
router = APIRouter()

# What the service worker keeps, per release: the app shell, the offline forms and the static files.
SHELL = ["app.css", "app.js", "outbox.js", "vendor/htmx.min.js", "vendor/idb-keyval.js", "icon.svg"]
RELEASE = hashlib.sha256(
    json.dumps(_VERSIONS, sort_keys=True).encode() + (TEMPLATES / "sync" / "offline.html").read_bytes()
).hexdigest()[:12]


@public.get("/sw.js", include_in_schema=False)
def service_worker():
    assets = [static_url(name) for name in SHELL] + ["/offline", "/manifest.webmanifest"]
    script = (STATIC / "sw.js").read_text()
    script = script.replace("__RELEASE__", RELEASE).replace('"__ASSETS__"', json.dumps(assets))
    return Response(script, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


@public.get("/manifest.webmanifest", include_in_schema=False)
def manifest():
    return JSONResponse(
        {
            "name": "Parcours",
            "short_name": "Parcours",
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#1f4e79",
            "icons": [{"src": static_url("icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
        },
        media_type="application/manifest+json",
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/offline", include_in_schema=False)
def offline(request: Request, session: SessionDep, actor: ActorDep):
    """The forms a worker fills with no network; the persons to pick come from the phone, not from this page."""
    where = territories.where_options(session, actor) if actor.can("field.write") else []
    # The page is the signed-in user's (fetched again when user, team or language change): their organisation's
    # need categories can be on it, for a need recorded with an encounter.
    need_groups = needs.grouped(needs.categories(session, actor)) if actor.can("needs.write") else []
    return render(
        request, "sync/offline.html", {"where": where, "need_groups": need_groups, "title": _("On this phone")}
    )
