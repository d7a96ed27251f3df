"""Rendering (a whole page, or one block for in-page htmx requests) and form parsing helpers."""

import hashlib
import html
import typing
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2_fragments import render_block
from markupsafe import Markup
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from app import i18n
from app.access import PERMISSIONS
from app.config import ROOT, get_settings
from app.crypto import Unreadable
from app.i18n import _

TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"
TZ = ZoneInfo("Europe/Paris")

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "xml"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]


def _static_versions() -> dict[str, str]:
    out = {}
    for path in STATIC.rglob("*"):
        if path.is_file():
            out[path.relative_to(STATIC).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    return out


_VERSIONS = _static_versions()


def static_url(name: str) -> str:
    """A cache-busted URL: the file's content hash in the query, so it can be cached for a year."""
    return f"/static/{name}?v={_VERSIONS.get(name, '0')}"


def local_dt(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(TZ).strftime(fmt)


TEAM_KINDS = {
    "patrol": i18n.lazy("Patrol"),
    "metro_patrol": i18n.lazy("Metro patrol"),
    "rest_area": i18n.lazy("Rest area"),
    "reception": i18n.lazy("Reception"),
    "accommodation": i18n.lazy("Accommodation"),
    "coordination": i18n.lazy("Coordination"),
}
ROLE_LABELS = {
    "admin": i18n.lazy("Admin"),
    "coordinator": i18n.lazy("Coordinator"),
    "worker": i18n.lazy("Field worker"),
    "health": i18n.lazy("Health worker"),
    "reception": i18n.lazy("Reception"),
    "steering": i18n.lazy("Steering partner"),
}


def tr_items(labels: dict[str, str]) -> list[tuple[str, str]]:
    """(value, translated label) pairs for a select."""
    return [(k, _(v)) for k, v in labels.items()]


env.filters["tr_items"] = tr_items


def option_tags(rows, selected=None, label: str = "name") -> Markup:
    """The <option>s of a select over records or (id, name) rows, the one whose id is `selected` (an id or its text)
    selected: written in Python, as a large organisation's hundreds of teams or workers cost a template loop
    milliseconds per page."""
    chosen = str(selected) if selected not in (None, "") else None
    out = []
    for row in rows:
        value = str(row.id)
        mark = " selected" if value == chosen else ""
        out.append(f'<option value="{html.escape(value)}"{mark}>{html.escape(str(getattr(row, label)))}</option>')
    return Markup("".join(out))  # noqa: S704 (every value and label escaped above)


env.globals["option_tags"] = option_tags
TEAMS_INLINE = 6  # other teams shown as they are; more wait in a closed list


def team_boxes(name: str, teams, chosen=(), mine=(), kinds: bool = False) -> Markup:
    """A checkbox per team: the user's own teams and the chosen ones first, then the others, in a closed "Other
    teams" list when there are more than TEAMS_INLINE of them: a large organisation's form on a phone would
    otherwise start with hundreds of boxes. Every box is in the form either way (nothing to load, works offline).
    `kinds` adds each team's kind (patrol, rest area...), as the admin's forms show it."""
    picked = {str(chosen)} if isinstance(chosen, str | uuid.UUID) else {str(t) for t in chosen or ()}
    first_ids = picked | {str(t) for t in mine or ()}

    def box(team) -> str:
        value = str(team.id)
        mark = " checked" if value in picked else ""
        kind = f' <small class="muted">{html.escape(_(TEAM_KINDS[team.kind]))}</small>' if kinds else ""
        return (
            f'<label class="check"><input type="checkbox" name="{html.escape(name)}" value="{html.escape(value)}"'
            f"{mark}> {html.escape(team.name)}{kind}</label>"
        )

    first: list[str] = []
    rest: list[str] = []
    for team in teams:
        (first if str(team.id) in first_ids else rest).append(box(team))
    if len(rest) > TEAMS_INLINE:
        label = _("Other teams (%(n)s)", n=len(rest)) if first else _("Choose teams (%(n)s)", n=len(rest))
        rest = [f'<details class="more-filters"><summary>{html.escape(label)}</summary>{"".join(rest)}</details>']
    return Markup("".join(first + rest))  # noqa: S704 (every value and label escaped above)


env.globals["team_boxes"] = team_boxes


def compile_templates() -> int:
    """Compile every page's template now (about 0.8 s for 105), at a worker's start: otherwise the first person to
    open each page after a deploy or restart waits for its template to compile (30-150 ms each, measured)."""
    names = [name for name in env.list_templates() if name.endswith(".html")]
    for name in names:
        env.get_template(name)
    return len(names)


env.globals.update(
    ORG_ROLE_LABELS={k: v for k, v in ROLE_LABELS.items() if k != "steering"},
    static_url=static_url,
    PERMISSIONS=PERMISSIONS,
    LANG_NAMES=i18n.LANG_NAMES,
    TEAM_KINDS=TEAM_KINDS,
    ROLE_LABELS=ROLE_LABELS,
    # How long an online field form waits for the server before the phone keeps it in its outbox (ms).
    offline_timeout_ms=lambda: get_settings().offline_timeout_seconds * 1000,
)
env.filters["local_dt"] = local_dt
env.tests["unreadable"] = lambda value: isinstance(value, Unreadable)  # a damaged ciphertext (app/crypto.py)


def is_partial(request: Request) -> bool:
    """An in-page htmx request (not a boosted navigation, not a history restore) gets one block."""
    h = request.headers
    return h.get("HX-Request") == "true" and h.get("HX-Boosted") != "true" and not h.get("HX-History-Restore-Request")


def render(
    request: Request,
    template: str,
    ctx: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    state = request.state
    context = {
        "request": request,
        "actor": getattr(state, "actor", None),
        "csrf_token": getattr(state, "csrf_token", ""),
        "lang": i18n.get_lang(),
        "nav": getattr(state, "nav", None),
        **(ctx or {}),
    }
    if block and is_partial(request):
        html = render_block(env, template, block, **context)
    else:
        html = env.get_template(template).render(**context)
    resp = HTMLResponse(html, status_code=status, headers=headers)
    resp.headers["Vary"] = "HX-Request"
    return resp


def redirect(request: Request, url: str) -> RedirectResponse:
    """After a successful POST: 303 to the result. htmx follows it and shows (and pushes) the new page."""
    return RedirectResponse(url, status_code=303)


T = TypeVar("T", bound=BaseModel)


@dataclass
class FormResult(Generic[T]):
    data: T | None
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.data is not None and not self.errors


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, set, tuple, frozenset):
        return True
    return any(_is_list(a) for a in typing.get_args(annotation)) if origin else False


def _message(err: dict[str, Any]) -> str:
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return _("This field is required.")
    if kind == "string_too_long":
        return _("At most %(n)s characters.", n=ctx.get("max_length"))
    if kind == "string_too_short":
        return _("At least %(n)s characters.", n=ctx.get("min_length"))
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Enter a whole number.")
    if kind in ("float_parsing", "float_type", "decimal_parsing"):
        return _("Enter a number.")
    if kind in ("greater_than_equal", "greater_than"):
        return _("Must be at least %(n)s.", n=ctx.get("ge", ctx.get("gt")))
    if kind in ("less_than_equal", "less_than"):
        return _("Must be at most %(n)s.", n=ctx.get("le", ctx.get("lt")))
    if kind in ("enum", "literal_error", "uuid_parsing", "uuid_type"):
        return _("Choose one of the options.")
    if kind.startswith(("date", "datetime", "time")):
        return _("Enter a valid date.")
    if kind == "value_error":
        return str(ctx.get("error", "")) or _("This value is not valid.")
    if kind in ("string_pattern_mismatch",):
        return _("This value is not valid.")
    return _("This value is not valid.")


def no_nul(value: Any) -> Any:
    """A NUL character is never part of what someone typed, and PostgreSQL refuses it in text (a 500): dropped."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [no_nul(v) for v in value]
    return value


def validate_form(model: type[T], values: dict[str, Any]) -> FormResult[T]:
    values = {k: no_nul(v) for k, v in values.items()}
    clean = {k: v for k, v in values.items() if v not in ("", None, [])}
    try:
        return FormResult(model.model_validate(clean), values)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors():
            name = str(err["loc"][0]) if err.get("loc") else "__all__"
            errors.setdefault(name, _message(err))
        return FormResult(None, values, errors)


FORM_TYPE = "application/x-www-form-urlencoded"


async def read_posted_form(request: Request) -> None:
    """App-wide dependency: read a posted url-encoded form on the event loop, before the route runs.

    So routes that take a form are plain `def` functions, which FastAPI runs in its thread pool. An `async def`
    route runs on the event loop, and every query it makes there (sync SQLAlchemy) blocks the whole process:
    `make bench` logged 5 to 26 encounters a second with 32 clients that way. Multipart uploads (documents, the
    directory import) are read by their own routes, which check the size first."""
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.headers.get("content-type", "").startswith(
        FORM_TYPE
    ):
        request.state.posted_form = await request.form()


def posted(request: Request) -> FormData:
    """The url-encoded form of this request (read by `read_posted_form`); empty when none was posted."""
    return getattr(request.state, "posted_form", None) or FormData()


def parse_form(request: Request, model: type[T]) -> FormResult[T]:
    """Read the posted form into `model`. Errors come back as translated sentences per field, with the raw
    values kept so the form is shown again exactly as typed."""
    form = posted(request)
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if _is_list(info.annotation):
            values[name] = [str(v).strip() for v in form.getlist(name) if str(v).strip()]
        else:
            raw = form.get(name)
            values[name] = raw.strip() if isinstance(raw, str) else raw
    return validate_form(model, values)
