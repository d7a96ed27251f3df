"""Needs and requests: create and edit (with the history of every change), status with completion date,
recurrence, the team's lists (overdue, today, upcoming, recently done, a week), what a person's page shows,
and the organisation's categories (defaults created on first use).

A need's persons, teams and categories live in link tables. `need_teams` carries a copy of what the team lists
filter and sort on (open, urgent, due day and time, closing time), and `need_persons` what the caseload counts on
(open, due day), rewritten by `_sync_copies` on every change, so that each list reads one index range."""

import calendar
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, not_, or_
from sqlmodel import Session, col, delete, func, select, update

from app.access import Actor, get_or_404, scoped
from app.admin.service import FieldErrors, check_version
from app.audit.service import record
from app.crypto import encrypted_column, seal, unseal
from app.field import report
from app.field.days import day_bounds, working_day
from app.i18n import _, lazy
from app.models import (
    Need,
    NeedCategory,
    NeedCategoryLink,
    NeedChange,
    NeedPerson,
    NeedTeam,
    Person,
    Team,
    User,
    utcnow,
)
from app.needs.forms import NeedFilter, NeedForm
from app.persons import timeline
from app.persons.service import user_names
from app.web import TZ, validate_form

encrypted_column(Need, "description")

STATUSES = {
    "todo": lazy("To do"),
    "in_progress": lazy("In progress"),
    "done": lazy("Done"),
    "cancelled": lazy("Cancelled"),
}
OPEN = ("todo", "in_progress")
UNITS = {"day": lazy("days"), "week": lazy("weeks"), "month": lazy("months")}
PAPERS = lazy("Papers and rights")
DEFAULT_CATEGORIES = [
    (lazy("Shelter"), None),
    (lazy("Health care"), None),
    (lazy("Addiction care"), None),
    (lazy("Domiciliation / address"), PAPERS),
    (lazy("ID papers"), PAPERS),
    (lazy("Health insurance"), PAPERS),
    (lazy("Income"), PAPERS),
    (lazy("Legal and justice"), None),
    (lazy("Food and hygiene"), None),
    (lazy("Family"), None),
    (lazy("Return to country"), None),
    (lazy("Work"), None),
]
FIELD_LABELS = {
    "created": lazy("Created"),
    "status": lazy("Status"),
    "description": lazy("Description"),
    "categories": lazy("Categories"),
    "persons": lazy("Persons"),
    "teams": lazy("Teams"),
    "assigned_to": lazy("Assigned to"),
    "due": lazy("Due"),
    "urgent": lazy("Urgent"),
    "repeat": lazy("Repeats"),
}
PAGE_SIZE = 30
WEEK_LIMIT = 300
# In need_teams (the lists' copy), a need without due date is due on this day: "upcoming" is then one index range
# sorted with the undated last; overdue, today and the week compare with real days and never reach it.
NO_DUE_DATE = date(9999, 12, 31)


def today() -> date:
    return utcnow().astimezone(TZ).date()


@dataclass(frozen=True)
class WorkDay:
    """A team's working day as its need lists see it (app/field/days.py): the day, and the local time it starts
    at (midnight, or noon for night teams, whose "today" runs from noon to noon). A need due on a day at a time
    belongs to the working day that holds that instant; a need due on a day without a time belongs to that day.
    So for a night team on Monday, "today" holds Monday's needs without a time or from 12:00, and Tuesday's
    before 12:00; Monday's needs before noon are already overdue."""

    day: date
    starts: time = time(0)

    def of(self, due_on: date, due_time: time | None) -> date:
        """The working day a due day and time belong to."""
        return due_on - timedelta(days=1) if due_time is not None and due_time < self.starts else due_on

    def before(self, due_on, due_time):
        """SQL: due before this working day started (overdue when still open)."""
        if self.starts == time(0):
            return due_on < self.day
        return and_(due_on <= self.day, or_(due_on < self.day, due_time < self.starts))

    def within(self, due_on, due_time):
        """SQL: due during this working day."""
        if self.starts == time(0):
            return due_on == self.day
        nxt = self.day + timedelta(days=1)
        return and_(
            due_on >= self.day,
            due_on <= nxt,
            or_(
                and_(due_on == self.day, or_(due_time.is_(None), due_time >= self.starts)),
                and_(due_on == nxt, due_time < self.starts),
            ),
        )

    def after(self, due_on, due_time):
        """SQL: due after this working day ends."""
        if self.starts == time(0):
            return due_on > self.day
        nxt = self.day + timedelta(days=1)
        return and_(due_on >= nxt, or_(due_on > nxt, due_time.is_(None), due_time >= self.starts))


def work_day(team: Team | None, at: datetime | None = None) -> WorkDay:
    """The working day of `team` at `at` (now by default); the calendar day when there is no team."""
    if team is None:
        return WorkDay((at or utcnow()).astimezone(TZ).date())
    day = working_day(team, at)
    return WorkDay(day, day_bounds(team, day)[0].astimezone(TZ).time())


def actor_day(session: Session, actor: Actor) -> WorkDay:
    """The working day of the team the actor works with today (what "overdue" means on the pages they see)."""
    team = session.get(Team, actor.team_id) if actor.team_id else None
    return work_day(team if team is not None and team.org_id == actor.org_id else None)


def status_label(status: str) -> str:
    return _(STATUSES.get(status, status))


