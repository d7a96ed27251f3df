import re

from sqlmodel import select

from app.models import AuditEvent, UserSession
from tests.factories import make_org, make_team, make_user, sign_in


def _invite(client, db):
    org = make_org(db)
    team = make_team(db, org, name="Maraude Est")
    admin = make_user(db, org, role="admin", teams=[team])
    sign_in(client, db, admin)
    form = client.get("/admin/users/new")
    form_id = re.search(r'name="id" value="([^"]+)"', form.text).group(1)
    resp = client.post(
        "/admin/users",
        data={"id": form_id, "name": "Dana", "email": "dana@example.org", "role": "worker", "team_ids": [str(team.id)]},
    )
    assert resp.status_code == 200
    link = re.search(r'value="http://testserver/(invite/[^"]+)"', resp.text).group(1)
    return org, admin, link


def test_invited_user_sets_password_then_signs_in(client, db):
    _org, _admin, link = _invite(client, db)
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token")
    page = client.get("/" + link, headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Dana" in page.text
    token = re.search(r'data-csrf="([^"]+)"', page.text).group(1)
    bad = client.post(
        "/" + link, data={"password": "abc", "confirm": "abc", "csrf_token": token}, headers={"Accept-Language": "en"}
    )
    assert bad.status_code == 422 and "at least 8 characters" in bad.text.lower()
    differ = client.post(
        "/" + link,
        data={"password": "walking in the rain", "confirm": "walking in the snow", "csrf_token": token},
        headers={"Accept-Language": "en"},
    )
    assert differ.status_code == 422 and "The two passwords differ." in differ.text
    ok = client.post(
        "/" + link, data={"password": "walking in the rain", "confirm": "walking in the rain", "csrf_token": token}
    )
    assert ok.status_code == 200
    # The link works once.
    assert client.get("/" + link).status_code == 404
    login = client.get("/login")
    token = re.search(r'data-csrf="([^"]+)"', login.text).group(1)
    resp = client.post(
        "/login",
        data={"email": "dana@example.org", "password": "walking in the rain", "csrf_token": token},
        follow_redirects=False,
    )
    assert resp.status_code == 303
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "auth.invitation_accepted")).first()


def test_expired_or_unknown_invitation_says_so(client, db):
    assert client.get("/invite/not-a-real-token", headers={"Accept-Language": "en"}).status_code == 404
    _org, _admin, link = _invite(client, db)
    from app.models import Invitation, utcnow

    inv = db.exec(select(Invitation)).one()
    inv.expires_at = utcnow()
    db.commit()
    resp = client.get("/" + link, headers={"Accept-Language": "en"})
    assert resp.status_code == 404 and "no longer works" in resp.text


def test_new_invitation_link_replaces_the_old_one(client, db):
    _org, _admin, link = _invite(client, db)
    from app.models import User

    dana = db.exec(select(User).where(User.email == "dana@example.org")).one()
    resp = client.post(f"/admin/users/{dana.id}/invitation")
    new_link = re.search(r'value="http://testserver/(invite/[^"]+)"', resp.text).group(1)
    assert new_link != link
    assert client.get("/" + link).status_code == 404
    assert client.get("/" + new_link).status_code == 200
    assert db.exec(select(UserSession)).first() is not None
