"""Rest areas and receptions: who is present now, who came today, occupancy against the team's capacity; check
in (named, by search or personal code, or anonymous) with the services used, check out, and closing the day,
which checks out whoever is left and keeps a record of it (DayClosure).

The reception role works here with aliases, codes and alerts only; its person pages show "present at ... since
..." through the presence provider registered below."""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, func, select

from app.access import Actor, get_or_404, scoped
from app.admin.service import FieldErrors, check_version
from app.audit.service import record
from app.field import catalogue
from app.field.days import working_day
from app.field.forms import CheckinEditForm, CheckinForm, CheckoutForm, CloseDayForm
from app.field.rounds import team_of_today
from app.i18n import _
from app.models import Checkin, CheckinServiceUse, DayClosure, FieldService, Person, Team, User, utcnow
from app.persons import timeline
from app.persons.service import touch_contact, user_names
from app.web import local_dt

timeline.register_person_column(Checkin, "person_id")
LIST_LIMIT = 300  # rows of one team's day on one page: far above any rest area's capacity


def require(actor: Actor) -> None:
    actor.require("checkins.write")


@dataclass
class CheckinRow:
    checkin: Checkin
    person_id: uuid.UUID | None
    alias: str | None  # None: anonymous
    code: str | None
    alert: bool
    services: list[str] = field(default_factory=list)
    closed_by_day: bool = False
    service_ids: list[uuid.UUID] = field(default_factory=list)

    @property
    def id(self) -> uuid.UUID:
        return self.checkin.id


def _rows(session: Session, checkins: list[Checkin]) -> list[CheckinRow]:
    person_ids = {c.person_id for c in checkins if c.person_id}
    persons = (
        {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(person_ids)))} if person_ids else {}
    )
    services: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {}
    if checkins:
        for checkin_id, service_id, label in session.exec(
            select(CheckinServiceUse.checkin_id, FieldService.id, FieldService.label)
            .join(FieldService, col(FieldService.id) == col(CheckinServiceUse.service_id))
            .where(col(CheckinServiceUse.checkin_id).in_([c.id for c in checkins]))
            .order_by(FieldService.position, FieldService.label)
        ).all():
            services.setdefault(checkin_id, []).append((service_id, label))
    out = []
    for c in checkins:
        p = persons.get(c.person_id) if c.person_id else None
        out.append(
            CheckinRow(
                c,
                p.id if p else None,
                p.alias if p else None,
                p.code if p else None,
                bool(p and p.alert),
                [label for _id, label in services.get(c.id, [])],
                c.closure_id is not None,
                [service_id for service_id, _label in services.get(c.id, [])],
            )
        )
    return out


@dataclass
class Today:
    team: Team
    day: date
    present: list[CheckinRow]
    left: list[CheckinRow]
    came: int  # check-ins of the day, named and anonymous
    persons: int  # distinct named persons among them
    anonymous: int
    closures: list[tuple[DayClosure, str | None]]

    @property
    def occupancy(self) -> int:
        return len(self.present)

    @property
    def full(self) -> bool:
        return bool(self.team.capacity) and self.occupancy >= (self.team.capacity or 0)


def today(session: Session, actor: Actor, team: Team) -> Today:
    """The team's page for its current working day."""
    require(actor)
    day = working_day(team)
    present = list(
        session.exec(
            scoped(Checkin, actor)
            .where(Checkin.team_id == team.id, col(Checkin.left_at).is_(None))
            .order_by(col(Checkin.arrived_at))
            .limit(LIST_LIMIT)
        )
    )
    of_day = scoped(Checkin, actor).where(Checkin.team_id == team.id, Checkin.day == day)
    left = list(
        session.exec(of_day.where(col(Checkin.left_at).is_not(None)).order_by(col(Checkin.left_at).desc()).limit(100))
    )
    came, persons, anonymous = session.exec(
        select(
            func.count(),
            func.count(func.distinct(Checkin.person_id)),
            func.count().filter(col(Checkin.person_id).is_(None)),
        ).where(
            Checkin.org_id == actor.org_id,
            Checkin.team_id == team.id,
            Checkin.day == day,
            col(Checkin.deleted_at).is_(None),
        )
    ).one()
    closures = list(
        session.exec(
            scoped(DayClosure, actor)
            .where(DayClosure.team_id == team.id, DayClosure.day == day)
            .order_by(col(DayClosure.closed_at))
        )
    )
    names = user_names(session, {c.closed_by for c in closures})
    return Today(
        team,
        day,
        _rows(session, present),
        _rows(session, left),
        came,
        persons,
        anonymous,
        [(c, names.get(c.closed_by) if c.closed_by else None) for c in closures],
    )


