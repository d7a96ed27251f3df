"""create_app(): routers, middleware, error handlers and static files."""

import logging

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware

from app.admin.routes import router as admin_router
from app.auth.routes import pending as auth_pending
from app.auth.routes import public as auth_public
from app.auth.routes import router as auth_router
from app.config import get_settings
from app.crypto import CryptoConfigError, master_key
from app.deps import get_actor, get_pending_actor
from app.errors import install_error_handlers
from app.field.admin_routes import router as field_admin_router
from app.field.checkin_routes import router as checkins_router
from app.field.routes import router as field_router
from app.home.routes import router as home_router
from app.persons.admin_routes import router as persons_admin_router
from app.persons.routes import router as persons_router
from app.security import SecurityMiddleware
from app.web import STATIC

# Every router here is behind sign-in; only `public` routes are reachable without a session.
PRIVATE_ROUTERS = [
    home_router,
    auth_router,
    admin_router,
    persons_router,
    persons_admin_router,
    field_router,
    checkins_router,
    field_admin_router,
]


class CachedStatic(StaticFiles):
    """Static files are cache-busted by content hash (web.static_url), so browsers may keep them a year."""

    async def get_response(self, path, scope):
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def create_app() -> FastAPI:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level.upper())
    try:
        master_key()  # fail at start, clearly, rather than at the first note
    except CryptoConfigError as exc:
        raise SystemExit(f"Parcours cannot start: {exc}") from None
    app = FastAPI(title="Parcours", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")

    public = APIRouter()

    @public.get("/healthz", include_in_schema=False)
    def healthz():
        return PlainTextResponse("ok")

    app.include_router(public)
    app.include_router(auth_public)
    app.include_router(auth_pending, dependencies=[Depends(get_pending_actor)])
    private = APIRouter(dependencies=[Depends(get_actor)])
    for router in PRIVATE_ROUTERS:
        private.include_router(router)
    app.include_router(private)
    app.mount("/static", CachedStatic(directory=STATIC), name="static")
    install_error_handlers(app)
    app.add_middleware(SecurityMiddleware)
    app.add_middleware(GZipMiddleware, minimum_size=500)
    return app


app = create_app()
