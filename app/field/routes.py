"""Field pages: encounters (and the fragments that pick persons), rounds and their anonymous contacts,
observations and the daily team report. Check-ins are in checkin_routes.py, catalogues and territories in
admin_routes.py."""

import uuid
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData

from app.access import Actor, get_or_404
from app.admin.service import FieldErrors
from app.deps import ActorDep, SessionDep
from app.errors import Conflict, NotFound
from app.field import catalogue, encounters, observations, report, rounds, territories
from app.field.days import TIME_BANDS, local_input, working_day
from app.field.forms import AnonymousForm, EncounterForm, EndRoundForm, ObservationForm, ReportForm, RoundForm
from app.i18n import _
from app.models import Team
from app.needs import service as needs
from app.web import env, parse_form, posted, redirect, render

router = APIRouter()
env.globals.update(
    ROUND_KINDS=rounds.KINDS,
    TIME_BANDS=TIME_BANDS,
    ATMOSPHERES=observations.ATMOSPHERES,
    POLICE=observations.POLICE,
    MAX_QUANTITY=catalogue.MAX_QUANTITY,
)


def _quantities(raw: FormData) -> dict[str, str]:
    return {k: str(v) for k, v in raw.items() if k.startswith(("m_", "found_", "collected_"))}


def _custom_raw(raw: FormData) -> dict[str, list[str]]:
    return {k: [str(v) for v in raw.getlist(k)] for k in raw if k.startswith("cf_")}


def _page(values: dict[str, Any]) -> int:
    try:
        return max(1, min(int(values.get("page") or 1), 1000))
    except ValueError:
        return 1


# ---------------------------------------------------------------- encounters
def _encounter_form(request, session, actor: Actor, values: dict[str, Any], errors=None, status=200):
    team = rounds.team_of_today(session, actor)
    choices = encounters.form_choices(session, actor, team.id, values)
    ctx = {
        "team": team,
        "values": values,
        "errors": errors or {},
        "choices": choices,
        "where_options": territories.where_options(session, actor),
        "materials": catalogue.shown_materials(catalogue.material_map(session, actor), values),
        "services": catalogue.services(session, actor, "encounter"),
        "round": rounds.views(session, actor, [choices.round])[0] if choices.round else None,
        "need_groups": needs.grouped(needs.categories(session, actor)) if actor.can("needs.write") else [],
    }
    return render(request, "field/encounter_form.html", ctx, status=422 if errors and status == 200 else status)


@router.get("/encounters/new")
def new_encounter(request: Request, actor: ActorDep, session: SessionDep):
    encounters.require_record(actor)
    team = rounds.team_of_today(session, actor)
    rnd = rounds.round_for_encounter(session, actor, team.id)
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "at": local_input(),
        "person_ids": request.query_params.getlist("person_id"),
        "round_id": rnd.id if rnd else None,
        "where": territories.where_value(rnd.territory_id, None) if rnd else "",
    }
    alias = " ".join(request.query_params.get("new_alias", "").split())[:120]
    if alias and actor.can("persons.write"):  # "new person" tapped on the home page
        values["new_persons"] = [f"{uuid.uuid4()} {alias}"]
    return _encounter_form(request, session, actor, values)


@router.post("/encounters")
def create_encounter(request: Request, actor: ActorDep, session: SessionDep):
    encounters.require_record(actor)
    form = parse_form(request, EncounterForm)
    raw = posted(request)
    values = {**form.values, **_quantities(raw)}
    if not form.ok:
        return _encounter_form(request, session, actor, values, form.errors)
    assert form.data is not None
    try:
        encounter = encounters.record_encounter(session, actor, form.data, _quantities(raw))
    except FieldErrors as exc:
        session.rollback()
        return _encounter_form(request, session, actor, values, exc.errors)
    return redirect(request, f"/?saved={encounter.id}")


@router.get("/encounters/pick")
def pick_persons(request: Request, actor: ActorDep, session: SessionDep, q: str = "", target: str = "form"):
    """Matches for the letters typed: on the encounter form they add a person, on the home page they open the
    form for that person."""
    rows, lookalike = encounters.find_persons(session, actor, q)
    ctx = {"rows": rows, "lookalike": lookalike, "q": q.strip()[:120], "target": target}
    return render(request, "field/_person_results.html", ctx)


@router.get("/encounters/chip")
def person_chip(request: Request, actor: ActorDep, session: SessionDep, person_id: str = "", alias: str = ""):
    """One more person on the encounter being written: a known one, or one created on the spot (`alias`)."""
    encounters.require_record(actor)
    if person_id:
        return render(request, "field/_chip.html", {"p": encounters.chosen(session, actor, person_id)})
    actor.require("persons.write")
    alias = " ".join(alias.split())[:120]
    if not alias:
        raise NotFound()
    return render(request, "field/_chip.html", {"new": (uuid.uuid4(), alias)})