def open_checkin(session: Session, actor: Actor, team_id: uuid.UUID, person_id: uuid.UUID) -> Checkin | None:
    return session.exec(
        scoped(Checkin, actor).where(
            Checkin.team_id == team_id, Checkin.person_id == person_id, col(Checkin.left_at).is_(None)
        )
    ).first()


def check_in(session: Session, actor: Actor, form: CheckinForm) -> Checkin:
    """A check-in at the team picked today; someone already present is told so (FieldErrors on person_id)."""
    require(actor)
    if (existing := session.get(Checkin, form.id)) is not None:
        if existing.org_id != actor.org_id:
            raise FieldErrors({"__all__": _("This form was already used. Reload the page.")})
        return existing  # the same form sent twice: one check-in
    team = team_of_today(session, actor)
    person = None
    if form.person_id is not None:
        person = session.exec(scoped(Person, actor).where(Person.id == form.person_id)).first()
        if person is None:
            raise FieldErrors({"person_id": _("This person was not found. Search again.")})
        already = open_checkin(session, actor, team.id, person.id)
        if already is not None:
            raise FieldErrors(
                {
                    "person_id": _(
                        "%(alias)s is already here, checked in since %(time)s.",
                        alias=person.alias,
                        time=local_dt(already.arrived_at, "%H:%M"),
                    )
                }
            )
    service_ids = catalogue.check_services(session, actor, "checkin", form.service_ids)
    at = form.at or utcnow()
    checkin = Checkin(
        id=form.id,
        org_id=team.org_id,
        team_id=team.id,
        person_id=person.id if person else None,
        day=working_day(team, at),
        arrived_at=at,
        author_id=actor.user_id,
    )
    session.add(checkin)  # flushed with its services and the person's last contact below
    for service_id in service_ids:
        session.add(CheckinServiceUse(checkin_id=checkin.id, service_id=service_id, org_id=checkin.org_id))
    if person is not None:
        touch_contact(session, person, actor.user_id, at)
    session.flush()
    record(session, actor, "checkin.created", entity_type="checkin", entity_id=checkin.id)
    return checkin


def get_checkin(session: Session, actor: Actor, checkin_id: object) -> Checkin:
    require(actor)
    return get_or_404(session, actor, Checkin, checkin_id)


def row(session: Session, checkin: Checkin) -> CheckinRow:
    return _rows(session, [checkin])[0]


def set_services(session: Session, actor: Actor, checkin: Checkin, form: CheckinEditForm) -> None:
    require(actor)
    check_version(checkin, form.version)
    wanted = catalogue.check_services(session, actor, "checkin", form.service_ids)
    current = {
        u.service_id: u
        for u in session.exec(select(CheckinServiceUse).where(CheckinServiceUse.checkin_id == checkin.id))
    }
    for service_id, use in current.items():
        if service_id not in wanted:
            session.delete(use)
    for service_id in wanted:
        if service_id not in current:
            session.add(CheckinServiceUse(checkin_id=checkin.id, service_id=service_id, org_id=checkin.org_id))
    if set(current) != set(wanted):
        checkin.updated_at = utcnow()  # the lines changed: the version is bumped, phones fetch it again
    session.flush()


