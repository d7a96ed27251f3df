"""The kept figures (app/indicators/rollup.py) stay equal to the figures recomputed from the records, whatever is
written to old records afterwards: late offline records, deletions, a time corrected, a late check-out, a merge,
an erasure. Dates are relative to today: the kept whole months and the days always recomputed both take part."""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, update
from sqlmodel import select

from app.field.encounters import _merge_encounter_persons
from app.indicators import rollup
from app.indicators.service import Scope, _met_ids, compute
from app.models import (
    AnonymousMaterial,
    EncounterMaterial,
    EncounterPerson,
    IndicatorMark,
    IndicatorPersonActivity,
    IndicatorPersonMark,
    utcnow,
)
from app.privacy.service import erase
from app.web import TZ
from tests.factories import (
    make_anonymous,
    make_checkin,
    make_encounter,
    make_material,
    make_org,
    make_person,
    make_team,
)


def ago(days: int, hour: int = 11) -> datetime:
    """`days` before today, at `hour` Paris time."""
    return datetime.combine(rollup.today() - timedelta(days=days), time(hour), TZ).astimezone(UTC)


def given(db, encounter, material, n):
    db.add(
        EncounterMaterial(
            encounter_id=encounter.id,
            material_id=material.id,
            org_id=encounter.org_id,
            quantity=n,
            team_id=encounter.team_id,
            at=encounter.at,
        )
    )
    db.commit()


def figures(db, scope):
    got = compute(db, scope)
    return got.figures, got.groups


def test_kept_figures_follow_every_late_change_to_old_records(db):
    org = make_org(db)
    patrol = make_team(db, org, "Patrol")
    rest = make_team(db, org, "Rest area", kind="rest_area", capacity=4)
    kit = make_material(db, org, "Kit")
    a, b, c, d = (make_person(db, org, alias, teams=[patrol]) for alias in ("Ana", "Bob", "Cid", "Dan"))
    old = make_encounter(db, org, patrol, persons=[a, b], at=ago(100))
    given(db, old, kit, 3)
    gone = make_encounter(db, org, patrol, persons=[c], at=ago(45))
    make_encounter(db, org, patrol, persons=[d], at=ago(2))  # in the days always recomputed
    make_encounter(db, org, patrol, persons=[b], at=ago(400))  # the period before
    visit = make_checkin(db, org, rest, person=a, arrived_at=ago(80, 9))
    contact = make_anonymous(db, org, patrol, people=3, at=ago(60))
    db.add(AnonymousMaterial(contact_id=contact.id, material_id=kit.id, org_id=org.id, quantity=2))
    db.commit()
    scope = Scope(org.id, rollup.today() - timedelta(days=364), rollup.today())
    first, _ = figures(db, scope)
    assert (first["encounters"], first["persons_met"], first["materials"], first["checkin_persons"]) == (3, 4, 5, 1)
    assert db.exec(select(func.count()).where(IndicatorPersonActivity.org_id == org.id)).one() > 0  # months kept

    # A late offline record, 50 days old, meeting Cid and a new person; kit given.
    late = make_encounter(db, org, patrol, persons=[c, make_person(db, org, "Eve", teams=[patrol])], at=ago(50))
    given(db, late, kit, 4)
    # A wrong record deleted (its persons' copies go with it, as delete_encounter does).
    gone.deleted_at = utcnow()
    db.exec(update(EncounterPerson).where(EncounterPerson.encounter_id == gone.id).values(deleted_at=gone.deleted_at))
    # A time corrected: the oldest encounter was in fact 30 days later.
    old.at = ago(70)
    db.exec(update(EncounterPerson).where(EncounterPerson.encounter_id == old.id).values(at=old.at))
    db.exec(update(EncounterMaterial).where(EncounterMaterial.encounter_id == old.id).values(at=old.at))
    # A check-out recorded late (6 hours of presence instead of 24).
    visit.left_at = ago(80, 15)
    db.commit()
    assert db.exec(select(func.count()).where(IndicatorMark.org_id == org.id)).one() > 0
    # Bob merged into Ana (bulk statements of the merge), then Dan erased.
    _merge_encounter_persons(db, a.id, b.id)
    erase(db, org.id, [d.id])
    db.commit()

    after, after_groups = figures(db, scope)
    assert db.exec(select(func.count()).where(IndicatorMark.org_id == org.id)).one() == 0  # every mark cleared
    assert (after["encounters"], after["materials"]) == (2, 9)  # the old one moved and the late one; 3 + 4 + 2
    raw = db.exec(select(func.count()).select_from(_met_ids(scope).subquery())).one()
    assert after["persons_met"] == raw == 3  # Ana (and Bob merged into her), Cid, Eve
    assert not db.exec(select(IndicatorPersonActivity).where(IndicatorPersonActivity.person_id == d.id)).all()
    rollup.rebuild(db, org.id)  # everything recomputed from the records: the same figures
    assert figures(db, scope) == (after, after_groups)
    assert figures(db, scope.previous())[0]["persons_met"] == 1


