"""Revision 0006 encrypts in place what earlier revisions stored in clear (person notes and texts, the history of
changes, document names and files), and its downgrade decrypts it back. Run on a database of its own."""

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import make_url

from app import crypto
from app.cli import alembic_config
from app.config import get_settings
from app.db import make_engine
from tests.conftest import TEST_URL, _tmp

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
NOTE = "Dort sous le pont de la rue d'Aubervilliers"
DESCRIPTION = "Veste rouge, chien noir"
PDF = b"%PDF-1.4 ordonnance de Sekou"


def _scratch_database() -> str:
    if TEST_URL.startswith("postgresql"):
        url = make_url(TEST_URL)
        name = f"{url.database}_migration"
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return url.set(database=name).render_as_string(hide_password=False)
    path = _tmp / f"migration-{uuid.uuid4().hex[:6]}.db"
    return f"sqlite:///{path}"


def _table(name: str, *columns: str) -> sa.TableClause:
    types = {"id": sa.Uuid(), "org_id": sa.Uuid(), "person_id": sa.Uuid()}
    return sa.table(name, *(sa.column(c, types.get(c)) for c in columns))


def test_upgrade_encrypts_what_was_stored_in_clear_and_downgrade_restores_it():
    url = _scratch_database()
    cfg = alembic_config(url)
    command.upgrade(cfg, "0003")
    engine = make_engine(url)
    org, person, note, change, doc = (uuid.uuid4() for _ in range(5))
    file = Path(get_settings().documents_dir) / f"{org}/{doc.hex}.pdf"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(PDF)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(_table("organisations", "id", "name", "version", "created_at", "updated_at")).values(
                id=org, name="Boréal", **STAMPS
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO persons (id, org_id, alias, other_aliases, code, languages, alert, custom, active, "
                "last_contact_at, version, created_at, updated_at, description, phone) VALUES (:id, :org, 'Sékou', "
                "'[]', 'ABC346', '[]', false, '{}', true, :now, 1, :now, :now, :description, '0612')"
            ).bindparams(sa.bindparam("id", type_=sa.Uuid()), sa.bindparam("org", type_=sa.Uuid())),
            {"id": person, "org": org, "now": NOW, "description": DESCRIPTION},
        )
        conn.execute(
            sa.insert(
                _table(
                    "person_notes", "id", "org_id", "person_id", "body", "urgent", "version", "created_at", "updated_at"
                )
            ).values(id=note, org_id=org, person_id=person, body=NOTE, urgent=False, **STAMPS)
        )
        conn.execute(
            sa.insert(
                _table("person_changes", "id", "org_id", "person_id", "at", "kind", "field", "old", "new")
            ).values(
                id=change,
                org_id=org,
                person_id=person,
                at=NOW,
                kind="updated",
                field="description",
                old=None,
                new=DESCRIPTION,
            )
        )
        conn.execute(
            sa.insert(
                _table(
                    "person_documents",
                    "id",
                    "org_id",
                    "person_id",
                    "name",
                    "folder",
                    "content_type",
                    "size",
                    "storage_key",
                    "version",
                    "created_at",
                    "updated_at",
                )
            ).values(
                id=doc,
                org_id=org,
                person_id=person,
                name="ordonnance.pdf",
                folder="Santé",
                content_type="application/pdf",
                size=len(PDF),
                storage_key=f"{org}/{doc.hex}.pdf",
                **STAMPS,
            )
        )

    def stored() -> dict[str, str]:
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT description, phone FROM persons")).one()
            return {
                "description": row.description,
                "phone": row.phone,
                "note": conn.execute(sa.text("SELECT body FROM person_notes")).scalar_one(),
                "new": conn.execute(sa.text("SELECT new FROM person_changes")).scalar_one(),
                "name": conn.execute(sa.text("SELECT name FROM person_documents")).scalar_one(),
            }

    command.upgrade(cfg, "0006")
    sealed = stored()
    assert all(v.startswith(crypto.PREFIX) for v in sealed.values()), sealed
    assert file.read_bytes().startswith(crypto.FILE_MAGIC) and b"Sekou" not in file.read_bytes()
    from sqlmodel import Session

    with Session(engine) as session:
        assert crypto.decrypt(session, org, sealed["note"], f"person_notes.body:{note}") == NOTE
        assert crypto.decrypt(session, org, sealed["description"], f"persons.description:{person}") == DESCRIPTION

    command.downgrade(cfg, "0003")
    assert stored() == {
        "description": DESCRIPTION,
        "phone": "0612",
        "note": NOTE,
        "new": DESCRIPTION,
        "name": "ordonnance.pdf",
    }
    assert file.read_bytes() == PDF
    engine.dispose()


def _typed(table: str, **columns) -> sa.TableClause:
    return sa.table(table, *(sa.column(c, t) for c, t in columns.items()))


U, T, S, B, N, J, D = (
    sa.Uuid(),
    sa.DateTime(timezone=True),
    sa.String(),
    sa.Boolean(),
    sa.Integer(),
    sa.JSON(),
    sa.Date(),
)
STAMPS = {"version": 1, "created_at": NOW, "updated_at": NOW}
REC = {"version": N, "created_at": T, "updated_at": T}


