"""Every table, re-exported: import models from here."""

from app.models.accounts import (
    AuditEvent,
    Invitation,
    LoginThrottle,
    Organisation,
    Role,
    Team,
    TeamKind,
    TeamMembership,
    User,
    UserSession,
)
from app.models.base import OrgRecord, SyncRecord, UTCDateTime, utcnow

__all__ = [
    "AuditEvent",
    "Invitation",
    "LoginThrottle",
    "OrgRecord",
    "Organisation",
    "Role",
    "SyncRecord",
    "Team",
    "TeamKind",
    "TeamMembership",
    "UTCDateTime",
    "User",
    "UserSession",
    "utcnow",
]
