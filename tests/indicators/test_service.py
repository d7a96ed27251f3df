"""The indicators against figures computed by hand on a small, known data set (November 2026)."""

import uuid
from datetime import UTC, date, datetime

from sqlmodel import select

from app.indicators.service import Scope, compute
from app.models import AnonymousMaterial, EncounterMaterial, Person, ReferralStep
from tests.factories import (
    make_anonymous,
    make_checkin,
    make_custom_field,
    make_encounter,
    make_material,
    make_need,
    make_need_category,
    make_observation,
    make_org,
    make_person,
    make_procedure,
    make_referral,
    make_round,
    make_stay,
    make_structure,
    make_team,
)


def at(day: int, hour: int = 10, month: int = 11) -> datetime:
    # Paris is UTC+1 in November: 10:00 UTC is 11:00 local, on the same day.
    return datetime(2026, month, day, hour, tzinfo=UTC)


def data_set(db):
    org = make_org(db)
    patrol = make_team(db, org, "Patrol")
    other = make_team(db, org, "Other patrol")
    rest = make_team(db, org, "Rest area", kind="rest_area", capacity=10)
    home = make_team(db, org, "Home", kind="accommodation")
    kit = make_material(db, org, "Kit")
    condom = make_material(db, org, "Condom")
    dog = make_custom_field(db, org, "Dog", kind="boolean", in_indicators=True)
    a = make_person(db, org, "Ana", teams=[patrol], gender="woman", birth_year=2000, street_since=date(2026, 6, 1))
    b = make_person(db, org, "Bob", teams=[patrol], gender="man", birth_year=1980, custom={str(dog.id): True})
    c = make_person(db, org, "Cid", teams=[other], gender="man", street_since=date(2019, 1, 1))
    for p in (a, b, c):
        p.created_at = at(1, month=10)
    a.created_at = at(5)  # new in November
    db.commit()
    # Rounds: a weekday morning, a weekday evening (19:00 local), and a Saturday; one in October.
    morning = make_round(db, org, patrol, started_at=at(3, 9))
    make_round(db, org, patrol, started_at=at(3, 18))
    make_round(db, org, other, started_at=at(7, 10))
    make_round(db, org, patrol, started_at=at(20, 9, month=10))
    e1 = make_encounter(db, org, patrol, persons=[a, b], at=at(3))
    e2 = make_encounter(db, org, patrol, persons=[a], at=at(4))
    make_encounter(db, org, other, persons=[c], at=at(10))
    make_encounter(db, org, patrol, persons=[b], at=at(20, month=10))  # previous period
    db.add(
        EncounterMaterial(
            encounter_id=e1.id, material_id=kit.id, org_id=org.id, quantity=3, team_id=patrol.id, at=e1.at
        )
    )
    db.add(
        EncounterMaterial(
            encounter_id=e2.id, material_id=kit.id, org_id=org.id, quantity=3, team_id=patrol.id, at=e2.at
        )
    )
    db.add(
        EncounterMaterial(
            encounter_id=e2.id, material_id=condom.id, org_id=org.id, quantity=5, team_id=patrol.id, at=e2.at
        )
    )
    anon = make_anonymous(db, org, patrol, people=4, at=at(3), round=morning)
    db.add(AnonymousMaterial(contact_id=anon.id, material_id=kit.id, org_id=org.id, quantity=2))
    db.commit()
    make_observation(db, org, patrol, at=at(3))
    # Check-ins: 3 in the rest area over the month (2 by Ana, 1 anonymous).
    make_checkin(db, org, rest, person=a, arrived_at=at(2))
    make_checkin(db, org, rest, person=a, arrived_at=at(9))
    make_checkin(db, org, rest, arrived_at=at(9))
    # Needs: created in November, one done after 2 days, one after 4 days.
    shelter = make_need_category(db, org, "Shelter")
    n1 = make_need(db, org, a, patrol, status="done", created_at=at(2), completed_at=at(4))
    n2 = make_need(db, org, b, patrol, status="done", created_at=at(2), completed_at=at(6))
    make_need(db, org, c, other, status="todo", created_at=at(8))
    from app.models import NeedCategoryLink

    db.add(NeedCategoryLink(need_id=n1.id, category_id=shelter.id, org_id=org.id))
    db.add(NeedCategoryLink(need_id=n2.id, category_id=shelter.id, org_id=org.id))
    db.commit()
    # Referrals: 3 created, 3 sent, 2 accepted, 1 admitted, 1 refused... (one refused, two accepted).
    # Bob was accepted but did not come; Cid's referral went to a CSAPA (the others to rest areas).
    csapa = make_structure(db, org, kind="csapa")
    for person, steps, where in (
        (a, ["sent", "accepted", "admitted"], None),
        (b, ["sent", "accepted", "no_show"], None),
        (c, ["sent", "refused"], csapa),
    ):
        r = make_referral(db, org, person, where, status=steps[-1], team_id=patrol.id, created_at=at(5))
        for i, status in enumerate(steps):
            db.add(ReferralStep(org_id=org.id, referral_id=r.id, status=status, at=at(5 + i)))
    db.commit()
    # Stays: one long (entered 2026-01-10, still in), one entered in November (still in), one exited in November
    # after 30 days (positive), one exited after 50 days (negative).
    make_stay(db, org, a, home, entered_on=date(2026, 1, 10))
    make_stay(db, org, b, home, entered_on=date(2026, 11, 12))
    make_stay(
        db,
        org,
        make_person(db, org),
        home,
        entered_on=date(2026, 10, 2),
        exited_on=date(2026, 11, 1),
        exit_kind="positive",
    )
    make_stay(db, org, c, home, entered_on=date(2026, 9, 21), exited_on=date(2026, 11, 10), exit_kind="negative")
    make_procedure(db, org, a, started_on=date(2026, 3, 1))
    return org, patrol, other, rest


