import re
import uuid

from sqlmodel import select

from app.models import AuditEvent, Team, TeamMembership, User, UserSession, utcnow
from tests.factories import make_org, make_team, make_user, sign_in

EN = {"Accept-Language": "en"}


def _admin(client, db):
    org = make_org(db)
    team = make_team(db, org, name="Maraude Nord")
    admin = make_user(db, org, role="admin", teams=[team])
    sign_in(client, db, admin)
    return org, team, admin


def _new_form_id(client, url):
    return re.search(r'name="id" value="([^"]+)"', client.get(url).text).group(1)


def test_creating_a_user_twice_with_the_same_form_makes_one_user(client, db):
    org, team, _admin_user = _admin(client, db)
    form_id = _new_form_id(client, "/admin/users/new")
    data = {"id": form_id, "name": "Eli", "email": "eli@example.org", "role": "health", "team_ids": [str(team.id)]}
    first = client.post("/admin/users", data=data)
    assert first.status_code == 200 and "/invite/" in first.text
    second = client.post("/admin/users", data=data, follow_redirects=False)
    assert second.status_code == 303 and second.headers["location"] == f"/admin/users/{form_id}"
    users = db.exec(select(User).where(User.email == "eli@example.org")).all()
    assert len(users) == 1 and users[0].role == "health" and users[0].org_id == org.id
    assert db.exec(select(TeamMembership).where(TeamMembership.user_id == users[0].id)).one().team_id == team.id
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "user.created")).one().entity_id == form_id


def test_bad_user_form_keeps_what_was_typed_and_says_why(client, db):
    _org, _team, admin = _admin(client, db)
    form_id = _new_form_id(client, "/admin/users/new")
    resp = client.post(
        "/admin/users",
        data={"id": form_id, "name": "Fatou Diallo", "email": "not-an-email", "role": "worker"},
        headers=EN,
    )
    assert resp.status_code == 422
    assert "Enter an email address such as name@example.org." in resp.text
    assert 'value="Fatou Diallo"' in resp.text and 'value="not-an-email"' in resp.text
    taken = client.post(
        "/admin/users", data={"id": form_id, "name": "Fatou", "email": admin.email, "role": "worker"}, headers=EN
    )
    assert taken.status_code == 422 and "already exists" in taken.text
    weird_role = client.post(
        "/admin/users", data={"id": form_id, "name": "X", "email": "x@example.org", "role": "god"}, headers=EN
    )
    assert weird_role.status_code == 422 and "Choose one of the options." in weird_role.text
    long_name = client.post(
        "/admin/users", data={"id": form_id, "name": "n" * 200, "email": "y@example.org", "role": "worker"}, headers=EN
    )
    assert long_name.status_code == 422 and "At most 120 characters." in long_name.text
    assert db.get(User, uuid.UUID(form_id)) is None


def test_team_of_another_organisation_cannot_be_given(client, db):
    _admin(client, db)
    foreign = make_team(db, make_org(db))
    form_id = _new_form_id(client, "/admin/users/new")
    resp = client.post(
        "/admin/users",
        data={"id": form_id, "name": "G", "email": "g@example.org", "role": "worker", "team_ids": [str(foreign.id)]},
    )
    assert resp.status_code == 422
    assert db.exec(select(User).where(User.email == "g@example.org")).first() is None


def test_role_and_teams_change_and_the_last_admin_is_kept(client, db):
    org, team, admin = _admin(client, db)
    other_team = make_team(db, org, name="Repos")
    worker = make_user(db, org, teams=[team])
    resp = client.post(
        f"/admin/users/{worker.id}",
        data={
            "version": worker.version,
            "name": worker.name,
            "email": worker.email,
            "role": "coordinator",
            "team_ids": [str(other_team.id)],
        },
        follow_redirects=False,
    )
    assert resp.status_code == 303
    db.refresh(worker)
    assert worker.role == "coordinator"
    assert [m.team_id for m in db.exec(select(TeamMembership).where(TeamMembership.user_id == worker.id))] == [
        other_team.id
    ]
    demote = client.post(
        f"/admin/users/{admin.id}",
        data={"version": admin.version, "name": admin.name, "email": admin.email, "role": "worker"},
        headers=EN,
    )
    assert demote.status_code == 422 and "at least one active admin" in demote.text
    db.refresh(admin)
    assert admin.role == "admin"


