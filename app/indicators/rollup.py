"""The figures that add up, kept per Paris day and team (indicator_days, with a row for all teams), the presence at
rest areas per day and team (indicator_presence), and the months in which each person was met or came
(indicator_person_activity): a year of indicators sums a few thousand small rows and reads one row per person
instead of millions of records. Nothing here is ever written by hand: every kept row is recomputed from the records
by the aggregate queries below.

How they stay exact (revision 0014): a trigger on every table a figure comes from marks the day of every record it
inserts, changes or deletes (late offline records, corrections, deletions, merges, erasure, imports: ORM or bulk
statements alike), and the person of every encounter person and check-in. `refresh`, before each reading, claims
the marks committed so far, recomputes the Paris days from each marked UTC date to two days after (a Paris day
straddles two UTC dates; a visit lasts at most 24 hours) and the months of each marked person, then deletes the
marks it claimed: a record written meanwhile leaves a mark it has not claimed, for the next reading. Months are
kept up to the current one (`months_until`); the days at either end of a period that do not make a whole month are
read from the records (the current month counts as whole for a period ending today when nothing is recorded after
it). The presence of visits not checked out grows with time: it is computed at each reading (`open_presence`).
`rebuild` recomputes everything (`parcours indicators rebuild`), for a check or after a restore."""

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Engine,
    Integer,
    String,
    case,
    delete,
    func,
    insert,
    literal,
    literal_column,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.models import (
    ALL_TEAMS,
    ERA_MONTHS,
    AnonymousContact,
    AnonymousMaterial,
    Checkin,
    Encounter,
    EncounterMaterial,
    EncounterPerson,
    IndicatorDay,
    IndicatorMark,
    IndicatorPersonActivity,
    IndicatorPersonMark,
    IndicatorPresence,
    IndicatorState,
    Observation,
    Round,
    utcnow,
)
from app.web import TZ

MANY_PERSONS = 5000  # more (person, day) marks than this: all the persons' months are recomputed in one go
MARK_SPAN = 3  # a mark's UTC date d: Paris days d, d + 1 and d + 2 are recomputed
HOUR_BAND = 2  # presence at rest areas by bands of 2 hours of the day
MAX_VISIT = 24 * 3600  # seconds: a visit longer than a day is a check-out forgotten
BANDS = [f"s{h:02d}" for h in range(0, 24, HOUR_BAND)]  # indicator_presence's columns
EPOCH, END = date(2000, 1, 1), date(2999, 12, 31)  # every record is between: the first build covers them all


def today() -> date:
    return utcnow().astimezone(TZ).date()


def bounds(lo: date, hi: date) -> tuple[datetime, datetime]:
    """Paris days lo..hi (included) as a UTC range [since, until)."""
    since = datetime.combine(lo, datetime.min.time(), TZ).astimezone(UTC)
    until = datetime.combine(hi + timedelta(days=1), datetime.min.time(), TZ).astimezone(UTC)
    return since, until


def month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def months(lo: date, hi: date) -> list[date]:
    """The first days of the months from lo's to hi's."""
    out, m = [], lo.replace(day=1)
    while m <= hi:
        out.append(m)
        m = month_end(m) + timedelta(days=1)
    return out


def _pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def paris_day(session: Session, column):
    """The Paris date of a UTC timestamp, in SQL (SQLite: a function registered by app/db.py)."""
    if _pg(session):
        return func.date(func.timezone(TZ.key, column))
    return func.paris_day(column)


def _month_number(session: Session, column, is_date: bool = False):
    """year * 12 + month - 1 of a timestamp (its Paris month) or of a date, in SQL."""
    if _pg(session):
        local = column if is_date else func.timezone(TZ.key, column)
        return func.cast(func.extract("year", local) * 12 + func.extract("month", local) - 1, Integer)
    if is_date:
        return (
            func.cast(func.strftime("%Y", column), Integer) * 12 + func.cast(func.strftime("%m", column), Integer) - 1
        )
    return func.paris_month(column)


