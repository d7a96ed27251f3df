"""A realistic, deterministic data set for benchmarks: `parcours bench-data --persons N --orgs K --years Y --seed S`.

Every organisation gets one group of teams (two patrols, a metro patrol, a rest area, a reception, an accommodation)
per 2,000 persons and a coordination team, users, a catalogue, territories, persons with real spelling variants of
shared first names (search keys through app/persons/names.py), a long-tailed number of encounters per person (a
Pareto draw: a few people met almost daily, most rarely) on their group's rounds, with notes on 30% of them
(encrypted as the app stores them), anonymous contacts, check-ins at the group's rest area and reception, needs,
referrals, stays with exits and observations. Persons' first and last contacts are those of their records.

Rows are written in bulk, as tuples: COPY on PostgreSQL, executemany INSERTs on SQLite, in one transaction per
organisation. On PostgreSQL foreign-key triggers are off during the load (the rows are consistent by construction)
and, from 20,000 persons, the secondary indexes of the loaded tables are dropped and built again at the end: that is
what took the time (25 minutes for 100,000 persons, most of it index maintenance; now a few minutes). The same seed
gives the same rows (ids included), whatever the day it runs, except that times are relative to the day of the run.
Scale `--persons 100000` gives about 2,000,000 encounters and 500,000 check-ins."""

import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate

from sqlalchemy import Engine, func, insert, select, text
from sqlmodel import Session

from app.field.days import time_band, working_day
from app.indicators import rollup
from app.models import (
    AnonymousContact,
    AnonymousMaterial,
    Checkin,
    CheckinServiceUse,
    Encounter,
    EncounterMaterial,
    EncounterPerson,
    EncounterService,
    FieldService,
    Material,
    Need,
    NeedCategory,
    NeedCategoryLink,
    NeedPerson,
    NeedTeam,
    Observation,
    Organisation,
    Person,
    PersonName,
    PersonTeam,
    Referral,
    Round,
    RoundMember,
    Stay,
    Structure,
    Team,
    TeamMembership,
    Territory,
    User,
)
from app.needs.service import NO_DUE_DATE
from app.persons.codes import ALPHABET, LENGTH
from app.persons.names import name_rows

# Per person, over the whole period (at --years 2): what gives 2,000,000 encounters and 500,000 check-ins at
# 100,000 persons. Scaled with the years.
ENCOUNTERS_PER_PERSON_YEAR = 10.0
CHECKINS_PER_PERSON_YEAR = 2.5
NOTE_SHARE = 0.3  # encounters with a note (each sealed with app/crypto.py, as the app stores them)
# An organisation grows by adding teams, not by sending the same two patrols to ten times more people: one group
# of teams (two patrols, a metro patrol, a rest area, a reception, an accommodation) per PERSONS_PER_GROUP
# persons, each person followed by one group. 100,000 persons: 50 groups, 301 teams, each patrol meeting about
# 18 persons a day, as at 1,000 persons.
PERSONS_PER_GROUP = 2_000
BULK_FROM = 20_000  # persons: from here on PostgreSQL loads with its secondary indexes dropped, then rebuilt
BATCH = 50_000  # rows per COPY / executemany
GENERATOR = 2  # in the organisation's name: a data set of an older generator is not reused
BENCH_PASSWORD = "bench-parcours-2026"  # noqa: S105 (a bench account in a bench database)

