"""Finding persons: the list (filters, last contact first), tolerant search by alias, other alias or code, and
the duplicate guard shown while an alias is typed. The index strategy is described in names.py."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rapidfuzz.distance import Indel
from sqlalchemy import exists
from sqlmodel import Session, col, select

from app.access import Actor
from app.models import Person, PersonExit, PersonName, PersonTeam, utcnow
from app.persons import codes
from app.persons.forms import SearchForm
from app.persons.names import normalise, phonetic_key, prefix_clause
from app.persons.service import age_of, is_basic, require_read, teams_by_person, user_names

PAGE_SIZE = 30
CANDIDATES = 200  # rows read from each index range before scoring: bounds the work at any size


@dataclass
class Row:
    """One person in a list. For the reception role only id, alias, code and alert are filled."""

    id: uuid.UUID
    alias: str
    code: str
    alert: bool
    basic: bool = False
    age: int | None = None
    teams: list[str] = field(default_factory=list)
    last_contact_at: datetime | None = None
    last_contact_by: str | None = None
    active: bool = True
    matched: str | None = None  # the other alias that matched, when it was not the alias
    score: float = 0.0


@dataclass
class Results:
    rows: list[Row]
    more: bool = False


def _filters(stmt, actor: Actor, form: SearchForm):
    """The list filters, as SQL on `persons` (so LIMITs apply after them)."""
    stmt = stmt.where(Person.org_id == actor.org_id, col(Person.deleted_at).is_(None))
    team_exit = None
    if form.team_id is not None:
        stmt = stmt.where(
            exists().where(PersonTeam.person_id == Person.id, PersonTeam.team_id == form.team_id)  # type: ignore[arg-type]
        )
        team_exit = exists().where(
            PersonExit.person_id == Person.id,  # type: ignore[arg-type]
            PersonExit.team_id == form.team_id,  # type: ignore[arg-type]
            col(PersonExit.returned_on).is_(None),
            col(PersonExit.deleted_at).is_(None),
        )
    if form.status == "active":
        stmt = stmt.where(col(Person.active).is_(True))
        if team_exit is not None:
            stmt = stmt.where(~team_exit)
    elif form.status == "inactive":
        stmt = (
            stmt.where(col(Person.active).is_(False) | team_exit)
            if team_exit is not None
            else stmt.where(col(Person.active).is_(False))
        )
    if form.days:
        stmt = stmt.where(Person.last_contact_at >= utcnow() - timedelta(days=form.days))
    return stmt


def _score(qn: str, qk: str, norm: str, key: str, primary: bool) -> float:
    if norm == qn:
        base = 100.0
    elif norm.startswith(qn):
        base = 80.0 + 5.0 * len(qn) / len(norm)
    elif key == qk:
        base = 70.0
    elif key.startswith(qk):
        base = 50.0 + 5.0 * len(qk) / max(len(key), 1)
    else:
        base = 30.0
    # Indel similarity: 2 x longest common subsequence / total length (difflib's ratio, in C)
    return base + 10.0 * Indel.normalized_similarity(qn, norm) + (6.0 if primary else 0.0)


def _candidates(
    session: Session, actor: Actor, form: SearchForm, text: str
) -> dict[uuid.UUID, tuple[float, bool, datetime]]:
    """Person id -> (best score, matched on the alias itself, last contact) for `text`, read from bounded index
    ranges."""
    qn, qk = normalise(text), phonetic_key(text)
    found: dict[uuid.UUID, tuple[float, bool, datetime]] = {}
    if not qn:
        return found
    dialect = session.get_bind().dialect.name
    base = select(
        PersonName.person_id, PersonName.norm, PersonName.key, PersonName.primary, Person.last_contact_at
    ).join(Person, col(Person.id) == col(PersonName.person_id))
    base = _filters(base, actor, form).where(PersonName.org_id == actor.org_id)

    def read(stmt) -> list[str]:
        """The names read, the candidates kept in `found`."""
        rows = session.execute(stmt.limit(CANDIDATES)).all()
        seen = found.get  # one lookup per row: hundreds of rows at 100,000 persons, keyed by UUIDs hashed in Python
        for pid, norm, key, primary, last in rows:
            score = _score(qn, qk, norm, key, primary)
            best = seen(pid)
            if best is None or score > best[0]:
                found[pid] = (score, primary, last)
        return [row[1] for row in rows]

    typed = read(base.where(prefix_clause(PersonName.norm, qn, dialect)))
    sound = read(base.where(col(PersonName.key) == qk)) if qk else []
    # Names whose sound starts like the letters typed ("qar..." for "kar"; a shorter sound key would match half the
    # names): they score under 71 (_score), below the 80 of every name that starts with the letters themselves, so
    # when CANDIDATES of those were read the first pages are full without them, and they are not read.
    if len(qk) >= 3 and len(typed) < CANDIDATES:
        read(base.where(prefix_clause(PersonName.key, qk, dialect)))
    # A name many share ("karim": 2,222 of 100,000 persons) fills its range with an arbitrary few of its holders,
    # in the index's order, and the one met yesterday could be left out (and created twice). Such a range is read
    # again, most recently met first: the sound of the name when it is full and says enough (it holds the exact
    # spelling too, and finds a misspelt "karym"), else the exact name when the prefix range is full and holds it
    # (the range reads its smallest names first: "moh" typed, nobody called Moh, nothing more is read). A cost
    # only for such names, in proportion to how many hold them.
    recent = col(Person.last_contact_at).desc()
    if len(qk) >= 3 and len(sound) == CANDIDATES:
        read(base.where(col(PersonName.key) == qk).order_by(recent))
    elif len(typed) == CANDIDATES and qn in typed:
        read(base.where(col(PersonName.norm) == qn).order_by(recent))
    code = codes.clean_code(text)
    if code:
        person = session.exec(select(Person).where(Person.org_id == actor.org_id, Person.code == code)).first()
        while person is not None and person.merged_into_id is not None:  # an old card still finds the person
            person = session.get(Person, person.merged_into_id)
        if person is not None and person.deleted_at is None:
            found[person.id] = (1000.0, True, person.last_contact_at)
    return found


def _rows(session: Session, actor: Actor, persons: list[Person]) -> list[Row]:
    if is_basic(actor):
        return [Row(p.id, p.alias, p.code, p.alert, basic=True) for p in persons]
    teams = teams_by_person(session, [p.id for p in persons])
    names = user_names(session, {p.last_contact_by for p in persons})
    return [
        Row(
            p.id,
            p.alias,
            p.code,
            p.alert,
            age=age_of(p),
            teams=teams.get(p.id, []),
            last_contact_at=p.last_contact_at,
            last_contact_by=names.get(p.last_contact_by) if p.last_contact_by else None,
            active=p.active,
        )
        for p in persons
    ]


def search(session: Session, actor: Actor, form: SearchForm) -> Results:
    """Without a term: the filtered list, last contact first, one page. With a term: the best matches first
    (ties: the most recent contact)."""
    require_read(actor)
    text = (form.q or "").strip()
    if not text:
        stmt = _filters(select(Person), actor, form).order_by(col(Person.last_contact_at).desc(), col(Person.id))
        persons = list(session.exec(stmt.offset((form.page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
        return Results(_rows(session, actor, persons[:PAGE_SIZE]), more=len(persons) > PAGE_SIZE)
    found = _candidates(session, actor, form, text)
    # Ranked on what the index ranges gave (up to 3 x CANDIDATES at 100,000 persons); whole rows for the page only.
    ranked = [pid for pid, _m in sorted(found.items(), key=lambda item: (-item[1][0], -item[1][2].timestamp()))]
    start = (form.page - 1) * PAGE_SIZE
    page_ids = ranked[start : start + PAGE_SIZE]
    by_id = {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(page_ids)))} if page_ids else {}
    page = [by_id[i] for i in page_ids]
    rows = _rows(session, actor, page)
    qn = normalise(text)
    for row, person in zip(rows, page, strict=True):
        row.score = found[person.id][0]
        if not found[person.id][1] and not is_basic(actor):
            row.matched = _best_other_alias(person, qn)
    return Results(rows, more=len(ranked) > start + PAGE_SIZE)


def _best_other_alias(person: Person, qn: str) -> str | None:
    if not person.other_aliases:
        return None
    return max(person.other_aliases, key=lambda a: Indel.normalized_similarity(qn, normalise(a)))


def duplicates(
    session: Session, actor: Actor, alias: str, exclude: uuid.UUID | None = None, limit: int = 5
) -> list[Row]:
    """Persons of the organisation who may be the one being created under `alias` (active or not)."""
    require_read(actor)
    if len(normalise(alias)) < 2:
        return []
    results = search(session, actor, SearchForm(q=alias, status="all"))
    return [r for r in results.rows if r.id != exclude and r.score >= 60][:limit]
