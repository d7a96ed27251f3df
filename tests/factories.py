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
    """A person; phone, alert_reason, description and delete_reason given in clear are stored encrypted."""
    from app.crypto import seal
    from app.models import Person, PersonTeam
    from app.persons.service import SEALED_FIELDS, new_unique_code, set_names

    texts = {name: kw.pop(name) for name in SEALED_FIELDS if name in kw}
    person = Person(
        org_id=org.id, alias=alias or f"Person {uuid.uuid4().hex[:6]}", code=new_unique_code(db, org.id), **kw
    )
    for name, value in texts.items():
        seal(db, person, name, value)
    db.add(person)
    db.flush()
    set_names(db, person)
    for team in teams or []:
        db.add(PersonTeam(person_id=person.id, team_id=team.id, org_id=org.id))
    db.commit()
    return person


def make_note(db: Session, org: Organisation, person=None, body: str = "A note", urgent: bool = False, **kw):
    from app.crypto import seal
    from app.models import PersonNote

    person = person or make_person(db, org)
    note = PersonNote(org_id=org.id, person_id=person.id, urgent=urgent, **kw)
    seal(db, note, "body", body)
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
    """A document stored as the app stores one: the file encrypted on disk, its name encrypted in the database."""
    from app.config import get_settings
    from app.crypto import seal
    from app.models import PersonDocument
    from app.persons.documents import write_encrypted

    person = person or make_person(db, org)
    doc_id = uuid.uuid4()
    key = f"{org.id}/{doc_id.hex}.enc"
    write_encrypted(db, org.id, doc_id, [content], Path(get_settings().documents_dir) / key, len(content) + 1)
    doc = PersonDocument(
        id=doc_id,
        org_id=org.id,
        person_id=person.id,
        content_type="application/pdf",
        size=len(content),
        storage_key=key,
    )
    seal(db, doc, "name", name)
    db.add(doc)
    db.commit()
    return doc


def make_custom_field(db: Session, org: Organisation, label: str = "Dog", kind: str = "text", **kw):
    """A custom person field (scope="observation" for an observation field)."""
    from app.models import CustomField

    field = CustomField(org_id=org.id, label=label, kind=kind, **kw)
    db.add(field)
    db.commit()
    return field


def make_session(db: Session, org: Organisation) -> str:
    """A signed-in session of a new user of `org`; returns the session's id (the stored hash)."""
    import hashlib

    token = start_session(db, make_user(db, org), "127.0.0.1", "pytest")
    db.commit()
    return hashlib.sha256(token.encode()).hexdigest()


# ---------------------------------------------------------------- health
def make_consultation_type(db: Session, org: Organisation, label: str = "Nurse"):
    from app.models import ConsultationType

    kind = ConsultationType(org_id=org.id, label=label)
    db.add(kind)
    db.commit()
    return kind


def _sealed_content(db: Session, row, data: dict) -> None:
    import json

    from app.crypto import seal

    seal(db, row, "content", json.dumps(data))


def make_medical_file(db: Session, org: Organisation, person=None, **data):
    from app.models import MedicalFile

    person = person or make_person(db, org)
    row = MedicalFile(org_id=org.id, person_id=person.id)
    _sealed_content(db, row, data or {"insurance": "ame", "history": "Hepatitis C, treated in 2024"})
    db.add(row)
    db.commit()
    return row


def make_consultation(db: Session, org: Organisation, person=None, author=None, private: bool = False, at=None, **data):
    from app.models import Consultation, utcnow

    person = person or make_person(db, org)
    row = Consultation(
        org_id=org.id,
        person_id=person.id,
        type_id=make_consultation_type(db, org).id,
        at=at or utcnow(),
        status="done",
        private=private,
        author_id=author.id if author else None,
    )
    _sealed_content(db, row, data or {"care": ["wound"], "notes": "Dressing on the left foot"})
    db.add(row)
    db.commit()
    return row


def make_treatment(db: Session, org: Organisation, person=None, **data):
    from app.models import Treatment

    person = person or make_person(db, org)
    row = Treatment(org_id=org.id, person_id=person.id)
    _sealed_content(db, row, data or {"name": "Amoxicillin", "dosage": "1 g", "frequency": "3 times a day"})
    db.add(row)
    db.commit()
    return row


# ---------------------------------------------------------------- pathway
def make_need_category(db: Session, org: Organisation, label: str = "Shelter", group_label: str | None = None):
    from app.models import NeedCategory

    category = NeedCategory(org_id=org.id, label=label, group_label=group_label)
    db.add(category)
    db.commit()
    return category