def _org_and_person(conn, org: uuid.UUID, person: uuid.UUID) -> None:
    """An organisation and one person in it, with the columns revisions 0007 to 0014 require."""
    conn.execute(
        sa.insert(_typed("organisations", id=U, name=S, retention_months=N, **REC)).values(
            id=org, name="Boréal", retention_months=24, **STAMPS
        )
    )
    persons = _typed(
        "persons", id=U, org_id=U, alias=S, other_aliases=J, code=S, languages=J, custom=J, active=B, alert=B,
        last_contact_at=T, **REC
    )  # fmt: skip
    conn.execute(
        sa.insert(persons).values(
            id=person,
            org_id=org,
            alias="Sekou",
            other_aliases=[],
            code="S1",
            languages=[],
            custom={},
            active=True,
            alert=False,
            last_contact_at=NOW,
            **STAMPS,
        )  # fmt: skip
    )


def test_revision_0009_copies_each_encounter_team_time_and_tombstone_onto_its_persons():
    """Encounter persons written before 0009 get their encounter's team, time and deletion, so that the indicators
    (which read encounter_persons alone) count them as before; the downgrade drops the copies."""
    url = _scratch_database()
    cfg = alembic_config(url)
    command.upgrade(cfg, "0007")
    engine = make_engine(url)
    org, team, person, live, gone = (uuid.uuid4() for _ in range(5))
    at_live, at_gone = datetime(2025, 3, 1, 21, 30, tzinfo=UTC), datetime(2025, 3, 2, 8, 0, tzinfo=UTC)
    with engine.begin() as conn:
        _org_and_person(conn, org, person)
        conn.execute(
            sa.insert(_typed("teams", id=U, org_id=U, name=S, kind=S, noon_to_noon=B, **REC)).values(
                id=team, org_id=org, name="Maraude", kind="patrol", noon_to_noon=False, **STAMPS
            )
        )
        enc = _typed("encounters", id=U, org_id=U, team_id=U, at=T, deleted_at=T, **REC)
        conn.execute(sa.insert(enc).values(id=live, org_id=org, team_id=team, at=at_live, deleted_at=None, **STAMPS))
        conn.execute(sa.insert(enc).values(id=gone, org_id=org, team_id=team, at=at_gone, deleted_at=NOW, **STAMPS))
        ep = _typed("encounter_persons", encounter_id=U, person_id=U, org_id=U, new=B)
        for eid in (live, gone):
            conn.execute(sa.insert(ep).values(encounter_id=eid, person_id=person, org_id=org, new=False))
    command.upgrade(cfg, "0009")
    from app.models import EncounterPerson

    with engine.connect() as conn:
        rows = {
            r.encounter_id: r
            for r in conn.execute(
                sa.select(
                    EncounterPerson.encounter_id,
                    EncounterPerson.team_id,
                    EncounterPerson.at,
                    EncounterPerson.deleted_at,
                )
            )
        }
    assert rows[live].team_id == team and rows[live].at == at_live and rows[live].deleted_at is None
    assert rows[gone].team_id == team and rows[gone].at == at_gone and rows[gone].deleted_at == NOW
    command.downgrade(cfg, "0007")
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("encounter_persons")}
    assert {"team_id", "at", "deleted_at"}.isdisjoint(columns) and len(rows) == 2
    engine.dispose()


def test_revision_0015_copies_each_need_open_flag_and_due_day_onto_its_persons():
    """Need links written before 0015 get their need's open flag (open and not deleted) and due day, which the
    caseload's "overdue needs" and "no open need" now read instead of the needs; the downgrade drops the copies."""
    url = _scratch_database()
    cfg = alembic_config(url)
    command.upgrade(cfg, "0014")
    engine = make_engine(url)
    org, person, *needs = (uuid.uuid4() for _ in range(7))
    due = date(2025, 3, 1)
    # (status, due day, deleted) -> the link's expected (open, due day)
    cases = [("todo", due, None), ("in_progress", None, None), ("done", due, None), ("cancelled", None, None)]
    cases.append(("todo", due, NOW))  # a deleted need is not open
    with engine.begin() as conn:
        _org_and_person(conn, org, person)
        table = _typed("needs", id=U, org_id=U, status=S, urgent=B, due_on=D, deleted_at=T, **REC)
        links = _typed("need_persons", need_id=U, person_id=U, org_id=U)
        for nid, (status, day, deleted) in zip(needs, cases, strict=True):
            conn.execute(
                sa.insert(table).values(
                    id=nid, org_id=org, status=status, urgent=False, due_on=day, deleted_at=deleted, **STAMPS
                )
            )
            conn.execute(sa.insert(links).values(need_id=nid, person_id=person, org_id=org))
    command.upgrade(cfg, "0015")
    copies = _typed("need_persons", need_id=U, open=B, due_on=D)
    with engine.connect() as conn:
        rows = {r.need_id: (r.open, r.due_on) for r in conn.execute(sa.select(copies))}
    assert [rows[n] for n in needs] == [(True, due), (True, None), (False, due), (False, None), (False, due)]
    command.downgrade(cfg, "0014")
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("need_persons")}
        assert {"open", "due_on"}.isdisjoint(columns)
        assert conn.execute(sa.text("SELECT count(*) FROM need_persons")).scalar_one() == 5
    engine.dispose()
