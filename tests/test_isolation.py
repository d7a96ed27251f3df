"""Organisation isolation: every route that takes an id answers 404 to a user of another organisation.

The walker visits every route of the app; a route whose id parameter has no factory below fails the test, so a
new route cannot be forgotten. The second test proves the walker catches a route that forgets to scope."""

import uuid
from collections.abc import Callable
from datetime import date

from fastapi.routing import APIRoute, iter_route_contexts
from sqlmodel import Session

from app.deps import ActorDep, SessionDep
from app.models import Organisation, Team
from tests.factories import (
    make_checkin,
    make_custom_field,
    make_document,
    make_encounter,
    make_exit,
    make_exit_reason,
    make_field_place,
    make_link,
    make_material,
    make_note,
    make_observation,
    make_org,
    make_person,
    make_place,
    make_round,
    make_service,
    make_session_id,
    make_team,
    make_territory,
    make_user,
    sign_in,
)

# Path parameters that are not ids of organisation-owned records (public tokens).
NOT_IDS = {"token", "path"}

# id parameter -> a factory making such a record in the given (other) organisation and returning its id.
ID_FACTORIES: dict[str, Callable[[Session, Organisation], uuid.UUID]] = {
    "team_id": lambda db, org: make_team(db, org).id,
    "user_id": lambda db, org: make_user(db, org).id,
    "person_id": lambda db, org: make_person(db, org).id,
    "other_id": lambda db, org: make_person(db, org).id,
    "code": lambda db, org: make_person(db, org).code,  # type: ignore[dict-item]
    "note_id": lambda db, org: make_note(db, org).id,
    "exit_id": lambda db, org: make_exit(db, org).id,
    "link_id": lambda db, org: make_link(db, org).id,
    "place_id": lambda db, org: make_place(db, org).id,
    "document_id": lambda db, org: make_document(db, org).id,
    "field_id": lambda db, org: make_custom_field(db, org).id,
    "reason_id": lambda db, org: make_exit_reason(db, org).id,
    "session_id": lambda db, org: make_session_id(db, org),  # type: ignore[dict-item]
    "encounter_id": lambda db, org: make_encounter(db, org).id,
    "round_id": lambda db, org: make_round(db, org).id,
    "checkin_id": lambda db, org: make_checkin(db, org).id,
    "observation_id": lambda db, org: make_observation(db, org).id,
    "territory_id": lambda db, org: make_territory(db, org).id,
    "territory_place_id": lambda db, org: make_field_place(db, org).id,
    "material_id": lambda db, org: make_material(db, org).id,
    "service_id": lambda db, org: make_service(db, org).id,
    # Not an id: a day of a team's report; the team in the same path is the other organisation's.
    "day": lambda db, org: date.today().isoformat(),  # type: ignore[dict-item]
}

# Roles of organisation A that try every route: together they hold every permission an id route can need.
PROBE_ROLES = ("admin", "health", "coordinator")


def walk(client, db, app) -> list[str]:
    own, other = make_org(db), make_org(db)
    own_team = make_team(db, own)
    users = {role: make_user(db, own, role=role, teams=[own_team]) for role in PROBE_ROLES}
    failures = []
    # iter_route_contexts: the routes of included routers too, with their full paths (FastAPI keeps included
    # routers as branches, so app.routes alone lists none of them).
    for context in iter_route_contexts(app.routes):
        route = context.route
        if not isinstance(route, APIRoute):
            continue
        params = [p for p in route.param_convertors if p not in NOT_IDS]
        if not params:
            continue
        missing = [p for p in params if p not in ID_FACTORIES]
        if missing:
            failures.append(f"{context.path}: no factory for {missing} in ID_FACTORIES")
            continue
        path = context.path
        for name in params:
            path = path.replace("{" + name + "}", str(ID_FACTORIES[name](db, other)))
        for method in sorted(set(context.methods or route.methods) - {"HEAD"}):
            statuses = []
            for role in PROBE_ROLES:
                sign_in(client, db, users[role])
                resp = client.request(method, path, follow_redirects=False)
                statuses.append(resp.status_code)
            if 404 not in statuses or any(s not in (403, 404) for s in statuses):
                failures.append(f"{method} {context.path} answered {statuses} to another organisation")
    return failures


def test_every_route_taking_an_id_hides_other_organisations_records(client, db, app):
    assert walk(client, db, app) == []


def test_the_walker_catches_a_route_that_forgets_to_scope(client, db, app):
    def leaky(team_id: uuid.UUID, actor: ActorDep, session: SessionDep):
        team = session.get(Team, team_id)  # no org filter: the bug the walker must find
        return {"name": team.name if team else None}

    app.router.add_api_route("/leaky/{team_id}", leaky, methods=["GET"])
    try:
        failures = walk(client, db, app)
    finally:
        app.router.routes.pop()
    assert failures == ["GET /leaky/{team_id} answered [200, 200, 200] to another organisation"]


def test_a_malformed_id_is_a_404_not_a_crash(client, db):
    org = make_org(db)
    sign_in(client, db, make_user(db, org, role="admin"))
    assert client.get("/admin/users/not-a-uuid").status_code == 404
    assert client.post("/admin/teams/12345/archive").status_code == 404
