"""Patrol rounds (maraudes): start one for the team picked today, see it while it runs, end it; and the anonymous
contacts counted during it, with the materials given to them."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from sqlmodel import Session, col, func, select

from app.access import Actor, get_or_404, scoped
from app.admin.service import FieldErrors, check_version
from app.audit.service import record
from app.field import catalogue
from app.field.days import time_band
from app.field.forms import AnonymousForm, EndRoundForm, RoundForm
from app.i18n import _, lazy
from app.models import (
    AnonymousContact,
    AnonymousMaterial,
    Encounter,
    EncounterPerson,
    Material,
    Round,
    RoundMember,
    Team,
    TeamMembership,
    Territory,
    User,
    utcnow,
)
from app.persons.service import user_names
from app.web import local_dt

KINDS = {"foot": lazy("On foot"), "bus": lazy("Bus"), "metro": lazy("Metro")}
PAGE_SIZE = 30
RUNNING_AT_MOST = timedelta(days=2)


def team_of_today(session: Session, actor: Actor) -> Team:
    """The team picked for today's work: what new rounds, encounters, check-ins and observations belong to."""
    if actor.team_id is None:
        raise FieldErrors({"__all__": _("Choose the team you work with today first.")})
    return get_or_404(session, actor, Team, actor.team_id)


def team_members(session: Session, actor: Actor, team_id: uuid.UUID) -> list[User]:
    return list(
        session.exec(
            scoped(User, actor)
            .join(TeamMembership, col(TeamMembership.user_id) == col(User.id))
            .where(TeamMembership.team_id == team_id, col(User.is_active).is_(True))
            .order_by(User.name)
        )
    )


def running(session: Session, actor: Actor, team_id: uuid.UUID) -> list[Round]:
    """The team's rounds not yet ended, the latest first (two pairs of one team may be out at once). A round
    left open for more than two days is not running any more: it waits on the rounds list to be ended."""
    return list(
        session.exec(
            scoped(Round, actor)
            .where(Round.team_id == team_id, col(Round.ended_at).is_(None))
            .where(Round.started_at >= utcnow() - RUNNING_AT_MOST)
            .order_by(col(Round.started_at).desc())
            .limit(5)
        )
    )


def round_for_encounter(session: Session, actor: Actor, team_id: uuid.UUID) -> Round | None:
    """The running round a new encounter belongs to by default: one the user is on, else the team's latest."""
    rounds = running(session, actor, team_id)
    if not rounds:
        return None
    mine = set(
        session.exec(
            select(RoundMember.round_id).where(
                col(RoundMember.round_id).in_([r.id for r in rounds]), RoundMember.user_id == actor.user_id
            )
        )
    )
    return next((r for r in rounds if r.id in mine), rounds[0])


def get_round(session: Session, actor: Actor, round_id: object) -> Round:
    actor.require("field.read")
    return get_or_404(session, actor, Round, round_id)


def start_round(session: Session, actor: Actor, form: RoundForm) -> Round:
    actor.require("field.write")
    if (existing := session.get(Round, form.id)) is not None:
        if existing.org_id != actor.org_id:
            raise FieldErrors({"__all__": _("This form was already used. Reload the page.")})
        return existing  # the same form sent twice: one round
    team = team_of_today(session, actor)
    errors: dict[str, str] = {}
    if form.territory_id is not None:
        territory = session.exec(scoped(Territory, actor).where(Territory.id == form.territory_id)).first()
        if territory is None or territory.archived_at is not None:
            errors["territory_id"] = _("Choose one of the options.")
    members = set(form.member_ids) | {actor.user_id}
    known = {u.id for u in team_members(session, actor, team.id)} | {actor.user_id}
    if not members <= known:
        errors["member_ids"] = _("Choose one of the options.")
    if errors:
        raise FieldErrors(errors)
    started = form.started_at or utcnow()
    rnd = Round(
        id=form.id,
        org_id=team.org_id,
        team_id=team.id,
        kind=form.kind,
        territory_id=form.territory_id,
        started_at=started,
        time_band=time_band(started),
        started_by=actor.user_id,
    )
    session.add(rnd)
    session.flush()
    for user_id in sorted(members):
        session.add(RoundMember(round_id=rnd.id, user_id=user_id, org_id=rnd.org_id))
    session.flush()
    record(session, actor, "round.started", entity_type="round", entity_id=rnd.id)
    return rnd


def end_round(session: Session, actor: Actor, rnd: Round, form: EndRoundForm) -> Round:
    actor.require("field.write")
    if rnd.ended_at is not None:
        return rnd  # already ended (a second tap, or the other member of the pair)
    check_version(rnd, form.version)
    ended = form.ended_at or utcnow()
    if ended < rnd.started_at:
        raise FieldErrors(
            {"ended_at": _("A round cannot end before it started (%(time)s).", time=local_dt(rnd.started_at))}
        )
    rnd.ended_at, rnd.ended_by = ended, actor.user_id
    session.flush()
    record(session, actor, "round.ended", entity_type="round", entity_id=rnd.id)
    return rnd