def test_concurrent_edit_is_refused_not_overwritten(client, db):
    org, team, _admin_user = _admin(client, db)
    worker = make_user(db, org, name="Old name")
    stale = worker.version
    worker.name = "Changed elsewhere"
    db.commit()
    resp = client.post(
        f"/admin/users/{worker.id}",
        data={"version": stale, "name": "Mine", "email": worker.email, "role": "worker"},
        headers=EN,
    )
    assert resp.status_code == 409 and "Someone else changed this record" in resp.text
    db.refresh(worker)
    assert worker.name == "Changed elsewhere"


def test_deactivating_a_user_ends_their_sessions_and_blocks_sign_in(client, db):
    org, _team, _admin_user = _admin(client, db)
    worker = make_user(db, org)
    from app.auth.service import start_session

    start_session(db, worker, "1.2.3.4", "phone")
    db.commit()
    assert client.post(f"/admin/users/{worker.id}/deactivate", follow_redirects=False).status_code == 303
    db.refresh(worker)
    assert not worker.is_active
    assert all(s.revoked_at for s in db.exec(select(UserSession).where(UserSession.user_id == worker.id)))
    assert client.post(f"/admin/users/{worker.id}/activate", follow_redirects=False).status_code == 303
    db.refresh(worker)
    assert worker.is_active


def test_admin_cannot_deactivate_themselves(client, db):
    _org, _team, admin = _admin(client, db)
    resp = client.post(f"/admin/users/{admin.id}/deactivate", headers=EN)
    assert resp.status_code == 422 and "your own account" in resp.text


def test_revoking_all_sessions_signs_a_lost_phone_out(client, db, app):
    from fastapi.testclient import TestClient

    org, _team, _admin_user = _admin(client, db)
    worker = make_user(db, org, teams=[make_team(db, org)])
    with TestClient(app) as phone:
        sign_in(phone, db, worker)
        assert phone.get("/", follow_redirects=False).status_code == 200
        assert client.post(f"/admin/users/{worker.id}/revoke-sessions", follow_redirects=False).status_code == 303
        assert phone.get("/", follow_redirects=False).status_code == 303
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "user.sessions_revoked")).one()
    assert event.details == {"count": 1}


def test_team_creation_edit_archive_and_bad_input(client, db):
    org, _team, _admin_user = _admin(client, db)
    form_id = _new_form_id(client, "/admin/teams/new")
    bad = client.post(
        "/admin/teams", data={"id": form_id, "name": "Repos Sud", "kind": "rest_area", "capacity": "-3"}, headers=EN
    )
    assert bad.status_code == 422 and "Must be at least 0." in bad.text and 'value="Repos Sud"' in bad.text
    dup = client.post("/admin/teams", data={"id": form_id, "name": "maraude nord", "kind": "patrol"}, headers=EN)
    assert dup.status_code == 422 and "Another team already has this name." in dup.text
    data = {"id": form_id, "name": "Repos Sud", "kind": "rest_area", "capacity": "15", "noon_to_noon": "true"}
    assert client.post("/admin/teams", data=data, follow_redirects=False).status_code == 303
    assert client.post("/admin/teams", data=data, follow_redirects=False).status_code == 303  # sent twice: one team
    team = db.exec(select(Team).where(Team.org_id == org.id, Team.name == "Repos Sud")).one()
    assert (team.kind, team.capacity, team.noon_to_noon) == ("rest_area", 15, True)
    edit = {"version": team.version, "name": "Repos Sud", "kind": "rest_area", "capacity": "20"}
    assert client.post(f"/admin/teams/{team.id}", data=edit, follow_redirects=False).status_code == 303
    db.refresh(team)
    assert team.capacity == 20 and team.noon_to_noon is False and team.version == 2
    assert client.post(f"/admin/teams/{team.id}/archive", follow_redirects=False).status_code == 303
    db.refresh(team)
    assert team.archived_at is not None
    assert "Repos Sud" in client.get("/admin/teams").text  # still listed for admins, marked archived


