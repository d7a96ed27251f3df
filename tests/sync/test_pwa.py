"""The installable app: manifest, service worker from the root with a cache per release, and an offline page
that holds forms only (the service worker keeps it, so it must never carry anyone's data)."""

from app.sync.pwa import RELEASE
from tests.factories import make_person, make_territory, make_user, sign_in


def test_the_service_worker_is_served_from_the_root_with_this_releases_cache(client):
    resp = client.get("/sw.js")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/javascript")
    assert resp.headers["cache-control"] == "no-cache"
    assert f'"parcours-{RELEASE}"' in resp.text and "__ASSETS__" not in resp.text
    assert "/static/outbox.js?v=" in resp.text and '"/offline"' in resp.text
    manifest = client.get("/manifest.webmanifest").json()
    assert manifest["scope"] == "/" and manifest["display"] == "standalone"


def test_the_offline_page_has_forms_and_no_ones_data(client, db, org, team):
    karim = make_person(db, org, "Karim Secret", teams=[team])
    make_territory(db, org, "Ligne 4")
    worker = make_user(db, org, role="worker", teams=[team], lang="en")
    sign_in(client, db, worker)
    client.post("/team", data={"team_id": str(team.id)})
    html = client.get("/offline").text
    assert 'data-sync="encounter"' in html and "Ligne 4" in html
    assert "Karim" not in html and str(karim.id) not in html
    home = client.get("/").text
    assert 'id="outbox"' in home and 'rel="manifest"' in home and "outbox.js" in home


def test_the_offline_page_offers_what_the_role_may_write_online(client, db, org, team):
    def page_of(role):
        user = make_user(db, org, role=role, teams=[team], lang="en")
        sign_in(client, db, user)
        client.post("/team", data={"team_id": str(team.id)})
        return client.get("/offline").text

    worker = page_of("worker")
    assert 'data-sync="note"' in worker and 'name="urgent"' in worker and 'name="note"' in worker
    assert 'name="health_note"' not in worker  # the health part is for health staff only, as online
    health = page_of("health")
    assert 'name="health_care"' in health and 'name="health_note"' in health
    reception = page_of("reception")
    assert 'data-sync="note"' not in reception and 'name="note"' not in reception
