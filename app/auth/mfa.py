"""Two-factor sign-in with TOTP (RFC 6238, any authenticator app) and single-use recovery codes."""

import hashlib
import secrets
import time
import uuid

import pyotp
import segno
from sqlmodel import Session, col, delete, select

from app.access import MFA_REQUIRED_ROLES, Actor
from app.audit.service import record
from app.auth.service import revoke_user_sessions
from app.crypto import DecryptError, MasterKey, decrypt_system, encrypt_system
from app.i18n import _
from app.models import RecoveryCode, User, UserSession, utcnow

ISSUER = "Parcours"
RECOVERY_CODES = 10
MAX_FAILURES = 5
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def required(user: User) -> bool:
    return user.role in MFA_REQUIRED_ROLES


def enabled(user: User) -> bool:
    return user.totp_secret is not None and user.totp_enabled_at is not None


def _context(user_id: uuid.UUID) -> str:
    return f"users.totp_secret:{user_id}"


def new_enrolment(user: User) -> tuple[str, str, str]:
    """A fresh secret for enrolment: (secret for manual entry, sealed secret for the form, QR code as SVG)."""
    secret = pyotp.random_base32()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=2)
    return secret, encrypt_system(secret, f"enrol:{user.id}"), svg


def _step_matching(secret: str, code: str, last_step: int | None) -> int | None:
    """The time-step whose code this is (now, or one step either side for clock drift), if not used before."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(time.time()) // totp.interval
    for step in (now_step, now_step - 1, now_step + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step if last_step is None or step > last_step else None
    return None


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().lower().encode()).hexdigest()


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))  # type: ignore[call-overload]
    codes = []
    for _i in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _j in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user.id, code_hash=_hash_code(raw)))
    return codes


def confirm_enrolment(session: Session, user: User, sealed: str, code: str, session_id: str | None) -> list[str]:
    """Check the first code against the secret being enrolled; store it; return the recovery codes to show once.
    Raises ValueError with a message for the form."""
    try:
        secret = decrypt_system(sealed, f"enrol:{user.id}")
    except DecryptError:
        raise ValueError(_("This enrolment has expired. Scan the new code below.")) from None
    step = _step_matching(secret, code, None)
    if step is None:
        raise ValueError(_("This code is not right. Check the phone's time and type the 6 digits shown now."))
    user.totp_secret = encrypt_system(secret, _context(user.id))
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = _new_recovery_codes(session, user)
    if session_id:
        row = session.get(UserSession, session_id)
        if row is not None:
            row.mfa_pending = False
    record(
        session, None, "auth.mfa_enrolled", org_id=user.org_id, user_id=user.id, entity_type="user", entity_id=user.id
    )
    return codes


def verify(session: Session, user: User, session_id: str, code: str, ip: str | None) -> str | None:
    """Second step of sign-in: a TOTP code or a recovery code. Returns an error message, or None when passed.
    Too many wrong codes end the session: the password must be typed again (and that is throttled)."""
    row = session.get(UserSession, session_id)
    assert row is not None and user.totp_secret is not None
    try:
        secret = decrypt_system(user.totp_secret, _context(user.id))
    except DecryptError:
        record(session, None, "auth.mfa_key_error", org_id=user.org_id, user_id=user.id, ip=ip)
        return _("Your two-factor key cannot be read. Ask your admin to reset your two-factor sign-in.")
    step = _step_matching(secret, code, user.totp_last_step)
    recovery = None
    if step is None:
        recovery = session.exec(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == _hash_code(code),
                col(RecoveryCode.used_at).is_(None),
            )
        ).first()
    if step is None and recovery is None:
        row.mfa_failures += 1
        record(
            session,
            None,
            "auth.mfa_failed",
            org_id=user.org_id,
            user_id=user.id,
            entity_type="user",
            entity_id=user.id,
            ip=ip,
        )
        if row.mfa_failures >= MAX_FAILURES:
            row.revoked_at = utcnow()
            return _("Too many wrong codes. Sign in again.")
        return _("This code is not right, or was already used. Type the 6 digits shown now.")
    if step is not None:
        user.totp_last_step = step
    else:
        assert recovery is not None
        recovery.used_at = utcnow()
    row.mfa_pending = False
    record(
        session,
        None,
        "auth.mfa_passed",
        org_id=user.org_id,
        user_id=user.id,
        entity_type="user",
        entity_id=user.id,
        ip=ip,
        details={"recovery_code": recovery is not None},
    )
    return None


def remaining_recovery_codes(session: Session, user: User) -> int:
    return len(
        session.exec(
            select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, col(RecoveryCode.used_at).is_(None))
        ).all()
    )


def reset(session: Session, actor: Actor, user: User) -> None:
    """An admin clears a user's second factor (lost phone): they enrol again at their next sign-in."""
    actor.require("users.manage")
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))  # type: ignore[call-overload]
    revoke_user_sessions(session, user.id)
    record(session, actor, "user.mfa_reset", entity_type="user", entity_id=user.id)


def rewrap_totp_secrets(session: Session, old: MasterKey, new: MasterKey) -> int:
    """Master key rotation: TOTP secrets are encrypted with the master key itself, so they move too."""
    count = 0
    for user in session.exec(select(User).where(col(User.totp_secret).is_not(None))):
        assert user.totp_secret is not None
        secret = decrypt_system(user.totp_secret, _context(user.id), old)
        user.totp_secret = encrypt_system(secret, _context(user.id), new)
        count += 1
    return count
