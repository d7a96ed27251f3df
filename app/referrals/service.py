"""Referrals: a person sent to a structure (for a need) with the person's consent and what is shared, and a
lifecycle whose every step has its date (one literal transition table below). When the structure is linked to a
team in Parcours, that team answers from its inbox of incoming referrals (see crossing.py for the only way data
goes from one organisation to another), links the referral to its own person record, and its steps flow back.
Waiting lists per structure (sender) and per team (receiver) with position and waiting time."""

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from app.access import Actor, get_or_404, require_consent_to_share, scoped
from app.admin.service import FieldErrors, check_version
from app.audit.service import record
from app.crypto import Unreadable, encrypted_column, seal, unseal
from app.errors import Invalid, NotFound
from app.i18n import _, lazy
from app.models import (
    IncomingReferral,
    Need,
    NeedPerson,
    Person,
    Referral,
    ReferralStep,
    Structure,
    Team,
    utcnow,
)
from app.needs import service as needs
from app.persons import search, timeline
from app.persons import service as persons
from app.persons.forms import PersonForm
from app.referrals import crossing
from app.referrals.forms import InboxFilter, LinkForm, ReferralFilter, ReferralForm, StatusForm
from app.structures.service import require_live
from app.web import validate_form

encrypted_column(Referral, "reason")
encrypted_column(Referral, "outcome_note")
encrypted_column(IncomingReferral, "snapshot")

STATUSES = {
    "proposed": lazy("Proposed"),
    "sent": lazy("Sent"),
    "accepted": lazy("Accepted"),
    "waiting_list": lazy("On the waiting list"),
    "refused": lazy("Refused"),
    "attended": lazy("Came"),
    "admitted": lazy("Admitted"),
    "closed": lazy("Closed"),
    "no_show": lazy("Did not come"),
    "cancelled": lazy("Cancelled"),
}
# The lifecycle, literally: a status may only move to the ones listed. Nothing skips a step.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "proposed": ("sent", "cancelled"),
    "sent": ("accepted", "waiting_list", "refused", "cancelled"),
    "waiting_list": ("accepted", "attended", "admitted", "refused", "cancelled"),
    "accepted": ("attended", "admitted", "no_show", "cancelled"),
    "refused": ("closed",),
    "attended": ("closed",),
    "admitted": ("closed",),
    "closed": (),
    "no_show": (),
    "cancelled": (),
}
# When the structure is a team in Parcours, these steps are recorded by that team (from its inbox) only.
RECEIVER_STEPS = frozenset({"accepted", "waiting_list", "refused", "attended", "admitted", "no_show"})
IN_PROGRESS = tuple(s for s, nexts in TRANSITIONS.items() if nexts)
ACTIONS = {
    "sent": lazy("Send"),
    "accepted": lazy("Accept"),
    "waiting_list": lazy("Waiting list"),
    "refused": lazy("Refuse"),
    "attended": lazy("Came"),
    "admitted": lazy("Admitted"),
    "no_show": lazy("Did not come"),
    "closed": lazy("Close"),
    "cancelled": lazy("Cancel the referral"),
}
SHAREABLE = {
    "age": lazy("Age"),
    "gender": lazy("Gender"),
    "languages": lazy("Languages"),
    "nationality": lazy("Nationality"),
    "phone": lazy("Phone"),
    "alert": lazy("Vulnerability alert"),
    "reason": lazy("Reason for the referral"),
    "need": lazy("The need"),
}
OUTCOMES = {"reached": lazy("Goal reached"), "partly": lazy("Partly reached"), "not_reached": lazy("Not reached")}
PAGE_SIZE = 30


def status_label(status: str) -> str:
    return _(STATUSES.get(status, status))


# ---------------------------------------------------------------- reading
def get_referral(session: Session, actor: Actor, referral_id: object) -> Referral:
    actor.require("referrals.read")
    return get_or_404(session, actor, Referral, referral_id)


def get_incoming(session: Session, actor: Actor, incoming_id: object) -> IncomingReferral:
    actor.require("referrals.read")
    return get_or_404(session, actor, IncomingReferral, incoming_id)


def read_snapshot(session: Session, incoming: IncomingReferral) -> dict[str, Any]:
    return json.loads(unseal(session, incoming, "snapshot") or "{}")


@dataclass
class Step:
    status: str
    at: datetime
    by: str | None


