import re
import time

import pyotp
from sqlmodel import select

from app.auth import mfa
from app.crypto import encrypt_system
from app.models import AuditEvent, RecoveryCode, UserSession, utcnow
from tests.factories import PASSWORD, csrf_from, make_org, make_team, make_user, sign_in

EN = {"Accept-Language": "en"}


def _password_step(client, email):
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )


def _enrolled(db, user, secret="JBSWY3DPEHPK3PXPJBSWY3DP"):  # noqa: S107
    user.totp_secret = encrypt_system(secret, f"users.totp_secret:{user.id}")
    user.totp_enabled_at = utcnow()
    db.commit()
    return pyotp.TOTP(secret)


def _csrf(client):
    return {"X-CSRF-Token": csrf_from(client.get("/login").text)}


def test_required_role_must_enrol_before_anything_else(client, db):
    org = make_org(db)
    user = make_user(db, org, role="coordinator", teams=[make_team(db, org)], email="coord@example.org")
    resp = _password_step(client, "coord@example.org")
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login/2fa")
    # Nothing else opens while the second factor is missing.
    assert client.get("/", follow_redirects=False).headers["location"] == "/login/2fa"
    assert client.get("/login/2fa", follow_redirects=False).headers["location"] == "/account/2fa"
    page = client.get("/account/2fa", headers=EN)
    assert "Your role requires two-factor sign-in" in page.text and "<svg" in page.text
    sealed = re.search(r'name="sealed" value="([^"]+)"', page.text).group(1)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page.text).group(1)
    headers = {**EN, "X-CSRF-Token": csrf_from(page.text)}
    wrong = client.post("/account/2fa", data={"sealed": sealed, "code": "000000"}, headers=headers)
    assert wrong.status_code == 422 and "This code is not right" in wrong.text
    ok = client.post("/account/2fa", data={"sealed": sealed, "code": pyotp.TOTP(secret).now()}, headers=headers)
    assert ok.status_code == 200 and "Your recovery codes" in ok.text
    assert len(re.findall(r"<li><code>[a-z2-9]{5}-[a-z2-9]{5}</code></li>", ok.text)) == 10
    assert client.get("/", follow_redirects=False).status_code == 200
    db.refresh(user)
    assert user.totp_secret and "JBSW" not in user.totp_secret and secret not in user.totp_secret


def test_worker_without_two_factor_is_not_asked(client, db):
    org = make_org(db)
    make_user(db, org, role="worker", email="w@example.org")
    assert _password_step(client, "w@example.org").headers["location"] == "/"


def test_enrolled_user_passes_with_a_code_once_and_a_replay_is_refused(client, db, app):
    from fastapi.testclient import TestClient

    org = make_org(db)
    user = make_user(db, org, role="worker", teams=[make_team(db, org)], email="t@example.org")
    totp = _enrolled(db, user)
    _password_step(client, "t@example.org")
    code = totp.now()
    resp = client.post("/login/2fa", data={"code": code, "next": "/"}, headers=_csrf(client), follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/"
    assert client.get("/", follow_redirects=False).status_code == 200
    with TestClient(app) as other_phone:
        _password_step(other_phone, "t@example.org")
        replay = other_phone.post("/login/2fa", data={"code": code}, headers={**EN, **_csrf(other_phone)})
        assert replay.status_code == 422 and "already used" in replay.text
        assert other_phone.get("/", follow_redirects=False).headers["location"] == "/login/2fa"
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "auth.mfa_failed")).first() is not None


def test_recovery_code_works_once(client, db):
    org = make_org(db)
    user = make_user(db, org, role="worker", email="r@example.org")
    _enrolled(db, user)
    codes = mfa._new_recovery_codes(db, user)
    db.commit()
    _password_step(client, "r@example.org")
    ok = client.post("/login/2fa", data={"code": codes[0].upper()}, headers=_csrf(client), follow_redirects=False)
    assert ok.status_code == 303
    assert mfa.remaining_recovery_codes(db, user) == 9
    client.post("/logout", headers=_csrf(client))
    _password_step(client, "r@example.org")
    again = client.post("/login/2fa", data={"code": codes[0]}, headers={**EN, **_csrf(client)})
    assert again.status_code == 422
    assert db.exec(select(RecoveryCode).where(RecoveryCode.used_at.is_not(None))).one()


