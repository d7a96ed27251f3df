"""Indicators: the organisation's page (coordinators, admins), its printable report and exports; the
consolidated page and report of steering accounts; the admin's choice to share with steering."""

import itertools

from fastapi import Request
from fastapi.routing import APIRouter

from app.audit import service as audit
from app.deps import ActorDep, SessionDep, StreamSessionDep
from app.errors import Invalid
from app.i18n import _
from app.indicators import exports, report, service
from app.indicators.forms import PeriodFilter, SharingForm
from app.models import utcnow
from app.web import TZ, parse_form, redirect, render, validate_form

router = APIRouter()


def _filter(request: Request) -> tuple[PeriodFilter, dict, dict]:
    """The period and teams asked for, or the current month with the errors to show (typed values kept)."""
    q = request.query_params
    values = {"start": q.get("start", ""), "end": q.get("end", ""), "team": q.getlist("team")}
    result = validate_form(PeriodFilter, values)
    today = utcnow().astimezone(TZ).date()
    f = result.data if result.ok and result.data else PeriodFilter()
    start, end = f.start, f.end
    if start is None and end is None:
        start, end = service.default_period(today)
    elif start is None:
        start = end.replace(day=1)
    elif end is None:
        end = max(start, today)
    f = PeriodFilter.model_construct(start=start, end=end, team=f.team)
    if result.ok:  # the fields show the period the figures are for (typed values are kept when refused)
        values = {**values, "start": start.isoformat(), "end": end.isoformat()}
    return f, values, result.errors


def _scope(request: Request, session, actor):
    f, values, errors = _filter(request)
    try:
        scope = service.scope_for(session, actor, f.start, f.end, f.team)
    except Invalid as exc:
        errors = {**errors, "team": exc.message}
        scope = service.scope_for(session, actor, f.start, f.end, [])
    return scope, values, errors


def _ctx(session, actor, request):
    scope, values, errors = _scope(request, session, actor)
    page = service.page(session, actor, scope)
    ctx = {"page": page, "view": report.view(page), "values": values, "errors": errors, "drill": service.DRILL}
    return ctx, (422 if errors else 200)


@router.get("/indicators")
def indicators(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("indicators.read")
    ctx, status = _ctx(session, actor, request)
    return render(request, "indicators/page.html", ctx, block="results", status=status)


@router.get("/indicators/report")
def indicators_report(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("indicators.read")
    ctx, status = _ctx(session, actor, request)
    return render(request, "indicators/report.html", ctx, status=status)


@router.get("/indicators/export.{fmt}")
def indicators_export(request: Request, fmt: exports.Format, actor: ActorDep, session: SessionDep):
    actor.require("exports")
    scope, _values, _errors = _scope(request, session, actor)
    page = service.page(session, actor, scope)
    rows = report.rows(page)
    audit.record(
        session, actor, "export.indicators", details={"format": fmt, "start": str(scope.start), "end": str(scope.end)}
    )
    return exports.respond(rows, f"indicators-{scope.start}-{scope.end}", fmt)


# ---------------------------------------------------------------- steering
def _steering(request: Request, session, actor, template: str):
    actor.require("indicators.consolidated")
    f, values, errors = _filter(request)
    values = {**values, "team": []}
    orgs = service.consolidated(session, actor, f.start, f.end)
    view = report.consolidated([(o.name, ind) for o, ind in orgs], (f.end - f.start).days + 1)
    ctx = {"start": f.start, "end": f.end, "view": view, "orgs": orgs, "values": values, "errors": errors}
    return render(request, template, ctx, block="results", status=422 if errors else 200)


@router.get("/steering")
def steering(request: Request, actor: ActorDep, session: SessionDep):
    return _steering(request, session, actor, "indicators/steering.html")


@router.get("/steering/report")
def steering_report(request: Request, actor: ActorDep, session: SessionDep):
    return _steering(request, session, actor, "indicators/steering_report.html")


# ---------------------------------------------------------------- the admin's choice
@router.get("/admin/steering")
def sharing(request: Request, actor: ActorDep, session: SessionDep):
    org = service.organisation(session, actor)
    return render(request, "indicators/sharing.html", {"org": org})


@router.post("/admin/steering")
def save_sharing(request: Request, actor: ActorDep, session: SessionDep):
    service.organisation(session, actor)
    form = parse_form(request, SharingForm)
    service.set_sharing(session, actor, bool(form.data and form.data.share))
    return redirect(request, "/admin/steering")


@router.get("/indicators/persons")
def indicators_persons(request: Request, actor: ActorDep, session: SessionDep, figure: str = "", page: int = 1):
    scope, values, errors = _scope(request, session, actor)
    rows, total = service.drill(session, actor, scope, figure, max(1, page))
    label = next((str(lb) for _t, items in report.SECTIONS for k, lb, _d, _u in items if k == figure), figure)
    ctx = {"rows": rows, "total": total, "label": label, "scope": scope, "page": page, "figure": figure}
    return render(request, "indicators/persons.html", ctx)


@router.get("/indicators/persons/export.{fmt}")
def indicators_persons_export(
    request: Request, fmt: exports.Format, actor: ActorDep, session: SessionDep, reader: StreamSessionDep
):
    actor.require("exports")
    figure = request.query_params.get("figure", "")
    scope, _values, _errors = _scope(request, session, actor)
    _rows, total = service.drill(session, actor, scope, figure, 1)
    label = next((str(lb) for _t, items in report.SECTIONS for k, lb, _d, _u in items if k == figure), figure)
    audit.record(
        session,
        actor,
        "export.indicator_persons",
        details={"figure": figure, "format": fmt, "start": str(scope.start), "end": str(scope.end), "rows": total},
    )
    head = [[label, f"{scope.start:%d/%m/%Y}-{scope.end:%d/%m/%Y}"], [str(_("Code")), str(_("Alias"))]]
    lines = ([code, alias] for code, alias in service.drill_all(reader, actor, scope, figure))
    return exports.respond(itertools.chain(head, lines), f"{figure}-{scope.start}-{scope.end}", fmt)
