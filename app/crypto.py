"""Encryption at rest: envelope encryption with AES-256-GCM (the `cryptography` library).

- A **master key** comes from the settings (MASTER_KEY or MASTER_KEY_FILE), never from the database.
- Each organisation has **data keys** (table `org_keys`), stored wrapped (encrypted) by the master key. One is
  active; older ones stay to read what they encrypted until `parcours keys reencrypt` has moved everything.
- A ciphertext is `enc1:` + base64url(key id (16 bytes) | nonce (12) | AES-GCM output). The key id and the
  record's identity (table, column, id: the `context`) are bound as associated data, so a ciphertext copied to
  another record or column does not decrypt.
- System secrets that belong to no organisation (a user's TOTP secret) use the master key directly.
- Files (documents attached to persons) are encrypted as they are written, in 64 KiB AES-GCM chunks (the STREAM
  construction), with the file's identity as associated data: see `FileSealer` and `open_file`.
- A value that does not decrypt (damaged data) is shown as `Unreadable` text by `reveal`, audited, never a crash.
"""

import base64
import hashlib
import logging
import os
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

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


def check_master_key(session: Session) -> None:
    """Refuse a master key that is not the one the organisation keys are wrapped with (a wrong configuration
    would make every note unreadable, and every edit would then overwrite it)."""
    mk = master_key()
    other = session.exec(select(OrgKey.master_key_id).where(OrgKey.master_key_id != mk.id)).first()
    if other is not None:
        raise CryptoConfigError(
            f"The configured master key (id {mk.id}) is not the one this database's organisation keys are wrapped "
            f"with (id {other}). Set MASTER_KEY or MASTER_KEY_FILE to that key; to change keys, run "
            "`parcours keys rotate-master --old-key-file FILE` with the new key configured."
        )


# ---------------------------------------------------------------- organisation data keys
# key id -> (organisation id, data key): unwrapped once per process.
_key_cache: dict[uuid.UUID, tuple[uuid.UUID, bytes]] = {}


def _wrap(data_key: bytes, org_id: uuid.UUID, key_id: uuid.UUID, mk: MasterKey) -> bytes:
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(mk.key).encrypt(nonce, data_key, b"org-key|" + org_id.bytes + key_id.bytes)


def _unwrap(row: OrgKey, mk: MasterKey) -> bytes:
    try:
        return AESGCM(mk.key).decrypt(row.wrapped[:12], row.wrapped[12:], b"org-key|" + row.org_id.bytes + row.id.bytes)
    except InvalidTag as exc:
        raise DecryptError("the organisation key cannot be unwrapped with this master key") from exc


def _data_key(session: Session, key_id: uuid.UUID) -> tuple[uuid.UUID, bytes]:
    """(organisation id, data key) of a key id."""
    if key_id not in _key_cache:
        row = session.get(OrgKey, key_id)
        if row is None:
            raise DecryptError("unknown key")
        _key_cache[key_id] = (row.org_id, _unwrap(row, master_key()))
    return _key_cache[key_id]


# organisation id -> (active key id, when it was read): every note written asked the database for the active key
# (one query per encrypted column of a request); a minute's cache is safe, since a key that has just been retired
# still decrypts what it encrypted, and `parcours keys reencrypt` moves every value to the active key.
_active_cache: dict[uuid.UUID, tuple[uuid.UUID, float]] = {}
ACTIVE_KEY_TTL = 60.0


def active_key_id(session: Session, org_id: uuid.UUID) -> uuid.UUID:
    cached = _active_cache.get(org_id)
    if cached is not None and time.monotonic() - cached[1] < ACTIVE_KEY_TTL:
        return cached[0]
    key_id = active_key(session, org_id).id
    _active_cache[org_id] = (key_id, time.monotonic())
    return key_id


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
    _key_cache[key_id] = (org_id, data_key)
    _active_cache.pop(org_id, None)
    return row


def encrypt(session: Session, org_id: uuid.UUID, plaintext: str | None, context: str) -> str | None:
    """Encrypt `plaintext` for the organisation; `context` names the record ("table.column:id")."""
    if plaintext is None:
        return None
    key_id = active_key_id(session, org_id)
    return _seal(_data_key(session, key_id)[1], key_id.bytes, plaintext, context)


def sealer(session: Session, org_id: uuid.UUID) -> Callable[[str, str], str]:
    """Encrypt many values of one organisation (bulk writers such as the bench data generator): the active key
    is looked up and unwrapped once, instead of once per value as `encrypt` does. Same ciphertext format."""
    row = active_key(session, org_id)
    aead, key_id = AESGCM(_data_key(session, row.id)[1]), row.id.bytes

    def seal_one(plaintext: str, context: str) -> str:
        nonce = secrets.token_bytes(12)
        ct = aead.encrypt(nonce, plaintext.encode(), _aad(key_id, context))
        return PREFIX + base64.urlsafe_b64encode(key_id + nonce + ct).decode()

    return seal_one


