"""The daily team report: for a team and one of its working days (noon to noon for night teams), the figures
computed from what was recorded, plus the team's own description, the partners it worked with and a handover
note shown on the team's home page during the next working day. One report per team and day, editable by the
team's members.

Extension point: later domains add their own figures with `register_figure`, e.g. issue 5's needs:

    register_figure("needs_created", lazy("Needs recorded"), lambda session, actor, team, start, end: ...)

`fn(session, actor, team, start, end) -> int | None` counts what the team did in [start, end) (UTC instants of
the working day); None hides the figure (an actor who may not read what it counts). A figure appears on every
report once registered, as one indexed statement, so a report costs a fixed number of round trips."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import union, union_all
from sqlmodel import Session, col, func, select

from app.access import Actor, scoped
from app.admin.service import FieldErrors, check_version
from app.audit.service import record
from app.errors import Conflict, Forbidden, Invalid
from app.field.days import day_bounds, working_day
from app.field.forms import ReportForm
from app.i18n import _
from app.models import (
    AnonymousContact,
    AnonymousMaterial,
    Checkin,
    DailyReport,
    Encounter,
    EncounterMaterial,
    EncounterPerson,
    Material,
    Observation,
    Person,
    Round,
    Team,
)
from app.persons.service import user_names

FigureFn = Callable[[Session, Actor, Team, datetime, datetime], int | None]
_FIGURES: list[tuple[str, str, FigureFn]] = []
HANDOVER_DAYS = 7  # a handover older than this is no longer news


def register_figure(key: str, label: str, fn: FigureFn) -> None:
    """Add a figure to every daily report (label marked with lazy(), translated when shown)."""
    _FIGURES[:] = [f for f in _FIGURES if f[0] != key] + [(key, label, fn)]


@dataclass
class Figures:
    rounds: int = 0
    encounters: int = 0
    persons: int = 0  # distinct persons met or checked in
    new_persons: int = 0  # of them, those whose record was created during the day
    anonymous_contacts: int = 0  # anonymous contacts recorded on rounds
    anonymous_people: int = 0  # people counted in them
    materials: list[tuple[str, int]] = field(default_factory=list)  # given, by type
    checkins: int = 0
    checkin_persons: int = 0
    anonymous_checkins: int = 0
    peak_occupancy: int = 0
    observations: int = 0
    people_seen: int = 0  # total of the observations' counts
    extra: list[tuple[str, str, int]] = field(default_factory=list)  # registered figures: (key, label, value)

    @property
    def empty(self) -> bool:
        return not (self.rounds or self.encounters or self.checkins or self.observations or self.anonymous_contacts)


def _live(model, actor: Actor, team: Team):
    return (model.org_id == actor.org_id, model.team_id == team.id, col(model.deleted_at).is_(None))


def figures(session: Session, actor: Actor, team: Team, day: date) -> Figures:
    """The day's figures in three round trips whatever the volume: every count in one statement of scalar
    subqueries, the materials given by type, and the check-in times of the day for the peak occupancy."""
    actor.require("field.read")
    start, end = day_bounds(team, day)
    rounds_in_day = (*_live(Round, actor, team), Round.started_at >= start, Round.started_at < end)
    in_day = (*_live(Encounter, actor, team), Encounter.at >= start, Encounter.at < end)
    contacts_in_day = (*_live(AnonymousContact, actor, team), AnonymousContact.at >= start, AnonymousContact.at < end)
    checkins_of_day = (*_live(Checkin, actor, team), Checkin.day == day)
    obs_in_day = (*_live(Observation, actor, team), Observation.at >= start, Observation.at < end)
    met = (
        select(EncounterPerson.person_id.label("pid"))  # type: ignore[attr-defined]
        .join(Encounter, col(Encounter.id) == col(EncounterPerson.encounter_id))
        .where(*in_day)
    )
    checked = select(Checkin.person_id.label("pid")).where(*checkins_of_day, col(Checkin.person_id).is_not(None))  # type: ignore[union-attr]
    # Computed once and read by two counts (all, new): a materialised common table expression.
    everyone = union(met, checked).cte("everyone").prefix_with("MATERIALIZED")
    persons = select(func.count()).select_from(everyone).join(Person, col(Person.id) == everyone.c.pid)

    def scalar(stmt):
        return stmt.scalar_subquery()

    counts = session.exec(
        select(
            scalar(select(func.count()).where(*rounds_in_day)),
            scalar(select(func.count()).where(*in_day)),
            scalar(persons),
            scalar(persons.where(Person.created_at >= start, Person.created_at < end)),
            scalar(select(func.count()).where(*contacts_in_day)),
            scalar(select(func.coalesce(func.sum(AnonymousContact.people), 0)).where(*contacts_in_day)),
            scalar(select(func.count()).where(*checkins_of_day)),
            scalar(select(func.count(func.distinct(Checkin.person_id))).where(*checkins_of_day)),
            # anonymous ones, counted so that the day's index is used (not the person_id one)
            scalar(select(func.count() - func.count(Checkin.person_id)).where(*checkins_of_day)),
            scalar(select(func.count()).where(*obs_in_day)),
            scalar(
                select(func.coalesce(func.sum(Observation.women + Observation.men + Observation.others), 0)).where(
                    *obs_in_day
                )
            ),
        )
    ).one()
    names = ("rounds", "encounters", "persons", "new_persons", "anonymous_contacts", "anonymous_people", "checkins")
    names += ("checkin_persons", "anonymous_checkins", "observations", "people_seen")
    f = Figures(**{name: int(n or 0) for name, n in zip(names, counts, strict=True)})
    given = union_all(
        select(EncounterMaterial.material_id.label("mid"), EncounterMaterial.quantity.label("n"))  # type: ignore[attr-defined]
        .join(Encounter, col(Encounter.id) == col(EncounterMaterial.encounter_id))
        .where(*in_day),
        select(AnonymousMaterial.material_id.label("mid"), AnonymousMaterial.quantity.label("n"))  # type: ignore[attr-defined]
        .join(AnonymousContact, col(AnonymousContact.id) == col(AnonymousMaterial.contact_id))
        .where(*contacts_in_day),
    ).subquery()
    f.materials = [
        (label, int(n))
        for label, n in session.exec(
            select(Material.label, func.sum(given.c.n))
            .join(given, given.c.mid == col(Material.id))
            .group_by(Material.id, Material.label, Material.position)
            .order_by(Material.position, Material.label)
        ).all()
    ]
    f.peak_occupancy = _peak(session, actor, team, day, start, end)
    values = [(key, label, fn(session, actor, team, start, end)) for key, label, fn in _FIGURES]
    f.extra = [(key, _(label), value) for key, label, value in values if value is not None]
    return f


def _peak(session: Session, actor: Actor, team: Team, day: date, start: datetime, end: datetime) -> int:
    """The most people present at once during the day (those still there from the day before count)."""
    stays = session.exec(
        select(Checkin.arrived_at, Checkin.left_at).where(
            *_live(Checkin, actor, team), col(Checkin.day).in_([day - timedelta(days=1), day])
        )
    ).all()
    events = []
    for arrived, left in stays:
        if arrived < end and (left is None or left > start):
            events.append((max(arrived, start), 1))
            if left is not None and left < end:
                events.append((left, -1))
    peak = present = 0
    for _at, step in sorted(events, key=lambda e: (e[0], e[1])):
        present += step
        peak = max(peak, present)
    return peak


# ---------------------------------------------------------------- the team's own words
def get_report(session: Session, actor: Actor, team: Team, day: date) -> DailyReport | None:
    actor.require("field.read")
    return session.exec(
        scoped(DailyReport, actor).where(DailyReport.team_id == team.id, DailyReport.day == day)
    ).first()


def can_edit(actor: Actor, team: Team) -> bool:
    return actor.can("reports.write") and team.id in actor.team_ids


def save_report(session: Session, actor: Actor, team: Team, day: date, form: ReportForm) -> DailyReport:
    """Create or update the team's report of `day`. The same first save sent twice makes one report; an edit
    based on an older version is a Conflict."""
    if not can_edit(actor, team):
        raise Forbidden()
    if day > working_day(team):
        raise Invalid(_("This day has not come yet."))
    report = get_report(session, actor, team, day)
    if report is None:
        if form.id is not None and session.get(DailyReport, form.id) is not None:
            raise FieldErrors({"__all__": _("This form was already used. Reload the page.")})
        report = DailyReport(
            id=form.id or uuid.uuid4(), org_id=team.org_id, team_id=team.id, day=day, author_id=actor.user_id
        )
        session.add(report)
    elif form.version is None and report.id != form.id:
        raise Conflict()  # someone else wrote the day's report meanwhile
    elif form.version is not None:
        check_version(report, form.version)
    report.description, report.partners, report.handover = form.description, form.partners, form.handover
    report.updated_by = actor.user_id
    session.flush()
    record(session, actor, "report.saved", entity_type="daily_report", entity_id=report.id)
    return report


@dataclass
class Handover:
    report: DailyReport
    author: str | None


def handover(session: Session, actor: Actor, team: Team) -> Handover | None:
    """The latest handover note the team left on a previous working day (within a week): for the next shift."""
    if not actor.can("field.read"):
        return None
    today = working_day(team)
    report = session.exec(
        scoped(DailyReport, actor)
        .where(DailyReport.team_id == team.id, DailyReport.day < today)
        .where(DailyReport.day >= today - timedelta(days=HANDOVER_DAYS))
        .where(col(DailyReport.handover).is_not(None), DailyReport.handover != "")
        .order_by(col(DailyReport.day).desc())
    ).first()
    if report is None:
        return None
    names = user_names(session, {report.updated_by or report.author_id})
    return Handover(report, names.get(report.updated_by or report.author_id))  # type: ignore[arg-type]
