"""create_app(): routers, middleware, error handlers and static files."""

import inspect
import logging
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware

from app.admin.routes import router as admin_router
from app.auth.routes import pending as auth_pending
from app.auth.routes import public as auth_public
from app.auth.routes import router as auth_router
from app.caseload.routes import router as caseload_router
from app.config import get_settings
from app.crypto import CryptoConfigError, check_master_key, master_key
from app.deps import get_actor, get_pending_actor
from app.errors import install_error_handlers
from app.exports.routes import router as exports_router
from app.field.admin_routes import router as field_admin_router
from app.field.checkin_routes import router as checkins_router
from app.field.routes import router as field_router
from app.health.admin_routes import router as health_admin_router
from app.health.routes import router as health_router
from app.home.routes import router as home_router
from app.indicators.routes import router as indicators_router
from app.needs.routes import admin_router as needs_admin_router
from app.needs.routes import router as needs_router
from app.persons.admin_routes import router as persons_admin_router
from app.persons.routes import router as persons_router
from app.privacy.routes import router as privacy_router
from app.referrals.routes import router as referrals_router
from app.security import SecurityMiddleware
from app.stays.routes import router as stays_router
from app.structures.routes import router as structures_router
from app.sync.pwa import public as pwa_public
from app.sync.pwa import router as pwa_router
from app.sync.routes import router as sync_router
from app.web import STATIC, compile_templates, read_posted_form

# Every router here is behind sign-in; only `public` routes are reachable without a session.
PRIVATE_ROUTERS = [
    home_router,
    auth_router,
    admin_router,
    persons_router,
    persons_admin_router,
    health_router,
    health_admin_router,
    privacy_router,
    needs_router,
    needs_admin_router,
    referrals_router,
    stays_router,
    structures_router,
    field_router,
    checkins_router,
    field_admin_router,
    sync_router,
    pwa_router,
    indicators_router,
    caseload_router,
    exports_router,
]


class CachedStatic(StaticFiles):
    """Static files are cache-busted by content hash (web.static_url), so browsers may keep them a year."""

    async def get_response(self, path, scope):
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


# What an APIRoute is made of, copied by include_flat (the app's router supplies the dependency overrides).
ROUTE_FIELDS = [
    name
    for name in inspect.signature(APIRoute.__init__).parameters
    if name not in ("self", "path", "endpoint", "dependencies", "dependency_overrides_provider")
]


def include_flat(app: FastAPI, router: APIRouter, dependencies: list | None = None) -> None:
    """`app.include_router(router, dependencies=...)`, with the routes added to the app itself.

    Since 0.137 FastAPI keeps an included router nested (`_IncludedRouter`) and walks the tree on every request
    (twice per level, see fastapi/fastapi#16159): with the app's 210 routes behind a second level (the private
    router), finding POST /encounters cost 4.6 ms, more than the rest of the request's Python; flat, 0.9 ms
    (bench/profile_requests.py, py-spy). Same routes, same order, same dependencies."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise TypeError(f"include_flat: {route!r} is not an API route")
        fields = {name: getattr(route, name) for name in ROUTE_FIELDS if hasattr(route, name)}
        app.router.add_api_route(
            route.path, route.endpoint, dependencies=[*(dependencies or []), *route.dependencies], **fields
        )


def check_keys_in_database() -> None:
    """Refuse to serve with a master key that is not the database's (every note would read as damaged)."""
    from sqlalchemy.exc import SQLAlchemyError
    from sqlmodel import Session

    from app.db import get_engine

    try:
        with Session(get_engine()) as session:
            check_master_key(session)
    except SQLAlchemyError as exc:  # no database, or not migrated yet: nothing to compare with
        logging.getLogger("parcours").warning("could not check the master key against the database: %s", exc)


@asynccontextmanager
async def lifespan(_app: FastAPI):
    try:
        check_keys_in_database()
    except CryptoConfigError as exc:
        logging.getLogger("parcours").critical("Parcours cannot start: %s", exc)
        raise SystemExit(f"Parcours cannot start: {exc}") from None
    compile_templates()
    yield


def create_app() -> FastAPI:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level.upper())
    try:
        master_key()  # fail at start, clearly, rather than at the first note
    except CryptoConfigError as exc:
        raise SystemExit(f"Parcours cannot start: {exc}") from None
    # read_posted_form: routes are plain `def` (run in the thread pool, off the event loop) and still get the form.
    app = FastAPI(
        title="Parcours",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
        dependencies=[Depends(read_posted_form)],
    )

    public = APIRouter()

    @public.get("/healthz", include_in_schema=False)
    def healthz():
        return PlainTextResponse("ok")

    include_flat(app, public)
    include_flat(app, pwa_public)
    include_flat(app, auth_public)
    include_flat(app, auth_pending, [Depends(get_pending_actor)])
    for router in PRIVATE_ROUTERS:
        include_flat(app, router, [Depends(get_actor)])
    app.mount("/static", CachedStatic(directory=STATIC), name="static")
    install_error_handlers(app)
    app.add_middleware(SecurityMiddleware)
    app.add_middleware(GZipMiddleware, minimum_size=500)
    return app


app = create_app()
