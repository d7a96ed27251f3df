import pytest

from tests.factories import make_inbox, make_org, make_person, make_structure, make_team, make_user
from tests.persons.conftest import _english, actor, actor_for, org, team, worker  # noqa: F401  (shared fixtures)


class Partner:
    """Another organisation whose rest area receives referrals, and a structure of `org` linked to it."""

    def __init__(self, db, org):  # noqa: F811
        self.org = make_org(db, "Association Horizon")
        self.team = make_team(db, self.org, "Espace de repos Rosa", kind="rest_area", capacity=26)
        self.inbox = make_inbox(db, self.team)
        self.user = make_user(db, self.org, role="worker", teams=[self.team])
        self.actor = actor_for(self.user, self.team)
        self.structure = make_structure(
            db,
            org,
            "Rosa (Horizon)",
            linked_team_id=self.team.id,
            linked_org_id=self.org.id,
            linked_label="Association Horizon · Espace de repos Rosa",
        )


@pytest.fixture
def partner(db, org):  # noqa: F811
    return Partner(db, org)


@pytest.fixture
def person(db, org, team):  # noqa: F811
    return make_person(
        db,
        org,
        "Sékou",
        teams=[team],
        gender="Homme",
        birth_year=1979,
        languages=["bambara", "français"],
        nationality="Mali",
        phone="06 11 22 33 44",
        alert=True,
        alert_reason="Très amaigri",
        description="Veste rouge",
    )
