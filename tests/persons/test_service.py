"""The persons service: creation, history, custom fields, search, role views, notes, active list, links, deletion
and the extension points."""

import uuid
from datetime import date, timedelta

import pytest
from sqlmodel import select

from app.admin.service import FieldErrors
from app.crypto import unseal
from app.errors import Conflict, Forbidden, NotFound
from app.models import AuditEvent, PersonChange, PersonName, utcnow
from app.persons import fields, search, service, timeline
from app.persons.forms import ExitForm, LinkForm, NoteForm, PersonForm, PlaceForm, SearchForm
from app.web import validate_form
from tests.factories import make_custom_field, make_org, make_person, make_team, make_user
from tests.persons.conftest import actor_for


def form(**kw) -> PersonForm:
    result = validate_form(PersonForm, kw)
    assert result.ok, result.errors
    return result.data


def names(rows) -> list[str]:
    return [r.alias for r in rows]


# ---------------------------------------------------------------- create, validate, edit
def test_create_keeps_every_field_gives_a_code_and_records_the_creation(db, actor, team):
    p = service.create_person(
        db,
        actor,
        form(
            alias="  Sékou  ",
            other_aliases="Seikou\nSK, sekou",
            gender="Homme",
            age="45",
            languages="bambara, français",
            nationality="Mali",
            phone="+33 6 12 34 56 78",
            first_met_on="2026-01-05",
            street_since="2020-03-01",
            team_ids=[str(team.id)],
            alert="true",
            alert_reason="Very thin",
            description="Red jacket",
        ),
    )
    assert p.alias == "Sékou" and p.other_aliases == ["Seikou", "SK"]  # the alias itself is not repeated
    assert p.birth_year == utcnow().year - 45 and p.languages == ["bambara", "français"]
    assert p.alert and unseal(db, p, "alert_reason") == "Very thin" and p.first_met_on == date(2026, 1, 5)
    assert unseal(db, p, "description") == "Red jacket" and "Red" not in (p.description or "")  # kept encrypted
    assert len(p.code) == 6 and p.last_contact_by == actor.user_id
    assert [t.id for t in service.person_teams(db, p.id)] == [team.id]
    assert db.exec(select(PersonChange).where(PersonChange.person_id == p.id)).one().kind == "created"
    norms = set(db.exec(select(PersonName.norm).where(PersonName.person_id == p.id)))
    assert norms == {"sekou", "seikou", "sk"}
    event = db.exec(select(AuditEvent).where(AuditEvent.entity_id == str(p.id))).one()
    assert "Sékou" not in str(event.details)


def test_sending_the_same_creation_twice_creates_one_person(db, actor):
    client_id = uuid.uuid4()
    first = service.create_person(db, actor, form(id=str(client_id), alias="Nadia"))
    second = service.create_person(db, actor, form(id=str(client_id), alias="Nadia"))
    assert first.id == second.id == client_id


@pytest.mark.parametrize(
    "values,field,message",
    [
        ({"alias": ""}, "alias", "This field is required."),
        ({"alias": "x" * 200}, "alias", "At most 120 characters."),
        ({"alias": " - "}, "alias", "Write the name the person gave"),
        ({"alias": "A", "birth_year": str(date.today().year + 1)}, "birth_year", "Enter a year between 1900"),
        ({"alias": "A", "birth_year": "1899"}, "birth_year", "Enter a year between 1900"),
        ({"alias": "A", "birth_year": "abc"}, "birth_year", "Enter a whole number."),
        ({"alias": "A", "phone": "call me"}, "phone", "Enter a phone number"),
        ({"alias": "A", "first_met_on": "2999-01-01"}, "first_met_on", "Enter a date between 1900 and today."),
    ],
)
def test_bad_input_gets_a_clear_message(values, field, message):
    result = validate_form(PersonForm, values)
    assert not result.ok and message in result.errors[field]
    assert result.values == values  # what was typed comes back