def test_five_wrong_codes_end_the_pending_session(client, db):
    org = make_org(db)
    user = make_user(db, org, role="worker", email="f@example.org")
    _enrolled(db, user)
    _password_step(client, "f@example.org")
    headers = {**EN, **_csrf(client)}
    for _ in range(4):
        assert "This code is not right" in client.post("/login/2fa", data={"code": "123456"}, headers=headers).text
    last = client.post("/login/2fa", data={"code": "123456"}, headers=headers)
    assert "Too many wrong codes. Sign in again." in last.text
    assert db.exec(select(UserSession).where(UserSession.user_id == user.id)).one().revoked_at is not None
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_corrupted_secret_gives_a_clear_message_and_is_audited(client, db):
    org = make_org(db)
    user = make_user(db, org, role="worker", email="c@example.org")
    _enrolled(db, user)
    user.totp_secret = user.totp_secret[:-6] + "AAAAAA"
    db.commit()
    _password_step(client, "c@example.org")
    resp = client.post("/login/2fa", data={"code": "123456"}, headers={**EN, **_csrf(client)})
    assert resp.status_code == 422 and "cannot be read" in resp.text
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "auth.mfa_key_error")).first() is not None


def test_admin_resets_a_lost_second_factor(client, db):
    org = make_org(db)
    admin = make_user(db, org, role="admin")
    worker = make_user(db, org, role="health")
    _enrolled(db, worker)
    sign_in(client, db, admin)
    assert "Reset two-factor sign-in" in client.get(f"/admin/users/{worker.id}", headers=EN).text
    assert client.post(f"/admin/users/{worker.id}/reset-2fa", follow_redirects=False).status_code == 303
    db.refresh(worker)
    assert worker.totp_secret is None and worker.totp_enabled_at is None
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "user.mfa_reset")).one().entity_id == str(worker.id)


def test_admin_ends_one_session_of_a_user(client, db):
    from app.auth.service import start_session

    org = make_org(db)
    admin = make_user(db, org, role="admin")
    worker = make_user(db, org)
    start_session(db, worker, "10.0.0.1", "Phone A")
    start_session(db, worker, "10.0.0.2", "Phone B")
    db.commit()
    sign_in(client, db, admin)
    page = client.get(f"/admin/users/{worker.id}")
    first = re.search(rf"/admin/users/{worker.id}/sessions/([0-9a-f]{{64}})/end", page.text).group(1)
    assert client.post(f"/admin/users/{worker.id}/sessions/{first}/end", follow_redirects=False).status_code == 303
    rows = db.exec(select(UserSession).where(UserSession.user_id == worker.id)).all()
    assert sorted(r.revoked_at is None for r in rows) == [False, True]
    # A session of another user cannot be ended through this user's page.
    other = make_user(db, org)
    other_token_row = (
        start_session(db, other, "x", "y") and db.exec(select(UserSession).where(UserSession.user_id == other.id)).one()
    )
    db.commit()
    assert client.post(f"/admin/users/{worker.id}/sessions/{other_token_row.id}/end").status_code == 404


def test_panic_switch_ends_every_session_of_the_organisation_only(client, db):
    from app.auth.service import start_session

    org, elsewhere = make_org(db), make_org(db)
    admin = make_user(db, org, role="admin")
    for u in (make_user(db, org), make_user(db, org, role="reception")):
        start_session(db, u, "1.1.1.1", "phone")
    outsider = make_user(db, elsewhere)
    start_session(db, outsider, "2.2.2.2", "phone")
    db.commit()
    sign_in(client, db, admin)
    refused = client.post("/admin/panic", data={}, headers=EN)
    assert refused.status_code == 422 and "Tick the box" in refused.text
    resp = client.post("/admin/panic", data={"confirm": "yes"}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/login"
    live = db.exec(select(UserSession).where(UserSession.revoked_at.is_(None))).all()
    assert [s.user_id for s in live] == [outsider.id]
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "org.panic")).one().details == {"count": 3}
    assert client.get("/", follow_redirects=False).status_code == 303


def test_codes_from_the_neighbouring_time_steps_are_accepted_for_clock_drift():
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    step = int(time.time()) // 30
    assert mfa._step_matching(secret, totp.generate_otp(step - 1), None) == step - 1
    assert mfa._step_matching(secret, totp.generate_otp(step - 3), None) is None
    assert mfa._step_matching(secret, totp.generate_otp(step), step) is None  # already used
    assert mfa._step_matching(secret, "12 34", None) is None
