from datetime import timedelta

from sqlmodel import select

from app.models import AuditEvent, LoginThrottle, UserSession, utcnow
from app.security import CSRF_COOKIE, SESSION_COOKIE
from tests.factories import PASSWORD, csrf_from, make_org, make_team, make_user, sign_in


def _login(client, email, password, **headers):
    page = client.get("/login")
    token = csrf_from(page.text)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
        headers=headers,
    )


def test_sign_in_with_one_team_lands_on_that_team_home(client, db):
    org = make_org(db)
    team = make_team(db, org, name="Maraude Nord")
    user = make_user(db, org, teams=[team], email="ana@example.org")
    resp = _login(client, "ANA@example.org ", PASSWORD)
    assert resp.status_code == 303 and resp.headers["location"] == "/"
    cookie = resp.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = client.get("/")
    assert home.status_code == 200 and "Maraude Nord" in home.text
    assert db.exec(
        select(AuditEvent).where(AuditEvent.action == "auth.signed_in", AuditEvent.user_id == user.id)
    ).first()


def test_wrong_password_shows_message_keeps_email_and_is_audited(client, db):
    org = make_org(db)
    make_user(db, org, email="bo@example.org")
    resp = _login(client, "bo@example.org", "wrong password", **{"Accept-Language": "en"})
    assert resp.status_code == 422
    assert "Wrong email or password." in resp.text
    assert 'value="bo@example.org"' in resp.text
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "auth.failed")).first() is not None


def test_failed_sign_in_message_is_french_for_a_french_browser(client, db):
    org = make_org(db)
    make_user(db, org, email="fr@example.org")
    resp = _login(client, "fr@example.org", "nope nope", **{"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert "Adresse e-mail ou mot de passe incorrect." in resp.text


def test_repeated_failures_are_throttled_progressively_but_not_locked_for_good(client, db):
    org = make_org(db)
    make_user(db, org, email="cy@example.org")
    for _ in range(5):
        assert (
            "Wrong email or password."
            in _login(client, "cy@example.org", "bad-guess", **{"Accept-Language": "en"}).text
        )
    resp = _login(client, "cy@example.org", PASSWORD, **{"Accept-Language": "en"})
    assert resp.status_code == 422 and "Too many failed sign-ins" in resp.text
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "auth.throttled")).first() is not None
    # Once the delay has passed, the right password works again: the throttle is never a permanent lock.
    for row in db.exec(select(LoginThrottle)):
        row.last_failure_at = utcnow() - timedelta(hours=1)
    db.commit()
    assert _login(client, "cy@example.org", PASSWORD).status_code == 303


def test_deactivated_user_cannot_sign_in(client, db):
    org = make_org(db)
    make_user(db, org, email="off@example.org", is_active=False)
    resp = _login(client, "off@example.org", PASSWORD, **{"Accept-Language": "en"})
    assert resp.status_code == 422 and "deactivated" in resp.text