# ---------------------------------------------------------------- categories
def categories(session: Session, actor: Actor, *, include_archived: bool = False) -> list[NeedCategory]:
    """The organisation's categories, in order; the default list is created the first time any is asked for."""
    if session.exec(select(NeedCategory.id).where(NeedCategory.org_id == actor.org_id)).first() is None:
        for i, (label, group) in enumerate(DEFAULT_CATEGORIES):
            session.add(
                NeedCategory(
                    org_id=actor.org_id,  # type: ignore[arg-type]
                    label=_(label),
                    group_label=_(group) if group else None,
                    position=(i + 1) * 10,
                )
            )
        session.flush()
    stmt = scoped(NeedCategory, actor)
    if not include_archived:
        stmt = stmt.where(col(NeedCategory.archived_at).is_(None))
    return list(session.exec(stmt.order_by(col(NeedCategory.archived_at).is_not(None), NeedCategory.position)))


def grouped(cats: list[NeedCategory]) -> list[tuple[str | None, list[NeedCategory]]]:
    """Categories by group, in the order of their first member."""
    groups: dict[str | None, list[NeedCategory]] = {}
    for c in cats:
        groups.setdefault(c.group_label, []).append(c)
    return list(groups.items())


def get_category(session: Session, actor: Actor, category_id: object) -> NeedCategory:
    actor.require("org.settings")
    return get_or_404(session, actor, NeedCategory, category_id)


def save_category(session: Session, actor: Actor, form, category: NeedCategory | None = None) -> NeedCategory:
    actor.require("org.settings")
    if category is None and form.id is not None and (existing := session.get(NeedCategory, form.id)) is not None:
        if existing.org_id != actor.org_id:
            raise FieldErrors({"label": _("This form was already used. Reload the page.")})
        return existing
    if category is not None:
        check_version(category, form.version)
    values = {"label": form.label, "group_label": form.group_label, "position": form.position}
    if category is None:
        category = NeedCategory(id=form.id or uuid.uuid4(), org_id=actor.org_id, **values)  # type: ignore[arg-type]
        session.add(category)
    else:
        for key, value in values.items():
            setattr(category, key, value)
    session.flush()
    record(session, actor, "need_category.saved", entity_type="need_category", entity_id=category.id)
    return category


def set_category_archived(session: Session, actor: Actor, category: NeedCategory, archived: bool) -> None:
    actor.require("org.settings")
    category.archived_at = utcnow() if archived else None
    action = "need_category.archived" if archived else "need_category.restored"
    record(session, actor, action, entity_type="need_category", entity_id=category.id)


# ---------------------------------------------------------------- reading
@dataclass
class NeedRow:
    need: Need
    description: str | None
    categories: list[str] = field(default_factory=list)
    persons: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    assigned: str | None = None
    day: WorkDay | None = None  # the working day "overdue" is measured against (today's calendar day if None)

    @property
    def is_open(self) -> bool:
        return self.need.status in OPEN

    @property
    def overdue(self) -> bool:
        n = self.need
        day = self.day or WorkDay(today())
        return self.is_open and n.due_on is not None and day.of(n.due_on, n.due_time) < day.day

    @property
    def summary(self) -> str:
        """One line for lists: the categories, or the description's first line."""
        first = (self.description or "").strip().split("\n", 1)[0][:120]
        return ", ".join(self.categories) or first or _("Need")

    @property
    def first_line(self) -> str:
        return (self.description or "").strip().split("\n", 1)[0][:160] if self.categories else ""


def rows_for(
    session: Session, actor: Actor, needs: list[Need], day: WorkDay | None = None, *, teams: bool = True
) -> list[NeedRow]:
    """What lists show of each need, read in one query per link table (never one per need). `day`: the working
    day against which a need is overdue (the calendar day by default). `teams`: False when the page does not
    show the teams in charge (one query less)."""
    if not needs:
        return []
    ids = [n.id for n in needs]
    cats: dict[uuid.UUID, list[str]] = {}
    for need_id, label in session.exec(
        select(NeedCategoryLink.need_id, NeedCategory.label)
        .join(NeedCategory, col(NeedCategory.id) == col(NeedCategoryLink.category_id))
        .where(col(NeedCategoryLink.need_id).in_(ids))
        .order_by(NeedCategory.position)
    ):
        cats.setdefault(need_id, []).append(label)
    persons: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {}
    for need_id, person_id, alias in session.exec(
        select(NeedPerson.need_id, Person.id, Person.alias)
        .join(Person, col(Person.id) == col(NeedPerson.person_id))
        .where(col(NeedPerson.need_id).in_(ids), col(Person.deleted_at).is_(None))
        .order_by(Person.alias)
    ):
        persons.setdefault(need_id, []).append((person_id, alias))
    in_charge: dict[uuid.UUID, list[str]] = {}
    for need_id, name in (
        session.exec(
            select(NeedTeam.need_id, Team.name)
            .join(Team, col(Team.id) == col(NeedTeam.team_id))
            .where(col(NeedTeam.need_id).in_(ids))
            .order_by(Team.name)
        )
        if teams
        else []
    ):
        in_charge.setdefault(need_id, []).append(name)
    names = user_names(session, {n.assigned_to for n in needs})
    return [
        NeedRow(
            need=n,
            description=unseal(session, n, "description") if n.description else None,
            categories=cats.get(n.id, []),
            persons=persons.get(n.id, []),
            teams=in_charge.get(n.id, []),
            assigned=names.get(n.assigned_to) if n.assigned_to else None,
            day=day,
        )
        for n in needs
    ]


