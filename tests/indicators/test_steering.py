from sqlmodel import select
from typer.testing import CliRunner

from app.cli import app as cli
from app.indicators import report
from app.indicators.service import Indicators
from app.models import AuditEvent, User
from tests.factories import make_encounter, make_org, make_person, make_team, make_user, sign_in
from tests.indicators.test_service import at, data_set


def test_small_cells_show_as_under_five_and_what_would_reveal_them_is_hidden():
    assert report.protect_cells({"a": 3, "b": 10, "c": 20, "d": 0}) == {"a": "<5", "b": "·", "c": "20", "d": "0"}
    assert report.protect_cells({"a": 3, "b": 2, "c": 20}) == {"a": "<5", "b": "<5", "c": "20"}
    assert report.protect_figure("encounters", {"encounters": 4}) == "<5"
    assert report.protect_figure("encounters", {"encounters": 0}) == "0"
    # A rate over fewer than 5 referrals would give the counts away.
    assert (
        report.protect_figure(
            "referrals_accepted_rate", {"referrals_accepted_rate": 50.0, "referrals_accepted": 2, "referrals_sent": 4}
        )
        == "·"
    )
    one = Indicators({"encounters": 3, "rounds": 12}, {"gender": {"man": 7, "woman": 2}})
    two = Indicators({"encounters": 40, "rounds": 15}, {"gender": {"man": 9, "woman": 8}})
    view = report.consolidated([("A", one), ("B", two)], 30)
    street = dict((k, cells) for k, _l, cells in view.sections[0][1])
    # A's 3 is "<5", and the total (43) would give it back as 43 - 40: hidden.
    assert street["encounters"] == ["<5", "40", "·"]
    assert street["rounds"] == ["12", "15", "27"]
    gender = dict(next(lines for title, _d, lines in view.charts if title == "Gender"))
    # A: woman 2 is "<5" so man 7 is hidden; the total woman 10 = 10 - 8 would give A's 2 back: hidden.
    assert gender["Woman" if "Woman" in gender else "woman"] == ["<5", "8", "·"]
    assert gender["man"] == ["·", "9", "·"]  # 16 - 9 would give back the hidden 7


def test_occupancy_by_hour_across_organisations_is_weighted_by_their_places():
    # A: 10 places, 50 % at 10:00-12:00; B: 30 places, 10 %. Together: (5 + 3) present over 40 places = 20 %.
    a = Indicators({"checkins": 40, "checkin_capacity": 10}, {"occupancy_by_hour": {"08": 0.0, "10": 50.0}})
    b = Indicators({"checkins": 90, "checkin_capacity": 30}, {"occupancy_by_hour": {"08": 4.0, "10": 10.0}})
    none = Indicators({"checkins": 0, "checkin_capacity": 0}, {})  # no rest area
    view = report.consolidated([("A", a), ("B", b), ("C", none)], 30)
    lines = dict(next(lines for title, _d, lines in view.charts if title == "Rest area occupancy by time of day"))
    assert lines["10:00-12:00"] == ["50 %", "10 %", "—", "20 %"]
    assert lines["08:00-10:00"] == ["0 %", "4 %", "—", "3 %"]
    total = next(c for c in view.total_charts if c.key == "occupancy_by_hour")
    assert [(bar.label, bar.text) for bar in total.bars] == [("08:00-10:00", "3 %"), ("10:00-12:00", "20 %")]
    # An organisation with fewer than 5 check-ins shows no occupancy, and the total would give it back: hidden.
    a.figures["checkins"] = 3
    lines = dict(next(ls for t, _d, ls in report.consolidated([("A", a), ("B", b)], 30).charts if t.startswith("Rest")))
    assert lines["10:00-12:00"] == ["·", "10 %", "·"]


def test_steering_reads_only_sharing_organisations_with_small_numbers_protected(client, db):
    org, patrol, *_ = data_set(db)
    org.name = "Sharing org"
    org.share_with_steering = True
    quiet = make_org(db, "Quiet org")
    make_encounter(db, quiet, at=at(3))
    db.commit()
    sign_in(client, db, make_user(db, None, "steering", lang="en"))
    r = client.get("/steering?start=2026-11-01&end=2026-11-30")
    assert r.status_code == 200
    assert "Sharing org" in r.text and "Quiet org" not in r.text
    assert 'data-figure="encounters" data-col="0">&lt;5<' in r.text  # 3 encounters
    for person_alias in ("Ana", "Bob", "Cid"):
        assert person_alias not in r.text
    assert client.get("/steering/report?start=2026-11-01&end=2026-11-30").status_code == 200
    in_place = client.get("/steering?start=2026-11-01&end=2026-11-30", headers={"HX-Request": "true"})
    assert in_place.status_code == 200 and "<html" not in in_place.text
    assert client.get("/").headers.get("location", "/steering").endswith("/steering")


def test_steering_reaches_no_record_and_no_organisation_page(client, db):
    org = make_org(db)
    person = make_person(db, org, "Zed")
    team = make_team(db, org)
    sign_in(client, db, make_user(db, None, "steering", lang="en"))
    for url in (
        f"/persons/{person.id}",
        "/persons",
        "/indicators",
        "/indicators/report",
        "/indicators/export.csv",
        "/admin/steering",
        f"/reports/{team.id}/2026-11-01",
        "/needs",
        "/admin/users",
    ):
        r = client.get(url, follow_redirects=False)
        assert r.status_code in (303, 403, 404), url
        assert "Zed" not in r.text


def test_admin_shares_with_steering_and_it_is_audited(client, db):
    org = make_org(db)
    admin = make_user(db, org, "admin")
    sign_in(client, db, admin)
    assert client.post("/admin/steering", data={"share": "true"}).status_code in (200, 303)
    db.refresh(org)
    assert org.share_with_steering
    client.post("/admin/steering", data={})
    db.refresh(org)
    assert not org.share_with_steering
    actions = db.exec(select(AuditEvent.details).where(AuditEvent.action == "org.steering_share")).all()
    assert actions == [{"share": True}, {"share": False}]
    sign_in(client, db, make_user(db, org, "coordinator"))
    assert client.post("/admin/steering", data={"share": "true"}).status_code == 403


def test_create_steering_command(db):
    result = CliRunner().invoke(
        cli, ["create-steering", "--email", "Plan@Example.org", "--name", "Plan", "--password", "a long pass phrase 42"]
    )
    assert result.exit_code == 0, result.output
    user = db.exec(select(User).where(User.email == "plan@example.org")).one()
    assert user.role == "steering" and user.org_id is None
    db.delete(user)
    db.commit()
