"""One ASGI middleware for what every request needs: the language, the CSRF check on every non-GET request,
and the security headers (CSP without inline script or eval, no framing, no sniffing)."""

import hashlib
import hmac
import secrets
import time
from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import i18n
from app.config import get_settings

SESSION_COOKIE = "parcours_session"
CSRF_COOKIE = "parcours_csrf"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'; "
    "img-src 'self' data: blob:"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), geolocation=(self), microphone=()",
}


def csrf_token_for(seed: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, b"csrf:" + seed.encode(), hashlib.sha256).hexdigest()


def cookie_secure(scope: Scope) -> bool:
    mode = get_settings().cookie_secure.lower()
    if mode in ("true", "1", "yes"):
        return True
    if mode in ("false", "0", "no"):
        return False
    return scope.get("scheme") == "https"


class SecurityMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        settings = get_settings()
        i18n.set_lang(i18n.pick_lang(request.headers.get("accept-language"), settings.default_lang))

        seed = request.cookies.get(SESSION_COOKIE) or request.cookies.get(CSRF_COOKIE)
        new_seed = None
        if not seed:
            seed = new_seed = secrets.token_urlsafe(32)
        token = csrf_token_for(seed)
        scope.setdefault("state", {})["csrf_token"] = token

        if scope["method"] not in SAFE_METHODS:
            ok, receive = await self._check_csrf(request, receive, token)
            if not ok:
                from app.errors import error_response

                response = error_response(
                    Request(scope, receive),
                    403,
                    i18n._("This form has expired or did not come from Parcours. Reload the page and try again."),
                )
                await self._send_with_headers(response, scope, receive, send, new_seed)
                return

        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                self._add_headers(headers, scope, new_seed)
                # How long the app took, for the browser's devtools and `make bench` (no data in it).
                headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
            await send(message)

        await self.app(scope, receive, send_wrapper)

    async def _check_csrf(self, request: Request, receive: Receive, token: str) -> tuple[bool, Receive]:
        site = request.headers.get("sec-fetch-site")
        if site and site not in ("same-origin",):
            return False, receive
        sent = request.headers.get("x-csrf-token")
        ctype = request.headers.get("content-type", "")
        if not sent and ctype.startswith("application/x-www-form-urlencoded"):
            # A plain form post (no JavaScript): read the body for the hidden field, then replay it downstream.
            body = b""
            more = True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
            values = parse_qs(body.decode("latin-1"), max_num_fields=1000)
            sent = (values.get("csrf_token") or [""])[0]
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            receive = replay
        return bool(sent) and hmac.compare_digest(sent, token), receive

    @staticmethod
    def _add_headers(headers: MutableHeaders, scope: Scope, new_seed: str | None) -> None:
        for name, value in SECURITY_HEADERS.items():
            headers.setdefault(name, value)
        if scope.get("scheme") == "https":
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        path = scope.get("path", "")
        if not path.startswith("/static/"):
            # Pages carry people's data: never stored by the browser or any cache on the way.
            headers.setdefault("Cache-Control", "no-store")
        if new_seed:
            secure = "; Secure" if cookie_secure(scope) else ""
            headers.append("Set-Cookie", f"{CSRF_COOKIE}={new_seed}; Path=/; HttpOnly; SameSite=Lax{secure}")

    async def _send_with_headers(self, response, scope, receive, send, new_seed) -> None:
        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._add_headers(MutableHeaders(scope=message), scope, new_seed)
            await send(message)

        await response(scope, receive, send_wrapper)