def sqlite_functions(dbapi_conn) -> None:
    """paris_day(ts) and paris_month(ts) for SQLite, which has no time zones (timestamps are stored in UTC)."""

    def local(value):
        return datetime.fromisoformat(value).replace(tzinfo=UTC).astimezone(TZ) if value else None

    def day(value):
        at = local(value)
        return at.date().isoformat() if at else None

    def month(value):
        at = local(value)
        return at.year * 12 + at.month - 1 if at else None

    dbapi_conn.create_function("paris_day", 1, day, deterministic=True)
    dbapi_conn.create_function("paris_month", 1, month, deterministic=True)


# ---------------------------------------------------------------- presence at rest areas
def _presence(session: Session, org_id: uuid.UUID, lo: date, hi: date, still_open: bool) -> dict[tuple, int]:
    """Seconds of presence per (team, Paris day, band of the day) over Paris days lo..hi, exact to the second, of
    the visits checked out (still_open False) or of those not checked out (True: counted until now). A visit is
    clipped to the days and counts for MAX_VISIT at most (a check-out forgotten would otherwise fill a place).

    One statement: the database sums the arrivals and departures per team and UTC hour (count, and seconds since
    1970); the presence of an hour is then 3600 x those present when it starts, + (3600 - seconds into the hour)
    per arrival, - the same per departure. Paris is a whole number of hours from UTC: an hour is in one Paris day
    and band. Timestamps on PostgreSQL; seconds since 1970 on SQLite, which has no interval arithmetic."""
    since, until = bounds(lo, hi)
    now = utcnow()
    left = col(Checkin.left_at).is_(None) if still_open else col(Checkin.left_at).is_not(None)
    where = (
        Checkin.org_id == org_id,
        col(Checkin.deleted_at).is_(None),
        left,
        # `day` is the working day of the arrival; a visit that reaches the days began at most 2 days before.
        Checkin.day >= lo - timedelta(days=2),
        Checkin.day <= hi,
    )
    if _pg(session):
        a = func.greatest(Checkin.arrived_at, since)
        e = func.least(
            func.coalesce(Checkin.left_at, now),
            Checkin.arrived_at + literal_column(f"interval '{MAX_VISIT} seconds'"),
            until,
        )
    else:

        def epoch(column):
            return func.cast(func.strftime("%s", column), Integer)

        arrived = epoch(Checkin.arrived_at)
        a = func.max(arrived, int(since.timestamp()))
        e = func.min(
            func.coalesce(epoch(Checkin.left_at), int(now.timestamp())), arrived + MAX_VISIT, int(until.timestamp())
        )
    v = select(Checkin.team_id.label("team_id"), a.label("a"), e.label("e")).where(*where).cte("visits")
    sides = []
    for edge, sign in ((v.c.a, 1), (v.c.e, -1)):
        if _pg(session):
            hour, seconds = func.date_part("epoch", func.date_trunc("hour", edge)), func.date_part("epoch", edge)
        else:
            hour, seconds = edge - edge % literal_column("3600"), edge
        sides.append(
            select(
                v.c.team_id,
                literal_column(str(sign)).label("sign"),
                hour.label("hour"),
                func.count(),
                func.sum(seconds),
            )
            .where(v.c.e > v.c.a)
            .group_by(v.c.team_id, hour)
        )
    steps: dict = defaultdict(dict)
    for team, sign, hour, n, total in session.execute(union_all(*sides)).all():
        # Seconds into the hour, summed: the sum of the instants less n times the hour's start.
        steps[team][(int(hour) // 3600, int(sign))] = (int(n), float(total) - n * float(hour))
    out: dict[tuple, int] = defaultdict(int)
    for team, by_hour in steps.items():
        present, hours = 0, sorted({h for h, _ in by_hour})
        for hour in range(hours[0], hours[-1] + 1):  # every visit ends within the days: none is present after
            n_in, s_in = by_hour.get((hour, 1), (0, 0.0))
            n_out, s_out = by_hour.get((hour, -1), (0, 0.0))
            seconds = 3600 * (present + n_in - n_out) - s_in + s_out
            present += n_in - n_out
            if round(seconds):
                at = datetime.fromtimestamp(hour * 3600, TZ)
                out[(team, at.date(), f"{at.hour // HOUR_BAND * HOUR_BAND:02d}")] += round(seconds)
    return out


def open_presence(session: Session, org_id: uuid.UUID, lo: date, hi: date) -> dict[tuple, int]:
    """The presence of the visits not checked out, until now: computed at each reading (it grows with time)."""
    return _presence(session, org_id, lo, hi, still_open=True)


# ---------------------------------------------------------------- days
def recompute_days(session: Session, org_id: uuid.UUID, lo: date, hi: date) -> None:
    """Paris days lo..hi of one organisation, recomputed from the records: each figure one INSERT ... SELECT
    grouped by team and day, then the rows of all teams summed from those."""
    since, until = bounds(lo, hi)
    org = literal(org_id, IndicatorDay.__table__.c.org_id.type)  # type: ignore[attr-defined]
    table = IndicatorDay.__table__  # type: ignore[attr-defined]
    session.execute(delete(table).where(table.c.org_id == org_id, table.c.day >= lo, table.c.day <= hi))
    columns = ["org_id", "team_id", "figure", "day", "key", "value"]

    def keep(figure: str, sub, value) -> None:
        stmt = select(org, sub.c.team_id, literal(figure), sub.c.day, sub.c.key, value).group_by(
            sub.c.team_id, sub.c.day, sub.c.key
        )
        session.execute(insert(table).from_select(columns, stmt))

    def timed(model, column, *extra, key=None):
        return select(
            model.team_id.label("team_id"),
            paris_day(session, column).label("day"),
            (func.cast(key, String) if key is not None else literal("")).label("key"),
            *extra,
        ).where(model.org_id == org_id, col(model.deleted_at).is_(None), column >= since, column < until)

    for model, figure in ((Encounter, "encounters"), (Observation, "observations")):
        sub = timed(model, model.at).subquery()
        keep(figure, sub, func.count())
    sub = timed(AnonymousContact, AnonymousContact.at, AnonymousContact.people.label("n")).subquery()
    keep("anonymous", sub, func.sum(sub.c.n))
    sub = timed(Round, Round.started_at, key=Round.time_band).subquery()
    keep("rounds", sub, func.count())
    given = union_all(
        timed(
            EncounterMaterial,
            EncounterMaterial.at,
            EncounterMaterial.quantity.label("n"),
            key=EncounterMaterial.material_id,
        ),
        timed(
            AnonymousContact,
            AnonymousContact.at,
            AnonymousMaterial.quantity.label("n"),
            key=AnonymousMaterial.material_id,
        ).join(AnonymousMaterial, col(AnonymousMaterial.contact_id) == col(AnonymousContact.id)),
    ).subquery()
    keep("materials", given, func.sum(given.c.n))
    sub = (
        select(Checkin.team_id.label("team_id"), Checkin.day.label("day"), literal("").label("key"))
        .where(Checkin.org_id == org_id, col(Checkin.deleted_at).is_(None), Checkin.day >= lo, Checkin.day <= hi)
        .subquery()
    )
    keep("checkins", sub, func.count())
    presence = IndicatorPresence.__table__  # type: ignore[attr-defined]
    session.execute(delete(presence).where(presence.c.org_id == org_id, presence.c.day >= lo, presence.c.day <= hi))
    rows: dict[tuple, dict] = {}
    for (team, day, band), n in _presence(session, org_id, lo, hi, still_open=False).items():
        rows.setdefault((team, day), {"org_id": org_id, "team_id": team, "day": day} | dict.fromkeys(BANDS, 0))
        rows[(team, day)][f"s{band}"] = n
    if rows:
        session.execute(insert(presence), list(rows.values()))
    teams = (
        select(
            org,
            literal(ALL_TEAMS, table.c.team_id.type),
            table.c.figure,
            table.c.day,
            table.c.key,
            func.sum(table.c.value),
        )
        .where(table.c.org_id == org_id, table.c.team_id != ALL_TEAMS, table.c.day >= lo, table.c.day <= hi)
        .group_by(table.c.figure, table.c.day, table.c.key)
    )
    session.execute(insert(table).from_select(columns, teams))


# ---------------------------------------------------------------- persons' months
def met_or_came(session: Session, org_id: uuid.UUID, lo: date, hi: date, team_ids=(), persons=None):
    """(person_id, team_id, month, met, came) rows for Paris days lo..hi, from the records: live encounters and
    named check-ins (month: year * 12 + month - 1)."""
    since, until = bounds(lo, hi)
    met = select(
        EncounterPerson.person_id.label("person_id"),
        EncounterPerson.team_id.label("team_id"),
        _month_number(session, EncounterPerson.at).label("month"),
        literal(1).label("met"),
        literal(0).label("came"),
    ).where(
        EncounterPerson.org_id == org_id,
        col(EncounterPerson.deleted_at).is_(None),
        EncounterPerson.at >= since,
        EncounterPerson.at < until,
    )
    came = select(
        Checkin.person_id, Checkin.team_id, _month_number(session, Checkin.day, is_date=True), literal(0), literal(1)
    ).where(
        Checkin.org_id == org_id,
        col(Checkin.deleted_at).is_(None),
        col(Checkin.person_id).is_not(None),
        Checkin.day >= lo,
        Checkin.day <= hi,
    )
    if team_ids:
        met = met.where(col(EncounterPerson.team_id).in_(team_ids))
        came = came.where(col(Checkin.team_id).in_(team_ids))
    if persons is not None:
        met = met.where(col(EncounterPerson.person_id).in_(persons))
        came = came.where(col(Checkin.person_id).in_(persons))
    return met, came


def _activity(session: Session, org_id: uuid.UUID, lo: date, hi: date, persons=None):
    """The rows of indicator_person_activity for the whole months lo..hi (first and last day), from the records."""
    both = union_all(*met_or_came(session, org_id, lo, hi, persons=persons)).subquery()
    each = (
        select(
            both.c.person_id,
            both.c.team_id,
            both.c.month,
            func.max(both.c.met).label("met"),
            func.max(both.c.came).label("came"),
        )
        .group_by(both.c.person_id, both.c.team_id, both.c.month)
        .cte("each_month")  # read twice below: once per team, once for all teams
    )
    every = union_all(
        select(each.c.person_id, each.c.team_id, each.c.month, each.c.met, each.c.came),
        select(
            each.c.person_id,
            literal(ALL_TEAMS, IndicatorPersonActivity.__table__.c.team_id.type),  # type: ignore[attr-defined]
            each.c.month,
            func.max(each.c.met),
            func.max(each.c.came),
        ).group_by(each.c.person_id, each.c.month),
    ).subquery()
    bit = literal(1, BigInteger).op("<<")(every.c.month % ERA_MONTHS)
    year = every.c.month // ERA_MONTHS
    return (
        select(
            literal(org_id, IndicatorPersonActivity.__table__.c.org_id.type),  # type: ignore[attr-defined]
            every.c.team_id,
            year,
            every.c.person_id,
            func.sum(case((every.c.met == 1, bit), else_=0)),
            func.sum(case((every.c.came == 1, bit), else_=0)),
        )
        .where(true())
        .group_by(every.c.team_id, year, every.c.person_id)
    )


ACTIVITY_COLUMNS = ["org_id", "team_id", "era", "person_id", "met", "came"]


def replace_persons(session: Session, org_id: uuid.UUID, until: date) -> None:
    """Every person's months up to `until` (a month's last day), recomputed."""
    table = IndicatorPersonActivity.__table__  # type: ignore[attr-defined]
    session.execute(delete(table).where(table.c.org_id == org_id))
    session.execute(insert(table).from_select(ACTIVITY_COLUMNS, _activity(session, org_id, EPOCH, until)))


def add_months(session: Session, org_id: uuid.UUID, lo: date, hi: date, persons=None) -> None:
    """The bits of months lo..hi (first and last day) from the records, added to the rows of every person (or of
    these persons), which do not have them: a new current month, or months `replace_month` has just cleared."""
    table = IndicatorPersonActivity.__table__  # type: ignore[attr-defined]
    dialect = postgresql if _pg(session) else sqlite
    stmt = dialect.insert(table).from_select(ACTIVITY_COLUMNS, _activity(session, org_id, lo, hi, persons))
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["org_id", "team_id", "era", "person_id"],
            set_={"met": table.c.met.op("|")(stmt.excluded.met), "came": table.c.came.op("|")(stmt.excluded.came)},
        )
    )