def test_every_write_marks_its_day_and_person_and_a_reading_clears_the_marks(db):
    org = make_org(db)
    person = make_person(db, org)
    rollup.refresh(db, org.id)
    make_encounter(db, org, persons=[person], at=ago(10))
    assert set(db.exec(select(IndicatorMark.day).where(IndicatorMark.org_id == org.id))) == {ago(10).date()}
    assert set(db.exec(select(IndicatorPersonMark.person_id).where(IndicatorPersonMark.org_id == org.id))) == {
        person.id
    }
    rollup.refresh(db, org.id)
    assert not db.exec(select(IndicatorMark).where(IndicatorMark.org_id == org.id)).all()
    assert not db.exec(select(IndicatorPersonMark).where(IndicatorPersonMark.org_id == org.id)).all()


def test_a_record_written_while_the_figures_are_recomputed_is_counted_at_the_next_reading(db, monkeypatch):
    org = make_org(db)
    rollup.refresh(db, org.id)
    make_encounter(db, org, at=ago(40))
    recompute = rollup.recompute_days

    def with_a_writer(session, org_id, lo, hi):
        recompute(session, org_id, lo, hi)
        if lo <= ago(40).date() <= hi:  # another transaction writes to an old day meanwhile
            make_encounter(db, org, at=ago(30))

    monkeypatch.setattr(rollup, "recompute_days", with_a_writer)
    rollup.refresh(db, org.id)
    left = set(db.exec(select(IndicatorMark.day).where(IndicatorMark.org_id == org.id)))
    assert left == {ago(30).date()}  # its mark was not claimed by the recomputation running: it stays
    monkeypatch.undo()
    assert compute(db, Scope(org.id, rollup.today() - timedelta(days=60), rollup.today())).figures["encounters"] == 2


def test_the_current_month_is_read_whole_only_when_nothing_is_recorded_after_the_period(db, monkeypatch):
    monkeypatch.setattr(rollup, "utcnow", lambda: datetime(2026, 11, 15, 12, tzinfo=UTC))  # today: 15 November
    org = make_org(db)
    early, late = make_person(db, org, "Early"), make_person(db, org, "Late")
    make_encounter(db, org, persons=[early], at=datetime(2026, 11, 5, 10, tzinfo=UTC))
    make_encounter(db, org, persons=[late], at=datetime(2026, 11, 14, 10, tzinfo=UTC))
    to_10th = Scope(org.id, date(2026, 11, 1), date(2026, 11, 10))
    assert compute(db, to_10th).figures["persons_met"] == 1  # "Late" came after: November is not read whole
    to_today = Scope(org.id, date(2026, 11, 1), date(2026, 11, 15))
    assert not rollup.kept_masks(db, org.id, to_today.start, to_today.end, date(2026, 11, 30))[1]  # no edge: kept
    assert compute(db, to_today).figures["persons_met"] == 2