def test_unauthenticated_pages_redirect_to_sign_in(client):
    resp = client.get("/admin/users", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/login?next=/admin/users"
    htmx = client.get("/admin/users", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/login")


def test_next_parameter_never_redirects_off_site(client, db):
    org = make_org(db)
    make_user(db, org, email="nx@example.org")
    page = client.get("/login")
    resp = client.post(
        "/login",
        data={
            "email": "nx@example.org",
            "password": PASSWORD,
            "next": "//evil.example",
            "csrf_token": csrf_from(page.text),
        },
        follow_redirects=False,
    )
    assert resp.headers["location"] == "/"


def test_post_without_csrf_token_is_refused(client, db):
    org = make_org(db)
    user = make_user(db, org, role="admin")
    sign_in(client, db, user)
    del client.headers["X-CSRF-Token"]
    resp = client.post("/logout", follow_redirects=False, headers={"Accept-Language": "en"})
    assert resp.status_code == 403 and "This form has expired" in resp.text
    assert db.get(UserSession, db.exec(select(UserSession.id)).first()).revoked_at is None


def test_cross_site_post_is_refused_even_with_a_token(client, db):
    org = make_org(db)
    user = make_user(db, org)
    sign_in(client, db, user)
    resp = client.post("/logout", headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=False)
    assert resp.status_code == 403


def test_login_form_sets_csrf_cookie_and_rejects_a_forged_token(client, db):
    page = client.get("/login")
    assert CSRF_COOKIE in page.cookies
    resp = client.post("/login", data={"email": "a@b.c", "password": "x", "csrf_token": "forged"})
    assert resp.status_code == 403


def test_sign_out_revokes_the_session(client, db):
    org = make_org(db)
    user = make_user(db, org, teams=[make_team(db, org)])
    sign_in(client, db, user)
    assert client.get("/").status_code == 200
    resp = client.post("/logout", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/login"
    row = db.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert row.revoked_at is not None
    client.cookies.clear()
    assert client.get("/", follow_redirects=False).status_code == 303


def test_idle_session_expires(client, db):
    org = make_org(db)
    user = make_user(db, org, teams=[make_team(db, org)])
    sign_in(client, db, user)
    row = db.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    row.last_seen_at = utcnow() - timedelta(hours=9)
    db.commit()
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_session_in_use_stays_alive_past_the_idle_time(client, db):
    org = make_org(db)
    user = make_user(db, org, teams=[make_team(db, org)])
    sign_in(client, db, user)
    row = db.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    row.last_seen_at = utcnow() - timedelta(hours=7, minutes=59)  # idle limit: 8 hours
    db.commit()
    assert client.get("/").status_code == 200
    db.refresh(row)
    assert utcnow() - row.last_seen_at < timedelta(minutes=1), "the page restarted the idle time"


def test_a_page_never_fails_because_its_last_seen_time_could_not_be_written(caplog, tmp_path):
    from sqlalchemy import create_engine

    from app.db import touch_after_commit

    # A database that refuses the write (here: no such table) stands for SQLite's "database is locked".
    touch_after_commit(create_engine(f"sqlite:///{tmp_path}/empty.db"), "x" * 64, utcnow())
    assert "last-seen time could not be written" in caplog.text


def test_absolute_session_lifetime(client, db):
    org = make_org(db)
    user = make_user(db, org, teams=[make_team(db, org)])
    sign_in(client, db, user)
    row = db.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    assert client.get("/", follow_redirects=False).status_code == 303


def test_user_with_several_teams_picks_one_and_home_shows_it(client, db):
    org = make_org(db)
    a, b = make_team(db, org, name="Maraude A"), make_team(db, org, name="Repos B", kind="rest_area", capacity=15)
    user = make_user(db, org, teams=[a, b])
    sign_in(client, db, user)
    resp = client.get("/", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/team"
    picker = client.get("/team")
    assert "Maraude A" in picker.text and "Repos B" in picker.text
    assert client.post("/team", data={"team_id": str(b.id)}, follow_redirects=False).status_code == 303
    home = client.get("/")
    assert "Repos B" in home.text and "15" in home.text


def test_cannot_pick_a_team_one_is_not_in(client, db):
    org = make_org(db)
    mine, other = make_team(db, org), make_team(db, org)
    user = make_user(db, org, teams=[mine])
    sign_in(client, db, user)
    assert client.post("/team", data={"team_id": str(other.id)}).status_code == 404
    assert client.post("/team", data={"team_id": "not-a-uuid"}).status_code == 422


def test_change_password_checks_current_and_rejects_common_ones(client, db):
    org = make_org(db)
    user = make_user(db, org)
    sign_in(client, db, user)
    en = {"Accept-Language": "en"}
    wrong = client.post(
        "/account/password",
        data={"current": "nope", "password": "a long new sentence", "confirm": "a long new sentence"},
        headers=en,
    )
    assert wrong.status_code == 422 and "The current password is wrong." in wrong.text
    common = client.post(
        "/account/password", data={"current": PASSWORD, "password": "password123", "confirm": "password123"}, headers=en
    )
    assert common.status_code == 422 and "too common" in common.text
    short = client.post(
        "/account/password", data={"current": PASSWORD, "password": "short", "confirm": "short"}, headers=en
    )
    assert "at least 8 characters" in short.text.lower()
    ok = client.post(
        "/account/password",
        data={"current": PASSWORD, "password": "a long new sentence", "confirm": "a long new sentence"},
        headers=en,
    )
    assert ok.status_code == 200 and "Your password has been changed" in ok.text
    db.refresh(user)
    from app.auth.service import _verify

    assert _verify(user.password_hash, "a long new sentence")


def test_language_choice_is_kept_on_the_profile(client, db):
    org = make_org(db)
    user = make_user(db, org)
    sign_in(client, db, user)
    client.post("/account/language", data={"lang": "en"})
    db.refresh(user)
    assert user.lang == "en"
    assert "My account" in client.get("/account", headers={"Accept-Language": "fr"}).text
    client.post("/account/language", data={"lang": "fr"})
    assert "Mon compte" in client.get("/account", headers={"Accept-Language": "en"}).text


def test_security_headers_on_every_page(client):
    resp = client.get("/login")
    csp = resp.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["cache-control"] == "no-store"
    assert '"historyCacheSize":0' in resp.text and '"allowEval":false' in resp.text
    assert "<script>" not in resp.text


def test_a_page_that_does_not_exist_keeps_the_menus_and_the_language_of_who_asks(client, db):
    org = make_org(db)
    user = make_user(db, org, role="worker")
    user.lang = "fr"
    db.add(user)
    db.commit()
    anonymous = client.get("/nowhere/at/all")
    assert anonymous.status_code == 404 and 'class="bottom"' not in anonymous.text
    sign_in(client, db, user)
    for url in ("/nowhere/at/all", "/persons/not-an-id"):
        page = client.get(url)
        assert page.status_code == 404
        assert 'class="bottom"' in page.text and 'href="/account"' in page.text  # the menu and the account link
        assert "<h1>Introuvable</h1>" in page.text  # in the user's language


def test_the_password_form_answers_in_place_with_the_reason(client, db):
    org = make_org(db)
    sign_in(client, db, make_user(db, org))
    r = client.post(
        "/account/password",
        data={"current": "nope", "password": "a long new sentence", "confirm": "a long new sentence"},
        headers={"Accept-Language": "en", "HX-Request": "true"},
    )
    assert r.status_code == 422 and "The current password is wrong." in r.text and "<html" not in r.text
