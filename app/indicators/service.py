"""The audit's indicators for a period and a set of teams, compared with the period just before.

Every figure is one aggregate query (COUNT, SUM, COUNT(DISTINCT), GROUP BY) over an index range of
(org_id, time): no record is loaded into Python, so a year at 100,000 persons and 2 million encounters stays fast.
Medians are read as the one or two middle rows of an ordered range (ORDER BY ... OFFSET), which both databases do
without a percentile function. Nothing here reads a text, an alias or health data: only counts leave."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, case, exists, false, func, literal, or_, text, union
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.access import Actor
from app.audit import service as audit
from app.errors import Invalid, NotFound
from app.i18n import _
from app.indicators import rollup
from app.models import (
    ALL_TEAMS,
    Checkin,
    CustomField,
    EncounterPerson,
    IndicatorDay,
    IndicatorPersonActivity,
    IndicatorPresence,
    Material,
    Need,
    NeedCategory,
    NeedCategoryLink,
    NeedTeam,
    Organisation,
    Person,
    PersonTeam,
    Procedure,
    Referral,
    ReferralStep,
    Stay,
    Structure,
    Team,
)
from app.web import TZ

LONG_STAY_DAYS = 183  # "more than 6 months"
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


def _median(session: Session, expr, stmt, n: int | None = None) -> float | None:
    """The median of `expr` over the rows of `stmt` (a select of that expression), from its middle row or two only
    (`n`: how many rows, when the caller counted them already)."""
    if n is None:
        n = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    if not n:
        return None
    middle = session.exec(stmt.order_by(expr).offset((n - 1) // 2).limit(2 - n % 2)).all()
    return sum(float(v) for v in middle) / len(middle)


def _grouped(session: Session, stmt) -> dict[str, int]:
    return {str(k if k is not None else "unknown"): int(v or 0) for k, v in session.exec(stmt).all()}


# ---------------------------------------------------------------- field work
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


def _kept(session: Session, s: Scope) -> dict[tuple[str, str], int]:
    """The figures that add up, summed over the days of the period and its teams (kept by rollup.py)."""
    stmt = (
        select(IndicatorDay.figure, IndicatorDay.key, func.sum(IndicatorDay.value))
        .where(IndicatorDay.org_id == s.org_id, col(IndicatorDay.team_id).in_(s.team_ids or [ALL_TEAMS]))
        .where(IndicatorDay.day >= s.start, IndicatorDay.day <= s.end)
        .group_by(IndicatorDay.figure, IndicatorDay.key)
    )
    return {(figure, key): int(n) for figure, key, n in session.exec(stmt).all()}


def _field(session: Session, s: Scope, kept: dict[tuple[str, str], int], out: Indicators) -> None:
    out.groups["rounds_by_band"] = {key: n for (figure, key), n in kept.items() if figure == "rounds"}
    out.figures["rounds"] = sum(out.groups["rounds_by_band"].values())
    out.figures["encounters"] = kept.get(("encounters", ""), 0)
    # persons_met: counted with the breakdowns of the people met, in _persons (one pass over the persons).
    out.figures["new_persons"] = session.exec(select(func.count()).select_from(_new_persons(s).subquery())).one()
    out.figures["anonymous_contacts"] = kept.get(("anonymous", ""), 0)
    # Materials given in encounters and to anonymous contacts, by label (two materials may share one).
    labels = dict(session.exec(select(Material.id, Material.label).where(Material.org_id == s.org_id)).all())
    materials: dict[str, int] = {}
    for (figure, key), n in kept.items():
        if figure == "materials" and (label := labels.get(uuid.UUID(key))) is not None:
            materials[label] = materials.get(label, 0) + n
    out.groups["materials"] = dict(sorted(materials.items()))
    out.figures["materials"] = sum(out.groups["materials"].values())
    out.figures["observations"] = kept.get(("observations", ""), 0)


def _checkins(session: Session, s: Scope, kept: dict[tuple[str, str], int], out: Indicators) -> None:
    total = kept.get(("checkins", ""), 0)
    out.figures["checkins"] = total
    # checkin_persons: counted with the people, in _persons.
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


def _occupancy_by_hour(session: Session, s: Scope, team_ids: list[uuid.UUID], capacity: int) -> dict[str, float]:
    """Average persons present in each band of rollup.HOUR_BAND hours of the day (Paris time), over the places of
    these rest areas, in percent: the seconds of presence of the visits checked out, kept per day and band, and of
    those not checked out, until now (exact to the second, see rollup._presence), over the hours of each band in
    the period (a band has one hour more or less on the days the clocks change)."""
    p = IndicatorPresence
    kept = select(*[func.sum(getattr(p, band)) for band in rollup.BANDS]).where(
        p.org_id == s.org_id, col(p.team_id).in_(team_ids), p.day >= s.start, p.day <= s.end
    )
    seconds: dict[str, int] = {
        band[1:]: int(n or 0) for band, n in zip(rollup.BANDS, session.exec(kept).one(), strict=True)
    }
    for (team, _day, band), n in rollup.open_presence(session, s.org_id, s.start, s.end).items():
        if team in team_ids:
            seconds[band] += n
    hours_in = _band_hours(s)
    return {band: round(100 * seconds[band] / 3600 / hours_in[band] / capacity, 1) for band in sorted(hours_in)}


def _band_hours(s: Scope) -> dict[str, int]:
    """How many hours of each band of the day the period has: HOUR_BAND a day, but one less or more in the band
    where the clocks change (those days are counted hour by hour)."""
    hours_in = dict.fromkeys((f"{h:02d}" for h in range(0, 24, rollup.HOUR_BAND)), 0)
    day = s.start
    while day <= s.end:
        since, until = rollup.bounds(day, day)
        if until - since == timedelta(hours=24):
            for band in hours_in:
                hours_in[band] += rollup.HOUR_BAND
        else:
            for hour in range(int(since.timestamp()) // 3600, int(until.timestamp()) // 3600):
                band = f"{datetime.fromtimestamp(hour * 3600, TZ).hour // rollup.HOUR_BAND * rollup.HOUR_BAND:02d}"
                hours_in[band] += 1
        day += timedelta(days=1)
    return hours_in


# ---------------------------------------------------------------- pathway
def _needs(session: Session, s: Scope, out: Indicators) -> None:
    live = [Need.org_id == s.org_id, col(Need.deleted_at).is_(None)]
    if s.team_ids:
        live.append(exists().where(NeedTeam.need_id == Need.id, col(NeedTeam.team_id).in_(s.team_ids)))
    created = [*live, Need.created_at >= s.since, Need.created_at < s.until]
    out.groups["needs_by_status"] = _grouped(
        session, select(Need.status, func.count()).where(*created).group_by(Need.status)
    )
    out.figures["needs"] = sum(out.groups["needs_by_status"].values())
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
    median = _median(session, seconds, select(seconds.label("v")).where(*done), out.figures["needs_done"])
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
    longer = case((Stay.entered_on <= s.end - timedelta(days=LONG_STAY_DAYS), 1))
    occupancy, long = session.exec(select(func.count(), func.count(longer)).where(*open_at_end)).one()
    out.figures["stays_occupancy"] = occupancy
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
    median = _median(session, length, select(length.label("v")).where(*exited), exits)
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


def _who(session: Session, scopes: list[Scope], until: date) -> tuple[list, dict]:
    """The persons met in a live encounter or checked in during these periods (same organisation and teams), as
    sources to left-join to the persons, each with at most one row per person, and for each flag (met0, came0, met1,
    came1...) the condition on them. The whole months kept (up to `until`) come from indicator_person_activity, one
    source per era of 5 years (one row per person, or per person and team grouped); the days at either end of a
    period from the records (rollup.met_or_came), one distinct set per period and flag. Joins on the person, not a
    union grouped by person: the planner knows how many persons each side has."""
    s0 = scopes[0]
    names = [f"{flag}{i}" for i in range(len(scopes)) for flag in ("met", "came")]
    kept = [rollup.kept_masks(session, s0.org_id, s.start, s.end, until) for s in scopes]
    sources: list = []
    hits: dict[str, list] = {name: [] for name in names}
    t = IndicatorPersonActivity
    for era in sorted({era for masks, _edges in kept for era in masks}):
        tests = {}
        for i, (masks, _edges) in enumerate(kept):
            for flag, column in (("met", t.met), ("came", t.came)):
                if era in masks:
                    tests[f"{flag}{i}"] = case((column.op("&")(masks[era]) != 0, 1), else_=0)
        rows = select(t.person_id, *[test.label(name) for name, test in tests.items()]).where(
            t.org_id == s0.org_id, col(t.team_id).in_(s0.team_ids or [ALL_TEAMS]), t.era == era
        )
        if s0.team_ids:  # a row per person and team: one per person (the organisation's row is one already)
            sub = rows.subquery()
            rows = select(sub.c.person_id, *[func.max(sub.c[name]).label(name) for name in tests])
            rows = rows.group_by(sub.c.person_id)
        rows = rows.subquery(f"era{era}")
        sources.append(rows)
        for name in tests:
            hits[name].append(rows.c[name] == 1)
    for i, (_masks, edges) in enumerate(kept):
        for j, flag in enumerate(("met", "came")):
            parts = []
            for lo, hi in edges:
                sub = rollup.met_or_came(session, s0.org_id, lo, hi, s0.team_ids)[j].subquery()
                parts.append(select(sub.c.person_id))
            if parts:
                rows = union(*parts).subquery(f"{flag}{i}") if len(parts) > 1 else parts[0].distinct().subquery()
                sources.append(rows)
                hits[f"{flag}{i}"].append(rows.c.person_id.is_not(None))
    return sources, hits


def _persons(session: Session, scopes: list[Scope], until: date, outs: list[Indicators]) -> None:
    """The persons met or checked in during each period, with their breakdowns: one statement for all the periods
    (a page shows a period and the one before). Counts per combination of the dimensions of every period (age and
    time on the street depend on the period's end), of "live" (not deleted) and of the flags of each period: a few
    hundred rows at most; each figure is then a sum over that small result. "Persons met" counts deleted persons
    too, as it always did (the encounter happened); the breakdowns do not."""
    fields = session.exec(
        select(CustomField)
        .where(CustomField.org_id == scopes[0].org_id, col(CustomField.deleted_at).is_(None), CustomField.in_indicators)
        .where(CustomField.scope == "person", col(CustomField.kind).in_(("choice", "boolean")))
        .order_by(CustomField.position, CustomField.label)
    ).all()
    booleans = {f"custom:{f.label}" for f in fields if f.kind == "boolean"}
    # The expressions grouped on, once each: gender and the custom fields are the same for every period; age and
    # time on the street depend on the period's end. dims: per period, name -> position of its expression.
    exprs: list = [func.coalesce(Person.gender, literal("unknown"))]
    customs = {}
    for f in fields:
        customs[f"custom:{f.label}"] = len(exprs)
        exprs.append(func.coalesce(Person.custom[str(f.id)].as_string(), literal("unknown")))
    dims = []
    for s in scopes:
        age = s.end.year - Person.birth_year
        bands = [(and_(age <= hi) if lo is None else and_(age >= lo, age <= hi), literal(k)) for k, lo, hi in AGE_BANDS]
        street = [(Person.street_since > _years_before(s.end, years), literal(k)) for k, years in STREET_BANDS]
        dims.append({"gender": 0, "age": len(exprs), "street": len(exprs) + 1, **customs})
        exprs.append(case((col(Person.birth_year).is_(None), literal("unknown")), *bands, else_=literal("56_plus")))
        exprs.append(case((col(Person.street_since).is_(None), literal("unknown")), *street, else_=literal("5_plus")))
    sources, hits = _who(session, scopes, until)
    flags = [or_(false(), *conditions).label(name) for name, conditions in hits.items()]
    keys = [*[e.label(f"d{n}") for n, e in enumerate(exprs)], col(Person.deleted_at).is_(None).label("live"), *flags]
    stmt = select(*keys, func.count()).select_from(Person)
    for source in sources:
        stmt = stmt.outerjoin(source, source.c.person_id == Person.id)
    # Every person of the organisation is grouped, those in no period too (left out below): filtering them here
    # hides from the planner how many rows it groups, and it then sorts 100,000 rows instead of hashing them.
    stmt = stmt.where(Person.org_id == scopes[0].org_id).group_by(*keys)
    grouped = session.exec(stmt).all()
    live = len(exprs)
    for i, out in enumerate(outs):
        met, came = live + 1 + 2 * i, live + 2 + 2 * i
        out.figures["persons_met"] = sum(int(row[-1]) for row in grouped if row[met])
        out.figures["checkin_persons"] = sum(int(row[-1]) for row in grouped if row[came])
        rows = [row for row in grouped if row[live] and (row[met] or row[came])]
        out.figures["people"] = sum(int(row[-1]) for row in rows)
        for name, at in dims[i].items():
            counts: dict[str, int] = {}
            for row in rows:
                key = str(row[at])
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
    return compute_periods(session, [scope])[0]


def compute_periods(session: Session, scopes: list[Scope]) -> list[Indicators]:
    """The indicators of these periods of one organisation and set of teams (a page shows a period and the one
    before), after bringing the kept figures up to date (rollup.brought_up_to_date)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
        session.execute(text("SET LOCAL jit = off"))
    until = rollup.brought_up_to_date(session, scopes[0].org_id)
    outs = [Indicators() for _ in scopes]
    for scope, out in zip(scopes, outs, strict=True):
        kept = _kept(session, scope)
        _field(session, scope, kept, out)
        _checkins(session, scope, kept, out)
        _needs(session, scope, out)
        _referrals(session, scope, out)
        _stays(session, scope, out)
    _persons(session, scopes, until, outs)
    return outs


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
    now, before = compute_periods(session, [scope, scope.previous()])
    return Page(
        scope,
        now,
        before,
        org_teams(session, scope.org_id),
    )


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
