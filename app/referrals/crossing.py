"""The ONE place where a row of another organisation is read or written: the deliberate crossing of a referral
between organisations (the rule is app/access.py: require_consent_to_share). Four moves, nothing else:

- find_inbox(code): the team behind a referral inbox code, to link a structure of the directory to it;
- deliver(referral, snapshot): at sending, the receiving organisation's IncomingReferral holding the snapshot of
  what was consented (encrypted with the receiver's key), never a way back to the sender's person;
- report_back(incoming, status): a step the receiver records, copied onto the sender's Referral (status, date,
  and the receiving organisation's name: not who did it);
- pass_on(referral, status): a step the sender records (cancelled, closed), copied onto the IncomingReferral.

Referrals to a team of one's own organisation take the same path, without leaving it."""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.access import Actor, require_consent_to_share
from app.crypto import seal
from app.errors import Invalid
from app.i18n import _
from app.models import IncomingReferral, Organisation, Referral, ReferralInbox, ReferralStep, Team
from app.persons.codes import ALPHABET

CODE_LENGTH = 10


@dataclass(frozen=True)
class PartnerTeam:
    org_id: uuid.UUID
    team_id: uuid.UUID
    label: str  # "Organisation · team"


def clean_inbox_code(text: str | None) -> str:
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


def display_inbox_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def valid_inbox_code(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)


def label_of(session: Session, org_id: uuid.UUID, team_id: uuid.UUID | None) -> str:
    org = session.get(Organisation, org_id)
    team = session.get(Team, team_id) if team_id else None
    name = org.name if org else ""
    return f"{name} · {team.name}" if team else name


def find_inbox(session: Session, code: str | None) -> PartnerTeam | None:
    """The team whose open referral inbox has this code (any organisation), or None."""
    clean = clean_inbox_code(code)
    if not valid_inbox_code(clean):
        return None
    row = session.exec(
        select(ReferralInbox)
        .join(Team, col(Team.id) == col(ReferralInbox.team_id))
        .where(ReferralInbox.code == clean, col(ReferralInbox.closed_at).is_(None))
        .where(col(ReferralInbox.deleted_at).is_(None), col(Team.archived_at).is_(None))
    ).first()
    if row is None:
        return None
    return PartnerTeam(row.org_id, row.team_id, label_of(session, row.org_id, row.team_id))


def inbox_is_open(session: Session, team_id: uuid.UUID) -> bool:
    return (
        session.exec(
            select(ReferralInbox.id)
            .join(Team, col(Team.id) == col(ReferralInbox.team_id))
            .where(ReferralInbox.team_id == team_id, col(ReferralInbox.closed_at).is_(None))
            .where(col(ReferralInbox.deleted_at).is_(None), col(Team.archived_at).is_(None))
        ).first()
        is not None
    )


def deliver(session: Session, actor: Actor, referral: Referral, snapshot: dict[str, Any], at: datetime) -> None:
    """At sending: the receiving team's IncomingReferral, holding `snapshot` only."""
    target_org, target_team = referral.target_org_id, referral.target_team_id
    if target_org is None or target_team is None:
        return
    require_consent_to_share(actor, target_org, referral.consent_given)
    inside = target_org == referral.org_id
    if not inside and not inbox_is_open(session, target_team):
        raise Invalid(_("This team of another organisation no longer receives referrals in Parcours."))
    if session.exec(select(IncomingReferral.id).where(IncomingReferral.referral_id == referral.id)).first():
        return
    from_label = label_of(session, referral.org_id, referral.team_id)
    incoming = IncomingReferral(
        org_id=target_org,
        referral_id=referral.id,
        team_id=target_team,
        from_label=from_label,
        snapshot="",
        status="sent",
        status_at=at,
        sent_at=at,
        person_id=referral.person_id if inside else None,
    )
    seal(session, incoming, "snapshot", json.dumps(snapshot, ensure_ascii=False))
    session.add(incoming)
    session.flush()
    session.add(
        ReferralStep(
            org_id=target_org,
            incoming_id=incoming.id,
            status="sent",
            at=at,
            user_id=actor.user_id if inside else None,
            by_label=None if inside else from_label,
        )
    )


def report_back(session: Session, actor: Actor, incoming: IncomingReferral, status: str, at: datetime) -> None:
    """A step recorded by the receiving team, copied onto the sender's referral."""
    referral = session.get(Referral, incoming.referral_id)
    if referral is None or referral.deleted_at is not None:
        return
    inside = referral.org_id == incoming.org_id
    referral.status, referral.status_at = status, at
    session.add(
        ReferralStep(
            org_id=referral.org_id,
            referral_id=referral.id,
            status=status,
            at=at,
            user_id=actor.user_id if inside else None,
            by_label=None if inside else label_of(session, incoming.org_id, incoming.team_id),
        )
    )


def pass_on(session: Session, actor: Actor, referral: Referral, status: str, at: datetime) -> None:
    """A step recorded by the sender (cancelled, closed), copied onto the receiving side when there is one."""
    incoming = session.exec(select(IncomingReferral).where(IncomingReferral.referral_id == referral.id)).first()
    if incoming is None:
        return
    inside = referral.org_id == incoming.org_id
    incoming.status, incoming.status_at = status, at
    session.add(
        ReferralStep(
            org_id=incoming.org_id,
            incoming_id=incoming.id,
            status=status,
            at=at,
            user_id=actor.user_id if inside else None,
            by_label=None if inside else incoming.from_label,
        )
    )
