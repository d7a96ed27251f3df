"""Demo persons: about fifteen per demo organisation, with spelling variants, alerts and notes, so that search,
the duplicate guard and the home page's urgent notes have something to show. Idempotent (by alias)."""

from datetime import date, timedelta

from sqlmodel import Session, col, select

from app.crypto import seal
from app.models import Person, PersonChange, PersonNote, PersonPlace, PersonTeam, Team, User, utcnow
from app.persons.service import new_unique_code, set_names

# alias, other aliases, gender, birth year, languages, nationality, team indexes (demo TEAMS), alert reason,
# days since last contact, description
PERSONS = [
    (
        "Mohamed",
        ["Momo"],
        "Homme",
        1984,
        ["arabe", "français"],
        "Algérie",
        [0, 2],
        None,
        1,
        "Veste rouge, toujours avec son chien.",
    ),
    ("Sékou", [], "Homme", 1979, ["bambara", "français"], "Mali", [0], "Très amaigri, à revoir chaque jour.", 0, None),
    ("Aïcha", ["Aisha"], "Femme", 1991, ["arabe", "français"], None, [0, 2], None, 3, None),
    ("Abdel Karim", ["Karim"], "Homme", 1988, ["arabe"], "Maroc", [1], None, 6, "Dort près de la sortie Jaurès."),
    ("Fatou", [], "Femme", 1995, ["wolof", "français"], "Sénégal", [2], "Enceinte (dit-elle), pas de suivi.", 2, None),
    ("Jean-Pierre", ["JP"], "Homme", 1968, ["français"], "France", [0], None, 12, None),
    ("Nadia", [], "Femme", 1986, ["français", "kabyle"], None, [2, 4], None, 1, None),
    ("Ousmane", ["Ousman"], "Homme", 1990, ["peul", "français"], "Guinée", [1], None, 20, None),
    ("Marie-Claire", ["Marie"], "Femme", 1975, ["français"], "France", [2], None, 5, None),
    ("Djibril", [], "Homme", 1998, ["soninké", "français"], "Mali", [0, 1], None, 40, None),
    ("Loïc", [], "Homme", 1982, ["français", "breton"], "France", [0], None, 9, None),
    ("Samira", [], "Femme", 1993, ["arabe"], "Tunisie", [4], None, 15, None),
    (
        "Ibrahim",
        ["Brahim"],
        "Homme",
        1977,
        ["arabe", "français"],
        "Algérie",
        [0],
        "Crises d'épilepsie rapportées.",
        4,
        None,
    ),
    ("Christophe", ["Kiki"], "Homme", 1971, ["français"], "France", [2], None, 75, None),
    ("Yasmina", [], "Femme", 1999, ["arabe", "anglais"], None, [0, 2], None, 2, None),
]
NOTES = {
    "Mohamed": [("A demandé une domiciliation, rendez-vous pris jeudi.", False)],
    "Sékou": [("N'a pas mangé depuis deux jours, orienter vers l'espace de repos ce soir.", True)],
    "Fatou": [("Accepte de rencontrer la sage-femme de la PASS.", False)],
    "Djibril": [("Perdu de vue depuis le démantèlement du campement.", False)],
}
PLACES = {"Mohamed": ["Jardin d'Éole"], "Abdel Karim": ["Métro Jaurès"], "Sékou": ["Porte de la Chapelle"]}


def load_demo_persons(session: Session, org_id, teams: list[Team]) -> None:
    known = set(session.exec(select(Person.alias).where(Person.org_id == org_id)))
    users = list(session.exec(select(User).where(User.org_id == org_id, col(User.role).in_(["worker", "health"]))))
    author = users[0] if users else None
    now = utcnow()
    for alias, others, gender, year, langs, nationality, team_idx, alert, days, description in PERSONS:
        if alias in known:
            continue
        person = Person(
            org_id=org_id,
            alias=alias,
            other_aliases=others,
            code=new_unique_code(session, org_id),
            gender=gender,
            birth_year=year,
            languages=langs,
            nationality=nationality,
            first_met_on=date.today() - timedelta(days=30 + days * 7),
            alert=alert is not None,
            last_contact_at=now - timedelta(days=days, hours=3),
            last_contact_by=author.id if author else None,
            created_by=author.id if author else None,
            created_at=now - timedelta(days=30 + days * 7),
        )
        seal(session, person, "alert_reason", alert)
        seal(session, person, "description", description)
        session.add(person)
        session.flush()
        set_names(session, person)
        for i in team_idx:
            if i < len(teams):
                session.add(PersonTeam(person_id=person.id, team_id=teams[i].id, org_id=org_id))
        session.add(
            PersonChange(
                org_id=org_id,
                person_id=person.id,
                user_id=author.id if author else None,
                at=person.created_at,
                kind="created",
            )
        )
        for body, urgent in NOTES.get(alias, []):
            note = PersonNote(
                org_id=org_id,
                person_id=person.id,
                urgent=urgent,
                team_id=teams[0].id if teams else None,
                author_id=author.id if author else None,
                created_at=now - timedelta(days=days, hours=2),
            )
            seal(session, note, "body", body)
            session.add(note)
        for place in PLACES.get(alias, []):
            session.add(PersonPlace(org_id=org_id, person_id=person.id, name=place))
    session.flush()