def check_out(session: Session, actor: Actor, checkin: Checkin, form: CheckoutForm) -> Checkin:
    require(actor)
    if checkin.left_at is not None:
        return checkin  # already out: a second tap changes nothing
    at = form.at or utcnow()
    if at < checkin.arrived_at:
        raise FieldErrors(
            {"at": _("A check-out cannot be before the check-in (%(time)s).", time=local_dt(checkin.arrived_at))}
        )
    checkin.left_at, checkin.left_by = at, actor.user_id
    session.flush()
    record(session, actor, "checkin.checked_out", entity_type="checkin", entity_id=checkin.id)
    return checkin


def close_day(session: Session, actor: Actor, form: CloseDayForm) -> DayClosure:
    """Check out whoever is still present at the team picked today, and keep a record of it."""
    require(actor)
    if (existing := session.get(DayClosure, form.id)) is not None:
        if existing.org_id != actor.org_id:
            raise FieldErrors({"__all__": _("This form was already used. Reload the page.")})
        return existing
    team = team_of_today(session, actor)
    now = utcnow()
    closure = DayClosure(
        id=form.id,
        org_id=team.org_id,
        team_id=team.id,
        day=working_day(team, now),
        closed_at=now,
        closed_by=actor.user_id,
    )
    session.add(closure)
    session.flush()
    still = session.exec(
        scoped(Checkin, actor).where(Checkin.team_id == team.id, col(Checkin.left_at).is_(None)).limit(LIST_LIMIT * 10)
    ).all()
    for checkin in still:
        checkin.left_at, checkin.left_by, checkin.closure_id = max(now, checkin.arrived_at), actor.user_id, closure.id
    closure.checked_out = len(still)
    session.flush()
    record(
        session, actor, "checkin.day_closed", entity_type="team", entity_id=team.id, details={"checked_out": len(still)}
    )
    return closure


# ---------------------------------------------------------------- the person's page
@timeline.register_presence
def _presence(session: Session, actor: Actor, person_id: uuid.UUID) -> str | None:
    found = session.exec(
        select(Checkin.arrived_at, Team.name)
        .join(Team, col(Team.id) == col(Checkin.team_id))
        .where(Checkin.person_id == person_id, Checkin.org_id == actor.org_id)
        .where(col(Checkin.left_at).is_(None), col(Checkin.deleted_at).is_(None))
        .order_by(col(Checkin.arrived_at).desc())
    ).first()
    if found is None:
        return None
    arrived, team = found
    same_day = local_dt(arrived, "%d/%m") == local_dt(utcnow(), "%d/%m")
    since = local_dt(arrived, "%H:%M" if same_day else "%d/%m %H:%M")
    return _("Present at %(team)s since %(time)s", team=team, time=since)


@timeline.register_timeline("field.checkins")
def _timeline(
    session: Session, actor: Actor, person_id: uuid.UUID, before: datetime | None, limit: int
) -> list[timeline.TimelineEntry]:
    if not actor.can("persons.read"):
        return []
    stmt = scoped(Checkin, actor).where(Checkin.person_id == person_id)
    stmt = timeline.older_than(stmt, Checkin.arrived_at, before)
    rows = list(session.exec(stmt.order_by(col(Checkin.arrived_at).desc()).limit(limit)))
    names = catalogue.labels(session, {Team: {c.team_id for c in rows}, User: {c.author_id for c in rows}})
    entries = []
    for r in _rows(session, rows):
        c = r.checkin
        span = local_dt(c.arrived_at, "%H:%M") + (f" → {local_dt(c.left_at, '%H:%M')}" if c.left_at else "")
        lines = [span, ", ".join(r.services)] if r.services else [span]
        if r.closed_by_day:
            lines.append(_("Checked out when the day was closed"))
        entries.append(
            timeline.TimelineEntry(
                c.arrived_at,
                "checkin",
                _("Check-in · %(team)s", team=names.get(c.team_id, "")),
                body="\n".join(lines),
                by=names.get(c.author_id) if c.author_id else None,
            )
        )
    return entries