def _steps(session: Session, actor: Actor, column, value: uuid.UUID) -> list[Step]:
    rows = list(
        session.exec(
            select(ReferralStep)
            .where(column == value, ReferralStep.org_id == actor.org_id)
            .order_by(col(ReferralStep.at))
        )
    )
    names = persons.user_names(session, {r.user_id for r in rows})
    return [Step(r.status, r.at, r.by_label or (names.get(r.user_id) if r.user_id else None)) for r in rows]


@dataclass
class SentRow:
    referral: Referral
    alias: str
    structure: str
    waiting_days: int | None = None


@dataclass
class ReferralView:
    referral: Referral
    person: Person
    structure: Structure
    need: needs.NeedRow | None
    reason: str | None
    outcome_note: str | None
    steps: list[Step]
    actions: list[str]  # the statuses this side may move it to now
    consent_by: str | None
    linked: bool  # the structure's team answers in Parcours


def sender_actions(referral: Referral) -> list[str]:
    nexts = TRANSITIONS.get(referral.status, ())
    if referral.target_team_id is not None:
        return [s for s in nexts if s not in RECEIVER_STEPS]
    return list(nexts)


def receiver_actions(incoming: IncomingReferral) -> list[str]:
    return [s for s in TRANSITIONS.get(incoming.status, ()) if s in RECEIVER_STEPS]


def view(session: Session, actor: Actor, referral: Referral) -> ReferralView:
    person = session.get(Person, referral.person_id)
    structure = session.get(Structure, referral.structure_id)
    assert person is not None and structure is not None and person.org_id == structure.org_id == actor.org_id
    need = session.get(Need, referral.need_id) if referral.need_id else None
    names = persons.user_names(session, {referral.consent_by})
    return ReferralView(
        referral=referral,
        person=person,
        structure=structure,
        need=needs.rows_for(session, actor, [need])[0] if need else None,
        reason=unseal(session, referral, "reason") if referral.reason else None,
        outcome_note=unseal(session, referral, "outcome_note") if referral.outcome_note else None,
        steps=_steps(session, actor, col(ReferralStep.referral_id), referral.id),
        actions=sender_actions(referral) if actor.can("referrals.write") else [],
        consent_by=names.get(referral.consent_by) if referral.consent_by else None,
        linked=referral.target_team_id is not None,
    )


def _labels(session: Session, actor: Actor, model, column: str, ids: set) -> dict[uuid.UUID, str]:
    """id -> name (or alias) of the organisation's rows among `ids`, in one query."""
    if not ids:
        return {}
    stmt = select(model.id, getattr(model, column)).where(col(model.id).in_(ids), model.org_id == actor.org_id)
    return dict(session.exec(stmt).all())  # type: ignore[arg-type]


def _sent_rows(session: Session, actor: Actor, referrals: list[Referral]) -> list[SentRow]:
    aliases = _labels(session, actor, Person, "alias", {r.person_id for r in referrals})
    names = _labels(session, actor, Structure, "name", {r.structure_id for r in referrals})
    now = utcnow()
    return [
        SentRow(
            r,
            aliases.get(r.person_id, ""),
            names.get(r.structure_id, ""),
            (now - r.status_at).days if r.status == "waiting_list" else None,
        )
        for r in referrals
    ]