def get_need(session: Session, actor: Actor, need_id: object) -> Need:
    actor.require("needs.read")
    return get_or_404(session, actor, Need, need_id)


def get_for_write(session: Session, actor: Actor, need_id: object) -> Need:
    need = get_or_404(session, actor, Need, need_id)
    actor.require("needs.write")
    return need


def team_for_lists(session: Session, actor: Actor, team_id: uuid.UUID | None) -> Team | None:
    """The team whose lists are shown: the one asked for (of the organisation), else today's team."""
    wanted = team_id or actor.team_id or (min(actor.team_ids) if actor.team_ids else None)
    if wanted is None:
        return None
    return session.exec(scoped(Team, actor).where(Team.id == wanted)).first()


def _base(actor: Actor, team: Team | None, filt: NeedFilter):
    """The list's statement and the columns its views use: the team's copy in need_teams (one index range), or
    the need itself for one person's needs across teams (bounded by that person)."""
    if team is not None:
        stmt = (
            select(Need)
            .join(NeedTeam, col(NeedTeam.need_id) == col(Need.id))
            .where(NeedTeam.team_id == team.id, Need.org_id == actor.org_id, col(Need.deleted_at).is_(None))
        )
        is_open = col(NeedTeam.open)
        cols = (
            is_open.is_(True),
            is_open.is_(False),
            col(NeedTeam.due_on),
            col(NeedTeam.due_time),
            col(NeedTeam.closed_at),
            None,  # no undated need in need_teams: they carry NO_DUE_DATE
        )
    else:
        stmt = (
            select(Need)
            .join(NeedPerson, col(NeedPerson.need_id) == col(Need.id))
            .where(NeedPerson.person_id == filt.person_id, Need.org_id == actor.org_id)
            .where(col(Need.deleted_at).is_(None))
        )
        status = col(Need.status)
        due_on = col(Need.due_on)
        cols = (
            status.in_(OPEN),
            status.not_in(OPEN),
            due_on,
            col(Need.due_time),
            col(Need.completed_at),
            due_on.is_(None),
        )
    if filt.category_id is not None:
        stmt = stmt.where(
            select(NeedCategoryLink.need_id)
            .where(NeedCategoryLink.need_id == Need.id, NeedCategoryLink.category_id == filt.category_id)
            .exists()
        )
    if filt.person_id is not None and team is not None:
        stmt = stmt.where(
            select(NeedPerson.need_id)
            .where(NeedPerson.need_id == Need.id, NeedPerson.person_id == filt.person_id)
            .exists()
        )
    if filt.status is not None:
        stmt = stmt.where(Need.status == filt.status)
    return stmt, cols


def _view(stmt, cols, view: str, day: WorkDay):
    """The list `view` of the working day `day`: each is one range of the due day (then a filter on the time for
    night teams, whose day straddles two dates)."""
    is_open, is_closed, due_on, due_time, closed_at, undated = cols
    if view == "overdue":
        return stmt.where(is_open, day.before(due_on, due_time)).order_by(
            due_on, due_time.is_(None), due_time, col(Need.id)
        )
    if view == "today":
        return stmt.where(is_open, day.within(due_on, due_time)).order_by(
            due_on, due_time.is_(None), due_time, col(Need.id)
        )
    if view == "upcoming":
        after = day.after(due_on, due_time)
        if undated is None:  # need_teams: undated needs carry NO_DUE_DATE, so this is one index range
            return stmt.where(is_open, after).order_by(due_on, due_time, col(Need.id))
        return stmt.where(is_open, after | undated).order_by(due_on.is_(None), due_on, due_time, col(Need.id))
    if view == "done":
        return stmt.where(is_closed).order_by(closed_at.desc(), col(Need.id))
    return stmt.order_by(col(Need.created_at).desc(), col(Need.id))