def test_indicators_match_the_hand_computed_figures(db):
    org, patrol, other, rest = data_set(db)
    scope = Scope(org.id, date(2026, 11, 1), date(2026, 11, 30))
    got = compute(db, scope)
    f, g = got.figures, got.groups
    assert g["rounds_by_band"] == {"day": 1, "evening": 1, "weekend": 1} and f["rounds"] == 3
    assert f["encounters"] == 3
    assert f["persons_met"] == 3
    assert f["new_persons"] == 1 + 1  # Ana, and the person created for the exited stay
    assert f["anonymous_contacts"] == 4
    assert g["materials"] == {"Condom": 5, "Kit": 8} and f["materials"] == 13
    assert f["observations"] == 1
    assert f["checkins"] == 3 and f["checkin_persons"] == 1
    assert f["checkins_per_day"] == 0.1
    assert f["checkin_occupancy"] == 1.0  # 3 / 30 days / 10 places
    assert f["needs"] == 3 and g["needs_by_status"] == {"done": 2, "todo": 1}
    assert g["needs_by_category"] == {"Shelter": 2}
    assert f["needs_done"] == 2 and f["needs_median_days"] == 3.0
    assert f["referrals"] == 3 and f["referrals_sent"] == 3
    assert f["referrals_accepted"] == 2 and f["referrals_admitted"] == 1 and f["referrals_refused"] == 1
    assert f["referrals_accepted_rate"] == 66.7 and f["referrals_admitted_rate"] == 33.3
    assert f["referrals_no_show"] == 1 and f["referrals_no_show_rate"] == 50.0  # Bob, of the 2 accepted
    assert g["referrals_sent_by_kind"] == {"rest_area": 2, "csapa": 1}
    assert g["referrals_accepted_by_kind"] == {"rest_area": 2} and g["referrals_admitted_by_kind"] == {"rest_area": 1}
    # Answers a day after sending (all three); Ana admitted two days after.
    assert f["referrals_answer_median_days"] == 1.0 and f["referrals_admission_median_days"] == 2.0
    assert f["stays_occupancy"] == 2 and f["stays_entries"] == 1
    assert g["stays_exits"] == {"positive": 1, "negative": 1} and f["stays_exits"] == 2
    assert f["stays_median_days"] == 40.0  # 30 and 50 days
    assert f["stays_long"] == 1 and f["stays_long_share"] == 50.0
    assert f["stays_estimated_days"] == 30  # 2 in place / (2 exits in 30 days)
    assert f["sheltered"] == 4 and f["sheltered_with_procedures"] == 1 and f["sheltered_with_procedures_share"] == 25.0
    # People met in November: Ana (26), Bob (46), Cid (no birth year, on the street since 2019).
    assert f["people"] == 3
    assert g["gender"] == {"woman": 1, "man": 2}
    assert g["age"] == {"26_35": 1, "46_55": 1, "unknown": 1}
    assert g["street"] == {"under_1": 1, "5_plus": 1, "unknown": 1}
    assert g["custom:Dog"] == {"true": 1, "unknown": 2}


