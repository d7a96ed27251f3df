"""The audit's indicators for a period and a set of teams, compared with the period just before.

Every figure is one aggregate query (COUNT, SUM, COUNT(DISTINCT), GROUP BY) over an index range of
(org_id, time): no record is loaded into Python, so a year at 100,000 persons and 2 million encounters stays fast.
Medians are read as the one or two middle rows of an ordered range (ORDER BY ... OFFSET), which both databases do
without a percentile function. Nothing here reads a text, an alias or health data: only counts leave."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Integer, and_, case, exists, func, literal, literal_column, or_, text, union_all
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.access import Actor
from app.audit import service as audit
from app.errors import Invalid, NotFound
from app.i18n import _
from app.models import (
    AnonymousContact,
    AnonymousMaterial,
    Checkin,
    CustomField,
    Encounter,
    EncounterMaterial,
    EncounterPerson,
    Material,
    Need,
    NeedCategory,
    NeedCategoryLink,
    NeedTeam,
    Observation,
    Organisation,
    Person,
    PersonTeam,
    Procedure,
    Referral,
    ReferralStep,
    Round,
    Stay,
    Structure,
    Team,
    utcnow,
)
from app.web import TZ

LONG_STAY_DAYS = 183  # "more than 6 months"
HOUR_BAND = 2  # occupancy by bands of 2 hours of the day
MAX_VISIT = 24 * 3600  # seconds: a visit longer than a day is a check-out forgotten
AGE_BANDS = (("under_18", None, 17), ("18_25", 18, 25), ("26_35", 26, 35), ("36_45", 36, 45), ("46_55", 46, 55))
STREET_BANDS = (("under_1", 1), ("1_3", 3), ("3_5", 5))  # (key, less than N years)
# The referral funnel: a referral reaches a stage when one of its steps has one of these statuses.
FUNNEL = (
    ("sent", ("sent",)),
    ("answered", ("accepted", "waiting_list", "refused")),
    ("accepted", ("accepted",)),
    ("admitted", ("attended", "admitted")),
    ("refused", ("refused",)),
    ("no_show", ("no_show",)),
)
ANSWERED = FUNNEL[1][1]
ADMITTED = FUNNEL[3][1]


@dataclass(frozen=True)
class Scope:
    """Whose records and when: one organisation, optionally some of its teams, days start..end included."""

    org_id: uuid.UUID
    start: date
    end: date
    team_ids: tuple[uuid.UUID, ...] = ()

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, datetime.min.time(), TZ).astimezone(UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), datetime.min.time(), TZ).astimezone(UTC)

    def previous(self) -> "Scope":
        return Scope(self.org_id, self.start - timedelta(days=self.days), self.start - timedelta(days=1), self.team_ids)


@dataclass
class Indicators:
    figures: dict[str, float | int | None] = field(default_factory=dict)
    # Breakdowns: name -> {key: count}
    groups: dict[str, dict[str, int]] = field(default_factory=dict)


def _teams(stmt, column, scope: Scope):
    return stmt.where(col(column).in_(scope.team_ids)) if scope.team_ids else stmt


def _seconds(session: Session, later, earlier):
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _days(session: Session, later, earlier):
    if session.get_bind().dialect.name == "postgresql":
        return later - earlier
    return func.julianday(later) - func.julianday(earlier)


def _median(session: Session, expr, stmt) -> float | None:
    """The median of `expr` over the rows of `stmt` (a select of that expression), from its middle rows only."""
    n = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    if not n:
        return None
    ordered = stmt.order_by(expr)
    middle = [session.exec(ordered.offset((n - 1) // 2).limit(1)).one()]
    if n % 2 == 0:
        middle.append(session.exec(ordered.offset(n // 2).limit(1)).one())
    return sum(float(v) for v in middle) / len(middle)


def _grouped(session: Session, stmt) -> dict[str, int]:
    return {str(k if k is not None else "unknown"): int(v or 0) for k, v in session.exec(stmt).all()}


# ---------------------------------------------------------------- field work
def _encounters(s: Scope):
    return _teams(
        select(Encounter.id).where(
            Encounter.org_id == s.org_id,
            col(Encounter.deleted_at).is_(None),
            Encounter.at >= s.since,
            Encounter.at < s.until,
        ),
        Encounter.team_id,
        s,
    )


def _new_persons(s: Scope):
    new = select(Person.id).where(
        Person.org_id == s.org_id,
        col(Person.deleted_at).is_(None),
        col(Person.merged_into_id).is_(None),
        Person.created_at >= s.since,
        Person.created_at < s.until,
    )
    if s.team_ids:
        new = new.where(exists().where(PersonTeam.person_id == Person.id, col(PersonTeam.team_id).in_(s.team_ids)))
    return new


def _met_ids(s: Scope):
    """Persons in a live encounter of the period (by these teams), asked from the persons of the organisation: "is
    there one?". encounter_persons carries its encounter's team, time and tombstone, so this reads it alone. For a
    long period PostgreSQL probes ix_encounter_persons_person_at once per person (index only) instead of hashing
    every encounter person of the period (2 million in a year) down to the persons met; for a short period it
    hashes the few encounter persons of the period (ix_encounter_persons_org_at). Persons of another organisation
    are never in an encounter of this one."""
    p = aliased(Person)
    met = _teams(
        exists().where(
            EncounterPerson.person_id == p.id,
            EncounterPerson.org_id == s.org_id,
            col(EncounterPerson.deleted_at).is_(None),
            EncounterPerson.at >= s.since,
            EncounterPerson.at < s.until,
        ),
        EncounterPerson.team_id,
        s,
    )
    return select(p.id).where(p.org_id == s.org_id, met)


def _field(session: Session, s: Scope, out: Indicators) -> None:
    enc = _encounters(s)
    rounds = _teams(
        select(Round.time_band, func.count())
        .where(Round.org_id == s.org_id, col(Round.deleted_at).is_(None))
        .where(Round.started_at >= s.since, Round.started_at < s.until),
        Round.team_id,
        s,
    ).group_by(Round.time_band)
    out.groups["rounds_by_band"] = _grouped(session, rounds)
    out.figures["rounds"] = sum(out.groups["rounds_by_band"].values())
    out.figures["encounters"] = session.exec(select(func.count()).select_from(enc.subquery())).one()
    # persons_met: counted with the breakdowns of the people met, in _persons (one pass over the persons).
    out.figures["new_persons"] = session.exec(select(func.count()).select_from(_new_persons(s).subquery())).one()
    anon = _teams(
        select(AnonymousContact.id).where(
            AnonymousContact.org_id == s.org_id,
            col(AnonymousContact.deleted_at).is_(None),
            AnonymousContact.at >= s.since,
            AnonymousContact.at < s.until,
        ),
        AnonymousContact.team_id,
        s,
    )
    out.figures["anonymous_contacts"] = int(
        session.exec(
            select(func.coalesce(func.sum(AnonymousContact.people), 0)).where(
                col(AnonymousContact.id).in_(anon.scalar_subquery())
            )
        ).one()
    )
    # UNION would merge equal (material, quantity) rows of different records: UNION ALL keeps them.
    # encounter_materials carries its encounter's team, time and tombstone: one index range, no join.
    given = (
        _teams(
            select(EncounterMaterial.material_id.label("material_id"), EncounterMaterial.quantity.label("quantity"))
            .where(EncounterMaterial.org_id == s.org_id, col(EncounterMaterial.deleted_at).is_(None))
            .where(EncounterMaterial.at >= s.since, EncounterMaterial.at < s.until),
            EncounterMaterial.team_id,
            s,
        )
        .union_all(
            select(AnonymousMaterial.material_id, AnonymousMaterial.quantity).where(
                AnonymousMaterial.org_id == s.org_id, col(AnonymousMaterial.contact_id).in_(anon.scalar_subquery())
            )
        )
        .subquery()
    )
    out.groups["materials"] = _grouped(
        session,
        select(Material.label, func.sum(given.c.quantity))
        .join(given, given.c.material_id == Material.id)
        .group_by(Material.label)
        .order_by(Material.label),
    )
    out.figures["materials"] = sum(out.groups["materials"].values())
    obs = _teams(
        select(func.count()).where(
            Observation.org_id == s.org_id,
            col(Observation.deleted_at).is_(None),
            Observation.at >= s.since,
            Observation.at < s.until,
        ),
        Observation.team_id,
        s,
    )
    out.figures["observations"] = session.exec(obs).one()


def _checkins(session: Session, s: Scope, out: Indicators) -> None:
    base = _teams(
        select(func.count(), func.count(func.distinct(Checkin.person_id))).where(
            Checkin.org_id == s.org_id, col(Checkin.deleted_at).is_(None), Checkin.day >= s.start, Checkin.day <= s.end
        ),
        Checkin.team_id,
        s,
    )
    total, persons = session.exec(base).one()
    out.figures["checkins"] = total
    out.figures["checkin_persons"] = persons
    out.figures["checkins_per_day"] = round(total / s.days, 1)
    capacities = dict(
        session.exec(
            _teams(
                select(Team.id, Team.capacity).where(
                    Team.org_id == s.org_id,
                    col(Team.deleted_at).is_(None),
                    col(Team.archived_at).is_(None),
                    col(Team.capacity).is_not(None),
                    col(Team.kind).in_(("rest_area", "reception")),
                ),
                Team.id,
                s,
            )
        ).all()
    )
    capacity = sum(capacities.values())
    out.figures["checkin_capacity"] = capacity
    # Occupancy: check-ins per day over the places of the rest areas, in percent.
    out.figures["checkin_occupancy"] = round(100 * total / s.days / capacity, 1) if capacity else None
    if capacity:
        out.groups["occupancy_by_hour"] = _occupancy_by_hour(session, s, list(capacities), capacity)


def _visits(session: Session, s: Scope, team_ids: list[uuid.UUID]):
    """The visits of these rest areas that reach the period, as (a, e): arrival and departure clipped to it, a visit
    not checked out ending now, none longer than MAX_VISIT. Timestamps on PostgreSQL; seconds since 1970 on SQLite,
    which has no interval arithmetic."""
    now = utcnow()
    where = (
        Checkin.org_id == s.org_id,
        col(Checkin.deleted_at).is_(None),
        col(Checkin.team_id).in_(team_ids),
        # `day` is the working day of the arrival; a visit that reaches the period began at most 2 days before.
        Checkin.day >= s.start - timedelta(days=2),
        Checkin.day <= s.end,
    )
    if session.get_bind().dialect.name == "postgresql":
        a = func.greatest(Checkin.arrived_at, s.since)
        e = func.least(
            func.coalesce(Checkin.left_at, now),
            Checkin.arrived_at + literal_column(f"interval '{MAX_VISIT} seconds'"),
            s.until,
        )
    else:

        def epoch(column):
            return func.cast(func.strftime("%s", column), Integer)

        arrived = epoch(Checkin.arrived_at)
        a = func.max(arrived, int(s.since.timestamp()))
        e = func.min(
            func.coalesce(epoch(Checkin.left_at), int(now.timestamp())), arrived + MAX_VISIT, int(s.until.timestamp())
        )
    return select(a.label("a"), e.label("e")).where(*where).cte("visits")


def _occupancy_by_hour(session: Session, s: Scope, team_ids: list[uuid.UUID], capacity: int) -> dict[str, float]:
    """Average persons present in each band of HOUR_BAND hours of the day (Paris time), over the places of these
    rest areas, in percent. Exact to the second: each visit counts from its arrival to its departure, clipped to the
    period; a visit never checked out counts until now, and no visit counts for more than MAX_VISIT (an unclosed
    record would otherwise fill the place for ever).

    One statement: the database sums the arrivals and the departures per UTC hour (count, and seconds since 1970):
    a year is at most 8,760 rows each way, whatever the number of visits. The presence of an hour is then 3600 x
    those present when it starts, + (3600 - seconds into the hour) per arrival, - the same per departure. Paris is a
    whole number of hours from UTC, so every UTC hour is one hour of the Paris clock."""
    v = _visits(session, s, team_ids)
    sides = []
    for edge, sign in ((v.c.a, 1), (v.c.e, -1)):
        if session.get_bind().dialect.name == "postgresql":
            hour, seconds = func.date_part("epoch", func.date_trunc("hour", edge)), func.date_part("epoch", edge)
        else:
            hour, seconds = edge - edge % literal_column("3600"), edge
        sides.append(
            select(literal_column(str(sign)).label("sign"), hour.label("hour"), func.count(), func.sum(seconds))
            .where(v.c.e > v.c.a)
            .group_by(hour)
        )
    steps: dict[tuple[int, int], tuple[int, float]] = {}
    for sign, hour, n, total in session.execute(union_all(*sides)).all():
        # Seconds into the hour, summed: the sum of the instants less n times the hour's start.
        steps[(int(hour) // 3600, int(sign))] = (int(n), float(total) - n * float(hour))
    present, seconds_in, hours_in = 0, {}, {}
    since, until = int(s.since.timestamp()), int(s.until.timestamp())
    for hour in range(since // 3600, -(-until // 3600)):
        n_in, s_in = steps.get((hour, 1), (0, 0.0))
        n_out, s_out = steps.get((hour, -1), (0, 0.0))
        band = f"{datetime.fromtimestamp(hour * 3600, TZ).hour // HOUR_BAND * HOUR_BAND:02d}"
        seconds_in[band] = seconds_in.get(band, 0) + 3600 * (present + n_in - n_out) - s_in + s_out
        hours_in[band] = hours_in.get(band, 0) + 1
        present += n_in - n_out
    return {band: round(100 * seconds_in[band] / 3600 / hours_in[band] / capacity, 1) for band in sorted(hours_in)}


# ---------------------------------------------------------------- pathway
def _needs(session: Session, s: Scope, out: Indicators) -> None:
    live = [Need.org_id == s.org_id, col(Need.deleted_at).is_(None)]
    if s.team_ids:
        live.append(exists().where(NeedTeam.need_id == Need.id, col(NeedTeam.team_id).in_(s.team_ids)))
    created = [*live, Need.created_at >= s.since, Need.created_at < s.until]
    out.figures["needs"] = session.exec(select(func.count()).where(*created)).one()
    out.groups["needs_by_status"] = _grouped(
        session, select(Need.status, func.count()).where(*created).group_by(Need.status)
    )
    out.groups["needs_by_category"] = _grouped(
        session,
        select(NeedCategory.label, func.count(func.distinct(Need.id)))
        .join(NeedCategoryLink, NeedCategoryLink.need_id == Need.id)
        .join(NeedCategory, NeedCategory.id == NeedCategoryLink.category_id)
        .where(*created)
        .group_by(NeedCategory.label)
        .order_by(NeedCategory.label),
    )
    done = [*live, Need.status == "done", Need.completed_at >= s.since, Need.completed_at < s.until]
    out.figures["needs_done"] = session.exec(select(func.count()).where(*done)).one()
    seconds = _seconds(session, Need.completed_at, Need.created_at)
    median = _median(session, seconds, select(seconds.label("v")).where(*done))
    out.figures["needs_median_days"] = None if median is None else round(median / 86400, 1)


def _referrals(session: Session, s: Scope, out: Indicators) -> None:
    created = _teams(
        select(Referral.id).where(
            Referral.org_id == s.org_id,
            col(Referral.deleted_at).is_(None),
            Referral.created_at >= s.since,
            Referral.created_at < s.until,
        ),
        Referral.team_id,
        s,
    )
    total = session.exec(select(func.count()).select_from(created.subquery())).one()
    out.figures["referrals"] = total
    ids = created.scalar_subquery()
    for stage, statuses in FUNNEL:
        reached = session.exec(
            select(func.count(func.distinct(ReferralStep.referral_id))).where(
                ReferralStep.org_id == s.org_id,
                col(ReferralStep.referral_id).in_(ids),
                col(ReferralStep.status).in_(statuses),
            )
        ).one()
        out.figures[f"referrals_{stage}"] = reached
    sent = out.figures["referrals_sent"] or 0
    for stage in ("accepted", "admitted", "refused"):
        out.figures[f"referrals_{stage}_rate"] = (
            round(100 * out.figures[f"referrals_{stage}"] / sent, 1) if sent else None
        )
    accepted = out.figures["referrals_accepted"] or 0
    out.figures["referrals_no_show_rate"] = (
        round(100 * out.figures["referrals_no_show"] / accepted, 1) if accepted else None
    )
    # The funnel by kind of structure (CAARUD, CSAPA, rest area...): sent, accepted, admitted.
    for stage, statuses in (("sent", ("sent",)), ("accepted", ("accepted",)), ("admitted", ADMITTED)):
        out.groups[f"referrals_{stage}_by_kind"] = _grouped(
            session,
            select(Structure.kind, func.count(func.distinct(Referral.id)))
            .join(Structure, Structure.id == Referral.structure_id)
            .join(ReferralStep, ReferralStep.referral_id == Referral.id)
            .where(col(Referral.id).in_(ids), ReferralStep.org_id == s.org_id, col(ReferralStep.status).in_(statuses))
            .group_by(Structure.kind)
            .order_by(Structure.kind),
        )
    # Median delays, in days: from the first "sent" step to the first answer, and to the admission (or coming).
    for key, statuses in (("referrals_answer_median_days", ANSWERED), ("referrals_admission_median_days", ADMITTED)):
        first_sent = func.min(case((ReferralStep.status == "sent", ReferralStep.at)))
        first_then = func.min(case((col(ReferralStep.status).in_(statuses), ReferralStep.at)))
        delays = (
            select(_seconds(session, first_then, first_sent).label("v"))
            .where(ReferralStep.org_id == s.org_id, col(ReferralStep.referral_id).in_(ids))
            .group_by(ReferralStep.referral_id)
            .having(first_sent.is_not(None), first_then.is_not(None))
            .subquery()
        )
        median = _median(session, delays.c.v, select(delays.c.v))
        out.figures[key] = None if median is None else round(median / 86400, 1)


def _sheltered(s: Scope):
    """Persons housed at some point in the period."""
    stmt = select(Stay.person_id).where(
        Stay.org_id == s.org_id,
        col(Stay.deleted_at).is_(None),
        Stay.entered_on <= s.end,
        or_(col(Stay.exited_on).is_(None), Stay.exited_on >= s.start),
    )
    return stmt.where(col(Stay.team_id).in_(s.team_ids)) if s.team_ids else stmt


def _with_procedures(s: Scope):
    return (
        select(Procedure.person_id)
        .where(Procedure.org_id == s.org_id, col(Procedure.deleted_at).is_(None), Procedure.started_on <= s.end)
        .where(col(Procedure.person_id).in_(_sheltered(s).scalar_subquery()))
        .distinct()
    )


def _checked_in(s: Scope):
    return _teams(
        select(Checkin.person_id).where(
            Checkin.org_id == s.org_id,
            col(Checkin.deleted_at).is_(None),
            col(Checkin.person_id).is_not(None),
            Checkin.day >= s.start,
            Checkin.day <= s.end,
        ),
        Checkin.team_id,
        s,
    )


def _stays(session: Session, s: Scope, out: Indicators) -> None:
    live = [Stay.org_id == s.org_id, col(Stay.deleted_at).is_(None)]
    if s.team_ids:
        live.append(col(Stay.team_id).in_(s.team_ids))
    open_at_end = [*live, Stay.entered_on <= s.end, or_(col(Stay.exited_on).is_(None), Stay.exited_on > s.end)]
    occupancy = session.exec(select(func.count()).where(*open_at_end)).one()
    out.figures["stays_occupancy"] = occupancy
    long = session.exec(
        select(func.count()).where(*open_at_end, Stay.entered_on <= s.end - timedelta(days=LONG_STAY_DAYS))
    ).one()
    out.figures["stays_long"] = long
    out.figures["stays_long_share"] = round(100 * long / occupancy, 1) if occupancy else None
    out.figures["stays_entries"] = session.exec(
        select(func.count()).where(*live, Stay.entered_on >= s.start, Stay.entered_on <= s.end)
    ).one()
    exited = [*live, Stay.exited_on >= s.start, Stay.exited_on <= s.end]
    out.groups["stays_exits"] = _grouped(
        session, select(Stay.exit_kind, func.count()).where(*exited).group_by(Stay.exit_kind)
    )
    exits = sum(out.groups["stays_exits"].values())
    out.figures["stays_exits"] = exits
    length = _days(session, Stay.exited_on, Stay.entered_on)
    median = _median(session, length, select(length.label("v")).where(*exited))
    out.figures["stays_median_days"] = None if median is None else round(median, 1)
    # Average stay estimated from the flow: occupancy / exits per year, in days.
    out.figures["stays_estimated_days"] = round(occupancy * s.days / exits) if exits else None
    sheltered = _sheltered(s)
    total = session.exec(select(func.count()).select_from(sheltered.distinct().subquery())).one()
    started = session.exec(select(func.count()).select_from(_with_procedures(s).subquery())).one()
    out.figures["sheltered"] = total
    out.figures["sheltered_with_procedures"] = started
    out.figures["sheltered_with_procedures_share"] = round(100 * started / total, 1) if total else None


# ---------------------------------------------------------------- the people met
def _people(s: Scope):
    """Ids of the persons met in the period: in an encounter or a named check-in (for the drill-down)."""
    return select(Person.id).where(
        Person.org_id == s.org_id,
        or_(col(Person.id).in_(_met_ids(s).scalar_subquery()), col(Person.id).in_(_checked_in(s).scalar_subquery())),
    )


def _persons(session: Session, s: Scope, out: Indicators) -> None:
    age = s.end.year - Person.birth_year
    bands = [(and_(age <= hi) if lo is None else and_(age >= lo, age <= hi), literal(key)) for key, lo, hi in AGE_BANDS]
    street = [(Person.street_since > _years_before(s.end, years), literal(key)) for key, years in STREET_BANDS]
    fields = session.exec(
        select(CustomField)
        .where(CustomField.org_id == s.org_id, col(CustomField.deleted_at).is_(None), CustomField.in_indicators)
        .where(CustomField.scope == "person", col(CustomField.kind).in_(("choice", "boolean")))
        .order_by(CustomField.position, CustomField.label)
    ).all()
    dims = {
        "gender": func.coalesce(Person.gender, literal("unknown")),
        "age": case((col(Person.birth_year).is_(None), literal("unknown")), *bands, else_=literal("56_plus")),
        "street": case((col(Person.street_since).is_(None), literal("unknown")), *street, else_=literal("5_plus")),
    }
    for f in fields:
        dims[f"custom:{f.label}"] = func.coalesce(Person.custom[str(f.id)].as_string(), literal("unknown"))
    # One pass over the persons met or checked in (each set computed once, outer-joined to the persons): counts per
    # combination of the dimensions and of three flags, live (not deleted), met in an encounter, checked in (a few
    # hundred rows at most); then each figure is a sum over that small result. (A UNION of the two sets, joined,
    # then IN for the flags, hashed the same persons three more times: slower for a team or a month.)
    # "Persons met" counts deleted persons too, as it always did (the encounter happened); the breakdowns do not.
    met = _met_ids(s).subquery()
    came = _checked_in(s).distinct().subquery()
    exprs = [value.label(f"d{i}") for i, value in enumerate(dims.values())]
    flags = [
        col(Person.deleted_at).is_(None).label("live"),
        met.c.id.is_not(None).label("met"),
        came.c.person_id.is_not(None).label("came"),
    ]
    keys = [*exprs, *flags]
    who = (
        select(*keys, func.count())
        .select_from(Person)
        .outerjoin(met, met.c.id == Person.id)
        .outerjoin(came, came.c.person_id == Person.id)
        .where(Person.org_id == s.org_id, or_(met.c.id.is_not(None), came.c.person_id.is_not(None)))
    )
    grouped = session.exec(who.group_by(*keys)).all()
    out.figures["persons_met"] = sum(int(row[-1]) for row in grouped if row[-3])
    rows = [row for row in grouped if row[-4] and (row[-3] or row[-2])]
    booleans = {f"custom:{f.label}" for f in fields if f.kind == "boolean"}
    out.figures["people"] = sum(int(row[-1]) for row in rows)
    for i, name in enumerate(dims):
        counts: dict[str, int] = {}
        for row in rows:
            key = str(row[i])
            if name in booleans:
                key = {"1": "true", "0": "false"}.get(key, key)
            counts[key] = counts.get(key, 0) + int(row[-1])
        out.groups[name] = counts


def _years_before(day: date, years: int) -> date:
    if day.month == 2 and day.day == 29:
        day = day - timedelta(days=1)
    return day.replace(year=day.year - years)


# Memory for the hash aggregates and joins of one indicators transaction on PostgreSQL (the server's default, 4 MB,
# makes "distinct persons met in a year" spill to disk in batches). SET LOCAL: this transaction only.
WORK_MEM = "64MB"


def compute(session: Session, scope: Scope) -> Indicators:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
        session.execute(text("SET LOCAL jit = off"))
    out = Indicators()
    _field(session, scope, out)
    _checkins(session, scope, out)
    _needs(session, scope, out)
    _referrals(session, scope, out)
    _stays(session, scope, out)
    _persons(session, scope, out)
    return out


# ---------------------------------------------------------------- pages
@dataclass
class Page:
    scope: Scope
    now: Indicators
    before: Indicators
    teams: list[Team]


def default_period(today: date) -> tuple[date, date]:
    """The current month up to today."""
    return today.replace(day=1), today


def org_teams(session: Session, org_id: uuid.UUID) -> list[Team]:
    return list(
        session.exec(
            select(Team).where(Team.org_id == org_id, col(Team.deleted_at).is_(None)).order_by(Team.name)
        ).all()
    )


def scope_for(session: Session, actor: Actor, start: date, end: date, team_ids: list[uuid.UUID]) -> Scope:
    """The actor's organisation over the period; team ids of another organisation (or unknown) are refused."""
    actor.require("indicators.read")
    if actor.org_id is None:
        raise NotFound()
    known = {t.id for t in org_teams(session, actor.org_id)}
    if any(t not in known for t in team_ids):
        raise Invalid(_("One of the teams chosen does not exist in your organisation."))
    return Scope(actor.org_id, start, end, tuple(sorted(set(team_ids))))


