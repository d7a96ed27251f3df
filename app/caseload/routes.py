"""The caseload review (coordinators and admins): a summary of the lists, one list a page, its exports."""

import itertools

from fastapi import Request
from fastapi.routing import APIRouter

from app.audit import service as audit
from app.caseload import service
from app.caseload.forms import CaseloadFilter
from app.deps import ActorDep, SessionDep, StreamSessionDep
from app.errors import Invalid
from app.i18n import _
from app.indicators import exports
from app.web import is_partial, local_dt, render, validate_form

router = APIRouter()
FIELDS = ("team", "worker", "category", "days", "waiting_days", "name", "page")


def _filters(request: Request, session, actor):
    """The filters asked for, checked against the organisation; invalid ones are reported and dropped."""
    actor.require("caseload.read")
    values = {k: request.query_params.get(k, "") for k in FIELDS}
    result = validate_form(CaseloadFilter, values)
    errors = dict(result.errors)
    form = result.data
    if form is None:  # keep what is valid, drop the rest
        kept = validate_form(CaseloadFilter, {k: v for k, v in values.items() if k not in errors})
        form = kept.data or CaseloadFilter()
    f = service.Filters(form.team, form.worker, form.category, form.days, form.waiting_days)
    try:
        service.check_filters(session, actor, f)
    except Invalid as exc:
        errors["__all__"] = exc.message
        f = service.Filters(days=form.days, waiting_days=form.waiting_days)
    return form, f, values, errors


PAGES = {"summary": "/caseload", "list": "/caseload/list"}


def _ctx(request, session, actor, at: str = "summary", *, form_only: bool = False):
    """The filters, and the filter panel's state: open when a filter is set or refused (or asked open), and only
    then with its choices (every team and worker of the organisation, hundreds in a large one). A closed panel loads
    its form from /caseload/filters when opened (`form_only`: the choices always)."""
    form, f, values, errors = _filters(request, session, actor)
    ctx = {"form": form, "filters": f, "values": values, "errors": errors, "at": at, "action": PAGES[at]}
    ctx["filters_open"] = bool(errors) or f != service.Filters() or request.query_params.get("filters") == "open"
    if form_only or (ctx["filters_open"] and not is_partial(request)):
        ctx.update(service.choices(session, actor))
    return ctx


@router.get("/caseload/filters")
def caseload_filters(request: Request, actor: ActorDep, session: SessionDep):
    """The filter form of the summary or of a list, for its panel opened on the page."""
    at = request.query_params.get("at")
    ctx = _ctx(request, session, actor, at if at in PAGES else "summary", form_only=True)
    return render(request, "caseload/_filter_form.html", ctx)


@router.get("/caseload")
def caseload(request: Request, actor: ActorDep, session: SessionDep):
    ctx = _ctx(request, session, actor)
    ctx["summary"] = service.summary(session, actor, ctx["filters"])
    ctx["cap"] = service.SUMMARY_CAP
    return render(request, "caseload/summary.html", ctx, block="results", status=422 if ctx["errors"] else 200)


@router.get("/caseload/list")
def caseload_list(request: Request, actor: ActorDep, session: SessionDep):
    ctx = _ctx(request, session, actor, "list")
    form, f = ctx["form"], ctx["filters"]
    ctx["lines"], ctx["more"] = service.lines(session, actor, form.name, f, form.page)
    ctx["title"] = service.title(form.name, f)
    return render(request, "caseload/list.html", ctx, block="results", status=422 if ctx["errors"] else 200)


@router.get("/caseload/export.{fmt}")
def caseload_export(
    request: Request, fmt: exports.Format, actor: ActorDep, session: SessionDep, reader: StreamSessionDep
):
    actor.require("exports")
    form, f, _values, _errors = _filters(request, session, actor)
    title = service.title(form.name, f)
    n = service.count(session, actor, form.name, f)
    audit.record(session, actor, "export.caseload", details={"list": form.name, "format": fmt, "rows": n})
    # The lines are read while the file is sent (CSV), from a session that stays open for it.
    head = [[title, "", ""], [str(_("Code")), str(_("Alias")), str(_("Date"))]]
    lines = ([line.code, line.alias, _when(line.when)] for line in service.all_lines(reader, actor, form.name, f))
    return exports.respond(itertools.chain(head, lines), f"caseload-{form.name}", fmt)


def _when(value) -> str:
    if value is None:
        return ""
    return local_dt(value) if hasattr(value, "hour") else value.strftime("%d/%m/%Y")
