"""Demo field work, so the pages look alive: territories and places, the default catalogues, yesterday's round
of the first patrol with encounters and anonymous contacts, its daily report with a handover note, an
observation, and the rest area's check-ins (yesterday's day closed, a few people present today).

Loaded once per organisation (when it has no territory yet); only the first patrol team and the rest area get
records, so the other teams start empty."""

import uuid
from datetime import timedelta

from sqlmodel import Session, col, select

from app.access import Actor
from app.crypto import seal
from app.field import catalogue
from app.field.days import time_band, working_day
from app.models import (
    AnonymousContact,
    AnonymousMaterial,
    Checkin,
    CheckinServiceUse,
    DailyReport,
    DayClosure,
    Encounter,
    EncounterMaterial,
    EncounterPerson,
    EncounterService,
    Observation,
    ObservationMaterial,
    Person,
    Place,
    Round,
    RoundMember,
    Team,
    Territory,
    User,
    utcnow,
)
from app.persons.service import touch_contact

TERRITORIES = [
    ("Stalingrad", ["rue", "place"], ["Rotonde", "Quai de la Seine", "Sortie métro Jaurès"]),
    ("Jardin d'Éole", ["parc"], ["Entrée rue d'Aubervilliers", "Terrain de sport"]),
    ("Porte de la Chapelle", ["rue", "campement"], ["Sous le pont", "Boulevard Ney"]),
    ("Métro ligne 12", ["métro"], ["Marx Dormoy", "Porte de la Chapelle (quai)"]),
]
# (hours before now, aliases met, {material index: quantity}, service indexes, note)
ENCOUNTERS = [
    (27, ["Mohamed"], {0: 2, 3: 1}, [1], "Va mieux, demande à voir l'assistante sociale."),
    (26, ["Sékou", "Aïcha"], {0: 3, 1: 6, 2: 6}, [0, 4], "Sékou a mangé. Aïcha cherche une place en espace de repos."),
    (25, ["Yasmina"], {5: 4, 6: 1}, [2], None),
]


def load_demo_field(session: Session, org_id: uuid.UUID, teams: list[Team]) -> None:
    if session.exec(select(Territory.id).where(Territory.org_id == org_id)).first() is not None:
        return
    author = session.exec(
        select(User).where(User.org_id == org_id, col(User.role).in_(["worker", "health"])).order_by(User.email)
    ).first()
    actor = Actor(user_id=author.id if author else uuid.uuid4(), org_id=org_id, role="admin")
    places: dict[str, list[Place]] = {}
    territories = []
    for name, kinds, place_names in TERRITORIES:
        territory = Territory(org_id=org_id, name=name, kinds=kinds)
        session.add(territory)
        session.flush()
        territories.append(territory)
        places[name] = [Place(org_id=org_id, territory_id=territory.id, name=p) for p in place_names]
        session.add_all(places[name])
    session.flush()
    materials = catalogue.materials(session, actor)
    enc_services = catalogue.services(session, actor, "encounter")
    checkin_services = catalogue.services(session, actor, "checkin")
    if len(teams) < 3 or author is None:
        return
    patrol, rest_area = teams[0], teams[2]
    persons = {p.alias: p for p in session.exec(select(Person).where(Person.org_id == org_id))}
    now = utcnow()

    # Yesterday's round of the patrol, with its encounters, an anonymous contact and the day's report.
    started = now - timedelta(hours=28)
    rnd = Round(
        org_id=org_id,
        team_id=patrol.id,
        kind="foot",
        territory_id=territories[0].id,
        started_at=started,
        ended_at=started + timedelta(hours=4),
        time_band=time_band(started),
        started_by=author.id,
        ended_by=author.id,
    )
    session.add(rnd)
    session.flush()
    session.add(RoundMember(round_id=rnd.id, user_id=author.id, org_id=org_id))
    for hours, aliases, given, done, note in ENCOUNTERS:
        at = now - timedelta(hours=hours)
        enc = Encounter(
            org_id=org_id,
            team_id=patrol.id,
            round_id=rnd.id,
            at=at,
            territory_id=territories[0].id,
            place_id=places["Stalingrad"][hours % 3].id,
            author_id=author.id,
        )
        seal(session, enc, "note", note)
        session.add(enc)
        session.flush()
        for alias in aliases:
            if alias in persons:
                session.add(
                    EncounterPerson(
                        encounter_id=enc.id, person_id=persons[alias].id, org_id=org_id, team_id=enc.team_id, at=at
                    )
                )
                touch_contact(session, persons[alias], author.id, at)
        for i, n in given.items():
            session.add(
                EncounterMaterial(
                    encounter_id=enc.id,
                    material_id=materials[i].id,
                    org_id=org_id,
                    quantity=n,
                    team_id=enc.team_id,
                    at=at,
                )
            )
        for i in done:
            session.add(EncounterService(encounter_id=enc.id, service_id=enc_services[i].id, org_id=org_id))
    contact = AnonymousContact(
        org_id=org_id,
        team_id=patrol.id,
        round_id=rnd.id,
        at=started + timedelta(hours=2),
        people=3,
        author_id=author.id,
    )
    session.add(contact)
    session.flush()
    session.add(AnonymousMaterial(contact_id=contact.id, material_id=materials[0].id, org_id=org_id, quantity=3))
    obs = Observation(
        org_id=org_id,
        team_id=patrol.id,
        territory_id=territories[0].id,
        place_id=places["Stalingrad"][0].id,
        at=started + timedelta(hours=1),
        women=4,
        men=17,
        others=2,
        atmosphere="tense",
        police="passing",
        incidents="Une altercation près de la rotonde, calmée sans intervention.",
        author_id=author.id,
    )
    session.add(obs)
    session.flush()
    session.add(
        ObservationMaterial(observation_id=obs.id, material_id=materials[3].id, org_id=org_id, found=12, collected=12)
    )
    session.add(
        DailyReport(
            org_id=org_id,
            team_id=patrol.id,
            day=working_day(patrol, started),
            description="Tournée calme dans l'ensemble, beaucoup de monde à la rotonde.",
            partners="Équipe mobile de la PASS",
            handover="Revoir Sékou en priorité ; Aïcha attend une réponse pour l'espace de repos.",
            author_id=author.id,
        )
    )

    # The rest area: yesterday's day, closed; a few people checked in today.
    yesterday = working_day(rest_area, now) - timedelta(days=1)
    closure = DayClosure(
        org_id=org_id, team_id=rest_area.id, day=yesterday, closed_at=now - timedelta(hours=14), closed_by=author.id
    )
    session.add(closure)
    session.flush()
    stays = [
        ("Fatou", 30, 20, None),
        ("Nadia", 29, 14, closure.id),
        (None, 28, 26, None),
        ("Marie-Claire", 3, None, None),
        ("Aïcha", 2, None, None),
        (None, 1, None, None),
    ]
    for alias, arrived_h, left_h, closure_id in stays:
        arrived = now - timedelta(hours=arrived_h)
        person = persons.get(alias) if alias else None
        checkin = Checkin(
            org_id=org_id,
            team_id=rest_area.id,
            person_id=person.id if person else None,
            day=working_day(rest_area, arrived),
            arrived_at=arrived,
            left_at=now - timedelta(hours=left_h) if left_h is not None else None,
            closure_id=closure_id,
            author_id=author.id,
        )
        session.add(checkin)
        session.flush()
        session.add(CheckinServiceUse(checkin_id=checkin.id, service_id=checkin_services[0].id, org_id=org_id))
        if person is not None:
            touch_contact(session, person, author.id, arrived)
    closure.checked_out = 1
    session.flush()