def page(session: Session, actor: Actor, scope: Scope) -> Page:
    actor.require("indicators.read")
    return Page(scope, compute(session, scope), compute(session, scope.previous()), org_teams(session, scope.org_id))


# ---------------------------------------------------------------- steering: organisations that share
def shared_organisations(session: Session, actor: Actor) -> list[Organisation]:
    actor.require("indicators.consolidated")
    return list(
        session.exec(
            select(Organisation)
            .where(Organisation.share_with_steering, col(Organisation.deleted_at).is_(None))
            .order_by(Organisation.name)
        ).all()
    )


def consolidated(session: Session, actor: Actor, start: date, end: date) -> list[tuple[Organisation, Indicators]]:
    """Each sharing organisation's indicators over the period (never a record: only counts)."""
    return [(org, compute(session, Scope(org.id, start, end))) for org in shared_organisations(session, actor)]


def set_sharing(session: Session, actor: Actor, share: bool) -> Organisation:
    """The admin's choice to let steering accounts read the organisation's consolidated indicators (audited)."""
    actor.require("org.settings")
    org = session.get(Organisation, actor.org_id)
    if org is None:
        raise NotFound()
    if org.share_with_steering != share:
        org.share_with_steering = share
        audit.record(
            session, actor, "org.steering_share", entity_type="organisation", entity_id=org.id, details={"share": share}
        )
    session.flush()
    return org


