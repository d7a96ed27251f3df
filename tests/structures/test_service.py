"""The directory: structures with their checks, the link to a team in Parcours (own team, or another
organisation's inbox code), archiving, and CSV export and import (every line or none, with a report)."""

import pytest
from sqlmodel import select

from app.admin.service import FieldErrors
from app.errors import Conflict, Forbidden, Invalid
from app.models import AuditEvent, Structure
from app.referrals import crossing
from app.structures import service
from app.structures.forms import StructureFilter, StructureForm
from app.web import validate_form
from tests.factories import make_inbox, make_org, make_structure, make_team, make_user
from tests.persons.conftest import actor_for


@pytest.fixture
def coordinator(db, org, team):
    return actor_for(make_user(db, org, role="coordinator", teams=[team]), team)


def form(**kw) -> StructureForm:
    result = validate_form(StructureForm, kw)
    assert result.ok, result.errors
    return result.data


def test_a_structure_is_checked_saved_and_edited_with_its_version(db, org, coordinator, actor):
    assert validate_form(StructureForm, {"name": "X", "kind": "spaceship"}).errors == {
        "kind": "Choose one of the options."
    }
    result = validate_form(StructureForm, {"name": "X", "kind": "csapa", "latitude": "48.8"})
    assert result.errors == {"__all__": "Give both the latitude and the longitude, or neither."}
    s = service.save_structure(
        db, coordinator, form(name="  CSAPA   Riquet ", kind="csapa", places="12", phone="01 02")
    )
    assert s.name == "CSAPA Riquet" and s.places == 12
    with pytest.raises(FieldErrors) as exc:
        service.save_structure(db, coordinator, form(name="csapa riquet", kind="other"))
    assert exc.value.errors == {"name": "The directory already has a structure with this name."}
    version = s.version
    service.save_structure(db, coordinator, form(name="CSAPA Riquet", kind="csapa", version=version, places="14"), s)
    with pytest.raises(Conflict):
        service.save_structure(db, coordinator, form(name="CSAPA Riquet", kind="csapa", version=version), s)
    with pytest.raises(Forbidden):  # field workers read the directory; coordinators keep it
        service.save_structure(db, actor, form(name="Another", kind="csapa"))


def test_a_structure_links_to_an_own_team_or_to_another_organisations_inbox_code(db, org, team, coordinator):
    own = service.save_structure(db, coordinator, form(name="Our rest area", kind="rest_area", linked_team_id=team.id))
    assert (own.linked_team_id, own.linked_org_id, own.linked_label) == (team.id, org.id, team.name)
    other_org = make_org(db, "Association Horizon")
    rosa = make_team(db, other_org, "Espace de repos Rosa", kind="rest_area")
    inbox = make_inbox(db, rosa)
    typed = crossing.display_inbox_code(inbox.code).lower()  # as typed from a phone call
    linked = service.save_structure(db, coordinator, form(name="Rosa", kind="rest_area", partner_code=typed))
    assert (linked.linked_team_id, linked.linked_org_id) == (rosa.id, other_org.id)
    assert linked.linked_label == "Association Horizon · Espace de repos Rosa"
    with pytest.raises(FieldErrors) as exc:
        service.save_structure(db, coordinator, form(name="Wrong", kind="rest_area", partner_code="ABCDE-FGHJK"))
    assert "No team receives referrals with this code" in exc.value.errors["partner_code"]
    foreign_team = make_team(db, other_org)
    with pytest.raises(FieldErrors):  # another organisation's team by id: only its code links to it
        service.save_structure(db, coordinator, form(name="Sneaky", kind="rest_area", linked_team_id=foreign_team.id))
    # Editing other fields keeps the partner link; unlinking needs the box ticked.
    service.save_structure(db, coordinator, form(name="Rosa", kind="rest_area", places="26"), linked)
    assert linked.linked_team_id == rosa.id
    service.save_structure(db, coordinator, form(name="Rosa", kind="rest_area", unlink="true"), linked)
    assert linked.linked_team_id is None and linked.linked_label is None


