"""Demo pathway for the two demo organisations: a directory of structures, needs of the demo persons (overdue,
today, urgent, a weekly appointment), referrals (one from Boréal's patrol to Horizon's rest area, answered there),
stays in Boréal's accommodation and procedures started. Built through the services, so the data is exactly what
real use makes. Idempotent: each part is skipped when the organisation already has some of it."""

import uuid
from datetime import timedelta

from sqlmodel import Session, col, select

from app.access import Actor
from app.i18n import _
from app.models import Need, Person, Procedure, Referral, ReferralInbox, Stay, Structure, Team, User, utcnow
from app.needs import service as needs
from app.needs.forms import NeedForm
from app.referrals import service as referrals
from app.referrals.forms import LinkForm, ReferralForm, StatusForm
from app.stays import service as stays
from app.stays.forms import ExitForm, ProcedureForm, StayForm
from app.structures import service as structures
from app.structures.forms import StructureForm
from app.web import TZ, validate_form

# name, kind, address, latitude, longitude, phone, opening, hours, places
DIRECTORY = [
    (
        "CAARUD Gare du Nord",
        "caarud",
        "Rue de Maubeuge, Paris 10e",
        48.8794,
        2.3530,
        "01 00 00 00 01",
        "day",
        "Lun–ven 10h–17h",
        None,
    ),
    (
        "CSAPA Riquet",
        "csapa",
        "Rue Riquet, Paris 19e",
        48.8899,
        2.3735,
        "01 00 00 00 02",
        "day",
        "Lun–ven 9h–18h",
        None,
    ),
    (
        "Salle de consommation à moindre risque",
        "scmr",
        "Rue Ambroise-Paré, Paris 10e",
        48.8825,
        2.3525,
        "01 00 00 00 03",
        "day",
        "7j/7 9h30–20h30",
        None,
    ),
    (
        "Hôpital Lariboisière – PASS",
        "hospital",
        "Rue Ambroise-Paré, Paris 10e",
        48.8826,
        2.3522,
        "01 00 00 00 04",
        "both",
        "Urgences 24h/24, PASS lun–ven 9h–16h",
        None,
    ),
    (
        "Accueil de jour Chapelle",
        "day_centre",
        "Boulevard de la Chapelle, Paris 18e",
        48.8843,
        2.3600,
        "01 00 00 00 05",
        "day",
        "Lun–sam 9h–13h",
        None,
    ),
    (
        "Hôtel ASSORE Porte de la Villette",
        "assore",
        "Avenue Corentin-Cariou, Paris 19e",
        48.8960,
        2.3870,
        "01 00 00 00 06",
        "both",
        None,
        60,
    ),
    ("Appartements PHASE", "phase", "Paris 18e et 19e", None, None, "01 00 00 00 07", "both", None, 31),
    ("LHSS Paris Nord", "lhss", "Rue de Flandre, Paris 19e", 48.8890, 2.3760, "01 00 00 00 08", "both", None, 20),
    ("SIAO – 115 de Paris", "siao", None, None, None, "115", "both", "24h/24", None),
    ("UHS Paris Est", "uhs", "Paris 20e", None, None, "01 00 00 00 09", "both", None, 24),
]
# Each demo organisation opens the door of its rest area (index 2 of demo.TEAMS) with a fixed code, and links a
# structure of its directory to the other organisation's rest area.
INBOX_CODES = {"Association Boréal": "BBBBB33333", "Association Horizon": "HHHHH44444"}
# alias, category labels (English defaults), description, team index, due in days (None: no date), time, urgent,
# repeat every (weeks), status
NEEDS = [
    ("Sékou", ["Shelter"], "Cherche une place pour ce soir, très fatigué.", 0, -1, None, True, None, "todo"),
    ("Mohamed", ["Domiciliation / address"], "Rendez-vous domiciliation au CCAS.", 0, 0, "10:00", False, None, "todo"),
    ("Fatou", ["Health care"], "Consultation sage-femme à la PASS, chaque semaine.", 0, 0, "14:00", False, 1, "todo"),
    ("Jean-Pierre", ["ID papers"], "Refaire la carte d'identité perdue.", 0, -5, None, False, None, "in_progress"),
    ("Aïcha", ["Health insurance"], "Dossier AME à compléter.", 0, 3, None, False, None, "in_progress"),
    ("Ibrahim", ["Addiction care"], "Veut rencontrer le CSAPA.", 0, 7, None, False, None, "todo"),
    ("Nadia", ["Food and hygiene"], "Douche et vêtements propres.", 2, -2, None, False, None, "done"),
    ("Samira", ["Income"], "Ouverture des droits RSA.", 4, 10, None, False, None, "todo"),
    ("Marie-Claire", ["Family"], "Reprendre contact avec sa fille.", 4, None, None, False, None, "todo"),
]
# alias, room, entered days ago, exit (days ago, where to) or None
STAYS = [
    ("Christophe", "12", 900, None),
    ("Marie-Claire", "7", 420, None),
    ("Samira", "21", 60, None),
    ("Nadia", "3", 20, None),
    ("Loïc", "9", 300, (30, "housing")),
]
PROCEDURES = [
    ("Marie-Claire", "domiciliation", 400),
    ("Marie-Claire", "health_insurance", 380),
    ("Christophe", "id_papers", 200),
    ("Samira", "income", 40),
    ("Loïc", "domiciliation", 280),
    ("Loïc", "income", 250),
]