def test_archived_team_is_no_longer_offered_to_pick(client, db):
    org = make_org(db)
    a, b = make_team(db, org, name="Equipe A"), make_team(db, org, name="Equipe B")
    worker = make_user(db, org, teams=[a, b])
    b.archived_at = utcnow()
    db.commit()
    sign_in(client, db, worker)
    home = client.get("/")
    assert "Equipe A" in home.text  # the only live team is picked at once


def test_non_admins_cannot_reach_administration(client, db):
    org = make_org(db)
    team = make_team(db, org)
    target = make_user(db, org)
    for role in ("coordinator", "worker", "health", "reception"):
        sign_in(client, db, make_user(db, org, role=role, teams=[team]))
        assert client.get("/admin/users").status_code == 403
        assert client.get("/admin/teams/new").status_code == 403
        assert client.get("/admin/audit").status_code == 403
        assert client.post(f"/admin/users/{target.id}/deactivate").status_code == 403
    db.refresh(target)
    assert target.is_active


def test_audit_log_lists_sign_ins_and_admin_actions_with_filters(client, db):
    org, team, admin = _admin(client, db)
    worker = make_user(db, org, name="Worker Zed")
    client.post(f"/admin/users/{worker.id}/revoke-sessions")
    page = client.get("/admin/audit", headers=EN)
    assert page.status_code == 200 and "user.sessions_revoked" in page.text
    only_auth = client.get("/admin/audit?action=auth.", headers={**EN, "HX-Request": "true"})
    assert "user.sessions_revoked" not in only_auth.text and "<html" not in only_auth.text
    bad_filter = client.get("/admin/audit?day_from=yesterday", headers=EN)
    assert bad_filter.status_code == 200 and "Some filters are not valid" in bad_filter.text
    # Another organisation's events never show.
    other_admin = make_user(db, make_org(db), role="admin")
    sign_in(client, db, other_admin)
    assert "user.sessions_revoked" not in client.get("/admin/audit").text


def test_a_large_organisations_teams_wait_in_a_closed_list_behind_the_users_own(client, db):
    """The user form on a phone starts with the user's teams (with their kind); the organisation's others wait in a
    closed list, every box still in the form, and a refused form keeps its ticked team among the first."""
    org, team, _admin_user = _admin(client, db)
    others = [make_team(db, org, f"Équipe {i:02}", kind="rest_area") for i in range(8)]

    def boxes(html: str) -> tuple[str, str]:
        fieldset = html.split("<legend>Teams</legend>", 1)[1].split("</fieldset>", 1)[0]
        first, _sep, rest = fieldset.partition("<details")
        return first, rest

    first, rest = boxes(client.get("/admin/users/new", headers=EN).text)
    assert 'type="checkbox"' not in first and "Choose teams (9)" in rest
    member = make_user(db, org, role="worker", teams=[others[2]])
    first, rest = boxes(client.get(f"/admin/users/{member.id}", headers=EN).text)
    assert f'value="{others[2].id}" checked> Équipe 02 <small class="muted">Rest area</small>' in first
    assert "Other teams (8)" in rest and all(f'value="{t.id}"' in rest for t in [team, *others[3:]])
    data = {"id": _new_form_id(client, "/admin/users/new"), "name": "Eli", "email": "nope", "role": "worker"}
    refused = client.post("/admin/users", data={**data, "team_ids": [str(others[5].id)]}, headers=EN)
    first, rest = boxes(refused.text)
    assert refused.status_code == 422 and f'value="{others[5].id}" checked' in first