def list_needs(session: Session, actor: Actor, team: Team | None, filt: NeedFilter) -> tuple[list[NeedRow], bool]:
    """One page of a team's list (or of one person's needs when `team` is None and a person is given)."""
    actor.require("needs.read")
    if team is None and filt.person_id is None:
        return [], False
    stmt, cols = _base(actor, team, filt)
    day = work_day(team)
    stmt = _view(stmt, cols, filt.view, day)
    needs = list(session.exec(stmt.offset((filt.page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return rows_for(session, actor, needs[:PAGE_SIZE], day), len(needs) > PAGE_SIZE


BADGE_CAP = 100  # a badge counts at most this many ("99+"): its cost stays bounded whatever the backlog


def counts(session: Session, actor: Actor, team: Team) -> dict[str, int]:
    """How many open needs of the team are overdue and due today (badges on the list's tabs), up to BADGE_CAP."""
    day = work_day(team)
    due_on, due_time = col(NeedTeam.due_on), col(NeedTeam.due_time)
    base = select(NeedTeam.need_id).where(NeedTeam.team_id == team.id, col(NeedTeam.open).is_(True))
    return {
        name: session.exec(select(func.count()).select_from(base.where(clause).limit(BADGE_CAP).subquery())).one()
        for name, clause in (("overdue", day.before(due_on, due_time)), ("today", day.within(due_on, due_time)))
    }


def person_list(
    session: Session,
    actor: Actor,
    person_id: uuid.UUID,
    *,
    open_only: bool,
    limit: int = 50,
    before: datetime | None = None,
) -> list[NeedRow]:
    """A person's needs, open ones by due day, or all of them newest first (created before `before`, if given: a
    need's entries in the timeline are all at or after its creation)."""
    actor.require("needs.read")
    stmt = (
        select(Need)
        .join(NeedPerson, col(NeedPerson.need_id) == col(Need.id))
        .where(NeedPerson.person_id == person_id, Need.org_id == actor.org_id, col(Need.deleted_at).is_(None))
    )
    if open_only:
        stmt = stmt.where(col(Need.status).in_(OPEN)).order_by(
            col(Need.due_on).is_(None), col(Need.due_on), col(Need.due_time)
        )
    elif before is not None:  # a page of the timeline: by time only
        stmt = stmt.where(Need.created_at < before).order_by(col(Need.created_at).desc())
    else:
        stmt = stmt.order_by(col(Need.status).in_(OPEN).desc(), col(Need.created_at).desc())
    needs = list(session.exec(stmt.limit(limit)))
    return rows_for(session, actor, needs, actor_day(session, actor) if needs else None)


def week(session: Session, actor: Actor, team: Team, start: date) -> list[tuple[date, list[NeedRow]]]:
    """The seven working days from `start` with the team's needs due in each (open and done, not cancelled),
    at most WEEK_LIMIT of them.

    One range of ix_need_teams_team_due (team, due day, due time), read in its order, so the LIMIT stops the scan
    whatever the team's backlog; then the persons, categories and teams of the page in one query each
    (rows_for), never one per need. For a night team a need due on the Tuesday before noon belongs to Monday's
    working day, hence the extra date read at the end and the filter on the time."""
    actor.require("needs.read")
    day = work_day(team)
    last = WorkDay(start + timedelta(days=6), day.starts)
    due_on, due_time = col(NeedTeam.due_on), col(NeedTeam.due_time)
    stmt = (
        select(Need)
        .join(NeedTeam, col(NeedTeam.need_id) == col(Need.id))
        .where(NeedTeam.team_id == team.id, due_on >= start, due_on <= last.day + timedelta(days=1))
        .where(not_(WorkDay(start, day.starts).before(due_on, due_time)), not_(last.after(due_on, due_time)))
        .where(col(Need.deleted_at).is_(None), Need.status != "cancelled")
        .order_by(due_on, due_time.nulls_last(), col(NeedTeam.need_id))
        .limit(WEEK_LIMIT)
    )
    rows = rows_for(session, actor, list(session.exec(stmt)), day, teams=False)
    by_day: dict[date, list[NeedRow]] = {}
    for r in rows:
        assert r.need.due_on is not None  # in range
        by_day.setdefault(day.of(r.need.due_on, r.need.due_time), []).append(r)
    return [(d, by_day.get(d, [])) for d in (start + timedelta(days=i) for i in range(7))]


def home_needs(session: Session, actor: Actor, team_id: uuid.UUID | None, limit: int = 10) -> list[NeedRow]:
    """Urgent and overdue open needs of the team, for its home page: overdue first (oldest due), then urgent."""
    if team_id is None or not actor.can("needs.read"):
        return []
    team = session.get(Team, team_id)
    day = work_day(team if team is not None and team.org_id == actor.org_id else None)
    base = (
        select(Need)
        .join(NeedTeam, col(NeedTeam.need_id) == col(Need.id))
        .where(NeedTeam.team_id == team_id, col(NeedTeam.open).is_(True), col(Need.deleted_at).is_(None))
    )
    overdue = list(
        session.exec(
            base.where(day.before(col(NeedTeam.due_on), col(NeedTeam.due_time)))
            .order_by(col(NeedTeam.due_on), col(NeedTeam.due_time).nulls_last(), col(Need.id))
            .limit(limit)
        )
    )
    urgent = list(
        session.exec(
            base.where(col(NeedTeam.urgent).is_(True)).order_by(col(NeedTeam.due_on), col(Need.id)).limit(limit)
        )
    )
    seen = {n.id for n in overdue}
    return rows_for(session, actor, (overdue + [n for n in urgent if n.id not in seen])[:limit], day)


# ---------------------------------------------------------------- writing
def _check_persons(session: Session, actor: Actor, ids: list[uuid.UUID]) -> list[Person]:
    persons = list(session.exec(scoped(Person, actor).where(col(Person.id).in_(ids))))
    if len(persons) != len(set(ids)):
        raise FieldErrors({"person_ids": _("Choose the persons in the list.")})
    return sorted(persons, key=lambda p: p.alias.lower())


def _check_teams(session: Session, actor: Actor, ids: list[uuid.UUID]) -> list[Team]:
    teams = list(session.exec(scoped(Team, actor).where(col(Team.id).in_(ids))))
    if len(teams) != len(set(ids)):
        raise FieldErrors({"team_ids": _("Choose one of the options.")})
    return sorted(teams, key=lambda t: t.name)


def _check_categories(session: Session, actor: Actor, ids: list[uuid.UUID]) -> list[NeedCategory]:
    if not ids:
        return []
    cats = list(session.exec(scoped(NeedCategory, actor).where(col(NeedCategory.id).in_(ids))))
    if len(cats) != len(set(ids)):
        raise FieldErrors({"category_ids": _("Choose one of the options.")})
    return sorted(cats, key=lambda c: c.position)


def _check_user(session: Session, actor: Actor, user_id: uuid.UUID | None) -> User | None:
    if user_id is None:
        return None
    user = session.exec(scoped(User, actor).where(User.id == user_id, col(User.is_active).is_(True))).first()
    if user is None:
        raise FieldErrors({"assigned_to": _("Choose one of the options.")})
    return user


def assignable_users(session: Session, actor: Actor) -> list[User]:
    roles = ("admin", "coordinator", "worker", "health")
    return list(
        session.exec(
            scoped(User, actor).where(col(User.is_active).is_(True), col(User.role).in_(roles)).order_by(User.name)
        )
    )


def _due_text(due_on: date | None, due_time: time | None) -> str | None:
    if due_on is None:
        return None
    return due_on.isoformat() + (f" {due_time.strftime('%H:%M')}" if due_time else "")


def _repeat_text(need: Need) -> str | None:
    if not need.repeat_every:
        return None
    until = f" → {need.repeat_until.isoformat()}" if need.repeat_until else ""
    return f"{need.repeat_every} {need.repeat_unit}{until}"


def _change(session: Session, actor: Actor, need: Need, name: str, old=None, new=None, at=None) -> None:
    session.add(
        NeedChange(
            org_id=need.org_id, need_id=need.id, user_id=actor.user_id, at=at or utcnow(), field=name, old=old, new=new
        )
    )


def _set_links(session: Session, need: Need, persons, teams, cats) -> None:
    for model in (NeedPerson, NeedTeam, NeedCategoryLink):
        session.exec(delete(model).where(col(model.need_id) == need.id))  # type: ignore[call-overload]
    for p in persons:
        session.add(NeedPerson(need_id=need.id, person_id=p.id, org_id=need.org_id))
    for t in teams:
        session.add(NeedTeam(need_id=need.id, team_id=t.id, org_id=need.org_id))
    for c in cats:
        session.add(NeedCategoryLink(need_id=need.id, category_id=c.id, org_id=need.org_id))
    session.flush()
    _sync_copies(session, need)


# What a need's links copy of it (the one definition: `_sync_copies` writes it, app/copies.py checks and repairs it):
# the link's column -> the need's value. The caseload counts open links of persons whose need is not deleted; the
# team lists (which join needs) sort undated needs last.
NEED_COPIES = {
    NeedPerson: {
        "open": case((and_(col(Need.status).in_(OPEN), col(Need.deleted_at).is_(None)), True), else_=False),
        "due_on": col(Need.due_on),
    },
    NeedTeam: {
        "open": case((col(Need.status).in_(OPEN), True), else_=False),
        "urgent": col(Need.urgent),
        "due_on": func.coalesce(col(Need.due_on), NO_DUE_DATE),
        "due_time": col(Need.due_time),
        "closed_at": col(Need.completed_at),
    },
}


def _sync_copies(session: Session, need: Need) -> None:
    """Keep the team lists' and the caseload's copies of the need in step (the one place that writes them): each
    link rewritten from the need's row, flushed before."""
    for link, values in NEED_COPIES.items():
        session.exec(  # type: ignore[call-overload]
            update(link)
            .where(col(link.need_id) == need.id, col(link.need_id) == col(Need.id))
            .values(values)
            .execution_options(synchronize_session=False)
        )


def _plain(form: NeedForm) -> dict:
    return {
        "urgent": form.urgent,
        "due_on": form.due_on,
        "due_time": form.due_time,
        "assigned_to": form.assigned_to,
        "repeat_every": form.repeat_every,
        "repeat_unit": form.repeat_unit,
        "repeat_until": form.repeat_until,
    }


def create_need(session: Session, actor: Actor, form: NeedForm) -> Need:
    actor.require("needs.write")
    if form.id is not None and (existing := session.get(Need, form.id)) is not None:
        if existing.org_id != actor.org_id:
            raise FieldErrors({"description": _("This form was already used. Reload the page.")})
        return existing  # the same form sent twice: one need
    persons = _check_persons(session, actor, form.person_ids)
    teams = _check_teams(session, actor, form.team_ids)
    cats = _check_categories(session, actor, form.category_ids)
    _check_user(session, actor, form.assigned_to)
    need = Need(id=form.id or uuid.uuid4(), org_id=actor.org_id, created_by=actor.user_id, **_plain(form))  # type: ignore[arg-type]
    need.series_id = need.id if form.repeat_every else None
    seal(session, need, "description", form.description)
    session.add(need)
    session.flush()
    _set_links(session, need, persons, teams, cats)
    _change(session, actor, need, "created")
    session.flush()
    record(session, actor, "need.created", entity_type="need", entity_id=need.id)
    return need


# ---------------------------------------------------------------- a need recorded with an encounter
# The encounter form's optional "Need / request" section: its inputs and the NeedForm fields they fill.
ENCOUNTER_FIELDS = {
    "category_ids": "need_category_ids",
    "description": "need_description",
    "urgent": "need_urgent",
    "due_on": "need_due_on",
    "person_ids": "person_ids",
}


def encounter_need_id(encounter_id: uuid.UUID) -> uuid.UUID:
    """The id of the need recorded with an encounter: derived from the encounter's (client-generated) id, so
    that a form sent twice, or replayed from a phone's outbox, still makes one need, and the home page can say
    that the need was recorded."""
    return uuid.uuid5(encounter_id, "need")


def encounter_need(
    session: Session,
    actor: Actor,
    *,
    encounter_id: uuid.UUID,
    person_ids: list[uuid.UUID],
    team_id: uuid.UUID,
    category_ids: list[uuid.UUID],
    description: str | None,
    urgent: bool,
    due_on: date | None,
) -> NeedForm | None:
    """Check the need typed on an encounter form, before anything is written: the NeedForm to give create_need
    once the encounter's persons exist (those created on the spot too), or None when the section was left empty.
    The same rules as the need form; errors come back under the encounter form's input names."""
    description = (description or "").strip() or None
    if not category_ids and description is None:
        if urgent or due_on is not None:
            raise FieldErrors({"need_description": _("Say what is needed: choose a category or write a few words.")})
        return None
    actor.require("needs.write")
    values = {
        "id": encounter_need_id(encounter_id),
        "person_ids": person_ids,
        "team_ids": [team_id],
        "category_ids": category_ids,
        "description": description,
        "urgent": urgent,
        "due_on": due_on,
    }
    result = validate_form(NeedForm, values)
    if not result.ok or result.data is None:
        raise FieldErrors({ENCOUNTER_FIELDS.get(k, "__all__"): v for k, v in result.errors.items()})
    try:
        _check_categories(session, actor, result.data.category_ids)
    except FieldErrors as exc:
        raise FieldErrors({"need_category_ids": exc.errors["category_ids"]}) from None
    return result.data


def recorded_with(session: Session, actor: Actor, encounter_id: uuid.UUID) -> NeedRow | None:
    """The need recorded with an encounter, if any (and the actor may read needs)."""
    if not actor.can("needs.read"):
        return None
    need = session.get(Need, encounter_need_id(encounter_id))
    if need is None or need.org_id != actor.org_id or need.deleted_at is not None:
        return None
    return rows_for(session, actor, [need], actor_day(session, actor))[0]


def update_need(session: Session, actor: Actor, need: Need, form: NeedForm) -> Need:
    actor.require("needs.write")
    check_version(need, form.version)
    before = rows_for(session, actor, [need])[0]
    persons = _check_persons(session, actor, form.person_ids)
    teams = _check_teams(session, actor, form.team_ids)
    cats = _check_categories(session, actor, form.category_ids)
    user = _check_user(session, actor, form.assigned_to)
    old = {
        "categories": ", ".join(before.categories) or None,
        "persons": ", ".join(a for _i, a in before.persons) or None,
        "teams": ", ".join(before.teams) or None,
        "assigned_to": before.assigned,
        "due": _due_text(need.due_on, need.due_time),
        "urgent": "true" if need.urgent else "false",
        "repeat": _repeat_text(need),
    }
    for key, value in _plain(form).items():
        setattr(need, key, value)
    if form.repeat_every and need.series_id is None:
        need.series_id = need.id
    new = {
        "categories": ", ".join(c.label for c in cats) or None,
        "persons": ", ".join(p.alias for p in persons) or None,
        "teams": ", ".join(t.name for t in teams) or None,
        "assigned_to": user.name if user else None,
        "due": _due_text(need.due_on, need.due_time),
        "urgent": "true" if need.urgent else "false",
        "repeat": _repeat_text(need),
    }
    now = utcnow()
    for key in old:
        if old[key] != new[key]:
            _change(session, actor, need, key, old[key], new[key], at=now)
    if (form.description or None) != (before.description or None):
        seal(session, need, "description", form.description)
        _change(session, actor, need, "description", at=now)  # never the text itself
    _set_links(session, need, persons, teams, cats)
    session.flush()
    record(session, actor, "need.updated", entity_type="need", entity_id=need.id)
    return need


def next_due(day: date, every: int, unit: str) -> date:
    if unit == "day":
        return day + timedelta(days=every)
    if unit == "week":
        return day + timedelta(weeks=every)
    month = day.month - 1 + every
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _next_occurrence(session: Session, actor: Actor, need: Need) -> Need | None:
    """Completing an occurrence of a repeated need creates the next one, once (previous_id is unique)."""
    if not need.repeat_every or not need.repeat_unit or need.due_on is None:
        return None
    day = next_due(need.due_on, need.repeat_every, need.repeat_unit)
    if need.repeat_until is not None and day > need.repeat_until:
        return None
    if session.exec(select(Need.id).where(Need.previous_id == need.id)).first() is not None:
        return None
    nxt = Need(
        org_id=need.org_id,
        urgent=need.urgent,
        due_on=day,
        due_time=need.due_time,
        assigned_to=need.assigned_to,
        repeat_every=need.repeat_every,
        repeat_unit=need.repeat_unit,
        repeat_until=need.repeat_until,
        series_id=need.series_id or need.id,
        previous_id=need.id,
        created_by=actor.user_id,
    )
    seal(session, nxt, "description", unseal(session, need, "description") if need.description else None)
    session.add(nxt)
    session.flush()
    persons = session.exec(
        select(Person)
        .join(NeedPerson, col(NeedPerson.person_id) == col(Person.id))
        .where(NeedPerson.need_id == need.id)
    ).all()
    teams = session.exec(
        select(Team).join(NeedTeam, col(NeedTeam.team_id) == col(Team.id)).where(NeedTeam.need_id == need.id)
    ).all()
    cats = session.exec(
        select(NeedCategory)
        .join(NeedCategoryLink, col(NeedCategoryLink.category_id) == col(NeedCategory.id))
        .where(NeedCategoryLink.need_id == need.id)
    ).all()
    _set_links(session, nxt, persons, teams, cats)
    _change(session, actor, nxt, "created")
    return nxt


def set_status(session: Session, actor: Actor, need: Need, status: str, version: int | None = None) -> Need | None:
    """Change the status (the same status again changes nothing). Done or cancelled records the closing date;
    done on a repeated need creates the next occurrence, which is returned."""
    actor.require("needs.write")
    if status not in STATUSES:
        raise FieldErrors({"status": _("Choose one of the options.")})
    if need.status == status:
        return None
    check_version(need, version)
    old, now = need.status, utcnow()
    need.status = status
    if status in OPEN:
        need.completed_at = need.completed_by = None
    else:
        need.completed_at, need.completed_by = now, actor.user_id
    _change(session, actor, need, "status", old, status, at=now)
    session.flush()
    _sync_copies(session, need)
    record(session, actor, "need.status", entity_type="need", entity_id=need.id, details={"status": status})
    return _next_occurrence(session, actor, need) if status == "done" else None


# ---------------------------------------------------------------- history
@dataclass
class Change:
    at: datetime
    by: str | None
    label: str
    field: str
    old: str | None
    new: str | None


def history(session: Session, actor: Actor, need: Need, limit: int = 100) -> list[Change]:
    actor.require("needs.read")
    rows = list(
        session.exec(
            select(NeedChange)
            .where(NeedChange.need_id == need.id, NeedChange.org_id == actor.org_id)
            .order_by(col(NeedChange.at).desc())
            .limit(limit)
        )
    )
    names = user_names(session, {r.user_id for r in rows})

    def shown(name: str, value: str | None) -> str | None:
        if value is None:
            return None
        if name == "status":
            return status_label(value)
        if name == "urgent":
            return _("Yes") if value == "true" else _("No")
        return value

    return [
        Change(
            r.at,
            names.get(r.user_id) if r.user_id else None,
            _(FIELD_LABELS.get(r.field, r.field)),
            r.field,
            shown(r.field, r.old),
            shown(r.field, r.new),
        )
        for r in rows
    ]


def form_values(session: Session, actor: Actor, need: Need | None, person_id: uuid.UUID | None = None) -> dict:
    if need is None:
        return {
            "id": uuid.uuid4(),
            "person_ids": [person_id] if person_id else [],
            "team_ids": [actor.team_id] if actor.team_id else [],
            "due_on": actor_day(session, actor).day.isoformat(),
        }
    row = rows_for(session, actor, [need])[0]
    values = need.model_dump()
    values["description"] = row.description
    values["person_ids"] = [pid for pid, _a in row.persons]
    values["team_ids"] = list(session.exec(select(NeedTeam.team_id).where(NeedTeam.need_id == need.id)))
    values["category_ids"] = list(
        session.exec(select(NeedCategoryLink.category_id).where(NeedCategoryLink.need_id == need.id))
    )
    values["due_time"] = need.due_time.strftime("%H:%M") if need.due_time else None
    return values


def persons_for_form(session: Session, actor: Actor, ids: list) -> list[Person]:
    """The persons already chosen on a need form (ids as typed: malformed or foreign ones are left out)."""
    clean = []
    for value in ids or []:
        try:
            clean.append(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except ValueError:
            continue
    if not clean:
        return []
    return list(session.exec(scoped(Person, actor).where(col(Person.id).in_(clean)).order_by(Person.alias)))


# ---------------------------------------------------------------- the person's page and timeline
def open_count(session: Session, actor: Actor, person_id: uuid.UUID) -> int:
    if not actor.can("needs.read"):
        return 0
    return session.exec(
        select(func.count())
        .select_from(NeedPerson)
        .join(Need, col(Need.id) == col(NeedPerson.need_id))
        .where(NeedPerson.person_id == person_id, Need.org_id == actor.org_id)
        .where(col(Need.status).in_(OPEN), col(Need.deleted_at).is_(None))
    ).one()


timeline.register_counter("open_needs", open_count)


def due_text(need: Need) -> str:
    if need.due_on is None:
        return _("no due date")
    text = need.due_on.strftime("%d/%m/%Y")
    return text + (" " + need.due_time.strftime("%H:%M") if need.due_time else "")


@timeline.register_summary("needs", "needs.read")
def _summary(session: Session, actor: Actor, person_id: uuid.UUID) -> timeline.SummarySection:
    rows = person_list(session, actor, person_id, open_only=True, limit=6)
    items = [
        timeline.SummaryItem(
            r.summary,
            url=f"/needs/{r.need.id}",
            meta=" · ".join(
                x
                for x in (
                    status_label(r.need.status),
                    (
                        _("overdue since %(day)s", day=due_text(r.need))
                        if r.overdue
                        else _("due %(day)s", day=due_text(r.need))
                    ),
                    r.first_line,
                )
                if x
            ),
            urgent=r.need.urgent or r.overdue,
        )
        for r in rows[:5]
    ]
    actions = []
    if actor.can("needs.write"):
        actions.append((_("+ Need"), f"/needs/new?person_id={person_id}"))
    actions.append((_("All needs"), f"/needs?person_id={person_id}&all_teams=true&view=all"))
    return timeline.SummarySection("needs", _("Open needs"), items, empty=_("No open need."), actions=actions)


@timeline.register_timeline("needs", "needs.read")
def _timeline(
    session: Session, actor: Actor, person_id: uuid.UUID, before: datetime | None, limit: int
) -> list[timeline.TimelineEntry]:
    rows = person_list(session, actor, person_id, open_only=False, limit=limit, before=before)
    names = user_names(session, {r.need.created_by for r in rows} | {r.need.completed_by for r in rows})
    entries = []
    for r in rows:
        n = r.need
        entries.append(
            timeline.TimelineEntry(
                n.created_at,
                "need",
                _("Need: %(what)s", what=r.summary),
                body=r.description,
                by=names.get(n.created_by) if n.created_by else None,
                urgent=n.urgent and r.is_open,
                url=f"/needs/{n.id}",
            )
        )
        if n.completed_at is not None:
            title = _("Need done: %(what)s") if n.status == "done" else _("Need cancelled: %(what)s")
            entries.append(
                timeline.TimelineEntry(
                    n.completed_at,
                    "need-closed",
                    title % {"what": r.summary},
                    by=names.get(n.completed_by) if n.completed_by else None,
                    url=f"/needs/{n.id}",
                )
            )
    return entries


@timeline.register_merge_step
def _merge_need_persons(session: Session, survivor_id: uuid.UUID, merged_id: uuid.UUID) -> None:
    """A need of both records keeps one link; the merged record's other needs move to the survivor."""
    both = select(NeedPerson.need_id).where(NeedPerson.person_id == survivor_id)
    session.exec(  # type: ignore[call-overload]
        delete(NeedPerson).where(col(NeedPerson.person_id) == merged_id, col(NeedPerson.need_id).in_(both))
    )
    session.exec(  # type: ignore[call-overload]
        update(NeedPerson).where(col(NeedPerson.person_id) == merged_id).values(person_id=survivor_id)
    )


@timeline.register_erase_dependents
def _needs_only_about(session: Session, person_ids: set[uuid.UUID]) -> list[tuple[Any, Any]]:
    """A need whose every person is erased goes too: its description is about them."""
    theirs = select(NeedPerson.need_id).where(col(NeedPerson.person_id).in_(person_ids))
    others = select(NeedPerson.need_id).where(col(NeedPerson.person_id).not_in(person_ids))
    ids = list(session.execute(theirs.except_(others)).scalars())  # read now: deleting links changes the answer
    table = Need.__table__  # type: ignore[attr-defined]
    return [(table, table.c.id.in_(ids))] if ids else []


# ---------------------------------------------------------------- the team's daily report
def _day_of(team: Team, start: datetime) -> WorkDay:
    """The working day that starts at `start` (a UTC instant from app/field/days.py: day_bounds)."""
    local = start.astimezone(TZ)
    return WorkDay(local.date(), local.time())


def _team_needs(team: Team):
    return (
        select(func.count())
        .select_from(NeedTeam)
        .join(Need, col(Need.id) == col(NeedTeam.need_id))
        .where(NeedTeam.team_id == team.id, col(Need.deleted_at).is_(None))
    )


def created_in_day(session: Session, actor: Actor, team: Team, start: datetime, end: datetime) -> int | None:
    """Needs of the team recorded during its working day [start, end): the organisation's needs of that day
    (ix_needs_org_created), each checked against the team by the primary key of need_teams."""
    if not actor.can("needs.read"):
        return None
    return session.exec(
        select(func.count())
        .select_from(Need)
        .where(Need.org_id == team.org_id, Need.created_at >= start, Need.created_at < end)
        .where(col(Need.deleted_at).is_(None))
        .where(select(NeedTeam.need_id).where(NeedTeam.need_id == Need.id, NeedTeam.team_id == team.id).exists())
    ).one()


def done_in_day(session: Session, actor: Actor, team: Team, start: datetime, end: datetime) -> int | None:
    """Needs of the team marked done during its working day (ix_need_teams_team_open_closed)."""
    if not actor.can("needs.read"):
        return None
    closed = col(NeedTeam.closed_at)
    return session.exec(
        _team_needs(team).where(col(NeedTeam.open).is_(False), closed >= start, closed < end, Need.status == "done")
    ).one()


def overdue_in_day(session: Session, actor: Actor, team: Team, start: datetime, end: datetime) -> int | None:
    """Needs of the team that were overdue during its working day: due before the day started, not closed when
    it started, and recorded before it ended. Read from the team lists' copy in need_teams (needs are never
    tombstoned: an erasure deletes them), as open ones (an index-only range of ix_need_teams_team_open_due)
    plus those closed since the day started (ix_need_teams_team_open_closed), minus those recorded after the
    day ended (ix_needs_org_created: nothing for the current day). Each part is bounded by the team's current
    backlog or by what happened since the day, never by its whole history."""
    if not actor.can("needs.read"):
        return None
    due_before = _day_of(team, start).before(col(NeedTeam.due_on), col(NeedTeam.due_time))
    open_or_closed_since = or_(
        col(NeedTeam.open).is_(True), and_(col(NeedTeam.open).is_(False), col(NeedTeam.closed_at) >= start)
    )
    base = select(func.count()).select_from(NeedTeam).where(NeedTeam.team_id == team.id, due_before)
    still_open = base.where(col(NeedTeam.open).is_(True))
    closed_since = base.where(col(NeedTeam.open).is_(False), col(NeedTeam.closed_at) >= start)
    if end > utcnow():  # the current working day: nothing was recorded after it
        return session.exec(select(still_open.scalar_subquery() + closed_since.scalar_subquery())).one()
    recorded_after = (
        select(func.count())
        .select_from(Need)
        .join(NeedTeam, and_(col(NeedTeam.need_id) == col(Need.id), NeedTeam.team_id == team.id))
        .where(Need.org_id == team.org_id, Need.created_at >= end, due_before, open_or_closed_since)
    )
    return session.exec(
        select(still_open.scalar_subquery() + closed_since.scalar_subquery() - recorded_after.scalar_subquery())
    ).one()


report.register_figure("needs_created", lazy("Needs recorded"), created_in_day)
report.register_figure("needs_done", lazy("Needs done"), done_in_day)
report.register_figure("needs_overdue", lazy("Needs overdue"), overdue_in_day)