# Shared first names (people on the street often give only a first name) and their spelling variants: what
# search must tell apart and bring together. Taken from the person search bench and the phonetic rules' cases.
FIRST = [
    "Mohamed", "Mamadou", "Sékou", "Aïcha", "Fatou", "Ibrahim", "Ousmane", "Karim", "Nadia", "Samira", "Yasmina",
    "Djibril", "Moussa", "Amadou", "Aminata", "Jean", "Pierre", "Marie", "Claire", "Loïc", "Christophe", "Julien",
    "Sophie", "Nathalie", "Isabelle", "Kevin", "Thomas", "Nicolas", "Ali", "Omar", "Youssef", "Bilal", "Hakim",
    "Rachid", "Farid", "Leila", "Sonia", "Malik", "Idrissa", "Boubacar", "Seydou", "Mariam", "Awa", "Khadija",
    "Hamza", "Anis", "Walid", "Nabil", "Vasile", "Ion", "Andrei", "Mihai", "Elena", "Piotr", "Tomasz",
]  # fmt: skip
VARIANTS = {
    "Mohamed": ["Mohammed", "Mohamad", "Muhammad", "Mohammad", "Mouhamed"],
    "Sékou": ["Sekou", "Seikou", "Sekkou"],
    "Aïcha": ["Aisha", "Aicha", "Aïssa"],
    "Mamadou": ["Mamadu", "Mammadou"],
    "Youssef": ["Youcef", "Yousef", "Youssouf", "Yusuf"],
    "Ibrahim": ["Ibrahima", "Brahim"],
    "Khadija": ["Kadija", "Khadidja"],
    "Rachid": ["Rashid", "Rachide"],
    "Leila": ["Leïla", "Layla", "Laila"],
    "Moussa": ["Musa", "Mousa"],
}
SYLLABLES = [c + v for c in "bdklmnrst" for v in ("a", "e", "i", "o", "ou")]
NICKNAMES = ["le grand", "la Rouge", "du pont", "Gare du Nord", "petit", "l'ancien", "Stalingrad", "Chapelle"]
GROUP_TEAMS = [
    # name, kind, capacity, noon_to_noon
    ("Maraude Nord", "patrol", None, False),
    ("Maraude Est", "patrol", None, False),
    ("Maraude métro", "metro_patrol", None, True),
    ("Espace de repos", "rest_area", 40, True),
    ("Accueil CAARUD", "reception", None, False),
    ("Hébergement", "accommodation", 300, False),
]
FIELD_KINDS = ("patrol", "metro_patrol")
DESK_KINDS = ("rest_area", "reception")
MATERIALS = ["Seringues", "Kits base", "Préservatifs", "Roule ta paille", "Eau", "Couvertures", "Kits hygiène"]
ENCOUNTER_SERVICES = ["Écoute", "Soin", "Orientation", "Accès aux droits", "Repas"]
CHECKIN_SERVICES = ["Repos", "Douche", "Laverie", "Repas", "Bagagerie"]
NEED_CATEGORIES = ["Hébergement", "Santé", "Papiers", "Domiciliation", "Alimentation"]
NOTES = [
    "Vu au pont, va mieux.",
    "Demande un hébergement pour ce soir.",
    "Pas vu depuis une semaine, à rechercher.",
    "Rendez-vous CMU mardi.",
]
REC = ("org_id", "version", "created_at", "updated_at")  # the first columns of every record row (see _rec)


@dataclass
class Summary:
    orgs: list[uuid.UUID] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    encrypt_ms: float = 0.0  # per ciphertext

    def add(self, table: str, n: int) -> None:
        self.counts[table] = self.counts.get(table, 0) + n


def org_name(i: int, persons: int, orgs: int, years: int, seed: int) -> str:
    """The name carries the parameters and the generator's version: a data set already present with the same
    ones is reused."""
    return f"Bench {i + 1}/{orgs} p{persons} y{years} s{seed} g{GENERATOR}"


def bench_email(org_index: int, role: str, persons: int, seed: int) -> str:
    return f"bench-{role}-{org_index + 1}-p{persons}-s{seed}@bench.invalid"


def existing(session: Session, persons: int, orgs: int, years: int, seed: int) -> list[uuid.UUID] | None:
    names = [org_name(i, persons, orgs, years, seed) for i in range(orgs)]
    rows = session.execute(select(Organisation.id, Organisation.name).where(Organisation.name.in_(names))).all()
    by_name = dict((n, i) for i, n in rows)
    return [by_name[n] for n in names] if len(by_name) == orgs else None


def stale(session: Session) -> list[str]:
    """Names of bench organisations in this database that `existing` would not reuse (older generator or other
    parameters): bench/run.py rebuilds its own databases when it finds one."""
    return list(session.execute(select(Organisation.name).where(Organisation.name.like("Bench %"))).scalars())