def decrypt(session: Session, org_id: uuid.UUID, token: str | None, context: str) -> str | None:
    if token is None:
        return None
    key_bytes, nonce, ct = _open(token)
    key_org, key = _data_key(session, uuid.UUID(bytes=key_bytes))
    if key_org != org_id:
        raise DecryptError("the key belongs to another organisation")
    try:
        return AESGCM(key).decrypt(nonce, ct, _aad(key_bytes, context)).decode()
    except (InvalidTag, UnicodeDecodeError) as exc:
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


class Unreadable(str):
    """What `reveal` gives for a value that does not decrypt: a sentence in the user's language, printed in place
    of the text. Forms check for it so that a damaged value is never saved back as if it were the text."""


def reveal(session: Session, obj, column: str, actor=None) -> str | None:
    """The plaintext of obj.column, or Unreadable (logged and audited, without the data) when it is damaged."""
    try:
        return unseal(session, obj, column)
    except DecryptError as exc:
        from app.audit.service import record
        from app.i18n import _

        log.error("cannot decrypt %s: %s", context_of(obj, column), exc)
        record(
            session,
            actor,
            "crypto.unreadable",
            org_id=obj.org_id,
            entity_type=obj.__tablename__,
            entity_id=obj.id,
            details={"column": column},
        )
        return Unreadable(
            _("This text cannot be read: the stored data is damaged. The admins can see it in the audit log.")
        )


# ---------------------------------------------------------------- files
FILE_MAGIC = b"PCENC1"
FILE_CHUNK = 64 * 1024
_HEADER = len(FILE_MAGIC) + 16 + 7  # magic, key id, nonce prefix


def _file_nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


class FileSealer:
    """Encrypts a file as it is written: AES-GCM over 64 KiB chunks, each nonce made of a random prefix, the
    chunk's number and a last-chunk flag (the STREAM construction), so that a file is never held whole in memory
    and a chunk moved, dropped or cut off does not decrypt. `context` names the file (e.g. its record's id)."""

    def __init__(self, session: Session, org_id: uuid.UUID, context: str, out: BinaryIO):
        row = active_key(session, org_id)
        self._aes = AESGCM(_data_key(session, row.id)[1])
        self._aad = _aad(row.id.bytes, context)
        self._prefix = secrets.token_bytes(7)
        self._out, self._buf, self._n = out, bytearray(), 0
        out.write(FILE_MAGIC + row.id.bytes + self._prefix)

    def write(self, data: bytes) -> None:
        self._buf += data
        while len(self._buf) > FILE_CHUNK:  # the last chunk is written by close(), flagged as the last
            self._emit(bytes(self._buf[:FILE_CHUNK]), last=False)
            del self._buf[:FILE_CHUNK]

    def close(self) -> None:
        self._emit(bytes(self._buf), last=True)
        self._buf.clear()

    def _emit(self, chunk: bytes, last: bool) -> None:
        self._out.write(self._aes.encrypt(_file_nonce(self._prefix, self._n, last), chunk, self._aad))
        self._n += 1


def file_key_id(src: BinaryIO) -> uuid.UUID:
    header = src.read(_HEADER)
    if len(header) != _HEADER or not header.startswith(FILE_MAGIC):
        raise DecryptError("not an encrypted file")
    return uuid.UUID(bytes=header[len(FILE_MAGIC) : len(FILE_MAGIC) + 16])


def open_file(session: Session, org_id: uuid.UUID, context: str, src: BinaryIO) -> Iterator[bytes]:
    """The plaintext of an encrypted file, chunk by chunk (the key is looked up now; reading needs no session).
    DecryptError when the file is damaged, cut off or belongs elsewhere."""
    key_id = file_key_id(src)
    src.seek(len(FILE_MAGIC) + 16)
    prefix = src.read(7)
    key_org, key = _data_key(session, key_id)
    if key_org != org_id:
        raise DecryptError("the key belongs to another organisation")
    aes, aad = AESGCM(key), _aad(key_id.bytes, context)

    def chunks() -> Iterator[bytes]:
        n, block = 0, src.read(FILE_CHUNK + 16)
        while True:
            following = src.read(FILE_CHUNK + 16)
            try:
                yield aes.decrypt(_file_nonce(prefix, n, not following), block, aad)
            except InvalidTag as exc:
                raise DecryptError("damaged file") from exc
            if not following:
                return
            block, n = following, n + 1

    return chunks()


def reencrypt_all(session: Session, batch: int = 500, progress=None) -> int:
    """Re-encrypt every registered value not under its organisation's active key; returns how many moved.
    Works in batches (flushing each) and reports (table, done) to `progress`. A damaged value is left as it is
    (logged): it cannot be read under any key."""
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
                try:
                    if key_id_of(getattr(obj, column)) != active[obj.org_id]:
                        seal(session, obj, column, unseal(session, obj, column))
                        moved += 1
                except DecryptError as exc:
                    log.error("cannot re-encrypt %s: %s", context_of(obj, column), exc)
            last_id = rows[-1].id
            session.flush()
            if progress:
                progress(model.__tablename__, moved)
    return moved