def test_each_change_is_kept_with_who_when_old_and_new(db, actor, team):
    p = service.create_person(db, actor, form(alias="Fatou", phone="0600000000"))
    service.update_person(
        db, actor, p, form(alias="Fatou", phone="0611111111", version=str(p.version), team_ids=[str(team.id)])
    )
    changes = service.changes(db, actor, p)
    assert {(c.label, c.old, c.new) for c in changes} == {
        ("Phone", "0600000000", "0611111111"),
        ("Teams", None, "Maraude Nord"),
    }
    assert all(c.by == actor.name for c in changes)


def test_a_save_based_on_an_old_version_is_refused(db, actor):
    p = service.create_person(db, actor, form(alias="Loïc"))
    seen = p.version
    service.update_person(db, actor, p, form(alias="Loïc B", version=str(seen)))
    with pytest.raises(Conflict):
        service.update_person(db, actor, p, form(alias="Loïc C", version=str(seen)))
    assert p.alias == "Loïc B"


def test_reception_cannot_create(db, org, team):
    reception = actor_for(make_user(db, org, role="reception", teams=[team]), team)
    with pytest.raises(Forbidden):
        service.create_person(db, reception, form(alias="Nope"))


# ---------------------------------------------------------------- custom fields
def test_custom_values_are_typed_checked_and_never_lost(db, actor, org, team):
    other_team = make_team(db, org)
    number = make_custom_field(db, org, label="Dogs", kind="number", required=True)
    choice = make_custom_field(db, org, label="Shelter", kind="choice", options=["yes", "no"])
    only_other = make_custom_field(db, org, label="Other team's", kind="text", team_ids=[str(other_team.id)])
    with pytest.raises(FieldErrors) as err:
        service.create_person(db, actor, form(alias="A"), {f"cf_{number.id}": ["two"]})
    assert err.value.errors == {f"cf_{number.id}": "Enter a number."}
    with pytest.raises(FieldErrors) as err:
        service.create_person(db, actor, form(alias="A"), {f"cf_{choice.id}": ["maybe"]})
    assert err.value.errors[f"cf_{number.id}"] == "This field is required."
    assert err.value.errors[f"cf_{choice.id}"] == "Choose one of the options."
    p = service.create_person(db, actor, form(alias="A"), {f"cf_{number.id}": ["2"], f"cf_{choice.id}": ["yes"]})
    assert p.custom == {str(number.id): 2, str(choice.id): "yes"}
    assert only_other not in fields.form_fields(db, actor)  # enabled for another team only
    # The configuration changes: the choice is renamed away and the field archived. The value stays.
    choice.options, choice.archived_at = ["oui", "non"], utcnow()
    db.commit()
    service.update_person(db, actor, p, form(alias="A", version=str(p.version)), {f"cf_{number.id}": ["3"]})
    assert p.custom == {str(number.id): 3, str(choice.id): "yes"}
    assert ("Shelter", "yes") in service.view(db, actor, p).custom


@pytest.mark.parametrize(
    "kind,raw,expected",
    [
        ("number", ["3,5"], 3.5),
        ("date", ["2026-02-01"], "2026-02-01"),
        ("boolean", ["false"], False),
        ("multi_choice", ["b", "a"], ["a", "b"]),
        ("long_text", ["  hello  "], "hello"),
    ],
)
def test_custom_value_parsing(db, org, kind, raw, expected):
    field = make_custom_field(db, org, kind=kind, options=["a", "b"])
    assert fields.parse_value(field, raw) == expected


@pytest.mark.parametrize("kind,raw", [("date", ["31/02/2026"]), ("boolean", ["perhaps"]), ("multi_choice", ["z"])])
def test_custom_value_of_the_wrong_type_is_refused(db, org, kind, raw):
    with pytest.raises(ValueError):
        fields.parse_value(make_custom_field(db, org, kind=kind, options=["a"]), raw)