class Writer:
    """Bulk rows as tuples in the order of `cols`: COPY on PostgreSQL, executemany elsewhere. Buffers each
    table up to BATCH rows; counts what it wrote."""

    def __init__(self, session: Session, summary: Summary):
        self.session, self.summary = session, summary
        self.pg = session.get_bind().dialect.name == "postgresql"
        self.buffers: dict[type, tuple[tuple[str, ...], list[tuple]]] = {}

    def json(self, value):
        """A JSON column's value as the driver wants it."""
        if not self.pg:
            return value
        from psycopg.types.json import Json

        return Json(value)

    def add(self, model, cols: tuple[str, ...], row: tuple) -> None:
        entry = self.buffers.get(model)
        if entry is None:
            entry = self.buffers[model] = (cols, [])
        buf = entry[1]
        buf.append(row)
        if len(buf) >= BATCH:
            self.flush(model)

    def rows(self, model, cols: tuple[str, ...], rows: list[tuple]) -> None:
        for row in rows:
            self.add(model, cols, row)

    def flush(self, model=None) -> None:
        for m in [model] if model is not None else list(self.buffers):
            cols, rows = self.buffers.get(m, ((), []))
            if rows:
                self._write(m, cols, rows)
                rows.clear()

    def _write(self, model, cols: tuple[str, ...], rows: list[tuple]) -> None:
        self.summary.add(model.__tablename__, len(rows))
        if not self.pg:
            self.session.execute(insert(model), [dict(zip(cols, r, strict=True)) for r in rows])
            return
        names = ", ".join(f'"{c}"' for c in cols)
        raw = self.session.connection().connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {model.__tablename__} ({names}) FROM STDIN") as copy:
            write_row = copy.write_row
            for row in rows:
                write_row(row)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _alias(rng: random.Random) -> str:
    first = rng.choice(FIRST)
    if first in VARIANTS and rng.random() < 0.4:
        first = rng.choice(VARIANTS[first])
    roll = rng.random()
    if roll < 0.35:
        return first
    if roll < 0.5:
        return f"{first} {rng.choice(NICKNAMES)}"
    return f"{first} {''.join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()}"


def _rec(org_id: uuid.UUID, created: datetime) -> tuple:
    """The REC columns of a record created at `created`."""
    return (org_id, 1, created, created)