def test_previous_period_and_team_filter(db):
    org, patrol, other, rest = data_set(db)
    scope = Scope(org.id, date(2026, 11, 1), date(2026, 11, 30), (patrol.id,))
    f = compute(db, scope).figures
    assert f["encounters"] == 2 and f["persons_met"] == 2 and f["rounds"] == 2
    assert f["new_persons"] == 1
    assert f["checkins"] == 0 and f["checkin_occupancy"] is None  # the patrol has no places
    assert f["needs"] == 2
    prev = scope.previous()
    assert (prev.start, prev.end) == (date(2026, 10, 2), date(2026, 10, 31))
    before = compute(db, prev).figures
    assert before["encounters"] == 1 and before["rounds"] == 1 and before["materials"] == 0
    assert before["needs_median_days"] is None and before["stays_estimated_days"] is None


def test_a_deleted_encounter_leaves_the_persons_met(db):
    """Deleting an encounter (the worker's "wrong record") takes its persons out of every figure at once."""
    from app.field.encounters import delete_encounter
    from app.models import Encounter, EncounterPerson
    from tests.factories import make_user
    from tests.persons.conftest import actor_for

    org, patrol, other, rest = data_set(db)
    scope = Scope(org.id, date(2026, 11, 1), date(2026, 11, 30))
    cid_met = db.exec(select(Encounter).where(Encounter.team_id == other.id)).one()
    delete_encounter(db, actor_for(make_user(db, org, teams=[other]), other), cid_met)
    db.commit()
    assert db.exec(select(EncounterPerson.deleted_at).where(EncounterPerson.encounter_id == cid_met.id)).one()
    f = compute(db, scope).figures
    assert f["encounters"] == 2 and f["persons_met"] == 2 and f["people"] == 2  # Cid was met only there
    assert compute(db, Scope(org.id, date(2026, 11, 1), date(2026, 11, 30), (other.id,))).figures["persons_met"] == 0


def test_persons_met_and_people_are_counted_in_one_pass_as_before(db):
    """persons_met and the people breakdowns come from one query over the persons (met: in a live encounter;
    people: met or checked in, not deleted): a deleted person met still counts as met (the encounter happened),
    leaves the breakdowns; a person only checked in is among the people, not the persons met."""
    org, patrol, other, rest = data_set(db)
    scope = Scope(org.id, date(2026, 11, 1), date(2026, 11, 30))
    eve = make_person(db, org, "Eve", teams=[other], gender="woman")
    make_checkin(db, org, rest, person=eve, arrived_at=at(12))
    cid = db.exec(select(Person).where(Person.alias == "Cid")).one()
    cid.deleted_at = at(25)
    db.commit()
    f, g = (got := compute(db, scope)).figures, got.groups
    assert f["persons_met"] == 3  # Ana, Bob, Cid (deleted since)
    assert f["people"] == 3 and g["gender"] == {"woman": 2, "man": 1}  # Ana, Bob, Eve
    assert compute(db, Scope(org.id, date(2026, 11, 1), date(2026, 11, 30), (other.id,))).figures["persons_met"] == 1


def test_other_organisations_never_count(db):
    org, *_ = data_set(db)
    stranger = make_org(db)
    make_encounter(db, stranger, at=at(3))
    f = compute(db, Scope(stranger.id, date(2026, 11, 1), date(2026, 11, 30))).figures
    assert f["encounters"] == 1 and f["persons_met"] == 1 and f["needs"] == 0 and f["stays_occupancy"] == 0


def test_the_period_before_has_the_same_number_of_days_and_ends_the_day_before():
    import uuid

    org = uuid.uuid4()
    for (start, end), (p_start, p_end) in {
        (date(2026, 3, 1), date(2026, 3, 31)): (date(2026, 1, 29), date(2026, 2, 28)),  # 31 days over February
        (date(2028, 3, 1), date(2028, 3, 31)): (date(2028, 1, 30), date(2028, 2, 29)),  # a leap year
        (date(2026, 1, 1), date(2026, 12, 31)): (date(2025, 1, 1), date(2025, 12, 31)),
        (date(2026, 11, 30), date(2026, 11, 30)): (date(2026, 11, 29), date(2026, 11, 29)),  # one day
    }.items():
        prev = Scope(org, start, end).previous()
        assert (prev.start, prev.end) == (p_start, p_end) and prev.days == Scope(org, start, end).days
        assert prev.until == Scope(org, start, end).since  # no gap, no overlap (local midnights, DST included)


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    # November: Paris is UTC+1.
    return datetime(2026, 11, day, hour - 1, minute, tzinfo=UTC)


