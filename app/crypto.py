"""Encryption at rest: envelope encryption with AES-256-GCM (the `cryptography` library).

- A **master key** comes from the settings (MASTER_KEY or MASTER_KEY_FILE), never from the database.
- Each organisation has **data keys** (table `org_keys`), stored wrapped (encrypted) by the master key. One is
  active; older ones stay to read what they encrypted until `parcours keys reencrypt` has moved everything.
- A ciphertext is `enc1:` + base64url(key id (16 bytes) | nonce (12) | AES-GCM output). The key id and the
  record's identity (table, column, id: the `context`) are bound as associated data, so a ciphertext copied to
  another record or column does not decrypt.
- System secrets that belong to no organisation (a user's TOTP secret) use the master key directly.
"""

import base64
import hashlib
import logging
import os
import secrets
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlmodel import Session, col, select

from app.config import ROOT, get_settings
from app.models import OrgKey, utcnow

log = logging.getLogger("parcours.crypto")
PREFIX = "enc1:"


class CryptoConfigError(RuntimeError):
    """The master key is missing or malformed: the app must not start."""


class DecryptError(Exception):
    """A ciphertext cannot be read (wrong or missing key, or damaged data)."""


@dataclass(frozen=True)
class MasterKey:
    key: bytes

    @property
    def id(self) -> str:
        return hashlib.sha256(b"parcours-master:" + self.key).hexdigest()[:16]


