import pytest
from sqlalchemy import event

from tests.factories import make_org, make_team, make_user
from tests.persons.conftest import actor_for


@pytest.fixture(autouse=True)
def _english():
    from app import i18n

    i18n.set_lang("en")


@pytest.fixture
def org(db):
    return make_org(db)


@pytest.fixture
def team(db, org):
    return make_team(db, org, name="Maraude Nord")


@pytest.fixture
def rest_area(db, org):
    return make_team(db, org, name="Espace Rosa", kind="rest_area", capacity=3)


@pytest.fixture
def worker(db, org, team, rest_area):
    return make_user(db, org, role="worker", teams=[team, rest_area])


@pytest.fixture
def actor(worker, team):
    return actor_for(worker, team)


@pytest.fixture
def role_actor(db, org, team, rest_area):
    """actor of `role` in the organisation, working with `team` (rest_area=True: the rest area) today."""

    def make(role: str, at_rest_area: bool = False):
        user = make_user(db, org, role=role, teams=[team, rest_area])
        return actor_for(user, rest_area if at_rest_area else team)

    return make


@pytest.fixture
def count_queries(db):
    """A context manager counting the SQL statements run on the test connection."""

    class Counter:
        def __init__(self):
            self.n = 0

        def __enter__(self):
            event.listen(db.connection(), "before_cursor_execute", self._count)
            return self

        def __exit__(self, *exc):
            event.remove(db.connection(), "before_cursor_execute", self._count)

        def _count(self, *args):
            self.n += 1

    return Counter
