import csv
import io
import uuid

from openpyxl import load_workbook
from sqlmodel import select

from app.models import AuditEvent
from tests.factories import make_encounter, make_org, make_team, make_user, sign_in
from tests.indicators.test_service import at, data_set


def test_coordinator_reads_the_figures_of_a_period_against_the_one_before(client, db):
    org, patrol, *_ = data_set(db)
    sign_in(client, db, make_user(db, org, "coordinator", teams=[patrol], lang="en"))
    r = client.get("/indicators?start=2026-11-01&end=2026-11-30")
    assert r.status_code == 200
    assert 'data-figure="encounters">3<' in r.text
    assert "02/10/2026 – 31/10/2026" in r.text  # the previous period, same length
    assert '<svg class="bars"' in r.text and 'data-cell="Kit">8<' in r.text  # the chart and its numbers
    team_only = client.get(f"/indicators?start=2026-11-01&end=2026-11-30&team={patrol.id}")
    assert 'data-figure="encounters">2<' in team_only.text
    from app.indicators.service import default_period
    from app.models import utcnow
    from app.web import TZ

    start, end = default_period(utcnow().astimezone(TZ).date())  # no period asked: this month, shown in the fields
    first = client.get("/indicators").text
    assert f'name="start" value="{start.isoformat()}"' in first and f'name="end" value="{end.isoformat()}"' in first
    only_end = client.get("/indicators?end=2026-11-20").text  # the start the figures use: the first of that month
    assert 'name="start" value="2026-11-01"' in only_end


def test_bad_periods_say_why_and_keep_what_was_typed(client, db):
    org = make_org(db)
    sign_in(client, db, make_user(db, org, "coordinator", lang="en"))
    r = client.get("/indicators?start=2026-11-30&end=2026-11-01")
    assert r.status_code == 422 and "The end of the period must be on or after its start." in r.text
    assert 'value="2026-11-30"' in r.text
    r = client.get("/indicators?start=1890-01-01&end=2026-11-01")
    assert r.status_code == 422 and "Choose a period from 2000 on." in r.text
    stranger_team = make_team(db, make_org(db))
    for team in (stranger_team.id, uuid.uuid4(), "nonsense"):
        r = client.get(f"/indicators?start=2026-11-01&end=2026-11-30&team={team}")
        assert r.status_code == 422


def test_the_form_answers_in_place_with_the_figures_or_the_reason(client, db):
    org, patrol, *_ = data_set(db)
    sign_in(client, db, make_user(db, org, "coordinator", teams=[patrol], lang="en"))
    hx = {"HX-Request": "true"}
    r = client.get("/indicators?start=2026-11-01&end=2026-11-30", headers=hx)
    assert r.status_code == 200 and '<svg class="bars"' in r.text and "<html" not in r.text
    r = client.get("/indicators?start=2026-11-30&end=2026-11-01", headers=hx)
    assert r.status_code == 422 and "The end of the period must be on or after its start." in r.text  # why, here


def test_workers_and_steering_do_not_read_an_organisations_indicators(client, db):
    org = make_org(db)
    sign_in(client, db, make_user(db, org, "worker"))
    assert client.get("/indicators").status_code == 403
    sign_in(client, db, make_user(db, None, "steering"))
    assert client.get("/indicators").status_code in (403, 404)
    assert client.get("/indicators/export.csv").status_code in (403, 404)


def test_exports_as_csv_and_xlsx_are_audited(client, db):
    org, patrol, *_ = data_set(db)
    user = make_user(db, org, "coordinator", teams=[patrol], lang="en")
    sign_in(client, db, user)
    r = client.get("/indicators/export.csv?start=2026-11-01&end=2026-11-30")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert rows[0][2] == "01/11/2026-30/11/2026"
    assert rows[2][:4] == ["Street work", "Encounters", "3", "1"]
    r = client.get("/indicators/export.xlsx?start=2026-11-01&end=2026-11-30")
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert [c.value for c in list(sheet.iter_rows())[2]][:4] == ["Street work", "Encounters", 3, 1]
    events = db.exec(
        select(AuditEvent).where(AuditEvent.user_id == user.id, AuditEvent.action == "export.indicators")
    ).all()
    assert len(events) == 2


def test_printable_report_has_the_period_the_figures_and_the_definitions(client, db):
    org, patrol, *_ = data_set(db)
    make_encounter(db, org, patrol, at=at(12))
    sign_in(client, db, make_user(db, org, "admin", lang="en"))
    r = client.get("/indicators/report?start=2026-11-01&end=2026-11-30")
    assert r.status_code == 200
    assert "Period: 01/11/2026 – 30/11/2026" in r.text
    assert 'data-figure="encounters">4<' in r.text
    assert "Definitions" in r.text and "Persons housed divided by the exits per year" in r.text


def test_a_figure_opens_the_persons_behind_it(client, db):
    org, patrol, *_ = data_set(db)
    sign_in(client, db, make_user(db, org, "coordinator", teams=[patrol], lang="en"))
    page = client.get("/indicators?start=2026-11-01&end=2026-11-30")
    assert 'href="/indicators/persons?figure=persons_met&amp;start=2026-11-01&amp;end=2026-11-30"' in page.text
    r = client.get("/indicators/persons?figure=persons_met&start=2026-11-01&end=2026-11-30")
    assert r.status_code == 200 and "3 persons" in r.text
    assert all(f">{alias}<" in r.text for alias in ("Ana", "Bob", "Cid"))
    r = client.get(f"/indicators/persons?figure=persons_met&start=2026-11-01&end=2026-11-30&team={patrol.id}")
    assert "2 persons" in r.text and ">Cid<" not in r.text
    assert client.get("/indicators/persons?figure=encounters").status_code == 404
    sign_in(client, db, make_user(db, None, "steering"))
    assert client.get("/indicators/persons?figure=persons_met").status_code in (403, 404)


def test_the_persons_behind_a_figure_export_as_csv_and_xlsx_audited(client, db):
    org, patrol, *_ = data_set(db)
    user = make_user(db, org, "coordinator", teams=[patrol], lang="en")
    sign_in(client, db, user)
    query = f"figure=persons_met&start=2026-11-01&end=2026-11-30&team={patrol.id}"
    assert (
        f'href="/indicators/persons/export.csv?{query}"'.replace("&", "&amp;")
        in client.get(f"/indicators/persons?{query}").text
    )
    r = client.get(f"/indicators/persons/export.csv?{query}")
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert rows[0] == ["Persons met", "01/11/2026-30/11/2026"] and rows[1] == ["Code", "Alias"]
    assert [alias for _code, alias in rows[2:]] == ["Ana", "Bob"]  # the patrol's, not Cid
    x = client.get(f"/indicators/persons/export.xlsx?{query}")
    sheet = load_workbook(io.BytesIO(x.content), read_only=True).active
    assert [row[1] for row in sheet.iter_rows(min_row=3, values_only=True)] == ["Ana", "Bob"]
    details = db.exec(select(AuditEvent.details).where(AuditEvent.action == "export.indicator_persons")).all()
    assert {d["format"]: d["rows"] for d in details} == {"csv": 2, "xlsx": 2}
    assert client.get("/indicators/persons/export.csv?figure=encounters").status_code == 404
    sign_in(client, db, make_user(db, org, "worker"))
    assert client.get(f"/indicators/persons/export.csv?{query}").status_code == 403