def list_sent(session: Session, actor: Actor, team: Team | None, filt: ReferralFilter) -> tuple[list[SentRow], bool]:
    """Referrals sent by a team (or one person's, whatever the team), newest step first."""
    actor.require("referrals.read")
    stmt = scoped(Referral, actor)
    if filt.person_id is not None:
        stmt = stmt.where(Referral.person_id == filt.person_id)
    if team is not None and not (filt.all_teams and filt.person_id):
        stmt = stmt.where(Referral.team_id == team.id)
    elif filt.person_id is None:
        return [], False
    if filt.status == "open":
        stmt = stmt.where(col(Referral.status).in_(IN_PROGRESS))
    elif filt.status != "all":
        stmt = stmt.where(Referral.status == filt.status)
    stmt = stmt.order_by(col(Referral.status_at).desc(), col(Referral.id))
    rows = list(session.exec(stmt.offset((filt.page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return _sent_rows(session, actor, rows[:PAGE_SIZE]), len(rows) > PAGE_SIZE


@dataclass
class InboxRow:
    incoming: IncomingReferral
    alias: str
    team: str
    position: int | None = None
    waiting_days: int | None = None


def _inbox_rows(session: Session, actor: Actor, rows: list[IncomingReferral]) -> list[InboxRow]:
    own = _labels(session, actor, Person, "alias", {r.person_id for r in rows if r.person_id})
    teams = _labels(session, actor, Team, "name", {r.team_id for r in rows})
    now = utcnow()
    return [
        InboxRow(
            r,
            own.get(r.person_id) if r.person_id else read_snapshot(session, r).get("alias", ""),  # type: ignore[arg-type]
            teams.get(r.team_id, ""),
            waiting_days=(now - r.status_at).days if r.status == "waiting_list" else None,
        )
        for r in rows
    ]


def inbox(session: Session, actor: Actor, filt: InboxFilter) -> tuple[list[InboxRow], bool]:
    """Incoming referrals of the organisation (or one team): new ones first, then by latest step."""
    actor.require("referrals.read")
    stmt = scoped(IncomingReferral, actor)
    if filt.team_id is not None:
        stmt = stmt.where(IncomingReferral.team_id == filt.team_id)
    if filt.status == "new":
        stmt = stmt.where(IncomingReferral.status == "sent")
    elif filt.status == "open":
        stmt = stmt.where(col(IncomingReferral.status).in_(IN_PROGRESS))
    stmt = stmt.order_by(col(IncomingReferral.status_at).desc(), col(IncomingReferral.id))
    rows = list(session.exec(stmt.offset((filt.page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return _inbox_rows(session, actor, rows[:PAGE_SIZE]), len(rows) > PAGE_SIZE


def new_count(session: Session, actor: Actor, team_id: uuid.UUID | None) -> int:
    """Incoming referrals waiting for an answer, for a team's home page."""
    if team_id is None or not actor.can("referrals.read"):
        return 0
    return session.exec(
        select(func.count())
        .select_from(IncomingReferral)
        .where(IncomingReferral.team_id == team_id, IncomingReferral.org_id == actor.org_id)
        .where(IncomingReferral.status == "sent", col(IncomingReferral.deleted_at).is_(None))
    ).one()


def structure_waiting_list(session: Session, actor: Actor, structure: Structure, limit: int = 200) -> list[SentRow]:
    """The organisation's referrals on a structure's waiting list, in order (position = index + 1)."""
    actor.require("referrals.read")
    rows = session.exec(
        scoped(Referral, actor)
        .where(Referral.structure_id == structure.id, Referral.status == "waiting_list")
        .order_by(col(Referral.status_at), col(Referral.id))
        .limit(limit)
    ).all()
    return _sent_rows(session, actor, list(rows))


def team_waiting_list(session: Session, actor: Actor, team_id: uuid.UUID, limit: int = 200) -> list[InboxRow]:
    """The waiting list of one of the organisation's teams (incoming referrals), in order."""
    actor.require("referrals.read")
    rows = session.exec(
        scoped(IncomingReferral, actor)
        .where(IncomingReferral.team_id == team_id, IncomingReferral.status == "waiting_list")
        .order_by(col(IncomingReferral.status_at), col(IncomingReferral.id))
        .limit(limit)
    ).all()
    out = _inbox_rows(session, actor, list(rows))
    for i, row in enumerate(out, start=1):
        row.position = i
    return out


@dataclass
class IncomingView:
    incoming: IncomingReferral
    snapshot: dict[str, Any]
    person: Person | None
    team: Team
    steps: list[Step]
    actions: list[str]
    position: int | None = None
    dupes: list = field(default_factory=list)


def incoming_view(session: Session, actor: Actor, incoming: IncomingReferral) -> IncomingView:
    person = None
    if incoming.person_id is not None:
        person = session.exec(scoped(Person, actor).where(Person.id == incoming.person_id)).first()
    team = session.get(Team, incoming.team_id)
    assert team is not None and team.org_id == actor.org_id
    position = None
    if incoming.status == "waiting_list":
        ahead = session.exec(
            scoped(IncomingReferral, actor)
            .where(IncomingReferral.team_id == incoming.team_id, IncomingReferral.status == "waiting_list")
            .where(col(IncomingReferral.status_at) < incoming.status_at)
            .limit(1000)
        ).all()
        position = len(ahead) + 1
    return IncomingView(
        incoming=incoming,
        snapshot=read_snapshot(session, incoming),
        person=person,
        team=team,
        steps=_steps(session, actor, col(ReferralStep.incoming_id), incoming.id),
        actions=receiver_actions(incoming) if actor.can("referrals.write") else [],
        position=position,
    )


# ---------------------------------------------------------------- creating and sending
def _check_consent(actor: Actor, structure: Structure, consent_given: bool, shared: list[str]) -> None:
    """No consent, no sharing outside the organisation: to a team of another organisation at all, and to a
    structure outside Parcours when anything is marked as shared."""
    try:
        require_consent_to_share(actor, structure.linked_org_id, consent_given)
    except Invalid as exc:
        raise FieldErrors({"consent_given": exc.message}) from None
    if structure.linked_org_id is None and shared and not consent_given:
        raise FieldErrors(
            {"consent_given": _("Nothing can be shared without the person's consent: record it, or share nothing.")}
        )


def snapshot(session: Session, actor: Actor, referral: Referral, person: Person) -> dict[str, Any]:
    """What the receiving organisation gets, taken now: the alias and the consented fields, nothing else."""
    shared = set(referral.shared)
    snap: dict[str, Any] = {"alias": person.alias}
    if "age" in shared and person.birth_year:
        snap["birth_year"] = person.birth_year
    if "gender" in shared and person.gender:
        snap["gender"] = person.gender
    if "languages" in shared and person.languages:
        snap["languages"] = person.languages
    if "nationality" in shared and person.nationality:
        snap["nationality"] = person.nationality
    texts = persons.texts(session, actor, person)  # encrypted at rest: never copy a ciphertext across
    if "phone" in shared and texts["phone"] and not isinstance(texts["phone"], Unreadable):
        snap["phone"] = str(texts["phone"])
    if "alert" in shared and person.alert:
        reason = texts["alert_reason"]
        snap["alert"] = "" if reason is None or isinstance(reason, Unreadable) else str(reason)
    if "reason" in shared and referral.reason:
        snap["reason"] = unseal(session, referral, "reason")
    if "need" in shared and referral.need_id:
        need = session.get(Need, referral.need_id)
        if need is not None:
            row = needs.rows_for(session, actor, [need])[0]
            snap["need"] = ", ".join(row.categories)
            if row.description:
                snap["need_description"] = row.description
    if referral.consent_given and referral.consent_at:
        snap["consent_at"] = referral.consent_at.isoformat()
        snap["consent_scope"] = referral.consent_scope or ""
    return snap


def _step(session: Session, actor: Actor, referral: Referral, status: str, at: datetime) -> None:
    referral.status, referral.status_at = status, at
    session.add(
        ReferralStep(org_id=referral.org_id, referral_id=referral.id, status=status, at=at, user_id=actor.user_id)
    )


def create_referral(session: Session, actor: Actor, form: ReferralForm) -> Referral:
    actor.require("referrals.write")
    if form.id is not None and (existing := session.get(Referral, form.id)) is not None:
        if existing.org_id != actor.org_id:
            raise FieldErrors({"structure_id": _("This form was already used. Reload the page.")})
        return existing  # the same form sent twice: one referral
    person = session.exec(scoped(Person, actor).where(Person.id == form.person_id)).first()
    if person is None:
        raise NotFound()
    structure = session.exec(scoped(Structure, actor).where(Structure.id == form.structure_id)).first()
    if structure is None:
        raise FieldErrors({"structure_id": _("Choose one of the options.")})
    if structure.archived_at is not None:
        raise FieldErrors({"structure_id": _("%(name)s is archived: choose another structure.", name=structure.name)})
    if form.need_id is not None:
        linked = session.exec(
            select(NeedPerson.need_id)
            .join(Need, col(Need.id) == col(NeedPerson.need_id))
            .where(NeedPerson.need_id == form.need_id, NeedPerson.person_id == person.id)
            .where(Need.org_id == actor.org_id)
        ).first()
        if linked is None:
            raise FieldErrors({"need_id": _("Choose one of the options.")})
    _check_consent(actor, structure, form.consent_given, form.shared)
    now = utcnow()
    referral = Referral(
        id=form.id or uuid.uuid4(),
        org_id=actor.org_id,  # type: ignore[arg-type]
        person_id=person.id,
        structure_id=structure.id,
        need_id=form.need_id,
        team_id=actor.team_id,
        created_by=actor.user_id,
        shared=sorted(set(form.shared)),
        consent_given=form.consent_given,
        consent_by=actor.user_id if form.consent_given else None,
        consent_at=now if form.consent_given else None,
        consent_scope=form.consent_scope,
        status="proposed",
        status_at=now,
        target_org_id=structure.linked_org_id,
        target_team_id=structure.linked_team_id,
    )
    seal(session, referral, "reason", form.reason)
    session.add(referral)
    session.flush()
    _step(session, actor, referral, "proposed", now)
    record(session, actor, "referral.created", entity_type="referral", entity_id=referral.id)
    if form.send:
        change_status(session, actor, referral, StatusForm(status="sent"))
    session.flush()
    return referral


def _refuse_jump(current: str, wanted: str) -> Invalid:
    allowed = ", ".join(f"“{status_label(s)}”" for s in TRANSITIONS.get(current, ())) or "—"
    return Invalid(
        _(
            "A referral “%(current)s” cannot become “%(wanted)s”. Next steps possible: %(allowed)s.",
            current=status_label(current),
            wanted=status_label(wanted),
            allowed=allowed,
        )
    )


def change_status(session: Session, actor: Actor, referral: Referral, form: StatusForm) -> None:
    """A step taken by the sending side. The same step twice changes nothing (a double tap)."""
    actor.require("referrals.write")
    if referral.status == form.status:
        return
    check_version(referral, form.version)
    if form.status not in TRANSITIONS.get(referral.status, ()):
        raise _refuse_jump(referral.status, form.status)
    if form.status in RECEIVER_STEPS and referral.target_team_id is not None:
        raise Invalid(_("The receiving team records this step in Parcours: it will show here."))
    now = utcnow()
    if form.status == "sent":
        structure = session.get(Structure, referral.structure_id)
        assert structure is not None
        require_live(structure)
        # The structure's link may have changed since the referral was proposed: the link at sending counts.
        referral.target_org_id, referral.target_team_id = structure.linked_org_id, structure.linked_team_id
        require_consent_to_share(actor, referral.target_org_id, referral.consent_given)
        person = session.get(Person, referral.person_id)
        assert person is not None
        crossing.deliver(session, actor, referral, snapshot(session, actor, referral, person), now)
    if form.status == "closed":
        referral.outcome = form.outcome
        seal(session, referral, "outcome_note", form.outcome_note)
    _step(session, actor, referral, form.status, now)
    if form.status in ("cancelled", "closed"):
        crossing.pass_on(session, actor, referral, form.status, now)
    session.flush()
    details = {"status": form.status}
    record(session, actor, "referral.status", entity_type="referral", entity_id=referral.id, details=details)


def receive_status(session: Session, actor: Actor, incoming: IncomingReferral, form: StatusForm) -> None:
    """A step taken by the receiving team (accept, waiting list, refuse, came, admitted, did not come); it
    flows back to the sender."""
    actor.require("referrals.write")
    if incoming.status == form.status:
        return
    check_version(incoming, form.version)
    if form.status not in RECEIVER_STEPS or form.status not in TRANSITIONS.get(incoming.status, ()):
        raise _refuse_jump(incoming.status, form.status)
    now = utcnow()
    incoming.status, incoming.status_at = form.status, now
    session.add(
        ReferralStep(org_id=incoming.org_id, incoming_id=incoming.id, status=form.status, at=now, user_id=actor.user_id)
    )
    crossing.report_back(session, actor, incoming, form.status, now)
    session.flush()
    details = {"status": form.status}
    record(
        session,
        actor,
        "incoming_referral.status",
        entity_type="incoming_referral",
        entity_id=incoming.id,
        details=details,
    )


# ---------------------------------------------------------------- the receiver's own person record
class LookAlikes(Exception):
    """Creating a person for an incoming referral while the organisation already knows look-alikes."""

    def __init__(self, rows: list):
        super().__init__("look-alikes")
        self.rows = rows


def link_person(session: Session, actor: Actor, incoming: IncomingReferral, form: LinkForm) -> Person:
    """Tie the incoming referral to a person of the receiving organisation: one picked, or a new record made
    from the snapshot (after the duplicate guard: look-alikes are shown first unless `confirm`)."""
    actor.require("referrals.write")
    actor.require("persons.write")
    if form.other_id is not None:
        person = session.exec(scoped(Person, actor).where(Person.id == form.other_id)).first()
        if person is None:
            raise FieldErrors({"other_id": _("Choose the person in the list.")})
    elif form.create:
        snap = read_snapshot(session, incoming)
        if not form.confirm:
            rows = search.duplicates(session, actor, snap.get("alias", ""))
            if rows:
                raise LookAlikes(rows)
        values = {
            "alias": snap.get("alias", ""),
            "gender": snap.get("gender"),
            "birth_year": snap.get("birth_year"),
            "languages": ", ".join(snap.get("languages", [])),
            "nationality": snap.get("nationality"),
            "phone": snap.get("phone"),
            "team_ids": [incoming.team_id],
        }
        result = validate_form(PersonForm, values)
        if not result.ok:  # a value the sender's organisation accepted but ours does not: keep the alias only
            result = validate_form(PersonForm, {"alias": values["alias"], "team_ids": [incoming.team_id]})
        assert result.data is not None
        person = persons.create_person(session, actor, result.data)
    else:
        raise FieldErrors({"other_id": _("Choose the person in the list, or create a new record.")})
    incoming.person_id = person.id
    session.flush()
    record(session, actor, "incoming_referral.linked", entity_type="incoming_referral", entity_id=incoming.id)
    return person


# ---------------------------------------------------------------- the person's page and timeline
@timeline.register_summary("referrals", "referrals.read")
def _summary(session: Session, actor: Actor, person_id: uuid.UUID) -> timeline.SummarySection:
    sent = session.exec(
        scoped(Referral, actor)
        .where(Referral.person_id == person_id, col(Referral.status).in_(IN_PROGRESS))
        .order_by(col(Referral.status_at).desc())
        .limit(5)
    ).all()
    received = session.exec(
        scoped(IncomingReferral, actor)
        .where(IncomingReferral.person_id == person_id, col(IncomingReferral.status).in_(IN_PROGRESS))
        .order_by(col(IncomingReferral.status_at).desc())
        .limit(5)
    ).all()
    items = [
        timeline.SummaryItem(
            row.structure,
            url=f"/referrals/{row.referral.id}",
            meta=_(
                "%(status)s since %(day)s",
                status=status_label(row.referral.status),
                day=row.referral.status_at.strftime("%d/%m/%Y"),
            ),
        )
        for row in _sent_rows(session, actor, list(sent))
    ]
    items += [
        timeline.SummaryItem(
            _("From %(who)s", who=r.from_label),
            url=f"/referrals/inbox/{r.id}",
            meta=_("%(status)s since %(day)s", status=status_label(r.status), day=r.status_at.strftime("%d/%m/%Y")),
        )
        for r in received
    ]
    actions = []
    if actor.can("referrals.write"):
        actions.append((_("+ Referral"), f"/referrals/new?person_id={person_id}"))
    actions.append((_("All referrals"), f"/referrals?person_id={person_id}&all_teams=true&status=all"))
    return timeline.SummarySection(
        "referrals", _("Referrals in progress"), items, empty=_("No referral in progress."), actions=actions
    )


@timeline.register_timeline("referrals", "referrals.read")
def _timeline(
    session: Session, actor: Actor, person_id: uuid.UUID, before: datetime | None, limit: int
) -> list[timeline.TimelineEntry]:
    sent = {
        r.id: r
        for r in session.exec(
            scoped(Referral, actor)
            .where(Referral.person_id == person_id)
            .order_by(col(Referral.created_at).desc())
            .limit(50)
        )
    }
    received = {
        r.id: r
        for r in session.exec(
            scoped(IncomingReferral, actor)
            .where(IncomingReferral.person_id == person_id)
            .order_by(col(IncomingReferral.created_at).desc())
            .limit(50)
        )
    }
    if not sent and not received:
        return []
    structures = _labels(session, actor, Structure, "name", {r.structure_id for r in sent.values()})
    steps_of = (
        select(ReferralStep)
        .where(ReferralStep.org_id == actor.org_id)
        .where(col(ReferralStep.referral_id).in_(sent) | col(ReferralStep.incoming_id).in_(received))
    )
    steps_of = timeline.older_than(steps_of, ReferralStep.at, before)
    steps = session.exec(steps_of.order_by(col(ReferralStep.at).desc()).limit(limit)).all()
    names = persons.user_names(session, {s.user_id for s in steps})
    entries = []
    for s in steps:
        by = s.by_label or (names.get(s.user_id) if s.user_id else None)
        if s.referral_id in sent:
            title = _(
                "Referral to %(where)s: %(status)s",
                where=structures.get(sent[s.referral_id].structure_id, ""),
                status=status_label(s.status),
            )
            url = f"/referrals/{s.referral_id}"
        else:
            incoming = received[s.incoming_id]  # type: ignore[index]
            title = _("Referral from %(who)s: %(status)s", who=incoming.from_label, status=status_label(s.status))
            url = f"/referrals/inbox/{incoming.id}"
        entries.append(timeline.TimelineEntry(s.at, "referral", title, by=by, url=url))
    return entries


for _model in (Referral, IncomingReferral):
    timeline.register_person_column(_model, "person_id")
