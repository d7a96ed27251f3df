"""Plain factory functions for tests."""

import re
import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.service import hash_password, start_session
from app.models import Organisation, Team, TeamMembership, User
from app.security import SESSION_COOKIE, csrf_token_for

PASSWORD = "correct horse battery"


def make_org(db: Session, name: str | None = None) -> Organisation:
    org = Organisation(name=name or f"Org {uuid.uuid4().hex[:6]}")
    db.add(org)
    db.commit()
    return org


def make_team(db: Session, org: Organisation, name: str | None = None, kind: str = "patrol", **kw) -> Team:
    team = Team(org_id=org.id, name=name or f"Team {uuid.uuid4().hex[:6]}", kind=kind, **kw)
    db.add(team)
    db.commit()
    return team


def make_user(
    db: Session,
    org: Organisation | None,
    role: str = "worker",
    teams: list[Team] | None = None,
    email: str | None = None,
    password: str | None = PASSWORD,
    **kw,
) -> User:
    user = User(
        org_id=org.id if org else None,
        email=email or f"{role}-{uuid.uuid4().hex[:8]}@example.org",
        name=kw.pop("name", f"{role.title()} {uuid.uuid4().hex[:4]}"),
        role=role,
        password_hash=hash_password(password) if password else None,
        **kw,
    )
    db.add(user)
    db.commit()
    for team in teams or []:
        db.add(TeamMembership(user_id=user.id, team_id=team.id, org_id=team.org_id))
    db.commit()
    return user


def sign_in(client: TestClient, db: Session, user: User) -> TestClient:
    """Give `client` a session for `user` (as the sign-in page would) and the CSRF header htmx sends."""
    token = start_session(db, user, "testclient", "pytest")
    db.commit()
    client.cookies.set(SESSION_COOKIE, token)
    client.headers["X-CSRF-Token"] = csrf_token_for(token)
    return client


