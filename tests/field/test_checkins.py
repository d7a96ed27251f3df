"""Check-ins at a rest area: named and anonymous, already present, services, check-out rules, closing the day,
presence on the person's page (the reception role included) and the timeline."""

import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from app.admin.service import FieldErrors
from app.field import checkins
from app.field.days import local_input
from app.field.forms import CheckinEditForm, CheckinForm, CheckoutForm, CloseDayForm
from app.models import Checkin, CheckinServiceUse, DayClosure, utcnow
from app.persons import service, timeline
from app.web import validate_form
from tests.factories import make_org, make_person, make_service


def parsed(model, **kw):
    result = validate_form(model, kw)
    assert result.ok, result.errors
    return result.data


def check_in(db, actor, person=None, **kw):
    data = {"id": str(uuid.uuid4()), **kw}
    if person is not None:
        data["person_id"] = str(person.id)
    return checkins.check_in(db, actor, parsed(CheckinForm, **data))


@pytest.fixture
def desk(role_actor):
    return role_actor("reception", at_rest_area=True)


def test_named_and_anonymous_check_ins_fill_the_day_and_the_occupancy(db, org, rest_area, desk):
    shower = make_service(db, org, scope="checkin", label="Shower")
    fatou, nadia = make_person(db, org, "Fatou"), make_person(db, org, "Nadia")
    first = check_in(db, desk, fatou, service_ids=[str(shower.id)])
    check_in(db, desk, nadia)
    check_in(db, desk)  # anonymous
    check_in(db, desk)
    today = checkins.today(db, desk, rest_area)
    assert today.occupancy == 4 and today.full  # capacity 3
    assert (today.came, today.persons, today.anonymous) == (4, 2, 2)
    assert [r.alias for r in today.present] == ["Fatou", "Nadia", None, None]
    assert today.present[0].services == ["Shower"]
    db.refresh(fatou)
    assert fatou.last_contact_at == first.arrived_at


def test_checking_in_someone_already_present_says_so_and_adds_nothing(db, org, desk):
    fatou = make_person(db, org, "Fatou")
    first = check_in(db, desk, fatou)
    db.commit()
    with pytest.raises(FieldErrors) as exc:
        check_in(db, desk, fatou)
    message = exc.value.errors["person_id"]
    assert message.startswith("Fatou is already here, checked in since ")
    db.rollback()
    assert db.exec(select(Checkin.id)).all() == [first.id]


def test_the_same_check_in_sent_twice_is_one(db, org, desk):
    person = make_person(db, org)
    f = parsed(CheckinForm, id=str(uuid.uuid4()), person_id=str(person.id))
    assert checkins.check_in(db, desk, f).id == checkins.check_in(db, desk, f).id


def test_bad_check_ins_and_check_outs_are_refused_with_a_reason(db, org, desk):
    stranger = make_person(db, make_org(db), "Stranger")
    with pytest.raises(FieldErrors) as exc:
        check_in(db, desk, stranger)
    assert exc.value.errors == {"person_id": "This person was not found. Search again."}
    gone = make_service(db, org, scope="checkin", label="Laundry", archived_at=utcnow())
    wrong_list = make_service(db, org, scope="encounter", label="Listening")
    for service_ in (gone, wrong_list):
        with pytest.raises(FieldErrors):
            check_in(db, desk, service_ids=[str(service_.id)])
    checkin = check_in(db, desk)
    before = local_input(checkin.arrived_at - timedelta(hours=2))
    with pytest.raises(FieldErrors) as exc:
        checkins.check_out(db, desk, checkin, parsed(CheckoutForm, at=before))
    assert exc.value.errors["at"].startswith("A check-out cannot be before the check-in (")
    future = validate_form(CheckoutForm, {"at": local_input(utcnow() + timedelta(hours=3))})
    assert future.errors == {"at": "This time is in the future: check the day and the hour."}


def test_check_out_once_then_change_the_services_used(db, org, desk):
    meal = make_service(db, org, scope="checkin", label="Meal")
    checkin = check_in(db, desk, make_person(db, org))
    checkins.check_out(db, desk, checkin, parsed(CheckoutForm))
    left = checkin.left_at
    checkins.check_out(db, desk, checkin, parsed(CheckoutForm))  # a second tap
    assert checkin.left_at == left and checkin.left_by == desk.user_id
    version = checkin.version
    checkins.set_services(db, desk, checkin, parsed(CheckinEditForm, version=str(version), service_ids=[str(meal.id)]))
    assert db.exec(select(CheckinServiceUse.service_id)).all() == [meal.id]
    assert checkin.version == version + 1


def test_closing_the_day_checks_out_whoever_is_left_with_a_record(db, org, rest_area, desk):
    out = check_in(db, desk, make_person(db, org))
    checkins.check_out(db, desk, out, parsed(CheckoutForm))
    left_behind = [check_in(db, desk, make_person(db, org)), check_in(db, desk)]
    f = parsed(CloseDayForm, id=str(uuid.uuid4()))
    closure = checkins.close_day(db, desk, f)
    assert checkins.close_day(db, desk, f).id == closure.id  # sent twice: closed once
    assert closure.checked_out == 2 and closure.closed_by == desk.user_id
    for c in left_behind:
        db.refresh(c)
        assert c.left_at == closure.closed_at and c.closure_id == closure.id
    assert db.get(Checkin, out.id).closure_id is None
    today = checkins.today(db, desk, rest_area)
    assert today.occupancy == 0 and len(today.left) == 3 and [c.id for c, _by in today.closures] == [closure.id]
    assert len(db.exec(select(DayClosure)).all()) == 1


def test_presence_shows_on_the_person_for_every_role_and_the_visit_in_the_timeline(db, org, desk, role_actor):
    person = make_person(db, org, "Marie-Claire")
    checkin = check_in(db, desk, person, at=local_input(utcnow() - timedelta(minutes=20)))
    basic = service.view(db, desk, person)
    assert basic.basic and basic.presence.startswith("Present at Espace Rosa since ")
    worker = role_actor("worker")
    assert service.view(db, worker, person).presence == basic.presence
    checkins.check_out(db, desk, checkin, parsed(CheckoutForm))
    assert service.view(db, desk, person).presence is None
    entries = [e for e in timeline.timeline(db, worker, person.id) if e.kind == "checkin"]
    assert [e.title for e in entries] == ["Check-in · Espace Rosa"] and "→" in entries[0].body
    assert timeline.timeline(db, desk, person.id) == []
