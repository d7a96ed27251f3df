"""AppError and its subclasses, and the one set of handlers: a toast fragment for htmx, a page otherwise."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.i18n import _

log = logging.getLogger("parcours")


class AppError(Exception):
    status_code = 400

    def __init__(self, message: str | None = None):
        super().__init__(message)
        self.message = message or self.default_message()

    def default_message(self) -> str:
        return _("Something is wrong with this request.")


class NotFound(AppError):
    status_code = 404

    def default_message(self) -> str:
        return _("This page does not exist, or you may not see it.")


class Forbidden(AppError):
    status_code = 403

    def default_message(self) -> str:
        return _("Your role does not allow this.")


class Conflict(AppError):
    status_code = 409

    def default_message(self) -> str:
        return _("Someone else changed this record meanwhile. Reload it and try again.")


class Invalid(AppError):
    status_code = 422


class NotAuthenticated(AppError):
    status_code = 401

    def default_message(self) -> str:
        return _("Please sign in.")


class RedirectTo(AppError):
    """Send the browser elsewhere first (e.g. the second sign-in step); htmx gets an HX-Redirect."""

    status_code = 303

    def __init__(self, url: str):
        super().__init__("")
        self.url = url


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def error_response(request: Request, status: int, message: str):
    from app.web import render  # the renderer needs the templates; imported late to keep this module light

    if request.url.path.startswith("/api/"):
        return JSONResponse({"message": message}, status_code=status)  # the sync API answers in JSON, always
    if status == 401:
        target = "/login"
        if request.method == "GET" and request.url.path != "/":
            target += "?next=" + request.url.path
        if _is_htmx(request):
            resp = render(request, "_toast.html", {"message": message}, status=401)
            resp.headers["HX-Redirect"] = target
            return resp
        return RedirectResponse(target, status_code=303)
    if _is_htmx(request) and request.headers.get("HX-Boosted") != "true":
        resp = render(request, "_toast.html", {"message": message, "kind": "error"}, status=status)
        resp.headers["HX-Retarget"] = "#toasts"
        resp.headers["HX-Reswap"] = "beforeend"
        return resp
    return render(request, "error.html", {"message": message, "status": status}, status=status)


def _who_asks(request: Request):
    """For an address no route knows: the signed-in Actor, if any, so the page keeps its top bar, menu and
    language. Best effort, read only: without it the page is still answered."""
    from app.auth.service import load_actor
    from app.db import get_session_factory
    from app.security import SESSION_COOKIE

    token = request.cookies.get(SESSION_COOKIE)
    if not token or request.url.path.startswith("/api/"):
        return None
    try:
        factory = request.app.dependency_overrides.get(get_session_factory, get_session_factory)()
        with factory() as session:
            actor = load_actor(session, token)
    except Exception:  # noqa: BLE001 (the error page must not fail for its menus)
        log.warning("could not read the session for a 404 page", exc_info=True)
        return None
    return actor if actor is not None and not actor.mfa_pending else None


async def _not_found(request: Request):
    from app.deps import adopt

    if getattr(request.state, "actor", None) is None:  # no route ran: find who is asking, for the menus
        actor = await run_in_threadpool(_who_asks, request)
        if actor is not None:
            adopt(request, actor)
    return error_response(request, 404, NotFound().message)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError):
        if isinstance(exc, RedirectTo):
            if _is_htmx(request):
                return Response(status_code=204, headers={"HX-Redirect": exc.url})
            return RedirectResponse(exc.url, status_code=303)
        return error_response(request, exc.status_code, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            return await _not_found(request)
        if exc.status_code == 405:
            return error_response(request, 405, _("This action is not available here."))
        return error_response(request, exc.status_code, _("Something is wrong with this request."))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        # A malformed id in the path is a page that does not exist; anything else is a bad request.
        if any(err.get("loc", ("",))[0] == "path" for err in exc.errors()):
            return await _not_found(request)
        return error_response(request, 422, _("Some of the values sent are not valid."))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(request, 500, _("Something went wrong on our side. Nothing was saved; please try again."))
