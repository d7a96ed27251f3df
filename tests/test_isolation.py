"""Organisation isolation: every route that takes an id answers 404 to a user of another organisation.

The walker visits every route of the app; a route whose id parameter has no factory below fails the test, so a
new route cannot be forgotten. The second test proves the walker catches a route that forgets to scope."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from fastapi.routing import APIRoute
from sqlmodel import Session, select

from app.deps import ActorDep, SessionDep
from app.models import Organisation, Team
from tests.factories import (
    make_checkin,
    make_consultation,
    make_consultation_type,
    make_custom_field,
    make_document,
    make_encounter,
    make_exit,
    make_exit_reason,
    make_field_place,
    make_incoming,
    make_link,
    make_material,
    make_need,
    make_need_category,
    make_note,
    make_observation,
    make_org,
    make_org_export,
    make_person,
    make_place,
    make_procedure,
    make_referral,
    make_round,
    make_service,
    make_session,
    make_stay,
    make_structure,
    make_team,
    make_territory,
    make_treatment,
    make_user,
    sign_in,
)

# Path parameters that are not ids of organisation-owned records (public tokens).
NOT_IDS = {"token", "path", "fmt"}  # not record ids: a token, a file path, an export format

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
    "session_id": lambda db, org: make_session(db, org),  # type: ignore[dict-item]
    "consultation_id": lambda db, org: make_consultation(db, org).id,
    "treatment_id": lambda db, org: make_treatment(db, org).id,
    "type_id": lambda db, org: make_consultation_type(db, org).id,
    "need_id": lambda db, org: make_need(db, org).id,
    "category_id": lambda db, org: make_need_category(db, org).id,
    "structure_id": lambda db, org: make_structure(db, org).id,
    "referral_id": lambda db, org: make_referral(db, org).id,
    "incoming_id": lambda db, org: make_incoming(db, org).id,
    "stay_id": lambda db, org: make_stay(db, org).id,
    "procedure_id": lambda db, org: make_procedure(db, org).id,
    "encounter_id": lambda db, org: make_encounter(db, org).id,
    "round_id": lambda db, org: make_round(db, org).id,
    "checkin_id": lambda db, org: make_checkin(db, org).id,
    "observation_id": lambda db, org: make_observation(db, org).id,
    "territory_id": lambda db, org: make_territory(db, org).id,
    "territory_place_id": lambda db, org: make_field_place(db, org).id,
    "material_id": lambda db, org: make_material(db, org).id,
    "service_id": lambda db, org: make_service(db, org).id,
    "export_id": lambda db, org: make_org_export(db, org).id,
    # Not an id: a day of a team's report; the team in the same path is the other organisation's.
    "day": lambda db, org: date.today().isoformat(),  # type: ignore[dict-item]
}

# Roles of organisation A that try every route: together they hold every permission an id route can need.
PROBE_ROLES = ("admin", "health", "coordinator")


@dataclass
class Endpoint:
    path: str
    methods: set[str]
    param_convertors: dict


def endpoints(app) -> list[Endpoint]:
    """Every API route of the app with its full path. FastAPI 0.16x keeps included routers nested in `app.routes`
    (`_IncludedRouter`): walking `app.routes` alone would see none of the app's own pages."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: routes are flat
        contexts = [r for r in app.routes]
    else:
        contexts = list(iter_route_contexts(app.routes))
    out = []
    for c in contexts:
        original = getattr(c, "original_route", c)
        if isinstance(original, APIRoute):
            out.append(Endpoint(c.path, set(c.methods or ()), dict(c.param_convertors)))
    return out


def walk(client, db, app) -> list[str]:
    own, other = make_org(db), make_org(db)
    own_team = make_team(db, own)
    users = {role: make_user(db, own, role=role, teams=[own_team]) for role in PROBE_ROLES}
    failures = []
    for route in endpoints(app):
        params = [p for p in route.param_convertors if p not in NOT_IDS]
        if not params:
            continue
        missing = [p for p in params if p not in ID_FACTORIES]
        if missing:
            failures.append(f"{route.path}: no factory for {missing} in ID_FACTORIES")
            continue
        path = route.path
        for name in params:
            path = path.replace("{" + name + "}", str(ID_FACTORIES[name](db, other)))
        for method in sorted(route.methods - {"HEAD"}):
            statuses = []
            for role in PROBE_ROLES:
                sign_in(client, db, users[role])
                resp = client.request(method, path, follow_redirects=False)
                statuses.append(resp.status_code)
            if 404 not in statuses or any(s not in (403, 404) for s in statuses):
                failures.append(f"{method} {route.path} answered {statuses} to another organisation")
    return failures


def test_every_route_taking_an_id_hides_other_organisations_records(client, db, app):
    assert len([e for e in endpoints(app) if "{" in e.path]) > 50  # the walker sees the app's own routes
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


# ---------------------------------------------------------------- the one crossing: a referral between organisations
def _reachable(client, db, app, user, ids: dict[str, object]) -> list[str]:
    """Every route whose id parameters are all in `ids`, tried by `user`: what did not answer 403 or 404."""
    sign_in(client, db, user)
    failures = []
    for route in endpoints(app):
        params = [p for p in route.param_convertors if p not in NOT_IDS]
        if not params or any(p not in ids for p in params):
            continue
        path = route.path
        for name in params:
            path = path.replace("{" + name + "}", str(ids[name]))
        for method in sorted(route.methods - {"HEAD"}):
            status = client.request(method, path, follow_redirects=False).status_code
            if status not in (403, 404):
                failures.append(f"{method} {path} answered {status}")
    return failures


def test_a_referral_between_organisations_opens_nothing_else_to_either_side_or_to_a_third(client, db, app):
    from app.models import IncomingReferral
    from app.referrals import service as referrals
    from app.referrals.forms import LinkForm, ReferralForm, StatusForm
    from tests.factories import make_inbox
    from tests.persons.conftest import actor_for

    sender_org, receiver_org, third_org = make_org(db, "Boréal"), make_org(db, "Horizon"), make_org(db, "Tiers")
    patrol = make_team(db, sender_org, "Maraude")
    rest = make_team(db, receiver_org, "Rosa", kind="rest_area")
    make_inbox(db, rest)
    sender = make_user(db, sender_org, role="admin", teams=[patrol], lang="en")
    receiver = make_user(db, receiver_org, role="admin", teams=[rest], lang="en")
    outsider = make_user(db, third_org, role="admin", teams=[make_team(db, third_org)])
    person = make_person(db, sender_org, "Sékou", phone="06 11 22 33 44", nationality="Mali", description="Veste rouge")
    note = make_note(db, sender_org, person, body="Dort sous le pont")
    structure = make_structure(
        db, sender_org, "Rosa", linked_team_id=rest.id, linked_org_id=receiver_org.id, linked_label="Horizon · Rosa"
    )
    form = ReferralForm(
        person_id=person.id, structure_id=structure.id, shared=["languages"], consent_given=True, send=True
    )
    referral = referrals.create_referral(db, actor_for(sender, patrol), form)
    incoming = db.exec(select(IncomingReferral).where(IncomingReferral.referral_id == referral.id)).one()
    referrals.receive_status(db, actor_for(receiver, rest), incoming, StatusForm(status="accepted"))
    own = referrals.link_person(db, actor_for(receiver, rest), incoming, LinkForm(create=True, confirm=True))
    db.commit()

    # The receiver sees the consented snapshot, and nothing of the sender's records by any id.
    sign_in(client, db, receiver)
    page = client.get(f"/referrals/inbox/{incoming.id}")
    assert page.status_code == 200 and "Sékou" in page.text and "Accepted" in page.text
    for secret in ("06 11", "Mali", "Veste rouge", "Dort sous le pont"):
        assert secret not in page.text
    sender_ids = {
        "person_id": person.id,
        "other_id": person.id,
        "note_id": note.id,
        "referral_id": referral.id,
        "structure_id": structure.id,
        "team_id": patrol.id,
        "need_id": make_need(db, sender_org, person, patrol).id,
        "stay_id": make_stay(db, sender_org, person).id,
        "procedure_id": make_procedure(db, sender_org, person).id,
        "incoming_id": make_incoming(db, third_org).id,
    }
    assert _reachable(client, db, app, receiver, sender_ids) == []

    # The sender sees the status come back, and nothing of the receiver's records.
    sign_in(client, db, sender)
    back = client.get(f"/referrals/{referral.id}")
    assert back.status_code == 200 and "Accepted" in back.text and "Horizon · Rosa" in back.text
    assert str(own.id) not in back.text and own.code not in back.text  # the receiver's record stays its own
    receiver_ids = {"incoming_id": incoming.id, "person_id": own.id, "other_id": own.id, "team_id": rest.id}
    assert _reachable(client, db, app, sender, receiver_ids) == []

    # A third organisation reaches neither side.
    both = {**sender_ids, "incoming_id": incoming.id}
    assert _reachable(client, db, app, outsider, both) == []
    sign_in(client, db, outsider)
    assert "Sékou" not in client.get("/referrals/inbox?status=all").text
