"""A realistic, deterministic data set for benchmarks: `parcours bench-data --persons N --orgs K --years Y --seed S`.

Every organisation gets a team of every kind, users, a catalogue, territories, persons with real spelling variants
of shared first names (search keys through app/persons/names.py), a long-tailed number of encounters per person
(a Pareto draw: a few people met almost daily, most rarely), rounds with their time bands, anonymous contacts,
check-ins at the rest area and the reception, needs, referrals, stays with exits and observations.

Rows are written in bulk: COPY on PostgreSQL, executemany INSERTs on SQLite. The same seed gives the same rows
(ids included), whatever the day it runs, except that times are relative to the day of the run. Encrypted columns
are NULL except a small fixed share of encounter notes (each note needs its own ciphertext, its context binds the
record id: `encrypt_cost` in the summary says what one costs). Scale `--persons 100000` gives about 2,000,000
encounters and 500,000 check-ins."""

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate

from sqlalchemy import func, insert, select, text
from sqlmodel import Session

from app.field.days import time_band, working_day
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
BATCH = 20_000
BENCH_PASSWORD = "bench-parcours-2026"  # noqa: S105 (a bench account in a bench database)
ENCRYPTED_NOTES = 200  # per organisation: what a ciphertext costs, measured, without slowing the whole build

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
TEAMS = [
    # name, kind, capacity, noon_to_noon
    ("Maraude Nord", "patrol", None, False),
    ("Maraude Est", "patrol", None, False),
    ("Maraude métro", "metro_patrol", None, True),
    ("Espace de repos", "rest_area", 40, True),
    ("Accueil CAARUD", "reception", None, False),
    ("Hébergement", "accommodation", 300, False),
    ("Coordination", "coordination", None, False),
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


@dataclass
class Summary:
    orgs: list[uuid.UUID] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    encrypt_ms: float = 0.0  # per ciphertext

    def add(self, table: str, n: int) -> None:
        self.counts[table] = self.counts.get(table, 0) + n


def org_name(i: int, persons: int, orgs: int, years: int, seed: int) -> str:
    """The name carries the parameters: a data set already present with the same ones is reused."""
    return f"Bench {i + 1}/{orgs} p{persons} y{years} s{seed}"


def bench_email(org_index: int, role: str, persons: int, seed: int) -> str:
    return f"bench-{role}-{org_index + 1}-p{persons}-s{seed}@bench.invalid"


def existing(session: Session, persons: int, orgs: int, years: int, seed: int) -> list[uuid.UUID] | None:
    names = [org_name(i, persons, orgs, years, seed) for i in range(orgs)]
    rows = session.execute(select(Organisation.id, Organisation.name).where(Organisation.name.in_(names))).all()
    by_name = dict((n, i) for i, n in rows)
    return [by_name[n] for n in names] if len(by_name) == orgs else None


class Writer:
    """Bulk rows: COPY on PostgreSQL, executemany elsewhere; counts what it wrote."""

    def __init__(self, session: Session, summary: Summary):
        self.session, self.summary = session, summary
        self.pg = session.get_bind().dialect.name == "postgresql"

    def __call__(self, model, rows: list[dict]) -> None:
        if not rows:
            return
        self.summary.add(model.__tablename__, len(rows))
        if not self.pg:
            self.session.execute(insert(model), rows)
            return
        from psycopg.types.json import Json

        cols = list(rows[0])
        names = ", ".join(f'"{c}"' for c in cols)
        raw = self.session.connection().connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {model.__tablename__} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([Json(v) if isinstance(v, dict | list) else v for v in (row[c] for c in cols)])


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


def _rec(org_id: uuid.UUID, created: datetime, **kw) -> dict:
    return dict(org_id=org_id, version=1, created_at=created, updated_at=created, **kw)


def generate(
    session: Session,
    persons: int,
    orgs: int = 1,
    years: int = 2,
    seed: int = 1,
    progress: Callable[[str], None] = lambda _msg: None,
    password_hash: str | None = None,
) -> Summary:
    """Write the data set (or find it already there) and return what was written. Commits as it goes."""
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
    write = Writer(session, summary)
    base = [persons // orgs + (1 if i < persons % orgs else 0) for i in range(orgs)]
    for i in range(orgs):
        summary.orgs.append(
            _org(session, write, i, base[i], persons, orgs, years, seed, password_hash, summary, progress)
        )
    session.execute(text("ANALYZE"))
    session.commit()
    summary.seconds = time.perf_counter() - started
    return summary


def _org(session, write, index, n, persons, orgs, years, seed, password_hash, summary, progress) -> uuid.UUID:
    from app.access import MFA_REQUIRED_ROLES
    from app.crypto import encrypt, encrypt_system

    rng = random.Random(f"{seed}:{index}")
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    days = 365 * years
    start = today - timedelta(days=days)
    org = Organisation(id=_uuid(rng), name=org_name(index, persons, orgs, years, seed))
    session.add(org)
    session.flush()
    oid = org.id
    teams = [
        Team(id=_uuid(rng), org_id=oid, name=name, kind=kind, capacity=cap, noon_to_noon=noon)
        for name, kind, cap, noon in TEAMS
    ]
    session.add_all(teams)
    session.flush()
    field_teams = [t for t in teams if t.kind in FIELD_KINDS]
    desk_teams = [t for t in teams if t.kind in DESK_KINDS]
    accommodation = next(t for t in teams if t.kind == "accommodation")

    # Users: the bench accounts (known password; the coordinator with a known TOTP secret) and a staff.
    users: list[User] = []
    member: list[dict] = []
    bench_roles = {"worker": FIELD_KINDS, "reception": DESK_KINDS, "coordinator": tuple(k for _, k, _, _ in TEAMS)}
    for role, kinds in bench_roles.items():
        u = User(id=_uuid(rng), org_id=oid, email=bench_email(index, role, persons, seed), name=f"Bench {role}",
                 role=role, password_hash=password_hash)  # fmt: skip
        if role in MFA_REQUIRED_ROLES:
            u.totp_secret = encrypt_system(BENCH_TOTP_SECRET, f"users.totp_secret:{u.id}")
            u.totp_enabled_at = datetime.now(UTC)
        users.append(u)
        member += [dict(user_id=u.id, team_id=t.id, org_id=oid) for t in teams if t.kind in kinds]
    for k in range(12):
        team = teams[k % len(teams)]
        u = User(id=_uuid(rng), org_id=oid, email=f"staff{k}-{oid.hex[:8]}@bench.invalid", name=f"Staff {k}",
                 role="worker" if team.kind != "reception" else "reception", password_hash=password_hash)  # fmt: skip
        users.append(u)
        member.append(dict(user_id=u.id, team_id=team.id, org_id=oid))
    session.add_all(users)
    session.flush()
    write(TeamMembership, member)
    staff = [u.id for u in users]

    territories = [_rec(oid, start, id=_uuid(rng), name=f"Secteur {k + 1}", kinds=["street"]) for k in range(12)]
    materials = [_rec(oid, start, id=_uuid(rng), label=label, position=k) for k, label in enumerate(MATERIALS)]
    services_e = [
        _rec(oid, start, id=_uuid(rng), scope="encounter", label=label, position=k)
        for k, label in enumerate(ENCOUNTER_SERVICES)
    ]
    services_c = [
        _rec(oid, start, id=_uuid(rng), scope="checkin", label=label, position=k)
        for k, label in enumerate(CHECKIN_SERVICES)
    ]
    categories = [_rec(oid, start, id=_uuid(rng), label=label, position=k) for k, label in enumerate(NEED_CATEGORIES)]
    structures = [
        _rec(oid, start, id=_uuid(rng), name=f"Structure {k + 1}", kind=("shelter", "health", "admin")[k % 3])
        for k in range(20)
    ]
    write(Territory, territories)
    write(Material, materials)
    write(FieldService, services_e + services_c)
    write(NeedCategory, categories)
    write(Structure, structures)
    session.commit()
    tids = [t["id"] for t in territories]
    mids = [m["id"] for m in materials]
    seids = [s["id"] for s in services_e]
    scids = [s["id"] for s in services_c]

    # Persons: aliases with variants, 20% with a second alias; the search keys from name_rows.
    progress(f"org {index + 1}/{orgs}: {n} persons")
    pids: list[uuid.UUID] = []
    used: set[str] = set()
    pbatch, nbatch, tbatch = [], [], []
    for k in range(n):
        code = "".join(rng.choice(ALPHABET) for _ in range(LENGTH))
        while code in used:
            code = "".join(rng.choice(ALPHABET) for _ in range(LENGTH))
        used.add(code)
        pid, alias = _uuid(rng), _alias(rng)
        others = [_alias(rng)] if rng.random() < 0.2 else []
        created = start + timedelta(minutes=rng.randrange(days * 1440))
        pids.append(pid)
        pbatch.append(_rec(oid, created, id=pid, alias=alias, other_aliases=others, code=code, languages=[], custom={},
                           alert=rng.random() < 0.03, active=rng.random() < 0.85, last_contact_at=created,
                           first_met_on=created.date(), birth_year=rng.randint(1950, 2006)))  # fmt: skip
        for norm, key, primary in name_rows([(alias, True)] + [(o, False) for o in others]):
            nbatch.append(dict(org_id=oid, person_id=pid, norm=norm, key=key, primary=primary))
        tbatch.append(dict(person_id=pid, team_id=teams[rng.randrange(len(teams) - 1)].id, org_id=oid))
        if len(pbatch) >= BATCH or k == n - 1:
            write(Person, pbatch)
            write(PersonName, nbatch)
            write(PersonTeam, tbatch)
            session.commit()
            pbatch, nbatch, tbatch = [], [], []

    # Long tail: each person's weight is a Pareto draw, capped so that nobody is met more than about daily.
    target = int(n * ENCOUNTERS_PER_PERSON_YEAR * years)
    weights = [min(rng.paretovariate(1.2), 400.0) for _ in range(n)]
    cum = list(accumulate(weights))
    per_day = target / days

    # Rounds: each field team goes out every day (the metro team at night), one anonymous contact per round.
    progress(f"org {index + 1}/{orgs}: {target} encounters over {days} days")
    ebatch, epbatch, embatch, esbatch, rbatch, rmbatch, abatch, ambatch, obatch = ([] for _ in range(9))
    enc_count = 0
    notes_left, encrypt_s = ENCRYPTED_NOTES, 0.0
    for d in range(days):
        day0 = start + timedelta(days=d)
        rounds_today = []
        for t in field_teams:
            hour = 20.5 if t.noon_to_noon else rng.choice((9.0, 14.0, 19.0))
            r_start = day0 + timedelta(hours=hour - 1)  # UTC, about Paris time minus one hour
            rid = _uuid(rng)
            rbatch.append(_rec(oid, r_start, id=rid, team_id=t.id, kind="metro" if t.noon_to_noon else "foot",
                               territory_id=rng.choice(tids), started_at=r_start,
                               ended_at=r_start + timedelta(hours=3), time_band=time_band(r_start),
                               started_by=rng.choice(staff), ended_by=rng.choice(staff)))  # fmt: skip
            rmbatch.append(dict(round_id=rid, user_id=staff[d % len(staff)], org_id=oid))
            aid = _uuid(rng)
            abatch.append(_rec(oid, r_start, id=aid, team_id=t.id, round_id=rid, at=r_start + timedelta(hours=1),
                               people=rng.randint(1, 8), author_id=rng.choice(staff)))  # fmt: skip
            ambatch.append(dict(contact_id=aid, material_id=rng.choice(mids), org_id=oid, quantity=rng.randint(1, 5)))
            rounds_today.append((t.id, rid, r_start))
            if d % 3 == 0:
                obatch.append(_rec(oid, r_start, id=_uuid(rng), team_id=t.id, territory_id=rng.choice(tids),
                                   at=r_start + timedelta(hours=2), women=rng.randint(0, 5), men=rng.randint(0, 20),
                                   others=rng.randint(0, 3), atmosphere=rng.choice(("calm", "calm", "tense")),
                                   police=rng.choice(("none", "none", "passing")), custom={},
                                   author_id=rng.choice(staff)))  # fmt: skip
        count = int(per_day) + (1 if rng.random() < per_day - int(per_day) else 0)
        chosen = rng.choices(pids, cum_weights=cum, k=count)
        for pid in chosen:
            team_id, rid, r_start = rounds_today[rng.randrange(len(rounds_today))]
            at = r_start + timedelta(minutes=rng.randrange(180))
            eid = _uuid(rng)
            note = None
            if notes_left:
                notes_left -= 1
                t0 = time.perf_counter()
                note = encrypt(session, oid, rng.choice(NOTES), f"encounters.note:{eid}")
                encrypt_s += time.perf_counter() - t0
            ebatch.append(_rec(oid, at, id=eid, team_id=team_id, round_id=rid, at=at, territory_id=rng.choice(tids),
                               note=note, author_id=rng.choice(staff)))  # fmt: skip
            epbatch.append(dict(encounter_id=eid, person_id=pid, org_id=oid, new=False, team_id=team_id, at=at))
            if rng.random() < 0.08:  # met together
                other = pids[rng.randrange(n)]
                if other != pid:
                    epbatch.append(
                        dict(encounter_id=eid, person_id=other, org_id=oid, new=False, team_id=team_id, at=at)
                    )
            if rng.random() < 0.6:
                for mid in rng.sample(mids, rng.randint(1, 2)):
                    embatch.append(
                        dict(
                            encounter_id=eid,
                            material_id=mid,
                            org_id=oid,
                            quantity=rng.randint(1, 10),
                            team_id=team_id,
                            at=at,
                        )
                    )
            if rng.random() < 0.4:
                esbatch.append(dict(encounter_id=eid, service_id=rng.choice(seids), org_id=oid))
        enc_count += count
        if len(ebatch) >= BATCH or d == days - 1:
            write(Round, rbatch)
            write(RoundMember, rmbatch)
            write(AnonymousContact, abatch)
            write(AnonymousMaterial, ambatch)
            write(Observation, obatch)
            write(Encounter, ebatch)
            write(EncounterPerson, epbatch)
            write(EncounterMaterial, embatch)
            write(EncounterService, esbatch)
            session.commit()
            for b in (ebatch, epbatch, embatch, esbatch, rbatch, rmbatch, abatch, ambatch, obatch):
                b.clear()
            progress(f"  {enc_count} encounters")
    if ENCRYPTED_NOTES - notes_left:
        summary.encrypt_ms = encrypt_s * 1000 / (ENCRYPTED_NOTES - notes_left)

    # Check-ins at the rest area and the reception, mostly of the same regulars; a few anonymous.
    target_c = int(n * CHECKINS_PER_PERSON_YEAR * years)
    progress(f"org {index + 1}/{orgs}: {target_c} check-ins")
    per_day_c = target_c / days
    cbatch, csbatch = [], []
    for d in range(days):
        day0 = start + timedelta(days=d)
        count = int(per_day_c) + (1 if rng.random() < per_day_c - int(per_day_c) else 0)
        chosen = rng.choices(pids, cum_weights=cum, k=count)
        for pid in chosen:
            team = desk_teams[rng.randrange(len(desk_teams))]
            arrived = day0 + timedelta(hours=rng.uniform(8, 22))
            cid = _uuid(rng)
            cbatch.append(_rec(oid, arrived, id=cid, team_id=team.id, person_id=pid if rng.random() < 0.93 else None,
                               day=working_day(team, arrived), arrived_at=arrived,
                               left_at=arrived + timedelta(minutes=rng.randint(20, 600)),
                               author_id=rng.choice(staff)))  # fmt: skip
            if rng.random() < 0.6:
                csbatch.append(dict(checkin_id=cid, service_id=rng.choice(scids), org_id=oid))
        if len(cbatch) >= BATCH or d == days - 1:
            write(Checkin, cbatch)
            write(CheckinServiceUse, csbatch)
            session.commit()
            cbatch, csbatch = [], []

    # Pathway: needs (most done), referrals to the directory, stays in the accommodation (most exited).
    progress(f"org {index + 1}/{orgs}: needs, referrals, stays")
    nb, npb, ncb, ntb, refb, sb = ([] for _ in range(6))
    sids = [s["id"] for s in structures]
    cids = [c["id"] for c in categories]
    for pid in pids:
        roll = rng.random()
        if roll < 0.3:
            at = start + timedelta(minutes=rng.randrange(days * 1440))
            status = rng.choice(("done", "done", "done", "todo", "in_progress", "cancelled"))
            need_id = _uuid(rng)
            due = (at + timedelta(days=rng.randint(1, 30))).date() if rng.random() < 0.5 else None
            urgent, closed = rng.random() < 0.1, at + timedelta(days=3) if status in ("done", "cancelled") else None
            nb.append(_rec(oid, at, id=need_id, status=status, urgent=urgent, due_on=due, completed_at=closed,
                           created_by=rng.choice(staff)))  # fmt: skip
            npb.append(dict(need_id=need_id, person_id=pid, org_id=oid))
            ncb.append(dict(need_id=need_id, category_id=rng.choice(cids), org_id=oid))
            # The team lists' copy, as app/needs/service.py (_sync_teams) keeps it.
            ntb.append(dict(need_id=need_id, team_id=rng.choice(field_teams).id, org_id=oid,
                            open=status in ("todo", "in_progress"), urgent=urgent, due_on=due or NO_DUE_DATE,
                            closed_at=closed))  # fmt: skip
            if rng.random() < 0.4:
                ref_status = rng.choice(("proposed", "accepted", "refused", "closed"))
                refb.append(_rec(oid, at, id=_uuid(rng), person_id=pid, structure_id=rng.choice(sids), need_id=need_id,
                                 team_id=rng.choice(field_teams).id, created_by=rng.choice(staff), shared=[],
                                 consent_given=True, consent_at=at,
                                 status=ref_status, status_at=at))  # fmt: skip
        if roll > 0.95:
            entered = (start + timedelta(days=rng.randrange(days))).date()
            exited = entered + timedelta(days=rng.randint(3, 200)) if rng.random() < 0.8 else None
            if exited and exited >= today.date():
                exited = None
            sb.append(_rec(oid, start, id=_uuid(rng), person_id=pid, team_id=accommodation.id, entered_on=entered,
                           exited_on=exited, exit_to=rng.choice(("housing", "street", "other")) if exited else None,
                           exit_kind=rng.choice(("positive", "negative")) if exited else None,
                           created_by=rng.choice(staff)))  # fmt: skip
    write(Need, nb)
    write(NeedPerson, npb)
    write(NeedCategoryLink, ncb)
    write(NeedTeam, ntb)
    write(Referral, refb)
    write(Stay, sb)
    session.commit()

    # Last contact: the newest encounter or check-in of each person, as the app maintains it.
    progress(f"org {index + 1}/{orgs}: last contacts")
    session.execute(
        text(
            "UPDATE persons SET last_contact_at = m.at FROM ("
            " SELECT person_id, max(at) AS at FROM ("
            "  SELECT ep.person_id, e.at FROM encounter_persons ep JOIN encounters e ON e.id = ep.encounter_id"
            "  WHERE e.org_id = :org"
            "  UNION ALL SELECT person_id, arrived_at FROM checkins WHERE org_id = :org AND person_id IS NOT NULL"
            " ) AS c GROUP BY person_id) AS m WHERE persons.id = m.person_id AND m.at > persons.last_contact_at"
        ),
        {"org": oid if write.pg else oid.hex},
    )
    session.commit()
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