@router.get("/encounters/{encounter_id}")
def encounter_page(request: Request, encounter_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    encounter = encounters.get_encounter(session, actor, encounter_id)
    view = encounters.views(session, actor, [encounter])[0]
    need = needs.recorded_with(session, actor, encounter.id)  # the need recorded with it, if any
    return render(request, "field/encounter.html", {"v": view, "need": need})


@router.post("/encounters/{encounter_id}/delete")
def delete_encounter(request: Request, encounter_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    encounter = encounters.get_encounter(session, actor, encounter_id)
    encounters.delete_encounter(session, actor, encounter)
    return redirect(request, f"/rounds/{encounter.round_id}" if encounter.round_id else "/")


# ---------------------------------------------------------------- rounds
@router.get("/rounds")
def rounds_page(request: Request, actor: ActorDep, session: SessionDep):
    team = rounds.team_of_today(session, actor)
    page = _page(dict(request.query_params))
    rows, more = rounds.recent(session, actor, team.id, page)
    ctx = {"team": team, "rows": rows, "more": more, "page": page}
    return render(request, "field/rounds.html", ctx, block="list")


def _round_form(request, session, actor, values, errors=None):
    team = rounds.team_of_today(session, actor)
    ctx = {
        "team": team,
        "values": values,
        "errors": errors or {},
        "members": rounds.team_members(session, actor, team.id),
        "territories": territories.territories(session, actor),
    }
    return render(request, "field/round_form.html", ctx, status=422 if errors else 200)


@router.get("/rounds/new")
def new_round(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("field.write")
    values = {"id": uuid.uuid4(), "kind": "foot", "started_at": local_input(), "member_ids": [actor.user_id]}
    return _round_form(request, session, actor, values)


@router.post("/rounds")
def start_round(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("field.write")
    form = parse_form(request, RoundForm)
    if not form.ok:
        return _round_form(request, session, actor, form.values, form.errors)
    assert form.data is not None
    try:
        rounds.start_round(session, actor, form.data)
    except FieldErrors as exc:
        session.rollback()
        return _round_form(request, session, actor, form.values, exc.errors)
    return redirect(request, "/")


def _round_page(request, session, actor, rnd, errors=None, anonymous_values=None, end_values=None):
    ctx = {
        "r": rounds.views(session, actor, [rnd])[0],
        "encounters": encounters.of_round(session, actor, rnd),
        "anonymous": rounds.anonymous_contacts(session, actor, rnd),
        "materials": catalogue.shown_materials(catalogue.material_map(session, actor), anonymous_values or {}),
        "anon": anonymous_values or {"id": uuid.uuid4(), "people": 1},
        "end": end_values or {"ended_at": local_input()},
        "errors": errors or {},
    }
    return render(request, "field/round.html", ctx, status=422 if errors else 200)


@router.get("/rounds/{round_id}")
def round_page(request: Request, round_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    return _round_page(request, session, actor, rounds.get_round(session, actor, round_id))


@router.post("/rounds/{round_id}/end")
def end_round(request: Request, round_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    rnd = rounds.get_round(session, actor, round_id)
    actor.require("field.write")
    form = parse_form(request, EndRoundForm)
    if not form.ok:
        return _round_page(request, session, actor, rnd, errors=form.errors, end_values=form.values)
    assert form.data is not None
    try:
        rounds.end_round(session, actor, rnd, form.data)
    except FieldErrors as exc:
        session.rollback()
        return _round_page(request, session, actor, rnd, errors=exc.errors, end_values=form.values)
    except Conflict:
        session.rollback()
        return _round_page(request, session, actor, rnd)  # ended meanwhile by the other member: shown as it is
    return redirect(request, f"/rounds/{rnd.id}")


@router.post("/rounds/{round_id}/anonymous")
def add_anonymous(request: Request, round_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    rnd = rounds.get_round(session, actor, round_id)
    actor.require("field.write")
    form = parse_form(request, AnonymousForm)
    raw = posted(request)
    values = {**form.values, **_quantities(raw)}
    if not form.ok:
        return _round_page(request, session, actor, rnd, errors=form.errors, anonymous_values=values)
    assert form.data is not None
    try:
        rounds.add_anonymous(session, actor, rnd, form.data, _quantities(raw))
    except FieldErrors as exc:
        session.rollback()
        return _round_page(request, session, actor, rnd, errors=exc.errors, anonymous_values=values)
    return redirect(request, f"/rounds/{rnd.id}")


# ---------------------------------------------------------------- observations
@router.get("/observations")
def observations_page(request: Request, actor: ActorDep, session: SessionDep):
    team = rounds.team_of_today(session, actor)
    page = _page(dict(request.query_params))
    rows, more = observations.recent(session, actor, team.id, page)
    return render(request, "field/observations.html", {"team": team, "rows": rows, "more": more, "page": page})


def _observation_form(request, session, actor, values, errors=None):
    ctx = {
        "team": rounds.team_of_today(session, actor),
        "values": values,
        "errors": errors or {},
        "where_options": territories.where_options(session, actor),
        "materials": catalogue.shown_materials(catalogue.material_map(session, actor), values),
        "custom_fields": observations.custom_fields(session, actor),
    }
    return render(request, "field/observation_form.html", ctx, status=422 if errors else 200)


@router.get("/observations/new")
def new_observation(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("field.write")
    values = {"id": uuid.uuid4(), "at": local_input(), "atmosphere": "calm", "police": "none"}
    return _observation_form(request, session, actor, values)


@router.post("/observations")
def create_observation(request: Request, actor: ActorDep, session: SessionDep):
    actor.require("field.write")
    form = parse_form(request, ObservationForm)
    raw = posted(request)
    custom = _custom_raw(raw)
    values = {**form.values, **_quantities(raw), **{k: (v if len(v) > 1 else v[0]) for k, v in custom.items() if v}}
    if not form.ok:
        return _observation_form(request, session, actor, values, form.errors)
    assert form.data is not None
    try:
        obs = observations.record_observation(session, actor, form.data, _quantities(raw), custom)
    except FieldErrors as exc:
        session.rollback()
        return _observation_form(request, session, actor, values, exc.errors)
    return redirect(request, f"/observations/{obs.id}")


@router.get("/observations/{observation_id}")
def observation_page(request: Request, observation_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    obs = observations.get_observation(session, actor, observation_id)
    return render(
        request, "field/observation.html", {"v": observations.views(session, actor, [obs], with_custom=True)[0]}
    )


# ---------------------------------------------------------------- daily report
@router.get("/reports")
def todays_report(request: Request, actor: ActorDep, session: SessionDep):
    team = rounds.team_of_today(session, actor)
    return redirect(request, f"/reports/{team.id}/{working_day(team).isoformat()}")


def _report_page(request, session, actor: Actor, team: Team, day: date, values=None, errors=None, status=200):
    saved = report.get_report(session, actor, team, day)
    if values is None:
        values = saved.model_dump() if saved else {"id": uuid.uuid4()}
    ctx = {
        "team": team,
        "day": day,
        "today": working_day(team),
        "figures": report.figures(session, actor, team, day),
        "saved": saved,
        "values": values,
        "errors": errors or {},
        "can_edit": report.can_edit(actor, team) and day <= working_day(team),
        "timedelta_day": timedelta(days=1),
    }
    return render(request, "field/report.html", ctx, status=status)


def _team_and_day(session, actor: Actor, team_id: uuid.UUID, day: str) -> tuple[Team, date]:
    team = get_or_404(session, actor, Team, team_id)
    actor.require("field.read")
    try:
        return team, date.fromisoformat(day)
    except ValueError:
        raise NotFound() from None


@router.get("/reports/{team_id}/{day}")
def report_page(request: Request, team_id: uuid.UUID, day: str, actor: ActorDep, session: SessionDep):
    team, the_day = _team_and_day(session, actor, team_id, day)
    return _report_page(request, session, actor, team, the_day)


@router.post("/reports/{team_id}/{day}")
def save_report(request: Request, team_id: uuid.UUID, day: str, actor: ActorDep, session: SessionDep):
    team, the_day = _team_and_day(session, actor, team_id, day)
    form = parse_form(request, ReportForm)
    if not form.ok:
        return _report_page(request, session, actor, team, the_day, form.values, form.errors, status=422)
    assert form.data is not None
    try:
        report.save_report(session, actor, team, the_day, form.data)
    except FieldErrors as exc:
        session.rollback()
        return _report_page(request, session, actor, team, the_day, form.values, exc.errors, status=422)
    except Conflict as exc:
        session.rollback()
        saved = report.get_report(session, actor, team, the_day)
        message = _(
            "Someone else saved this report while you were writing. Your text is still in the form: "
            "compare with the saved report below, then save again."
        )
        values = {**form.values, "version": saved.version if saved else None, "id": saved.id if saved else None}
        return _report_page(request, session, actor, team, the_day, values, {"__all__": message}, exc.status_code)
    return redirect(request, f"/reports/{team.id}/{the_day.isoformat()}")