# ---------------------------------------------------------------- search
def test_search_tolerates_spelling_variants_and_ranks_the_best_first(db, actor, org):
    make_person(db, org, "Mohamed")
    make_person(db, org, "Mouhamad")
    make_person(db, org, "Mehdi")
    make_person(db, org, "Sékou")
    make_person(db, org, "Yasmina", other_aliases=["Aïcha"])
    rows = search.search(db, actor, SearchForm(q="Mohammed")).rows
    assert set(names(rows)[:2]) == {"Mohamed", "Mouhamad"} and "Mehdi" not in names(rows)
    assert names(search.search(db, actor, SearchForm(q="mouhamad")).rows)[0] == "Mouhamad"
    assert names(search.search(db, actor, SearchForm(q="SEIKOU")).rows) == ["Sékou"]
    found = search.search(db, actor, SearchForm(q="aisha")).rows
    assert names(found) == ["Yasmina"] and found[0].matched == "Aïcha"  # other aliases count
    assert names(search.search(db, actor, SearchForm(q="moh")).rows)[0] == "Mohamed"  # prefix while typing


def test_a_name_many_share_finds_the_most_recently_met_first(db, actor, org, monkeypatch):
    """A large organisation has thousands of "Karim": each index range gives only CANDIDATES rows, in the index's
    order, so the Karim met yesterday could be left out and the worker, not finding him, would create him twice.
    The exact name is then read most recently met first."""
    monkeypatch.setattr(search, "CANDIDATES", 5)  # as 200 of 2,000 Karims, with 12
    now = utcnow()
    last = {}
    for alias in ("Karim", "Awa"):  # read again by the sound of the name ("karam"), by the name itself ("a" is short)
        for days in range(11, 0, -1):  # older first: the index's order puts them first
            make_person(db, org, alias, last_contact_at=now - timedelta(days=days + 30))
        last[alias] = make_person(db, org, alias, last_contact_at=now - timedelta(days=1))
        make_person(db, org, alias + "a", last_contact_at=now)
    rows = search.search(db, actor, SearchForm(q="karim")).rows
    assert rows[0].id == last["Karim"].id
    assert [r.last_contact_at for r in rows[:3]] == sorted((r.last_contact_at for r in rows[:3]), reverse=True)
    assert search.search(db, actor, SearchForm(q="karym")).rows[0].id == last["Karim"].id  # misspelt: by its sound
    assert search.search(db, actor, SearchForm(q="awa")).rows[0].id == last["Awa"].id


def test_names_that_only_sound_like_the_letters_typed_come_after_every_name_that_starts_with_them(
    db, actor, org, monkeypatch
):
    """ "kar" also finds Carima and Carlos (their sound starts like it), after Karim and Kardi, whatever their other
    merits: so when a large organisation has a full range of names starting with the letters typed, the sound-alike
    range is not read at all (its names could only come after those, beyond the first pages)."""
    for alias in ("Carima", "Carlos", "Karim", "Kardi"):
        make_person(db, org, alias)
    rows = search.search(db, actor, SearchForm(q="kar")).rows
    assert set(names(rows)[:2]) == {"Karim", "Kardi"} and set(names(rows)[2:]) == {"Carima", "Carlos"}
    monkeypatch.setattr(search, "CANDIDATES", 2)  # as 200 of the thousands of names starting with "kar"
    assert set(names(search.search(db, actor, SearchForm(q="kar")).rows)) == {"Karim", "Kardi"}
    assert set(names(search.search(db, actor, SearchForm(q="car")).rows)) == {"Carima", "Carlos"}


def test_search_by_code_and_isolation_between_organisations(db, actor, org):
    p = make_person(db, org, "Ibrahim")
    make_person(db, make_org(db), "Ibrahim")
    rows = search.search(db, actor, SearchForm(q=f"{p.code[:3].lower()} {p.code[3:]}")).rows
    assert [r.id for r in rows] == [p.id]
    assert len(search.search(db, actor, SearchForm(q="ibrahim")).rows) == 1