def parse_master_key(text: str) -> MasterKey:
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise CryptoConfigError(
            "The master key must be 32 random bytes in base64url; make one with "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`."
        )
    return MasterKey(raw)


def new_master_key_text() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


@lru_cache
def master_key() -> MasterKey:
    s = get_settings()
    if s.master_key:
        return parse_master_key(s.master_key)
    if s.master_key_file:
        path = Path(s.master_key_file)
        if not path.exists():
            raise CryptoConfigError(f"MASTER_KEY_FILE names {path}, which does not exist.")
        return parse_master_key(path.read_text())
    if s.database_url.startswith("sqlite"):
        path = ROOT / "var" / "master.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(new_master_key_text())
            log.warning("No MASTER_KEY set: created %s for this development installation. Back it up.", path)
        return parse_master_key(path.read_text())
    raise CryptoConfigError(
        "No master key: set MASTER_KEY (or MASTER_KEY_FILE) before starting Parcours on PostgreSQL. "
        "Without it no note can be encrypted or read."
    )


def _aad(key_id: bytes, context: str) -> bytes:
    return key_id + b"|" + context.encode()


def _seal(key: bytes, key_id: bytes, plaintext: str, context: str) -> str:
    nonce = secrets.token_bytes(12)
    ct = AESGCM(key).encrypt(nonce, plaintext.encode(), _aad(key_id, context))
    return PREFIX + base64.urlsafe_b64encode(key_id + nonce + ct).decode()


def _open(token: str) -> tuple[bytes, bytes, bytes]:
    if not token.startswith(PREFIX):
        raise DecryptError("not an encrypted value")
    try:
        blob = base64.urlsafe_b64decode(token[len(PREFIX) :])
    except ValueError as exc:
        raise DecryptError("damaged ciphertext") from exc
    if len(blob) < 16 + 12 + 16:
        raise DecryptError("damaged ciphertext")
    return blob[:16], blob[16:28], blob[28:]


# ---------------------------------------------------------------- organisation data keys
_key_cache: dict[uuid.UUID, bytes] = {}


def _wrap(data_key: bytes, org_id: uuid.UUID, key_id: uuid.UUID, mk: MasterKey) -> bytes:
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(mk.key).encrypt(nonce, data_key, b"org-key|" + org_id.bytes + key_id.bytes)


def _unwrap(row: OrgKey, mk: MasterKey) -> bytes:
    try:
        return AESGCM(mk.key).decrypt(row.wrapped[:12], row.wrapped[12:], b"org-key|" + row.org_id.bytes + row.id.bytes)
    except InvalidTag as exc:
        raise DecryptError("the organisation key cannot be unwrapped with this master key") from exc


# A key belongs to one organisation for ever: cached, so reading a page of notes is not one query per note.
_key_orgs: dict[uuid.UUID, uuid.UUID] = {}


def _org_of_key(session: Session, key_id: uuid.UUID) -> uuid.UUID | None:
    if key_id not in _key_orgs:
        org_id = session.exec(select(OrgKey.org_id).where(OrgKey.id == key_id)).first()
        if org_id is None:
            return None
        _key_orgs[key_id] = org_id
    return _key_orgs[key_id]


def _data_key(session: Session, key_id: uuid.UUID) -> bytes:
    if key_id not in _key_cache:
        row = session.get(OrgKey, key_id)
        if row is None:
            raise DecryptError("unknown key")
        _key_cache[key_id] = _unwrap(row, master_key())
    return _key_cache[key_id]


def active_key(session: Session, org_id: uuid.UUID) -> OrgKey:
    row = session.exec(
        select(OrgKey)
        .where(OrgKey.org_id == org_id, col(OrgKey.retired_at).is_(None))
        .order_by(col(OrgKey.created_at).desc())
    ).first()
    return row or new_org_key(session, org_id)


def new_org_key(session: Session, org_id: uuid.UUID) -> OrgKey:
    """A new active data key for the organisation (the previous ones are retired, still readable)."""
    for old in session.exec(select(OrgKey).where(OrgKey.org_id == org_id, col(OrgKey.retired_at).is_(None))):
        old.retired_at = utcnow()
    mk = master_key()
    key_id = uuid.uuid4()
    data_key = AESGCM.generate_key(bit_length=256)
    row = OrgKey(id=key_id, org_id=org_id, wrapped=_wrap(data_key, org_id, key_id, mk), master_key_id=mk.id)
    session.add(row)
    session.flush()
    _key_cache[key_id] = data_key
    return row


def encrypt(session: Session, org_id: uuid.UUID, plaintext: str | None, context: str) -> str | None:
    """Encrypt `plaintext` for the organisation; `context` names the record ("table.column:id")."""
    if plaintext is None:
        return None
    row = active_key(session, org_id)
    return _seal(_data_key(session, row.id), row.id.bytes, plaintext, context)


def decrypt(session: Session, org_id: uuid.UUID, token: str | None, context: str) -> str | None:
    if token is None:
        return None
    key_bytes, nonce, ct = _open(token)
    key_id = uuid.UUID(bytes=key_bytes)
    if _org_of_key(session, key_id) != org_id:
        raise DecryptError("the key belongs to another organisation")
    try:
        return AESGCM(_data_key(session, key_id)).decrypt(nonce, ct, _aad(key_bytes, context)).decode()
    except InvalidTag as exc:
        raise DecryptError("damaged ciphertext or wrong record") from exc


def key_id_of(token: str) -> uuid.UUID:
    return uuid.UUID(bytes=_open(token)[0])


def rewrap_org_keys(session: Session, old: MasterKey, new: MasterKey) -> int:
    """Master key rotation: re-wrap every organisation key under `new`. Returns how many were re-wrapped."""
    count = 0
    for row in session.exec(select(OrgKey)):
        data_key = _unwrap(row, old) if row.master_key_id == old.id else _unwrap(row, new)
        row.wrapped = _wrap(data_key, row.org_id, row.id, new)
        row.master_key_id = new.id
        count += 1
    session.flush()
    _key_cache.clear()
    return count


# ---------------------------------------------------------------- system secrets (no organisation)
_SYSTEM_KEY_ID = b"\x00" * 16


def encrypt_system(plaintext: str, context: str, mk: MasterKey | None = None) -> str:
    return _seal((mk or master_key()).key, _SYSTEM_KEY_ID, plaintext, context)


def decrypt_system(token: str, context: str, mk: MasterKey | None = None) -> str:
    key_bytes, nonce, ct = _open(token)
    try:
        return AESGCM((mk or master_key()).key).decrypt(nonce, ct, _aad(key_bytes, context)).decode()
    except InvalidTag as exc:
        raise DecryptError("damaged ciphertext or wrong master key") from exc


# ---------------------------------------------------------------- encrypted columns of records
# (model, column) pairs holding ciphertexts; domains register theirs with `encrypted_column` so that
# `parcours keys reencrypt` can move every value to the organisation's active key.
ENCRYPTED_COLUMNS: list[tuple[type, str]] = []


def encrypted_column(model: type, column: str) -> None:
    if (model, column) not in ENCRYPTED_COLUMNS:
        ENCRYPTED_COLUMNS.append((model, column))


def context_of(obj, column: str) -> str:
    return f"{obj.__tablename__}.{column}:{obj.id}"


def seal(session: Session, obj, column: str, plaintext: str | None) -> None:
    """Store `plaintext` encrypted in obj.column (the object needs its id and org_id already)."""
    setattr(obj, column, encrypt(session, obj.org_id, plaintext, context_of(obj, column)))


def unseal(session: Session, obj, column: str) -> str | None:
    return decrypt(session, obj.org_id, getattr(obj, column), context_of(obj, column))


def reencrypt_all(session: Session, batch: int = 500, progress=None) -> int:
    """Re-encrypt every registered value not under its organisation's active key; returns how many moved.
    Works in batches (flushing each) and reports (table, done) to `progress`."""
    moved = 0
    active: dict[uuid.UUID, uuid.UUID] = {}
    for model, column in ENCRYPTED_COLUMNS:
        attr = getattr(model, column)
        last_id = None
        while True:
            stmt = select(model).where(attr.is_not(None)).order_by(model.id).limit(batch)
            if last_id is not None:
                stmt = stmt.where(model.id > last_id)
            rows = session.exec(stmt).all()
            if not rows:
                break
            for obj in rows:
                if obj.org_id not in active:
                    active[obj.org_id] = active_key(session, obj.org_id).id
                if key_id_of(getattr(obj, column)) != active[obj.org_id]:
                    seal(session, obj, column, unseal(session, obj, column))
                    moved += 1
            last_id = rows[-1].id
            session.flush()
            if progress:
                progress(model.__tablename__, moved)
    return moved