def organisation(session: Session, actor: Actor) -> Organisation:
    actor.require("org.settings")
    org = session.get(Organisation, actor.org_id)
    if org is None:
        raise NotFound()
    return org


# ---------------------------------------------------------------- drill-down: the persons behind a figure
DRILL = {
    "persons_met": _met_ids,
    "new_persons": _new_persons,
    "checkin_persons": _checked_in,
    "people": _people,
    "sheltered": _sheltered,
    "sheltered_with_procedures": _with_procedures,
}
DRILL_PAGE = 100


def _drill_query(actor: Actor, scope: Scope, figure: str):
    actor.require("indicators.read")
    actor.require("persons.read")
    if figure not in DRILL or scope.org_id != actor.org_id:
        raise NotFound()
    ids = DRILL[figure](scope).scalar_subquery()
    return select(Person.id, Person.alias, Person.code).where(
        Person.org_id == actor.org_id, col(Person.deleted_at).is_(None), col(Person.id).in_(ids)
    )


def drill_all(session: Session, actor: Actor, scope: Scope, figure: str):
    """Every person counted in a figure, (code, alias), streamed 500 at a time (for an export)."""
    who = _drill_query(actor, scope, figure).order_by(Person.alias, Person.code)
    for _id, alias, code in session.exec(who.execution_options(yield_per=500)):
        yield code, alias


def drill(session: Session, actor: Actor, scope: Scope, figure: str, page: int = 1) -> tuple[list, int]:
    """The persons counted in a figure (alias and code only), for roles that read records; and how many."""
    who = _drill_query(actor, scope, figure)
    total = session.exec(select(func.count()).select_from(who.subquery())).one()
    rows = session.exec(who.order_by(Person.alias, Person.code).offset((page - 1) * DRILL_PAGE).limit(DRILL_PAGE)).all()
    return list(rows), total
