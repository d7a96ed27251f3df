from tests.persons.conftest import _english, actor, org, team, worker  # noqa: F401  (shared fixtures)
