"""The audit log: the one function that writes it, and the filtered list admins read."""

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from app.access import Actor
from app.models import AuditEvent, Team, User
from app.web import TZ

PAGE_SIZE = 50


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    *,
    entity_type: str | None = None,
    entity_id: object | None = None,
    org_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event. Never put a person's notes or aliases in `details`."""
    event = AuditEvent(
        org_id=org_id if org_id is not None else (actor.org_id if actor else None),
        user_id=user_id if user_id is not None else (actor.user_id if actor else None),
        team_id=actor.team_id if actor else None,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id) if entity_id is not None else None,
        ip=ip,
        details=details,
    )
    session.add(event)
    session.flush()
    return event


def list_events(
    session: Session,
    actor: Actor,
    *,
    user_id: uuid.UUID | None = None,
    action: str | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
    entity_id: str | None = None,
    page: int = 1,
) -> tuple[list[tuple[AuditEvent, str | None, str | None]], bool]:
    """One page of the organisation's audit log, newest first, with the user's and the team's names; and whether
    more follow. `entity_id` narrows it to one record (a person: everything done to or read about them)."""
    actor.require("audit.read")
    stmt = (
        select(AuditEvent, User.name, Team.name)
        .join(User, col(User.id) == col(AuditEvent.user_id), isouter=True)
        .join(Team, col(Team.id) == col(AuditEvent.team_id), isouter=True)
        .where(AuditEvent.org_id == actor.org_id)
    )
    if user_id:
        stmt = stmt.where(AuditEvent.user_id == user_id)
    if action:
        stmt = stmt.where(col(AuditEvent.action).startswith(action))
    if entity_id:
        stmt = stmt.where(AuditEvent.entity_id == entity_id)
    if day_from:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(day_from, time.min, TZ))
    if day_to:
        stmt = stmt.where(AuditEvent.at < datetime.combine(day_to + timedelta(days=1), time.min, TZ))
    page = max(page, 1)
    rows = session.exec(
        stmt.order_by(col(AuditEvent.at).desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ).all()
    return [(e, n, t) for e, n, t in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE
