"""Whatever a query string holds, a page answers (a 4xx with its message, or the page with its defaults), never a
500: every GET route of the app without an id in its path, asked by each kind of user with out-of-range numbers
and malformed values in the parameters the lists read. (A one-off walk of 44 parameter names x 7 values x three
roles found the audit log's page number reaching the database unchecked: a 500 on both databases.)"""

import pytest
from fastapi.testclient import TestClient

from tests.factories import make_org, make_person, make_team, make_user, sign_in
from tests.test_isolation import endpoints

NUMBERS = ["page", "days", "waiting_days", "limit", "year"]
OTHERS = ["q", "status", "team_id", "person_id", "worker_id", "category_id", "name", "view", "start", "end",
          "day_from", "day_to", "before", "cursor", "user_id", "action", "person", "alias", "new_alias", "exclude",
          "mode", "figure", "code", "from", "to"]  # fmt: skip
VALUES = ["-1", "99999999999999999999999", "abc", "2026-13-45", "\x00"]


@pytest.mark.parametrize("role", ["admin", "worker"])
def test_no_list_crashes_on_a_bad_query_string(db, app, role):
    client = TestClient(app, base_url="http://testserver", raise_server_exceptions=False)  # every crash listed
    org = make_org(db)
    team = make_team(db, org)
    make_person(db, org, "Karim", teams=[team])
    sign_in(client, db, make_user(db, org, role=role, teams=[team]))
    client.post("/team", data={"team_id": str(team.id)})
    crashed = []
    for route in endpoints(app):
        if "{" in route.path or "GET" not in route.methods or route.path in ("/logout",):
            continue
        for value in VALUES:
            for params in ({key: value} for key in NUMBERS) if value[0] in "-9" else [dict.fromkeys(OTHERS, value)]:
                status = client.get(route.path, params=params, follow_redirects=False).status_code
                if status >= 500:
                    crashed.append((route.path, params, status))
    assert crashed == []


def test_a_nul_character_typed_or_pasted_into_a_form_is_dropped_not_a_crash(client, db):
    import uuid

    from sqlmodel import select

    from app.models import Person

    org = make_org(db)
    team = make_team(db, org)
    sign_in(client, db, make_user(db, org, role="worker", teams=[team]))
    client.post("/team", data={"team_id": str(team.id)})
    data = {"id": str(uuid.uuid4()), "alias": "Ti\x00diane", "description": "vu\x00 hier", "team_ids": str(team.id)}
    assert client.post("/persons", data=data, follow_redirects=False).status_code == 303
    person = db.exec(select(Person).where(Person.id == uuid.UUID(data["id"]))).one()
    assert person.alias == "Tidiane"