def csrf_from(html: str) -> str:
    match = re.search(r'data-csrf="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


# ---------------------------------------------------------------- persons
def make_person(db: Session, org: Organisation, alias: str | None = None, teams: list[Team] | None = None, **kw):
    from app.models import Person, PersonTeam
    from app.persons.service import new_unique_code, set_names

    person = Person(
        org_id=org.id, alias=alias or f"Person {uuid.uuid4().hex[:6]}", code=new_unique_code(db, org.id), **kw
    )
    db.add(person)
    db.flush()
    set_names(db, person)
    for team in teams or []:
        db.add(PersonTeam(person_id=person.id, team_id=team.id, org_id=org.id))
    db.commit()
    return person


def make_note(db: Session, org: Organisation, person=None, body: str = "A note", urgent: bool = False, **kw):
    from app.models import PersonNote

    person = person or make_person(db, org)
    note = PersonNote(org_id=org.id, person_id=person.id, body=body, urgent=urgent, **kw)
    db.add(note)
    db.commit()
    return note


def make_exit_reason(db: Session, org: Organisation, label: str = "Housed"):
    from app.models import ExitReason

    reason = ExitReason(org_id=org.id, label=label)
    db.add(reason)
    db.commit()
    return reason


def make_exit(db: Session, org: Organisation, person=None):
    from datetime import date

    from app.models import PersonExit

    person = person or make_person(db, org)
    row = PersonExit(org_id=org.id, person_id=person.id, reason_id=make_exit_reason(db, org).id, left_on=date.today())
    db.add(row)
    db.commit()
    return row


def make_link(db: Session, org: Organisation, person=None, other=None, relation: str = "brother"):
    from app.models import PersonLink

    person, other = person or make_person(db, org), other or make_person(db, org)
    link = PersonLink(org_id=org.id, person_id=person.id, other_id=other.id, relation=relation)
    db.add(link)
    db.commit()
    return link


def make_place(db: Session, org: Organisation, person=None, name: str = "Jardin d'Éole"):
    from app.models import PersonPlace

    person = person or make_person(db, org)
    place = PersonPlace(org_id=org.id, person_id=person.id, name=name)
    db.add(place)
    db.commit()
    return place


def make_document(db: Session, org: Organisation, person=None, content: bytes = b"%PDF-1.4 test", name="doc.pdf"):
    from app.config import get_settings
    from app.models import PersonDocument

    person = person or make_person(db, org)
    doc_id = uuid.uuid4()
    key = f"{org.id}/{doc_id.hex}.pdf"
    path = Path(get_settings().documents_dir) / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    doc = PersonDocument(
        id=doc_id,
        org_id=org.id,
        person_id=person.id,
        name=name,
        content_type="application/pdf",
        size=len(content),
        storage_key=key,
    )
    db.add(doc)
    db.commit()
    return doc


def make_custom_field(db: Session, org: Organisation, label: str = "Dog", kind: str = "text", **kw):
    """A custom person field (entity="observation" for an observation field)."""
    from app.models import CustomField

    field = CustomField(org_id=org.id, label=label, kind=kind, **kw)
    db.add(field)
    db.commit()
    return field


def make_session_id(db: Session, org: Organisation) -> str:
    from app.auth.service import _digest

    return _digest(start_session(db, make_user(db, org), "testclient", "pytest"))


# ---------------------------------------------------------------- field work
def make_territory(db: Session, org: Organisation, name: str | None = None, **kw):
    from app.models import Territory

    territory = Territory(org_id=org.id, name=name or f"Territory {uuid.uuid4().hex[:6]}", **kw)
    db.add(territory)
    db.commit()
    return territory


def make_field_place(db: Session, org: Organisation, territory=None, name: str = "Rotonde", **kw):
    from app.models import Place

    territory = territory or make_territory(db, org)
    place = Place(org_id=org.id, territory_id=territory.id, name=name, **kw)
    db.add(place)
    db.commit()
    return place


def make_material(db: Session, org: Organisation, label: str = "Crack kit", position: int = 10, **kw):
    from app.models import Material

    material = Material(org_id=org.id, label=label, position=position, **kw)
    db.add(material)
    db.commit()
    return material


def make_service(db: Session, org: Organisation, scope: str = "encounter", label: str = "Listening", **kw):
    from app.models import FieldService

    service = FieldService(org_id=org.id, scope=scope, label=label, **kw)
    db.add(service)
    db.commit()
    return service


def make_round(db: Session, org: Organisation, team: Team | None = None, **kw):
    from app.field.days import time_band
    from app.models import Round, utcnow

    started = kw.pop("started_at", utcnow())
    rnd = Round(
        org_id=org.id,
        team_id=(team or make_team(db, org)).id,
        kind=kw.pop("kind", "foot"),
        started_at=started,
        time_band=time_band(started),
        **kw,
    )
    db.add(rnd)
    db.commit()
    return rnd


def make_encounter(db: Session, org: Organisation, team: Team | None = None, persons=None, **kw):
    from app.models import Encounter, EncounterPerson

    encounter = Encounter(org_id=org.id, team_id=(team or make_team(db, org)).id, **kw)
    db.add(encounter)
    db.flush()
    for person in persons if persons is not None else [make_person(db, org)]:
        db.add(EncounterPerson(encounter_id=encounter.id, person_id=person.id, org_id=org.id))
    db.commit()
    return encounter


def make_checkin(db: Session, org: Organisation, team: Team | None = None, person=None, **kw):
    from app.field.days import working_day
    from app.models import Checkin, utcnow

    team = team or make_team(db, org, kind="rest_area", capacity=10)
    arrived = kw.pop("arrived_at", utcnow())
    checkin = Checkin(
        org_id=org.id,
        team_id=team.id,
        person_id=person.id if person else None,
        day=working_day(team, arrived),
        arrived_at=arrived,
        **kw,
    )
    db.add(checkin)
    db.commit()
    return checkin


def make_observation(db: Session, org: Organisation, team: Team | None = None, territory=None, **kw):
    from app.models import Observation

    obs = Observation(
        org_id=org.id,
        team_id=(team or make_team(db, org)).id,
        territory_id=(territory or make_territory(db, org)).id,
        atmosphere=kw.pop("atmosphere", "calm"),
        police=kw.pop("police", "none"),
        **kw,
    )
    db.add(obs)
    db.commit()
    return obs
