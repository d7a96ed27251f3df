from tests.field.conftest import _english, actor, org, rest_area, role_actor, team, worker  # noqa: F401