def make_need(db: Session, org: Organisation, person=None, team=None, status: str = "todo", **kw):
    """A need with one person and one team (their copies of the need's list columns in step)."""
    from datetime import date

    from app.models import Need, NeedPerson, NeedTeam

    person = person or make_person(db, org)
    team = team or make_team(db, org)
    need = Need(org_id=org.id, status=status, **kw)
    db.add(need)
    db.flush()
    is_open = status in ("todo", "in_progress")
    db.add(NeedPerson(need_id=need.id, person_id=person.id, org_id=org.id, open=is_open, due_on=need.due_on))
    db.add(
        NeedTeam(
            need_id=need.id,
            team_id=team.id,
            org_id=org.id,
            open=is_open,
            urgent=need.urgent,
            due_on=need.due_on or date(9999, 12, 31),  # as app/needs/service.py keeps it
            due_time=need.due_time,
        )
    )
    db.commit()
    return need


def make_structure(db: Session, org: Organisation, name: str | None = None, kind: str = "rest_area", **kw):
    from app.models import Structure

    structure = Structure(org_id=org.id, name=name or f"Structure {uuid.uuid4().hex[:6]}", kind=kind, **kw)
    db.add(structure)
    db.commit()
    return structure


def make_inbox(db: Session, team: Team, code: str | None = None):
    """Open `team`'s door to referrals from other organisations."""
    from app.models import ReferralInbox
    from app.persons.codes import ALPHABET

    inbox = ReferralInbox(org_id=team.org_id, team_id=team.id, code=code or "".join(ALPHABET[:10]))
    db.add(inbox)
    db.commit()
    return inbox


def make_referral(db: Session, org: Organisation, person=None, structure=None, status: str = "proposed", **kw):
    from app.models import Referral

    person = person or make_person(db, org)
    structure = structure or make_structure(db, org)
    referral = Referral(org_id=org.id, person_id=person.id, structure_id=structure.id, status=status, **kw)
    db.add(referral)
    db.commit()
    return referral


def make_incoming(db: Session, org: Organisation, referral=None, team=None, status: str = "sent", **kw):
    """An incoming referral in `org` (the receiver), for a referral of another organisation."""
    from app.crypto import seal
    from app.models import IncomingReferral

    referral = referral or make_referral(db, make_org(db), status=status)
    team = team or make_team(db, org, kind="rest_area")
    incoming = IncomingReferral(
        org_id=org.id, referral_id=referral.id, team_id=team.id, from_label="Other · Patrol", snapshot="", status=status
    )
    seal(db, incoming, "snapshot", '{"alias": "Snap"}')
    db.add(incoming)
    db.commit()
    return incoming


def make_stay(db: Session, org: Organisation, person=None, team=None, **kw):
    from datetime import date

    from app.models import Stay

    person = person or make_person(db, org)
    team = team or make_team(db, org, kind="accommodation")
    stay = Stay(
        org_id=org.id, person_id=person.id, team_id=team.id, entered_on=kw.pop("entered_on", date.today()), **kw
    )
    db.add(stay)
    db.commit()
    return stay


def make_procedure(db: Session, org: Organisation, person=None, kind: str = "id_papers", **kw):
    from datetime import date

    from app.models import Procedure

    person = person or make_person(db, org)
    procedure = Procedure(
        org_id=org.id, person_id=person.id, kind=kind, started_on=kw.pop("started_on", date.today()), **kw
    )
    db.add(procedure)
    db.commit()
    return procedure


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
        db.add(
            EncounterPerson(
                encounter_id=encounter.id,
                person_id=person.id,
                org_id=org.id,
                team_id=encounter.team_id,
                at=encounter.at,
                deleted_at=encounter.deleted_at,
            )
        )
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


def make_anonymous(db: Session, org: Organisation, team: Team | None = None, people: int = 1, **kw):
    from app.models import AnonymousContact

    team = team or make_team(db, org)
    rnd = kw.pop("round", None) or make_round(db, org, team, started_at=kw.get("at"))
    contact = AnonymousContact(org_id=org.id, team_id=team.id, round_id=rnd.id, people=people, **kw)
    db.add(contact)
    db.commit()
    return contact


def make_org_export(db: Session, org: Organisation, user=None, status: str = "ready", **kw):
    """A full export of the organisation started by `user` (an admin), with its file written when ready."""
    from app.exports.service import path_of
    from app.models import OrgExport, utcnow

    user = user or make_user(db, org, role="admin")
    export = OrgExport(org_id=org.id, user_id=user.id, status=status, finished_at=utcnow(), **kw)
    db.add(export)
    db.commit()
    if status == "ready":
        path_of(export).write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty zip
    return export