def test_inboxes_open_with_a_code_and_close(db, org, team):
    admin = actor_for(make_user(db, org, role="admin", teams=[team]), team)
    inbox = service.set_inbox(db, admin, team.id, True)
    assert crossing.valid_inbox_code(inbox.code)
    assert crossing.find_inbox(db, inbox.code).team_id == team.id
    service.set_inbox(db, admin, team.id, False)
    assert crossing.find_inbox(db, inbox.code) is None
    assert service.set_inbox(db, admin, team.id, True).code == inbox.code  # reopened with the same code
    assert [t.id for t, i in service.inboxes(db, admin) if i and not i.closed_at] == [team.id]


def test_listing_searches_filters_and_leaves_archived_ones_aside(db, org, coordinator):
    make_structure(db, org, "CAARUD Nord", kind="caarud")
    make_structure(db, org, "CSAPA Riquet", kind="csapa")
    old = make_structure(db, org, "Old CAARUD", kind="caarud")
    service.set_archived(db, coordinator, old, True)
    make_structure(db, make_org(db), "CAARUD elsewhere", kind="caarud")
    names = [s.name for s in service.list_structures(db, coordinator, StructureFilter(q="caarud"))[0]]
    assert names == ["CAARUD Nord"]
    assert [s.name for s in service.list_structures(db, coordinator, StructureFilter(archived=True))[0]] == [
        "Old CAARUD"
    ]
    assert [s.name for s in service.list_structures(db, coordinator, StructureFilter(kind="csapa"))[0]] == [
        "CSAPA Riquet"
    ]
    with pytest.raises(Invalid, match="is archived"):
        service.require_live(old)


def test_export_then_import_updates_the_same_structures_by_id(db, org, coordinator):
    s = make_structure(db, org, "CAARUD Nord", kind="caarud", places=10, notes="Sonner deux fois; entrée cour")
    text = service.export_csv(db, coordinator)
    assert text.startswith("\ufeffid;name;kind") and str(s.id) in text
    edited = text.replace(";10;", ";12;").replace("CAARUD Nord", "CAARUD Nord (Gare)")
    edited += "\n;CSAPA Riquet;CSAPA;Rue Riquet;;;;day;;;\n"
    report = service.import_csv(db, coordinator, edited.encode("utf-8"))
    assert report.ok and (report.created, report.updated) == (1, 1)
    db.refresh(s)
    assert (s.name, s.places, s.notes) == ("CAARUD Nord (Gare)", 12, "Sonner deux fois; entrée cour")
    assert db.exec(select(Structure).where(Structure.name == "CSAPA Riquet")).one().kind == "csapa"
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "structure.imported")).one().details == {
        "created": 1,
        "updated": 1,
    }


def test_an_import_with_errors_imports_nothing_and_says_which_line_and_why(db, org, coordinator):
    make_structure(db, org, "CAARUD Nord", kind="caarud")
    lines = [
        "name,kind,places,latitude,longitude,opening",
        "Good one,Espace de repos,26,,,nuit",  # French labels are understood
        "Bad kind,spaceship,,,,",
        ",csapa,,,,",
        "Too many places,csapa,99999,,,",
        "CAARUD Nord,caarud,,,,",
        "Good one,csapa,,,,",
        "Half a position,csapa,,48.8,,",
    ]
    from app import i18n

    i18n.set_lang("fr")
    try:
        report = service.import_csv(db, coordinator, "\n".join(lines).encode("cp1252"))
    finally:
        i18n.set_lang("en")
    assert [n for n, _m in report.errors] == [3, 4, 5, 6, 7, 8]
    messages = dict(report.errors)
    assert messages[3].startswith("kind:") and messages[4].startswith("name:") and messages[5].startswith("places:")
    assert "existe déjà" in messages[6] and "ligne 2" in messages[7]
    assert db.exec(select(Structure).where(Structure.name == "Good one")).first() is None
    with pytest.raises(Invalid, match="at least “name” and “kind”"):
        service.import_csv(db, coordinator, b"nom;type\nA;B\n")
    with pytest.raises(Invalid, match="too big"):
        service.import_csv(db, coordinator, b"name,kind\n" + b"x" * (service.IMPORT_MAX_BYTES + 1))


def test_an_import_file_holding_nul_characters_is_read_without_them(db, org, coordinator):
    """A spreadsheet export can carry NUL characters (PostgreSQL refuses them in text: the import crashed)."""
    report = service.import_csv(db, coordinator, b"name,kind\nCSAPA\x00 Riquet,csapa\n")
    assert report.ok and report.created == 1
    assert db.exec(select(Structure).where(Structure.name == "CSAPA Riquet")).one().kind == "csapa"