def generate(
    session: Session,
    persons: int,
    orgs: int = 1,
    years: int = 2,
    seed: int = 1,
    progress: Callable[[str], None] = lambda _msg: None,
    password_hash: str | None = None,
) -> Summary:
    """Write the data set (or find it already there) and return what was written: one transaction per
    organisation (committed at its end), so an interrupted run leaves nothing behind."""
    summary = Summary()
    found = existing(session, persons, orgs, years, seed)
    if found is not None:
        summary.orgs = found
        progress("data set already present: reused")
        return summary
    started = time.perf_counter()
    if password_hash is None:
        from app.auth.service import hash_password

        password_hash = hash_password(BENCH_PASSWORD)
    base = [persons // orgs + (1 if i < persons % orgs else 0) for i in range(orgs)]
    for i in range(orgs):
        with _bulk_load(session, base[i], progress):
            summary.orgs.append(
                _org(session, Writer(session, summary), i, base[i], persons, orgs, years, seed, password_hash, summary,
                     progress)
            )  # fmt: skip
        session.commit()
        # What a deployment does once after the upgrade (parcours indicators rebuild): the kept figures, built from
        # every record, so that the first reading of the indicators does not build them.
        progress(f"org {i + 1}/{orgs}: indicators kept")
        rollup.refresh(session, summary.orgs[-1])
        session.commit()
    bind = session.get_bind()
    if bind.dialect.name == "postgresql" and isinstance(bind, Engine):
        # What autovacuum would do in the background later (it is off on some machines, and would then run during
        # a benchmark): the visibility map set for index-only scans, hint bits written, statistics gathered. The
        # data set is then read as a deployment's is, not as one just loaded.
        progress("vacuum and analyse")
        with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
    else:
        progress("analyse")
        session.execute(text("ANALYZE"))
        session.commit()
    summary.seconds = time.perf_counter() - started
    progress(f"done in {summary.seconds:.0f} s")
    return summary


# Tables the big loads write to: on PostgreSQL, from BULK_FROM persons, their secondary indexes are dropped for
# the load and built again at its end (one sort per index instead of millions of random insertions).
BULK_TABLES = (
    "persons", "person_names", "person_teams", "rounds", "round_members", "anonymous_contacts",
    "anonymous_materials", "observations", "encounters", "encounter_persons", "encounter_materials",
    "encounter_services", "checkins", "checkin_service_uses", "needs", "need_persons", "need_category_links",
    "need_teams", "referrals", "stays",
)  # fmt: skip


@contextmanager
def _bulk_load(session: Session, persons: int, progress: Callable[[str], None]) -> Iterator[None]:
    """Inside the organisation's one transaction: foreign keys checked at commit (SQLite) or their triggers off
    (PostgreSQL, `session_replication_role = replica`: the generator writes consistent rows, persons last, once
    their first and last contacts are known), and for a large set the secondary indexes rebuilt at the end.
    DDL is transactional on PostgreSQL: an interrupted load leaves the indexes as they were."""
    if session.get_bind().dialect.name != "postgresql":
        session.execute(text("PRAGMA defer_foreign_keys = ON"))
        yield
        return
    superuser = session.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
    if not superuser:
        raise RuntimeError(
            "parcours bench-data on PostgreSQL needs a superuser (it loads with foreign-key triggers off)"
        )
    session.execute(text("SET LOCAL session_replication_role = replica"))
    indexes: list[tuple[str, str]] = []
    if persons >= BULK_FROM:
        session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        indexes = [
            (name, definition)
            for name, definition in session.execute(
                text(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
                    "AND i.tablename = ANY(:tables) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                    "WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)"
                ),
                {"tables": list(BULK_TABLES)},
            )
        ]
        for name, _definition in indexes:
            session.execute(text(f'DROP INDEX "{name}"'))
    yield
    if indexes:
        t0 = time.perf_counter()
        for k, (_name, definition) in enumerate(indexes):
            session.execute(text(definition))
            if k % 10 == 9:
                progress(f"  {k + 1}/{len(indexes)} indexes built")
        progress(f"  {len(indexes)} indexes built in {time.perf_counter() - t0:.0f} s")
    session.execute(text("SET LOCAL session_replication_role = origin"))


@dataclass
class _Group:
    """One group of teams and the persons it follows."""

    field: list[Team]
    desk: list[Team]
    accommodation: Team
    staff: list[uuid.UUID]
    pids: list[uuid.UUID] = field(default_factory=list)
    cum: list[float] = field(default_factory=list)  # cumulative Pareto weights of pids