def _actor(session: Session, org_id: uuid.UUID, email: str, team: Team) -> Actor | None:
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None:
        return None
    return Actor(user.id, org_id, user.role, user.name, "fr", frozenset({team.id}), team.id)


def _form(model, values: dict):
    result = validate_form(model, values)
    assert result.data is not None, result.errors
    return result.data


def _persons(session: Session, org_id: uuid.UUID) -> dict[str, Person]:
    return {
        p.alias: p
        for p in session.exec(select(Person).where(Person.org_id == org_id, col(Person.deleted_at).is_(None)))
    }


def load_demo_pathway(session: Session, orgs: list[tuple[str, uuid.UUID, list[Team]]]) -> None:
    """`orgs`: (name, id, teams in demo.TEAMS order) of each demo organisation."""
    for name, org_id, teams in orgs:
        admin = _actor(session, org_id, f"admin@{'boreal' if 'Boréal' in name else 'horizon'}.demo", teams[0])
        if admin is None:
            continue
        if session.exec(select(Structure.id).where(Structure.org_id == org_id)).first() is None:
            for sname, kind, address, lat, lon, phone, opening, hours, places in DIRECTORY:
                values = {"name": sname, "kind": kind, "address": address, "latitude": lat, "longitude": lon}
                values.update(phone=phone, opening=opening, hours=hours, places=places)
                structures.save_structure(session, admin, _form(StructureForm, values))
        if session.exec(select(ReferralInbox.id).where(ReferralInbox.org_id == org_id)).first() is None:
            session.add(ReferralInbox(org_id=org_id, team_id=teams[2].id, code=INBOX_CODES[name]))
            session.flush()
    for name, org_id, teams in orgs:  # links to the other organisation's rest area, once both doors are open
        admin = _actor(session, org_id, f"admin@{'boreal' if 'Boréal' in name else 'horizon'}.demo", teams[0])
        other = next((o for o in orgs if o[1] != org_id), None)
        if admin is None or other is None:
            continue
        label = f"Espace de repos Rosa ({other[0].split()[-1]})"
        if (
            session.exec(select(Structure.id).where(Structure.org_id == org_id, Structure.name == label)).first()
            is None
        ):
            values = {"name": label, "kind": "rest_area", "address": "Paris 19e", "opening": "night"}
            values.update(places=26, hours="Chaque nuit 20h–8h", partner_code=INBOX_CODES[other[0]])
            structures.save_structure(session, admin, _form(StructureForm, values))
    boreal = next((o for o in orgs if "Boréal" in o[0]), None)
    horizon = next((o for o in orgs if "Horizon" in o[0]), None)
    if boreal is not None:
        _needs(session, *boreal)
        _stays(session, *boreal)
        if horizon is not None:
            _referrals(session, boreal, horizon)
    session.flush()


def _needs(session: Session, _name: str, org_id: uuid.UUID, teams: list[Team]) -> None:
    if session.exec(select(Need.id).where(Need.org_id == org_id)).first() is not None:
        return
    worker = _actor(session, org_id, "worker@boreal.demo", teams[0])
    if worker is None:
        return
    worker = Actor(worker.user_id, org_id, worker.role, worker.name, "en", frozenset(t.id for t in teams), teams[0].id)
    cats = {c.label: c.id for c in needs.categories(session, worker)}
    persons = _persons(session, org_id)
    today = utcnow().astimezone(TZ).date()
    for alias, labels, text, team_idx, due, at, urgent, weeks, status in NEEDS:
        if alias not in persons:
            continue
        values = {
            "person_ids": [persons[alias].id],
            "category_ids": [cats[_(label)] for label in labels if _(label) in cats],  # created in this language
            "description": text,
            "team_ids": [teams[team_idx].id],
            "due_on": (today + timedelta(days=due)).isoformat() if due is not None else None,
            "due_time": at,
            "urgent": urgent,
            "repeat_every": weeks,
            "repeat_unit": "week" if weeks else None,
        }
        need = needs.create_need(session, worker, _form(NeedForm, values))
        if status != "todo":
            needs.set_status(session, worker, need, status)