def test_list_defaults_to_active_persons_sorted_by_last_contact_with_filters(db, actor, org, team):
    now = utcnow()
    old = make_person(db, org, "Old", last_contact_at=now - timedelta(days=40))
    recent = make_person(db, org, "Recent", teams=[team], last_contact_at=now - timedelta(days=1))
    middle = make_person(db, org, "Middle", last_contact_at=now - timedelta(days=5))
    gone = make_person(db, org, "Gone", active=False)
    make_person(db, org, "Deleted", deleted_at=now)
    assert names(search.search(db, actor, SearchForm()).rows) == ["Recent", "Middle", "Old"]
    assert names(search.search(db, actor, SearchForm(days=10)).rows) == ["Recent", "Middle"]
    assert names(search.search(db, actor, SearchForm(team_id=team.id)).rows) == ["Recent"]
    assert names(search.search(db, actor, SearchForm(status="inactive")).rows) == ["Gone"]
    assert len(search.search(db, actor, SearchForm(status="all")).rows) == 4
    assert {old.id, recent.id, middle.id, gone.id} >= {r.id for r in search.search(db, actor, SearchForm()).rows}


def test_duplicate_guard_lists_look_alikes_with_context(db, actor, org, team):
    existing = make_person(db, org, "Mohamed", teams=[team], birth_year=1984, alert=True)
    make_person(db, org, "Fatou")
    dupes = search.duplicates(db, actor, "Mouhammad")
    assert [d.id for d in dupes] == [existing.id]
    assert dupes[0].alert and dupes[0].teams == ["Maraude Nord"] and dupes[0].age == utcnow().year - 1984
    assert search.duplicates(db, actor, "Mouhammad", exclude=existing.id) == []
    assert search.duplicates(db, actor, "M") == []


# ---------------------------------------------------------------- what each role receives
def test_reception_receives_alias_code_alert_and_presence_only(db, org, team):
    reception = actor_for(make_user(db, org, role="reception", teams=[team]), team)
    p = make_person(db, org, "Nadia", alert=True, alert_reason="private reason", description="private", teams=[team])
    view = service.view(db, reception, service.resolve(db, reception, p.id))
    assert isinstance(view, service.BasicView)
    assert set(vars(view)) == {"id", "alias", "code", "alert", "presence", "basic"}
    row = search.search(db, reception, SearchForm(q="nadia")).rows[0]
    assert row.basic and row.teams == [] and row.age is None and row.last_contact_at is None
    with pytest.raises(Forbidden):
        service.changes(db, reception, p)
    assert timeline.timeline(db, reception, p.id) == []  # neither notes nor history


def test_steering_sees_no_person(db, org):
    steering = actor_for(make_user(db, None, role="steering"))
    with pytest.raises((Forbidden, NotFound)):
        search.search(db, steering, SearchForm())


# ---------------------------------------------------------------- notes, timeline, extension points
def test_urgent_notes_reach_the_team_home_until_handled(db, actor, org, team):
    p = make_person(db, org, "Sékou", teams=[team])
    note = service.add_note(db, actor, p, NoteForm(body="Needs a bed tonight", urgent=True))
    service.add_note(db, actor, p, NoteForm(body="Ordinary"))
    assert [u.note.id for u in service.urgent_notes(db, actor, team.id)] == [note.id]
    assert service.urgent_notes(db, actor, make_team(db, org).id) == []
    entries = timeline.timeline(db, actor, p.id)
    assert [e.kind for e in entries if e.kind == "note"] == ["note", "note"]
    service.handle_note(db, actor, note)
    assert service.urgent_notes(db, actor, team.id) == []


def test_later_domains_plug_into_the_timeline_and_the_counters(db, actor, org):
    p = make_person(db, org, "Djibril")

    @timeline.register_timeline("test.encounters")
    def _encounters(session, who, person_id, before, limit):
        return [timeline.TimelineEntry(utcnow() + timedelta(days=1), "encounter", "Met at Stalingrad")]

    counters = list(timeline._COUNTERS.get("open_needs", []))  # the needs package's own, when imported
    timeline.register_counter("open_needs", lambda session, who, person_id: 2)
    try:
        assert timeline.timeline(db, actor, p.id)[0].title == "Met at Stalingrad"
        assert service.view(db, actor, p).open_needs == 2
    finally:
        timeline._TIMELINE[:] = [t for t in timeline._TIMELINE if t[0] != "test.encounters"]
        timeline._COUNTERS["open_needs"] = counters
    assert service.view(db, actor, p).open_needs == 0