def add_anonymous(
    session: Session, actor: Actor, rnd: Round, form: AnonymousForm, raw: Mapping[str, str]
) -> AnonymousContact:
    """People met but not identified, counted on the round, with the materials given to them."""
    actor.require("field.write")
    if (existing := session.get(AnonymousContact, form.id)) is not None:
        if existing.org_id != actor.org_id:
            raise FieldErrors({"__all__": _("This form was already used. Reload the page.")})
        return existing
    quantities, errors = catalogue.parse_quantities(raw, "m_", partial(catalogue.material_map, session, actor))
    if errors:
        raise FieldErrors(errors)
    contact = AnonymousContact(
        id=form.id,
        org_id=rnd.org_id,
        team_id=rnd.team_id,
        round_id=rnd.id,
        at=form.at or utcnow(),
        people=form.people,
        author_id=actor.user_id,
    )
    session.add(contact)
    session.flush()
    for material_id, n in quantities.items():
        session.add(AnonymousMaterial(contact_id=contact.id, material_id=material_id, org_id=rnd.org_id, quantity=n))
    session.flush()
    record(session, actor, "anonymous_contact.created", entity_type="round", entity_id=rnd.id)
    return contact


# ---------------------------------------------------------------- what the pages show
@dataclass
class RoundView:
    round: Round
    territory: str | None
    members: list[str]
    encounters: int = 0
    persons: int | None = 0  # None: not counted (lists)
    anonymous: int = 0

    @property
    def id(self) -> uuid.UUID:
        return self.round.id


def views(session: Session, actor: Actor, rounds: list[Round], *, with_persons: bool = True) -> list[RoundView]:
    """Rounds with their territory, members and counts, in a fixed number of queries whatever their number."""
    ids = [r.id for r in rounds]
    if not ids:
        return []
    territories = catalogue.labels(session, {Territory: {r.territory_id for r in rounds}})
    member_rows = session.exec(
        select(RoundMember.round_id, User.name)
        .join(User, col(User.id) == col(RoundMember.user_id))
        .where(col(RoundMember.round_id).in_(ids))
        .order_by(User.name)
    ).all()
    members: dict[uuid.UUID, list[str]] = {}
    for round_id, name in member_rows:
        members.setdefault(round_id, []).append(name)
    # The round ids come from a scoped query: counting by round id alone reads ix_encounters_round only.
    live = (col(Encounter.round_id).in_(ids), col(Encounter.deleted_at).is_(None))
    encounters = dict(
        session.exec(select(Encounter.round_id, func.count()).where(*live).group_by(Encounter.round_id)).all()  # type: ignore[call-overload]
    )
    persons: dict[uuid.UUID, int] = {}
    if with_persons:  # distinct persons: one join per encounter, so for a few rounds only (not for the list)
        persons = dict(
            session.exec(
                select(Encounter.round_id, func.count(func.distinct(EncounterPerson.person_id)))
                .join(EncounterPerson, col(EncounterPerson.encounter_id) == col(Encounter.id))
                .where(*live)
                .group_by(Encounter.round_id)
            ).all()  # type: ignore[call-overload]
        )
    anonymous = dict(
        session.exec(
            select(AnonymousContact.round_id, func.sum(AnonymousContact.people))
            .where(
                AnonymousContact.org_id == actor.org_id,
                col(AnonymousContact.deleted_at).is_(None),
                col(AnonymousContact.round_id).in_(ids),
            )
            .group_by(AnonymousContact.round_id)
        ).all()  # type: ignore[call-overload]
    )
    return [
        RoundView(
            r,
            territories.get(r.territory_id) if r.territory_id else None,
            members.get(r.id, []),
            encounters.get(r.id, 0),
            persons.get(r.id) if with_persons else None,
            int(anonymous.get(r.id) or 0),
        )
        for r in rounds
    ]


def recent(session: Session, actor: Actor, team_id: uuid.UUID, page: int = 1) -> tuple[list[RoundView], bool]:
    actor.require("field.read")
    rows = list(
        session.exec(
            scoped(Round, actor)
            .where(Round.team_id == team_id)
            .order_by(col(Round.started_at).desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    return views(session, actor, rows[:PAGE_SIZE], with_persons=False), len(rows) > PAGE_SIZE


@dataclass
class AnonymousView:
    contact: AnonymousContact
    author: str | None
    materials: list[tuple[str, int]] = field(default_factory=list)


def anonymous_contacts(session: Session, actor: Actor, rnd: Round) -> list[AnonymousView]:
    contacts = list(
        session.exec(
            scoped(AnonymousContact, actor)
            .where(AnonymousContact.round_id == rnd.id)
            .order_by(col(AnonymousContact.at).desc())
            .limit(200)
        )
    )
    lines: dict[uuid.UUID, list[tuple[str, int]]] = {}
    if contacts:
        for contact_id, label, n in session.exec(
            select(AnonymousMaterial.contact_id, Material.label, AnonymousMaterial.quantity)
            .join(Material, col(Material.id) == col(AnonymousMaterial.material_id))
            .where(col(AnonymousMaterial.contact_id).in_([c.id for c in contacts]))
            .order_by(Material.position)
        ).all():
            lines.setdefault(contact_id, []).append((label, n))
    names = user_names(session, {c.author_id for c in contacts})
    return [AnonymousView(c, names.get(c.author_id) if c.author_id else None, lines.get(c.id, [])) for c in contacts]