def replace_month(session: Session, org_id: uuid.UUID, month: date, persons: list[uuid.UUID]) -> None:
    """One month of these persons recomputed: its bit cleared from their rows, then set again from the month's
    records (a person written to today costs the records of this month, not of their whole history)."""
    table = IndicatorPersonActivity.__table__  # type: ignore[attr-defined]
    n = month.year * 12 + month.month - 1
    era, keep = n // ERA_MONTHS, ~(1 << (n % ERA_MONTHS))
    mine = (table.c.org_id == org_id, table.c.era == era, table.c.person_id.in_(persons))
    session.execute(update(table).where(*mine).values(met=table.c.met.op("&")(keep), came=table.c.came.op("&")(keep)))
    add_months(session, org_id, month, month_end(month), persons)
    session.execute(delete(table).where(*mine, table.c.met == 0, table.c.came == 0))


# ---------------------------------------------------------------- keeping them up to date
def _ranges(days: list[date]) -> list[tuple[date, date]]:
    out: list[tuple[date, date]] = []
    for d in sorted(days):
        if out and d <= out[-1][1] + timedelta(days=1):
            out[-1] = (out[-1][0], max(d, out[-1][1]))
        else:
            out.append((d, d))
    return out


def refresh(session: Session, org_id: uuid.UUID) -> date:
    """Bring the organisation's kept figures up to date; returns the last day of the months kept (whole months up
    to it are read from indicator_person_activity)."""
    if _pg(session):  # one refresh at a time per organisation (two would insert the same rows)
        session.execute(select(func.pg_advisory_xact_lock(org_id.int >> 65)))
    until = month_end(today())  # the current month is kept too, from the persons marked at each reading
    state = session.get(IndicatorState, org_id)
    claimed = []
    for model in (IndicatorMark, IndicatorPersonMark):  # the marks committed so far: a later one waits its turn
        t = model.__table__  # type: ignore[attr-defined]
        session.execute(update(t).where(t.c.org_id == org_id, t.c.claimed.is_(False)).values(claimed=True))
        claimed.append(t)
    marks, person_marks = claimed
    if state is None:  # the first time: everything
        recompute_days(session, org_id, EPOCH, END)
        replace_persons(session, org_id, until)
        session.add(IndicatorState(org_id=org_id, months_until=until))
    else:
        days = session.execute(select(marks.c.day).where(marks.c.org_id == org_id, marks.c.claimed).distinct())
        spans = {d + timedelta(days=k) for (d,) in days for k in range(MARK_SPAN)}
        for lo, hi in _ranges(list(spans)):
            recompute_days(session, org_id, lo, hi)
        if until > state.months_until:
            add_months(session, org_id, state.months_until + timedelta(days=1), until)
            state.months_until = until
        marked = (
            select(person_marks.c.person_id, person_marks.c.day)
            .where(person_marks.c.org_id == org_id, person_marks.c.claimed, person_marks.c.day <= until)
            .distinct()
        )
        pairs = session.execute(marked.limit(MANY_PERSONS + 1)).all()
        if len(pairs) > MANY_PERSONS:  # a bulk import or a big merge: every person at once is quicker
            replace_persons(session, org_id, until)
        else:  # each marked month of the persons marked in it (usually this month, for the day's records)
            by_month: dict[date, set] = defaultdict(set)
            for person, day in pairs:
                for paris in (day, day + timedelta(days=1)):  # a UTC date: its Paris day may be the next
                    if paris <= until:
                        by_month[paris.replace(day=1)].add(person)
            for month, persons in sorted(by_month.items()):
                replace_month(session, org_id, month, sorted(persons))
    for t in claimed:
        session.execute(delete(t).where(t.c.org_id == org_id, t.c.claimed))
    session.flush()
    return until