def _org(session, write, index, n, persons, orgs, years, seed, password_hash, summary, progress) -> uuid.UUID:
    from app.access import MFA_REQUIRED_ROLES
    from app.crypto import encrypt_system, sealer

    rng = random.Random(f"{seed}:{index}")
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    days = 365 * years
    start = today - timedelta(days=days)
    org = Organisation(id=_uuid(rng), name=org_name(index, persons, orgs, years, seed))
    session.add(org)
    session.flush()
    oid = org.id
    seal = sealer(session, oid)
    n_groups = max(1, round(n / PERSONS_PER_GROUP))
    teams: list[Team] = []
    for g in range(n_groups):
        suffix = f" {g + 1}" if n_groups > 1 else ""
        teams += [
            Team(id=_uuid(rng), org_id=oid, name=name + suffix, kind=kind, capacity=cap, noon_to_noon=noon)
            for name, kind, cap, noon in GROUP_TEAMS
        ]
    coordination = Team(id=_uuid(rng), org_id=oid, name="Coordination", kind="coordination")
    session.add_all([*teams, coordination])
    session.flush()
    per = len(GROUP_TEAMS)
    group_teams = [teams[g * per : (g + 1) * per] for g in range(n_groups)]

    # Users: the bench accounts (known password; the coordinator with a known TOTP secret) in the first group
    # (the coordinator in the coordination team: caseloads and indicators are the organisation's), and a staff
    # of six per group.
    users: list[User] = []
    member: list[tuple] = []
    bench_teams = {
        "worker": [t for t in group_teams[0] if t.kind in FIELD_KINDS],
        "reception": [t for t in group_teams[0] if t.kind in DESK_KINDS],
        "coordinator": [coordination],
    }
    for role, its_teams in bench_teams.items():
        u = User(id=_uuid(rng), org_id=oid, email=bench_email(index, role, persons, seed), name=f"Bench {role}",
                 role=role, password_hash=password_hash)  # fmt: skip
        if role in MFA_REQUIRED_ROLES:
            u.totp_secret = encrypt_system(BENCH_TOTP_SECRET, f"users.totp_secret:{u.id}")
            u.totp_enabled_at = datetime.now(UTC)
        users.append(u)
        member += [(u.id, t.id, oid) for t in its_teams]
    groups: list[_Group] = []
    for g, its_teams in enumerate(group_teams):
        staff = []
        for k, team in enumerate(its_teams):
            u = User(id=_uuid(rng), org_id=oid, email=f"staff{g}-{k}-{oid.hex[:8]}@bench.invalid",
                     name=f"Staff {g + 1}.{k + 1}", role="reception" if team.kind == "reception" else "worker",
                     password_hash=password_hash)  # fmt: skip
            users.append(u)
            staff.append(u.id)
            member.append((u.id, team.id, oid))
        groups.append(
            _Group(
                field=[t for t in its_teams if t.kind in FIELD_KINDS],
                desk=[t for t in its_teams if t.kind in DESK_KINDS],
                accommodation=next(t for t in its_teams if t.kind == "accommodation"),
                staff=staff,
            )
        )
    session.add_all(users)
    session.flush()
    write.rows(TeamMembership, ("user_id", "team_id", "org_id"), member)

    cols = (*REC, "id", "name", "kinds")
    territories = [(*_rec(oid, start), _uuid(rng), f"Secteur {k + 1}", write.json(["street"])) for k in range(12)]
    write.rows(Territory, cols, territories)
    materials = [(*_rec(oid, start), _uuid(rng), label, k) for k, label in enumerate(MATERIALS)]
    write.rows(Material, (*REC, "id", "label", "position"), materials)
    services_e = [(*_rec(oid, start), _uuid(rng), "encounter", lb, k) for k, lb in enumerate(ENCOUNTER_SERVICES)]
    services_c = [(*_rec(oid, start), _uuid(rng), "checkin", lb, k) for k, lb in enumerate(CHECKIN_SERVICES)]
    write.rows(FieldService, (*REC, "id", "scope", "label", "position"), services_e + services_c)
    categories = [(*_rec(oid, start), _uuid(rng), label, k) for k, label in enumerate(NEED_CATEGORIES)]
    write.rows(NeedCategory, (*REC, "id", "label", "position"), categories)
    structures = [
        (*_rec(oid, start), _uuid(rng), f"Structure {k + 1}", ("shelter", "health", "admin")[k % 3]) for k in range(20)
    ]
    write.rows(Structure, (*REC, "id", "name", "kind"), structures)
    tids = [t[4] for t in territories]
    mids = [m[4] for m in materials]
    seids = [s[4] for s in services_e]
    scids = [s[4] for s in services_c]

    # Persons: drawn now, written last (once their first and last contacts are known). Each person is followed
    # by one group; a long tail of contacts: each person's weight is a Pareto draw, capped so that nobody is
    # met more than about daily.
    progress(f"org {index + 1}/{orgs}: {n} persons in {n_groups} group(s) of teams")
    drafts: list[list] = []  # [pid, alias, others, code, created, alert, active, birth_year, group]
    used: set[str] = set()
    for k in range(n):
        code = "".join(rng.choice(ALPHABET) for _ in range(LENGTH))
        while code in used:
            code = "".join(rng.choice(ALPHABET) for _ in range(LENGTH))
        used.add(code)
        pid, alias = _uuid(rng), _alias(rng)
        others = [_alias(rng)] if rng.random() < 0.2 else []
        created = start + timedelta(minutes=rng.randrange(days * 1440))
        g = k * n_groups // n
        drafts.append([pid, alias, others, code, created, rng.random() < 0.03, rng.random() < 0.85,
                       rng.randint(1950, 2006), g])  # fmt: skip
        groups[g].pids.append(pid)
    for grp in groups:
        grp.cum = list(accumulate(min(rng.paretovariate(1.2), 400.0) for _ in grp.pids))
    first: dict[uuid.UUID, datetime] = {}
    last: dict[uuid.UUID, tuple[datetime, uuid.UUID]] = {}

    def contact(pid: uuid.UUID, at: datetime, by: uuid.UUID) -> None:
        if pid not in first or at < first[pid]:
            first[pid] = at
        if pid not in last or at > last[pid][0]:
            last[pid] = (at, by)

    # Rounds: each field team goes out every day (the metro team at night), one anonymous contact per round; the
    # encounters of a group's persons happen on its rounds.
    target = int(n * ENCOUNTERS_PER_PERSON_YEAR * years)
    progress(f"org {index + 1}/{orgs}: {target} encounters over {days} days")
    round_cols = (*REC, "id", "team_id", "kind", "territory_id", "started_at", "ended_at", "time_band", "started_by",
                  "ended_by")  # fmt: skip
    anon_cols = (*REC, "id", "team_id", "round_id", "at", "people", "author_id")
    obs_cols = (*REC, "id", "team_id", "territory_id", "at", "women", "men", "others", "atmosphere", "police",
                "custom", "author_id")  # fmt: skip
    enc_cols = (*REC, "id", "team_id", "round_id", "at", "territory_id", "note", "author_id")
    ep_cols = ("encounter_id", "person_id", "org_id", "new", "team_id", "at")  # team and time: copies (0009)
    em_cols = ("encounter_id", "material_id", "org_id", "quantity", "team_id", "at")
    es_cols = ("encounter_id", "service_id", "org_id")
    empty_custom = write.json({})
    per_day = target / days / n_groups
    enc_count, sealed, seal_s = 0, 0, 0.0
    random_ = rng.random
    for d in range(days):
        day0 = start + timedelta(days=d)
        for grp in groups:
            staff = grp.staff
            rounds_today = []
            for t in grp.field:
                hour = 20.5 if t.noon_to_noon else rng.choice((9.0, 14.0, 19.0))
                r_start = day0 + timedelta(hours=hour - 1)  # UTC, about Paris time minus one hour
                rid = _uuid(rng)
                write.add(Round, round_cols, (*_rec(oid, r_start), rid, t.id, "metro" if t.noon_to_noon else "foot",
                          rng.choice(tids), r_start, r_start + timedelta(hours=3), time_band(r_start),
                          rng.choice(staff), rng.choice(staff)))  # fmt: skip
                write.add(RoundMember, ("round_id", "user_id", "org_id"), (rid, staff[d % len(staff)], oid))
                aid = _uuid(rng)
                write.add(AnonymousContact, anon_cols, (*_rec(oid, r_start), aid, t.id, rid,
                          r_start + timedelta(hours=1), rng.randint(1, 8), rng.choice(staff)))  # fmt: skip
                write.add(AnonymousMaterial, ("contact_id", "material_id", "org_id", "quantity"),
                          (aid, rng.choice(mids), oid, rng.randint(1, 5)))  # fmt: skip
                rounds_today.append((t.id, rid, r_start))
                if d % 3 == 0:
                    write.add(Observation, obs_cols, (*_rec(oid, r_start), _uuid(rng), t.id, rng.choice(tids),
                              r_start + timedelta(hours=2), rng.randint(0, 5), rng.randint(0, 20), rng.randint(0, 3),
                              rng.choice(("calm", "calm", "tense")), rng.choice(("none", "none", "passing")),
                              empty_custom, rng.choice(staff)))  # fmt: skip
            count = int(per_day) + (1 if random_() < per_day - int(per_day) else 0)
            pids = grp.pids
            for pid in rng.choices(pids, cum_weights=grp.cum, k=count):
                team_id, rid, r_start = rounds_today[rng.randrange(len(rounds_today))]
                at = r_start + timedelta(minutes=rng.randrange(180))
                eid = _uuid(rng)
                author = rng.choice(staff)
                note = None
                if random_() < NOTE_SHARE:
                    t0 = time.perf_counter()
                    note = seal(rng.choice(NOTES), f"encounters.note:{eid}")
                    seal_s += time.perf_counter() - t0
                    sealed += 1
                write.add(Encounter, enc_cols, (*_rec(oid, at), eid, team_id, rid, at, rng.choice(tids), note, author))
                write.add(EncounterPerson, ep_cols, (eid, pid, oid, False, team_id, at))
                contact(pid, at, author)
                if random_() < 0.08:  # met together
                    other = pids[rng.randrange(len(pids))]
                    if other != pid:
                        write.add(EncounterPerson, ep_cols, (eid, other, oid, False, team_id, at))
                        contact(other, at, author)
                if random_() < 0.6:
                    for mid in rng.sample(mids, rng.randint(1, 2)):
                        write.add(EncounterMaterial, em_cols, (eid, mid, oid, rng.randint(1, 10), team_id, at))
                if random_() < 0.4:
                    write.add(EncounterService, es_cols, (eid, rng.choice(seids), oid))
            enc_count += count
        if d % 60 == 59 or d == days - 1:
            progress(f"  {enc_count} encounters ({d + 1}/{days} days)")
    if sealed:
        summary.encrypt_ms = seal_s * 1000 / sealed

    # Check-ins at each group's rest area and reception, mostly of the same regulars; a few anonymous.
    target_c = int(n * CHECKINS_PER_PERSON_YEAR * years)
    progress(f"org {index + 1}/{orgs}: {target_c} check-ins")
    per_day_c = target_c / days / n_groups
    c_cols = (*REC, "id", "team_id", "person_id", "day", "arrived_at", "left_at", "author_id")
    for d in range(days):
        day0 = start + timedelta(days=d)
        for grp in groups:
            count = int(per_day_c) + (1 if random_() < per_day_c - int(per_day_c) else 0)
            for pid in rng.choices(grp.pids, cum_weights=grp.cum, k=count):
                team = grp.desk[rng.randrange(len(grp.desk))]
                arrived = day0 + timedelta(hours=rng.uniform(8, 22))
                cid = _uuid(rng)
                author = rng.choice(grp.staff)
                person = pid if random_() < 0.93 else None
                write.add(Checkin, c_cols, (*_rec(oid, arrived), cid, team.id, person, working_day(team, arrived),
                          arrived, arrived + timedelta(minutes=rng.randint(20, 600)), author))  # fmt: skip
                if person is not None:
                    contact(person, arrived, author)
                if random_() < 0.6:
                    write.add(CheckinServiceUse, ("checkin_id", "service_id", "org_id"), (cid, rng.choice(scids), oid))

    # Pathway: needs (most done), referrals to the directory, stays in the group's accommodation (most exited).
    progress(f"org {index + 1}/{orgs}: needs, referrals, stays")
    sids = [s[4] for s in structures]
    cids = [c[4] for c in categories]
    need_cols = (*REC, "id", "status", "urgent", "due_on", "completed_at", "created_by")
    ref_cols = (*REC, "id", "person_id", "structure_id", "need_id", "team_id", "created_by", "shared",
                "consent_given", "consent_at", "status", "status_at")  # fmt: skip
    stay_cols = (*REC, "id", "person_id", "team_id", "entered_on", "exited_on", "exit_to", "exit_kind", "created_by")
    no_share = write.json([])
    for pid, *_rest, g in drafts:
        grp = groups[g]
        roll = random_()
        if roll < 0.3:
            at = start + timedelta(minutes=rng.randrange(days * 1440))
            status = rng.choice(("done", "done", "done", "todo", "in_progress", "cancelled"))
            need_id = _uuid(rng)
            due = (at + timedelta(days=rng.randint(1, 30))).date() if random_() < 0.5 else None
            urgent, closed = random_() < 0.1, at + timedelta(days=3) if status in ("done", "cancelled") else None
            write.add(Need, need_cols, (*_rec(oid, at), need_id, status, urgent, due, closed,
                      rng.choice(grp.staff)))  # fmt: skip
            # The need's persons and team, with their copies of the need, as app/needs/service.py (_sync_copies)
            # keeps them.
            write.add(NeedPerson, ("need_id", "person_id", "org_id", "open", "due_on"),
                      (need_id, pid, oid, status in ("todo", "in_progress"), due))  # fmt: skip
            write.add(NeedCategoryLink, ("need_id", "category_id", "org_id"), (need_id, rng.choice(cids), oid))
            write.add(NeedTeam, ("need_id", "team_id", "org_id", "open", "urgent", "due_on", "closed_at"),
                      (need_id, rng.choice(grp.field).id, oid, status in ("todo", "in_progress"), urgent,
                       due or NO_DUE_DATE, closed))  # fmt: skip
            if random_() < 0.4:
                ref_status = rng.choice(("proposed", "accepted", "refused", "closed"))
                write.add(Referral, ref_cols, (*_rec(oid, at), _uuid(rng), pid, rng.choice(sids), need_id,
                          rng.choice(grp.field).id, rng.choice(grp.staff), no_share, True, at, ref_status,
                          at))  # fmt: skip
        if roll > 0.95:
            entered = (start + timedelta(days=rng.randrange(days))).date()
            exited = entered + timedelta(days=rng.randint(3, 200)) if random_() < 0.8 else None
            if exited and exited >= today.date():
                exited = None
            write.add(Stay, stay_cols, (*_rec(oid, start), _uuid(rng), pid, grp.accommodation.id, entered, exited,
                      rng.choice(("housing", "street", "other")) if exited else None,
                      rng.choice(("positive", "negative")) if exited else None, rng.choice(grp.staff)))  # fmt: skip

    # The persons, with their first contact (created then, unless drawn earlier) and their last contact as the
    # app maintains it; the search keys from name_rows; the group's patrol as their team.
    progress(f"org {index + 1}/{orgs}: persons")
    p_cols = (*REC, "id", "alias", "other_aliases", "code", "languages", "custom", "alert", "active",
              "last_contact_at", "last_contact_by", "first_met_on", "birth_year")  # fmt: skip
    no_languages = write.json([])
    for pid, alias, others, code, created, alert, active, birth_year, g in drafts:
        created = min(created, first.get(pid, created))
        last_at, last_by = last.get(pid, (created, None))
        write.add(Person, p_cols, (*_rec(oid, created), pid, alias, write.json(others), code, no_languages,
                  empty_custom, alert, active, last_at, last_by, created.date(), birth_year))  # fmt: skip
        for norm, key, primary in name_rows([(alias, True)] + [(o, False) for o in others]):
            write.add(PersonName, ("org_id", "person_id", "norm", "key", "primary"), (oid, pid, norm, key, primary))
        write.add(PersonTeam, ("person_id", "team_id", "org_id"), (pid, rng.choice(groups[g].field).id, oid))
    write.flush()
    return oid


BENCH_TOTP_SECRET = "PARCOURSBENCHKEYFORTOTP2"  # noqa: S105 (a bench account in a bench database)


def counts(session: Session, org_ids: list[uuid.UUID]) -> dict[str, int]:
    """Rows of the main tables in these organisations (what determinism is checked on)."""
    out = {}
    for model in (Person, PersonName, Encounter, EncounterPerson, Checkin, Round, Need, Referral, Stay, Observation):
        col = model.org_id
        out[model.__tablename__] = session.execute(
            select(func.count()).select_from(model).where(col.in_(org_ids))
        ).scalar_one()
    return out


def today_utc() -> date:
    return datetime.now(UTC).date()
