import pytest

from app.access import Actor
from tests.factories import make_org, make_team, make_user


def actor_for(user, team=None) -> Actor:
    return Actor(
        user_id=user.id,
        org_id=user.org_id,
        role=user.role,
        name=user.name,
        lang="en",
        team_ids=frozenset({team.id} if team else set()),
        team_id=team.id if team else None,
    )


@pytest.fixture
def org(db):
    return make_org(db)


@pytest.fixture
def team(db, org):
    return make_team(db, org, name="Maraude Nord")


@pytest.fixture
def worker(db, org, team):
    return make_user(db, org, role="worker", teams=[team])


@pytest.fixture
def actor(worker, team):
    return actor_for(worker, team)


@pytest.fixture(autouse=True)
def _english():
    from app import i18n

    i18n.set_lang("en")