def _stays(session: Session, _name: str, org_id: uuid.UUID, teams: list[Team]) -> None:
    if session.exec(select(Stay.id).where(Stay.org_id == org_id)).first() is not None:
        return
    actor = _actor(session, org_id, "coordinator@boreal.demo", teams[4])
    if actor is None:
        return
    persons = _persons(session, org_id)
    today = utcnow().astimezone(TZ).date()
    for alias, room, days, exit_ in STAYS:
        if alias not in persons:
            continue
        values = {
            "person_id": persons[alias].id,
            "place": f"team:{teams[4].id}",
            "room": room,
            "entered_on": (today - timedelta(days=days)).isoformat(),
        }
        stay = stays.create_stay(session, actor, _form(StayForm, values))
        if exit_:
            exit_values = {"exited_on": (today - timedelta(days=exit_[0])).isoformat(), "exit_to": exit_[1]}
            exit_values["exit_note"] = "Bail signé dans un logement social."
            stays.exit_stay(session, actor, stay, _form(ExitForm, exit_values))
    for alias, kind, days in PROCEDURES:
        if (
            alias in persons
            and not session.exec(
                select(Procedure.id).where(Procedure.person_id == persons[alias].id, Procedure.kind == kind)
            ).first()
        ):
            values = {
                "person_id": persons[alias].id,
                "kind": kind,
                "started_on": (today - timedelta(days=days)).isoformat(),
            }
            stays.add_procedure(session, actor, _form(ProcedureForm, values))


def _referrals(session: Session, boreal, horizon) -> None:
    _name, org_id, teams = boreal
    if session.exec(select(Referral.id).where(Referral.org_id == org_id)).first() is not None:
        return
    sender = _actor(session, org_id, "worker@boreal.demo", teams[0])
    receiver = _actor(session, horizon[1], "coordinator@horizon.demo", horizon[2][2])
    if sender is None or receiver is None:
        return
    persons = _persons(session, org_id)
    by_name = {s.name: s for s in session.exec(select(Structure).where(Structure.org_id == org_id))}
    rosa = by_name.get("Espace de repos Rosa (Horizon)")
    plan = [
        # alias, structure, shared, consent scope, reason, send, receiver's steps
        (
            "Sékou",
            rosa,
            ["languages", "alert", "reason"],
            "Cette orientation",
            "Épuisé, a besoin de dormir au calme.",
            True,
            [],
        ),
        (
            "Djibril",
            rosa,
            ["age", "languages"],
            "Cette orientation",
            "Demande une place de nuit.",
            True,
            ["waiting_list"],
        ),
        (
            "Yasmina",
            rosa,
            ["age", "gender", "languages"],
            "Le séjour à l'espace de repos",
            None,
            True,
            ["accepted", "attended"],
        ),
        ("Mohamed", by_name.get("CAARUD Gare du Nord"), [], None, "Matériel et douche.", False, []),
        (
            "Aïcha",
            by_name.get("Hôpital Lariboisière – PASS"),
            ["reason"],
            "Consultation PASS",
            "Douleurs au pied.",
            True,
            [],
        ),
    ]
    horizon_persons = _persons(session, horizon[1])
    for alias, structure, shared, scope, reason, send, steps in plan:
        if alias not in persons or structure is None:
            continue
        values = {
            "person_id": persons[alias].id,
            "structure_id": structure.id,
            "reason": reason,
            "shared": shared,
            "consent_given": bool(scope),
            "consent_scope": scope,
            "send": send,
        }
        referral = referrals.create_referral(session, sender, _form(ReferralForm, values))
        if alias == "Aïcha":
            referrals.change_status(session, sender, referral, StatusForm(status="accepted"))
        if steps:
            incoming = session.exec(
                select(referrals.IncomingReferral).where(referrals.IncomingReferral.referral_id == referral.id)
            ).one()
            for status in steps:
                referrals.receive_status(session, receiver, incoming, StatusForm(status=status))
            if alias in horizon_persons:
                referrals.link_person(session, receiver, incoming, LinkForm(other_id=horizon_persons[alias].id))