def brought_up_to_date(session: Session, org_id: uuid.UUID) -> date:
    """`refresh` before a reading. On PostgreSQL in a transaction of its own, committed at once: the lock that
    keeps two refreshes of an organisation apart is then held for the refresh only, not for the whole page (two
    coordinators reading at once would otherwise wait for each other), and the reading's own statements see what
    it committed. A session bound to a connection (the tests' rolled-back transaction) refreshes in itself."""
    bind = session.get_bind()
    if not (_pg(session) and isinstance(bind, Engine)):
        return refresh(session, org_id)
    with Session(bind) as own:
        until = refresh(own, org_id)
        own.commit()
    return until


def rebuild(session: Session, org_id: uuid.UUID) -> None:
    """Forget what is kept and recompute it all from the records."""
    for model in (IndicatorDay, IndicatorPresence, IndicatorPersonActivity, IndicatorState):
        t = model.__table__  # type: ignore[attr-defined]
        session.execute(delete(t).where(t.c.org_id == org_id))
    session.expire_all()
    refresh(session, org_id)


def nothing_after(session: Session, org_id: uuid.UUID, day: date, hi: date) -> bool:
    """Whether the organisation has no encounter person and no check-in after Paris day `day` up to `hi`: then a
    month kept up to `hi` holds exactly what it held up to `day` (the current month, read before it is over)."""
    since, until = bounds(day + timedelta(days=1), hi)
    met = select(EncounterPerson.person_id).where(
        EncounterPerson.org_id == org_id, EncounterPerson.at >= since, EncounterPerson.at < until
    )
    came = select(Checkin.id).where(Checkin.org_id == org_id, Checkin.day > day, Checkin.day <= hi)
    return not any(session.execute(q.limit(1)).first() for q in (met, came))


def kept_masks(
    session: Session, org_id: uuid.UUID, start: date, end: date, until: date
) -> tuple[dict[int, int], list[tuple[date, date]]]:
    """For a period: the bits of its whole months kept (up to `until`) per era of indicator_person_activity, and the
    (lo, hi) ranges of days at either end to read from the records instead. The period's last month counts as whole
    when nothing is recorded after the period's end in it (a period ending today, in the current month)."""
    whole = [m for m in months(start, end) if m >= start and month_end(m) <= until]
    if whole and month_end(whole[-1]) > end and not nothing_after(session, org_id, end, month_end(whole[-1])):
        whole.pop()
    if not whole:
        return {}, [(start, end)]
    masks: dict[int, int] = defaultdict(int)
    for m in whole:
        n = m.year * 12 + m.month - 1
        masks[n // ERA_MONTHS] |= 1 << (n % ERA_MONTHS)
    edges = [(start, whole[0] - timedelta(days=1)), (month_end(whole[-1]) + timedelta(days=1), end)]
    return dict(masks), [(lo, hi) for lo, hi in edges if lo <= hi]