# ---------------------------------------------------------------- active list
def test_leaving_and_coming_back_to_the_active_list(db, actor, org, team):
    p = make_person(db, org, "Samira", teams=[team])
    reasons = fields.exit_reasons(db, actor)
    assert len(reasons) == len(fields.DEFAULT_EXIT_REASONS)  # defaults on first use, once
    assert len(fields.exit_reasons(db, actor)) == len(reasons)
    team_exit = service.leave_active_list(
        db, actor, p, ExitForm(reason_id=reasons[0].id, left_on=date.today(), team_id=team.id)
    )
    assert p.active  # still on the organisation's list
    assert names(search.search(db, actor, SearchForm(team_id=team.id)).rows) == []
    assert names(search.search(db, actor, SearchForm(team_id=team.id, status="inactive")).rows) == ["Samira"]
    with pytest.raises(FieldErrors):
        service.leave_active_list(
            db, actor, p, ExitForm(reason_id=reasons[0].id, left_on=date.today(), team_id=team.id)
        )
    service.leave_active_list(db, actor, p, ExitForm(reason_id=reasons[1].id, left_on=date.today()))
    assert not p.active and names(search.search(db, actor, SearchForm()).rows) == []
    service.come_back(db, actor, p, team_exit.id)
    assert names(search.search(db, actor, SearchForm(team_id=team.id, status="inactive")).rows) == ["Samira"]
    org_exit = service.open_exits(db, actor, p)[0][0]
    service.come_back(db, actor, p, org_exit.id)
    assert p.active and names(search.search(db, actor, SearchForm(team_id=team.id)).rows) == ["Samira"]
    kinds = [e.kind for e in timeline.timeline(db, actor, p.id)]
    assert kinds.count("left") == 2 and kinds.count("returned") == 2


def test_an_archived_reason_cannot_be_used(db, actor, org):
    p = make_person(db, org)
    reason = fields.exit_reasons(db, actor)[0]
    reason.archived_at = utcnow()
    with pytest.raises(FieldErrors):
        service.leave_active_list(db, actor, p, ExitForm(reason_id=reason.id, left_on=date.today()))


# ---------------------------------------------------------------- links, places
def test_family_links_show_on_both_records(db, actor, org):
    a, b = make_person(db, org, "Aïcha"), make_person(db, org, "Nadia")
    service.add_link(db, actor, a, LinkForm(other_id=b.id, relation="sister"))
    assert [(r.other_alias, r.link.relation) for r in service.links(db, actor, b)] == [("Aïcha", "sister")]
    with pytest.raises(FieldErrors):
        service.add_link(db, actor, a, LinkForm(other_id=a.id, relation="self"))
    with pytest.raises(FieldErrors):
        service.add_link(db, actor, a, LinkForm(other_id=make_person(db, make_org(db)).id, relation="x"))
    link = service.links(db, actor, a)[0].link
    service.remove_link(db, actor, a, link.id)
    assert service.links(db, actor, b) == []


def test_places_frequented(db, actor, org):
    p = make_person(db, org)
    place = service.add_place(db, actor, p, PlaceForm(name="Jardin d'Éole"))
    assert [x.name for x in service.places(db, actor, p)] == ["Jardin d'Éole"]
    service.remove_place(db, actor, p, place.id)
    assert service.places(db, actor, p) == []


# ---------------------------------------------------------------- delete
def test_delete_is_for_admins_leaves_every_list_and_is_audited(db, actor, org, team):
    p = make_person(db, org, "Christophe", teams=[team])
    with pytest.raises(Forbidden):
        service.delete_person(db, actor, p, "duplicate")
    admin = actor_for(make_user(db, org, role="admin", teams=[team]), team)
    service.delete_person(db, admin, p, "Created by mistake")
    assert p.deleted_at and unseal(db, p, "delete_reason") == "Created by mistake"
    assert search.search(db, actor, SearchForm(q="christophe", status="all")).rows == []
    assert search.search(db, actor, SearchForm(status="all")).rows == []
    with pytest.raises(NotFound):
        service.resolve(db, actor, p.id)
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "person.deleted")).one()
    assert event.entity_id == str(p.id) and not event.details
