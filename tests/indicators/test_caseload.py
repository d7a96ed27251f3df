import csv
import io
from datetime import date, timedelta

from sqlmodel import select

from app.models import AuditEvent, NeedCategoryLink, utcnow
from tests.factories import (
    make_need,
    make_need_category,
    make_note,
    make_org,
    make_person,
    make_referral,
    make_stay,
    make_team,
    make_user,
    sign_in,
)


def world(db):
    org = make_org(db)
    patrol = make_team(db, org, "Patrol")
    other = make_team(db, org, "Other")
    old = utcnow() - timedelta(days=60)
    gone = make_person(db, org, "Gone", teams=[patrol], last_contact_at=old, created_at=old)
    late = make_person(db, org, "Late", teams=[patrol])
    shelter = make_need_category(db, org, "Shelter")
    need = make_need(db, org, late, patrol, due_on=date.today() - timedelta(days=3))
    db.add(NeedCategoryLink(need_id=need.id, category_id=shelter.id, org_id=org.id))
    urgent = make_person(db, org, "Urgent", teams=[other])
    make_note(db, org, urgent, body="Secret words", urgent=True)
    waiting = make_person(db, org, "Waiting", teams=[other])
    make_referral(db, org, waiting, status="sent", status_at=utcnow() - timedelta(days=20))
    housed = make_person(db, org, "Housed", teams=[other])
    make_stay(db, org, housed, entered_on=date.today() - timedelta(days=200))
    db.commit()
    return org, patrol, shelter, gone, late


def counts(html: str) -> dict[str, int]:
    import re

    return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', html)}


def test_the_summary_counts_up_to_its_cap_and_the_list_still_shows_everyone(client, db, monkeypatch):
    from app.caseload import service

    org, *_ = world(db)
    monkeypatch.setattr(service, "SUMMARY_CAP", 3)  # 5 active persons: more than the cap
    sign_in(client, db, make_user(db, org, "coordinator", lang="en"))
    r = client.get("/caseload")
    assert 'data-count="active">3+<' in r.text and 'data-count="not_seen">1<' in r.text
    assert client.get("/caseload/list?name=active").text.count('href="/persons/') == 5


def test_coordinator_reviews_the_lists_and_each_line_opens_the_person(client, db):
    org, patrol, shelter, gone, late = world(db)
    sign_in(client, db, make_user(db, org, "coordinator", lang="en"))
    r = client.get("/caseload")
    assert r.status_code == 200
    c = counts(r.text)
    assert c["active"] == 5 and c["not_seen"] == 1 and c["overdue_needs"] == 1 and c["urgent_notes"] == 1
    assert c["referrals_waiting"] == 1 and c["long_stays"] == 1
    assert c["no_open_need"] == 4 and c["new_persons"] == 4  # all but "Gone", created 60 days ago
    assert "Secret words" not in r.text
    lst = client.get("/caseload/list?name=not_seen&days=30")
    assert f'href="/persons/{gone.id}"' in lst.text and "Late" not in lst.text
    # Filters: by team, by category; N days.
    assert counts(client.get(f"/caseload?team={patrol.id}").text)["active"] == 2
    assert counts(client.get(f"/caseload?category={shelter.id}").text)["overdue_needs"] == 1
    assert counts(client.get(f"/caseload?category={shelter.id}").text)["active"] == 1
    assert counts(client.get("/caseload?days=90").text)["not_seen"] == 0


def test_the_filter_panel_is_closed_until_a_filter_is_set_and_its_form_loads_when_opened(client, db):
    """A large organisation has hundreds of teams and workers: the summary and the lists offer them only when the
    filters are opened (or a filter is set), not on every visit."""
    org, patrol, shelter, gone, late = world(db)
    sign_in(client, db, make_user(db, org, "coordinator", lang="en"))
    closed = client.get("/caseload/list?name=not_seen").text
    assert "Patrol" not in closed and 'id="f-team"' not in closed
    assert 'hx-get="/caseload/filters?at=list&amp;name=not_seen"' in closed
    assert 'href="/caseload/list?name=not_seen&amp;filters=open"' in closed  # the same without htmx
    form = client.get("/caseload/filters?at=list&name=not_seen&days=45")
    assert form.status_code == 200 and "<html" not in form.text
    assert 'action="/caseload/list"' in form.text and 'name="name" value="not_seen"' in form.text
    assert f'<option value="{patrol.id}">Patrol</option>' in form.text and 'value="45"' in form.text
    opened = client.get(f"/caseload?team={patrol.id}").text  # a filter set: the panel is open, the team chosen
    assert "<details" in opened and " open" in opened.split("<details", 1)[1].split(">", 1)[0]
    assert f'<option value="{patrol.id}" selected>Patrol</option>' in opened
    assert 'id="f-team"' in client.get("/caseload?filters=open").text
    assert client.get("/caseload/filters?at=elsewhere").status_code == 200  # an unknown page: the summary's form


def test_bad_filters_are_explained_never_a_500(client, db):
    org = make_org(db)
    sign_in(client, db, make_user(db, org, "coordinator", lang="en"))
    r = client.get("/caseload?days=-3")
    assert r.status_code == 422 and "Must be at least 1." in r.text and 'value="-3"' in r.text
    r = client.get(f"/caseload?team={make_team(db, make_org(db)).id}")
    assert r.status_code == 422 and "This team does not exist in your organisation." in r.text
    assert client.get("/caseload/list?name=nonsense").status_code == 422


def test_workers_have_no_caseload_review(client, db):
    org = make_org(db)
    sign_in(client, db, make_user(db, org, "worker"))
    assert client.get("/caseload").status_code == 403
    assert client.get("/caseload/export.csv").status_code == 403


def test_a_list_exports_as_csv_and_the_export_is_audited(client, db):
    org, patrol, shelter, gone, late = world(db)
    user = make_user(db, org, "coordinator", lang="en")
    sign_in(client, db, user)
    r = client.get("/caseload/export.csv?name=not_seen")
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert rows[1] == ["Code", "Alias", "Date"] and rows[2][:2] == [gone.code, "Gone"] and len(rows) == 3
    assert client.get("/caseload/export.xlsx?name=active").status_code == 200
    details = db.exec(select(AuditEvent.details).where(AuditEvent.user_id == user.id)).all()
    assert {"list": "not_seen", "format": "csv", "rows": 1} in details


def test_a_long_list_is_streamed_whole_in_csv_and_xlsx(client, db):
    """More lines than one batch of the server-side cursor: every one arrives, in order, in both formats."""
    from openpyxl import load_workbook

    from app.models import Person

    org = make_org(db)
    seen = utcnow() - timedelta(days=1)
    db.add_all(
        Person(org_id=org.id, alias=f"P{i:04d}", code=f"C{i:04d}", last_contact_at=seen - timedelta(minutes=i))
        for i in range(1234)
    )
    db.commit()
    sign_in(client, db, make_user(db, org, "coordinator", lang="en"))
    r = client.get("/caseload/export.csv?name=active")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))[2:]
    assert len(rows) == 1234 and rows[0][:2] == ["C0000", "P0000"] and rows[-1][:2] == ["C1233", "P1233"]
    x = client.get("/caseload/export.xlsx?name=active")
    sheet = load_workbook(io.BytesIO(x.content), read_only=True).active
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert values[1] == ("Code", "Alias", "Date") and len(values) == 2 + 1234 and values[-1][0] == "C1233"
