"""A coordinator's caseload review: the lists of persons that need a look (not seen for a while, overdue needs,
urgent notes not handled, referrals waiting, long stays...), each a query on the organisation's indexes, counted
for the summary and read one page at a time. Lines carry an alias, a code and a date: never a note or health data."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, literal
from sqlmodel import Session, col, select

from app.access import Actor
from app.db import planner
from app.errors import Invalid
from app.i18n import _, lazy
from app.models import (
    Need,
    NeedCategory,
    NeedCategoryLink,
    NeedPerson,
    Person,
    PersonNote,
    PersonTeam,
    Referral,
    Stay,
    Team,
    User,
    utcnow,
)
from app.web import TZ

PAGE_SIZE = 100
LONG_STAY_DAYS = 183
LISTS = {
    "active": lazy("Active persons"),
    "not_seen": lazy("Not seen for %(days)s days"),
    "overdue_needs": lazy("Overdue needs"),
    "urgent_notes": lazy("Urgent notes not handled"),
    "referrals_waiting": lazy("Referrals waiting for over %(days)s days"),
    "long_stays": lazy("Stays over 6 months"),
    "no_open_need": lazy("Active persons with no open need"),
    "new_persons": lazy("New persons this month"),
}


@dataclass(frozen=True)
class Filters:
    team_id: uuid.UUID | None = None
    worker_id: uuid.UUID | None = None
    category_id: uuid.UUID | None = None
    days: int = 30  # not seen for
    waiting_days: int = 14  # referrals waiting for


@dataclass
class Line:
    person_id: uuid.UUID
    alias: str
    code: str
    when: datetime | date | None


def check_filters(session: Session, actor: Actor, f: Filters) -> None:
    """A team, worker or category of another organisation (or unknown) is refused with a clear message."""
    actor.require("caseload.read")
    for model, key, message in (
        (Team, f.team_id, lazy("This team does not exist in your organisation.")),
        (User, f.worker_id, lazy("This worker does not exist in your organisation.")),
        (NeedCategory, f.category_id, lazy("This category does not exist in your organisation.")),
    ):
        if key is not None:
            row = session.get(model, key)
            if row is None or row.org_id != actor.org_id:
                raise Invalid(str(_(message)))


def _persons(actor: Actor, f: Filters, *, active_only: bool = True):
    stmt = select(Person.id, Person.alias, Person.code).where(
        Person.org_id == actor.org_id, col(Person.deleted_at).is_(None), col(Person.merged_into_id).is_(None)
    )
    if active_only:
        stmt = stmt.where(Person.active)
    if f.team_id:
        stmt = stmt.where(exists().where(PersonTeam.person_id == Person.id, PersonTeam.team_id == f.team_id))
    if f.category_id:
        stmt = stmt.where(
            exists()
            .where(NeedPerson.person_id == Person.id)
            .where(NeedCategoryLink.need_id == NeedPerson.need_id, NeedCategoryLink.category_id == f.category_id)
        )
    return stmt


def _today() -> date:
    return utcnow().astimezone(TZ).date()


def query(actor: Actor, name: str, f: Filters):
    """The select of (id, alias, code, when) behind one list, sorted by its date (oldest first when waiting)."""
    now = utcnow()
    base = _persons(actor, f, active_only=name not in ("urgent_notes", "referrals_waiting", "long_stays"))
    if name == "active":
        stmt = base.add_columns(Person.last_contact_at.label("when"))
        if f.worker_id:
            stmt = stmt.where(Person.last_contact_by == f.worker_id)
        return stmt.order_by(Person.last_contact_at.desc())
    if name == "not_seen":
        stmt = base.add_columns(Person.last_contact_at.label("when"))
        stmt = stmt.where(Person.last_contact_at < now - timedelta(days=f.days))
        if f.worker_id:
            stmt = stmt.where(Person.last_contact_by == f.worker_id)
        return stmt.order_by(Person.last_contact_at)
    if name == "new_persons":
        since = datetime.combine(_today().replace(day=1), datetime.min.time(), TZ)
        stmt = base.add_columns(Person.created_at.label("when")).where(Person.created_at >= since)
        if f.worker_id:
            stmt = stmt.where(Person.created_by == f.worker_id)
        return stmt.order_by(Person.created_at.desc())
    if name == "overdue_needs":
        # The links' copy of their need (open, due day): one range of ix_need_persons_org_open, needs unread.
        due = func.min(NeedPerson.due_on).label("when")
        stmt = (
            base.add_columns(due)
            .join(NeedPerson, NeedPerson.person_id == Person.id)
            .where(NeedPerson.org_id == actor.org_id, NeedPerson.open, NeedPerson.due_on < _today())
        )
        if f.worker_id:
            stmt = stmt.join(Need, Need.id == NeedPerson.need_id).where(Need.assigned_to == f.worker_id)
        if f.category_id:
            stmt = stmt.where(
                exists().where(
                    NeedCategoryLink.need_id == NeedPerson.need_id, NeedCategoryLink.category_id == f.category_id
                )
            )
        return stmt.group_by(Person.id, Person.alias, Person.code).order_by(due)
    if name == "urgent_notes":
        oldest = func.min(PersonNote.created_at).label("when")
        stmt = (
            base.add_columns(oldest)
            .join(PersonNote, PersonNote.person_id == Person.id)
            .where(PersonNote.org_id == actor.org_id, col(PersonNote.deleted_at).is_(None))
            .where(PersonNote.urgent, col(PersonNote.handled_at).is_(None))
        )
        if f.worker_id:
            stmt = stmt.where(PersonNote.author_id == f.worker_id)
        return stmt.group_by(Person.id, Person.alias, Person.code).order_by(oldest)
    if name == "referrals_waiting":
        oldest = func.min(Referral.status_at).label("when")
        stmt = (
            base.add_columns(oldest)
            .join(Referral, Referral.person_id == Person.id)
            .where(Referral.org_id == actor.org_id, col(Referral.deleted_at).is_(None))
            .where(col(Referral.status).in_(("sent", "waiting_list")))
            .where(Referral.status_at < now - timedelta(days=f.waiting_days))
        )
        if f.worker_id:
            stmt = stmt.where(Referral.created_by == f.worker_id)
        return stmt.group_by(Person.id, Person.alias, Person.code).order_by(oldest)
    if name == "long_stays":
        stmt = (
            base.add_columns(Stay.entered_on.label("when"))
            .join(Stay, Stay.person_id == Person.id)
            .where(Stay.org_id == actor.org_id, col(Stay.deleted_at).is_(None), col(Stay.exited_on).is_(None))
            .where(Stay.entered_on <= _today() - timedelta(days=LONG_STAY_DAYS))
        )
        if f.worker_id:
            stmt = stmt.where(Stay.created_by == f.worker_id)
        return stmt.order_by(Stay.entered_on)
    if name == "no_open_need":
        open_need = exists().where(
            NeedPerson.person_id == Person.id, NeedPerson.org_id == actor.org_id, NeedPerson.open
        )
        stmt = base.add_columns(Person.last_contact_at.label("when")).where(~open_need)
        if f.worker_id:
            stmt = stmt.where(Person.last_contact_by == f.worker_id)
        return stmt.order_by(Person.last_contact_at.desc())
    raise Invalid(str(_("This list does not exist.")))


def title(name: str, f: Filters) -> str:
    label = LISTS[name]
    if name == "not_seen":
        return str(_(label, days=f.days))
    if name == "referrals_waiting":
        return str(_(label, days=f.waiting_days))
    return str(_(label))


SUMMARY_CAP = 1000  # the summary counts up to this many persons per list, then says "1000+"


def summary(session: Session, actor: Actor, f: Filters) -> list[tuple[str, str, int]]:
    """(list, title, how many persons) for every list; a count over SUMMARY_CAP is given as SUMMARY_CAP + 1 (the
    page says "1000+"): the database stops there instead of counting the whole organisation, so the page stays as
    fast at 100,000 persons as at 1,000. The list itself, its export and the indicators give exact figures."""
    check_filters(session, actor, f)
    out = []
    # Each count walks one short index range (open need links, open stays, waiting referrals...) and looks its
    # persons up by key until the cap. Costing those lookups as disk reads, PostgreSQL's planner hashed all the
    # persons of a large organisation instead, or started parallel workers: at 100,000 persons "stays over 6
    # months" took 20 ms instead of 3, and under 8 clients the summary's p95 was 2-4x its figure at 1,000 persons.
    with planner(session, enable_hashjoin="off", enable_mergejoin="off", max_parallel_workers_per_gather="0"):
        for name in LISTS:
            capped = query(actor, name, f).order_by(None).limit(SUMMARY_CAP + 1)
            n = session.exec(select(func.count()).select_from(capped.subquery())).one()
            out.append((name, title(name, f), n))
    return out


def lines(session: Session, actor: Actor, name: str, f: Filters, page: int = 1) -> tuple[list[Line], bool]:
    """One page of a list, and whether more follow."""
    check_filters(session, actor, f)
    if name not in LISTS:
        raise Invalid(str(_("This list does not exist.")))
    rows = session.exec(query(actor, name, f).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return [Line(*row) for row in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE


def count(session: Session, actor: Actor, name: str, f: Filters) -> int:
    check_filters(session, actor, f)
    if name not in LISTS:
        raise Invalid(str(_("This list does not exist.")))
    return session.exec(select(func.count()).select_from(query(actor, name, f).order_by(None).subquery())).one()


def all_lines(session: Session, actor: Actor, name: str, f: Filters) -> Iterator[Line]:
    """Every line of a list, streamed from one query (a server-side cursor read 500 rows at a time on PostgreSQL):
    an export of 100,000 lines never holds them all. The caller checked the filters (count)."""
    for row in session.exec(query(actor, name, f).execution_options(yield_per=500)):
        yield Line(*row)


def choices(session: Session, actor: Actor) -> dict[str, list]:
    """The teams, workers and need categories to filter on: (id, name) rows, not whole records (a large
    organisation has hundreds of teams and workers)."""
    actor.require("caseload.read")
    teams = session.exec(
        select(Team.id, Team.name)
        .where(Team.org_id == actor.org_id, col(Team.deleted_at).is_(None))
        .order_by(Team.name)
    ).all()
    users = session.exec(
        select(User.id, User.name)
        .where(User.org_id == actor.org_id, col(User.deleted_at).is_(None), User.role != literal("steering"))
        .order_by(User.name)
    ).all()
    categories = session.exec(
        select(NeedCategory.id, NeedCategory.label)
        .where(NeedCategory.org_id == actor.org_id, col(NeedCategory.deleted_at).is_(None))
        .where(col(NeedCategory.archived_at).is_(None))
        .order_by(NeedCategory.position, NeedCategory.label)
    ).all()
    return {"teams": list(teams), "workers": list(users), "categories": list(categories)}