def test_occupancy_by_hour_band_against_the_places(db):
    """A rest area of 10 places over one day (24 November 2026), Paris time, visits clipped to the day."""
    org = make_org(db)
    rest = make_team(db, org, "Rest area", kind="rest_area", capacity=10)
    closed = make_team(db, org, "Closed desk", kind="reception")  # no capacity: not in the occupancy
    make_checkin(db, org, rest, arrived_at=paris(24, 9, 30), left_at=paris(24, 11, 30))  # 0.5 h in 8-10, 1.5 in 10-12
    make_checkin(db, org, rest, arrived_at=paris(24, 10), left_at=paris(24, 14))  # 2 h in 10-12, 2 h in 12-14
    make_checkin(db, org, rest, arrived_at=paris(23, 23), left_at=paris(24, 1))  # from the day before: 1 h in 0-2
    make_checkin(db, org, rest, arrived_at=paris(24, 22, 30), left_at=paris(25, 3))  # 1.5 h in 22-24, then next day
    make_checkin(db, org, closed, arrived_at=paris(24, 10), left_at=paris(24, 12))
    make_checkin(db, org, rest, arrived_at=paris(24, 10), left_at=paris(24, 12), deleted_at=paris(24, 13))
    # Never checked out: counts for 24 hours at most (from 20:00 on the 22nd: 20:00 on the 23rd, outside the day).
    make_checkin(db, org, rest, arrived_at=paris(22, 20))
    make_checkin(db, make_org(db), arrived_at=paris(24, 10), left_at=paris(24, 12))  # another organisation
    got = compute(db, Scope(org.id, date(2026, 11, 24), date(2026, 11, 24)))
    assert got.figures["checkin_capacity"] == 10
    # Average persons present over the band's 2 hours, over 10 places, in percent.
    assert got.groups["occupancy_by_hour"] == {
        "00": 5.0,  # 1 person-hour / 2 h / 10 places
        "02": 0.0,
        "04": 0.0,
        "06": 0.0,
        "08": 2.5,  # 0.5
        "10": 17.5,  # 1.5 + 2
        "12": 10.0,  # 2
        "14": 0.0,
        "16": 0.0,
        "18": 0.0,
        "20": 0.0,
        "22": 7.5,  # 1.5
    }
    # Two days: each band is averaged over its 4 hours; the visit past midnight fills 0-2 and 1 h of 2-4 on the 25th.
    two = compute(db, Scope(org.id, date(2026, 11, 24), date(2026, 11, 25))).groups["occupancy_by_hour"]
    assert two["00"] == 7.5 and two["02"] == 2.5 and two["10"] == 8.8  # (1 + 2) / 4 h; (1) / 4 h; 3.5 / 4 h
    # A team without places has no occupancy to show.
    desk_only = Scope(org.id, date(2026, 11, 24), date(2026, 11, 24), (closed.id,))
    assert "occupancy_by_hour" not in compute(db, desk_only).groups


def test_occupancy_by_hour_counts_a_visit_still_open_until_now(db, monkeypatch):
    from app.indicators import rollup

    org = make_org(db)
    rest = make_team(db, org, "Rest area", kind="rest_area", capacity=2)
    make_checkin(db, org, rest, arrived_at=paris(24, 9))
    monkeypatch.setattr(rollup, "utcnow", lambda: paris(24, 10, 30))
    got = compute(db, Scope(org.id, date(2026, 11, 24), date(2026, 11, 24))).groups["occupancy_by_hour"]
    assert got["08"] == 25.0 and got["10"] == 12.5 and got["12"] == 0.0  # 1 h / 2 h / 2; 0.5 h / 2 h / 2


def test_occupancy_bands_count_the_hours_the_clocks_add_or_take():
    from app.indicators.service import _band_hours

    org = uuid.uuid4()
    spring = _band_hours(Scope(org, date(2026, 3, 29), date(2026, 3, 29)))  # 02:00 -> 03:00
    autumn = _band_hours(Scope(org, date(2026, 10, 25), date(2026, 10, 25)))  # 03:00 -> 02:00
    assert spring["02"] == 1 and autumn["02"] == 3 and spring["10"] == autumn["10"] == 2
    assert sum(_band_hours(Scope(org, date(2026, 1, 1), date(2026, 12, 31))).values()) == 365 * 24
