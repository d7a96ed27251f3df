"""Demo health data: a medical file, consultations and a treatment for three demo persons, written by the demo
health worker (so the Health tab has something to show). Idempotent: a person with a medical file is skipped."""

import uuid
from datetime import timedelta

from sqlmodel import Session, select

from app.access import Actor
from app.health import service
from app.health.forms import ConsultationForm, MedicalFileForm, TreatmentForm
from app.models import MedicalFile, Person, User, utcnow

FILES = {
    "Sékou": {
        "insurance": "pending",
        "insurance_details": "Dossier AME déposé à la PASS Lariboisière",
        "care_structures": "PASS Lariboisière\nCSAPA Gare du Nord",
        "products": ["crack", "alcohol"],
        "routes": ["smoked"],
        "vulnerabilities": "Dénutrition, dort dehors",
        "history": "Tuberculose traitée en 2022",
    },
    "Fatou": {
        "insurance": "none",
        "vulnerabilities": "Enceinte (dit 5 mois), aucun suivi",
        "products": ["crack"],
        "routes": ["smoked"],
    },
    "Ibrahim": {
        "insurance": "puma_css",
        "care_structures": "Médecin traitant à Paris 18e",
        "history": "Épilepsie, traitement pris irrégulièrement",
        "products": ["alcohol", "benzodiazepines"],
        "routes": ["swallowed"],
    },
}
# alias -> (type position in the defaults, days ago (negative: planned), status, care, vitals, notes, private)
CONSULTATIONS = {
    "Sékou": [
        (
            0,
            2,
            "done",
            ["wound", "foot"],
            {"temperature": 37.2, "heart_rate": 88},
            "Plaie au talon gauche, pansement refait. À revoir jeudi.",
            False,
        ),
        (1, -3, "planned", [], {}, "Consultation à la PASS pour le bilan tuberculose.", False),
    ],
    "Fatou": [
        (0, 1, "done", ["screening"], {}, "Test de grossesse positif, rendez-vous pris avec la sage-femme.", False)
    ],
    "Ibrahim": [
        (2, 6, "done", [], {}, "Notes personnelles : parle beaucoup de son frère, à reprendre.", True),
        (
            0,
            6,
            "done",
            ["medication"],
            {"bp_systolic": 135, "bp_diastolic": 85},
            "Traitement délivré pour 7 jours.",
            False,
        ),
    ],
}
TREATMENTS = {"Ibrahim": ("Valproate de sodium", "500 mg", "matin et soir", 60)}


def load_demo_health(session: Session, org_id: uuid.UUID) -> None:
    nurse = session.exec(select(User).where(User.org_id == org_id, User.role == "health")).first()
    if nurse is None:
        return
    actor = Actor(user_id=nurse.id, org_id=org_id, role=nurse.role, name=nurse.name)
    types = service.consultation_types(session, actor)
    now = utcnow()
    for alias, data in FILES.items():
        person = session.exec(select(Person).where(Person.org_id == org_id, Person.alias == alias)).first()
        if person is None or session.exec(select(MedicalFile).where(MedicalFile.person_id == person.id)).first():
            continue
        service.save_file(session, actor, person, MedicalFileForm(**data), {})
        for kind, days, status, care, vitals, notes, private in CONSULTATIONS.get(alias, []):
            form = ConsultationForm(
                type_id=types[kind].id,
                status=status,
                at=now - timedelta(days=days, hours=2),
                care=care,
                notes=notes,
                private=private,
                **vitals,
            )
            service.save_consultation(session, actor, person, form)
        if alias in TREATMENTS:
            name, dosage, frequency, days = TREATMENTS[alias]
            start = (now - timedelta(days=days)).date()
            service.save_treatment(
                session, actor, person, TreatmentForm(name=name, dosage=dosage, frequency=frequency, start_on=start)
            )
