"""Documents and photos attached to a person: files kept outside the database under Settings.documents_dir
(one folder per organisation, a random file name each), with a size limit and a type allow-list checked on the
file's first bytes (what the phone says it sent is not trusted), streamed back only to users who may see the
person.

Files are encrypted on disk with the organisation's data key as they are written (app/crypto.py FileSealer, the
document's identity as associated data) and decrypted chunk by chunk as they are streamed; their names and folders
are encrypted in the database. Files are removed from disk only once the transaction that removed their rows has
committed (`remove_after_commit`)."""

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from app.access import Actor, get_or_404, scoped
from app.admin.service import FieldErrors
from app.audit.service import record
from app.config import get_settings
from app.crypto import DecryptError, FileSealer, encrypted_column, open_file, reveal, seal
from app.errors import AppError, NotFound
from app.i18n import _
from app.models import Person, PersonDocument, utcnow
from app.persons.service import user_names

log = logging.getLogger("parcours")
encrypted_column(PersonDocument, "name")
encrypted_column(PersonDocument, "folder")

# Detected type -> (first bytes test, file extension). SVG, HTML and office files are refused: they can carry
# scripts or macros.
SIGNATURES: list[tuple[str, str, object]] = [
    ("image/jpeg", "jpg", lambda b: b[:3] == b"\xff\xd8\xff"),
    ("image/png", "png", lambda b: b[:8] == b"\x89PNG\r\n\x1a\n"),
    ("image/gif", "gif", lambda b: b[:6] in (b"GIF87a", b"GIF89a")),
    ("image/webp", "webp", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP"),
    ("image/heic", "heic", lambda b: b[4:8] == b"ftyp" and b[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc")),
    ("application/pdf", "pdf", lambda b: b[:5] == b"%PDF-"),
]
INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
CHUNK = 64 * 1024


def storage_root() -> Path:
    return Path(get_settings().documents_dir)


def max_bytes() -> int:
    return get_settings().documents_max_mb * 1024 * 1024


def sniff(head: bytes) -> tuple[str, str] | None:
    for ctype, ext, test in SIGNATURES:
        if test(head):  # type: ignore[operator]
            return ctype, ext
    return None


def clean_name(name: str | None) -> str:
    base = Path((name or "").replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*').strip()
    return base[:200] or _("document")


def file_context(doc_id: uuid.UUID) -> str:
    """What a document file's encryption is bound to: a file copied over another document's does not decrypt."""
    return f"person_documents.file:{doc_id}"


def write_encrypted(session: Session, org_id: uuid.UUID, doc_id: uuid.UUID, chunks, target: Path, limit: int) -> int:
    """Encrypt `chunks` (bytes) into `target` (written aside, then renamed); returns the plaintext size.
    FieldErrors when it grows past `limit`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp, size = target.with_suffix(".part"), 0
    try:
        with tmp.open("wb") as out:
            sealer = FileSealer(session, org_id, file_context(doc_id), out)
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise FieldErrors({"file": too_big_message()})
                sealer.write(chunk)
            sealer.close()
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return size


def too_big_message() -> str:
    return _(
        "This file is larger than %(n)s MB. Take the photo again at a lower size, or split the file.",
        n=get_settings().documents_max_mb,
    )


def add_document(
    session: Session,
    actor: Actor,
    person: Person,
    upload: BinaryIO,
    filename: str | None,
    folder: str | None,
    doc_id: uuid.UUID | None = None,
) -> PersonDocument:
    actor.require("persons.write")
    if doc_id is not None and (existing := session.get(PersonDocument, doc_id)) is not None:
        if existing.org_id != actor.org_id:
            raise FieldErrors({"file": _("This form was already used. Reload the page.")})
        return existing
    head = upload.read(16)
    if not head:
        raise FieldErrors({"file": _("Choose a file or take a photo.")})
    kind = sniff(head)
    if kind is None:
        raise FieldErrors(
            {"file": _("This type of file is not accepted: send a photo (JPEG, PNG, WebP, HEIC) or a PDF.")}
        )
    content_type, _ext = kind
    doc_id = doc_id or uuid.uuid4()
    key = f"{actor.org_id}/{doc_id.hex}.enc"  # the name on disk says nothing of the content

    def chunks() -> Iterator[bytes]:
        yield head
        while chunk := upload.read(CHUNK):
            yield chunk

    size = write_encrypted(session, person.org_id, doc_id, chunks(), storage_root() / key, max_bytes())
    doc = PersonDocument(
        id=doc_id,
        org_id=person.org_id,
        person_id=person.id,
        content_type=content_type,
        size=size,
        storage_key=key,
        created_by=actor.user_id,
    )
    seal(session, doc, "name", clean_name(filename))
    seal(session, doc, "folder", " ".join((folder or "").split())[:80] or None)
    session.add(doc)
    session.flush()
    record(session, actor, "document.added", entity_type="person", entity_id=person.id, details={"size": size})
    return doc


@dataclass
class DocumentRow:
    doc: PersonDocument
    name: str
    by: str | None


def list_documents(session: Session, actor: Actor, person: Person) -> list[tuple[str | None, list[DocumentRow]]]:
    """The person's documents grouped by folder (no folder first), newest first in each."""
    actor.require("persons.read")
    docs = list(
        session.exec(
            scoped(PersonDocument, actor)
            .where(PersonDocument.person_id == person.id)
            .order_by(col(PersonDocument.created_at).desc())
        )
    )
    names = user_names(session, {d.created_by for d in docs})
    groups: dict[str | None, list[DocumentRow]] = {}
    for d in docs:
        row = DocumentRow(d, reveal(session, d, "name", actor) or "", names.get(d.created_by) if d.created_by else None)
        groups.setdefault(reveal(session, d, "folder", actor), []).append(row)
    return sorted(groups.items(), key=lambda kv: (kv[0] is not None, (kv[0] or "").lower()))


def folders(session: Session, actor: Actor, person: Person) -> list[str]:
    return [f for f, _rows in list_documents(session, actor, person) if f]


def get_document(session: Session, actor: Actor, person: Person, document_id: object) -> PersonDocument:
    """A document of this person, for a user who may see the person's record (not the reception role)."""
    doc = get_or_404(session, actor, PersonDocument, document_id)
    actor.require("persons.read")
    if doc.person_id != person.id:
        raise NotFound()
    return doc


def path_of(doc: PersonDocument) -> Path:
    path = stored_path(doc)
    if not path.is_file():
        raise NotFound(_("This file is no longer available."))
    return path


class UnreadableFile(AppError):
    status_code = 422

    def default_message(self) -> str:
        return _("This file cannot be read: the stored file is damaged. The admins can see it in the audit log.")


def decrypted(session: Session, doc: PersonDocument) -> Iterator[bytes]:
    """The document's content, decrypted chunk by chunk. The first chunk is decrypted now, so that a damaged file
    raises DecryptError here rather than breaking a download half-way."""
    fh = path_of(doc).open("rb")
    try:
        chunks = open_file(session, doc.org_id, file_context(doc.id), fh)
        first = next(chunks)
    except DecryptError:
        fh.close()
        raise

    def stream() -> Iterator[bytes]:
        try:
            yield first
            yield from chunks
        except DecryptError:  # damaged past the first chunk: the download stops short of its announced length
            log.error("document %s is damaged past its first chunk", doc.id)
        finally:
            fh.close()

    return stream()


def open_document(session: Session, actor: Actor, doc: PersonDocument) -> tuple[str, Iterator[bytes]]:
    """(file name, decrypted content) for a download; audited. A damaged file is a clear message (audited too)."""
    try:
        content = decrypted(session, doc)
    except DecryptError as exc:
        details = {"column": "file", "error": str(exc)}
        record(session, actor, "crypto.unreadable", entity_type="person_documents", entity_id=doc.id, details=details)
        raise UnreadableFile() from None
    record(session, actor, "document.opened", entity_type="person", entity_id=doc.person_id)
    return reveal(session, doc, "name", actor) or _("document"), content


def delete_document(session: Session, actor: Actor, doc: PersonDocument) -> None:
    """Leaves the lists at once; the row and the file are purged after the grace period (app/privacy)."""
    actor.require("persons.write")
    doc.deleted_at = utcnow()
    record(session, actor, "document.deleted", entity_type="person", entity_id=doc.person_id)


# ---------------------------------------------------------------- removing files, after the commit
def remove_after_commit(session: Session, paths: list[Path]) -> None:
    """Delete these files once the transaction commits (never when it rolls back: the rows still need them)."""
    session.info.setdefault("files_to_remove", []).extend(paths)


@event.listens_for(OrmSession, "after_commit")
def _remove_files(session) -> None:
    for path in session.info.pop("files_to_remove", []):
        path.unlink(missing_ok=True)


@event.listens_for(OrmSession, "after_soft_rollback")
def _keep_files(session, _previous) -> None:
    session.info.pop("files_to_remove", None)


def stored_path(doc: PersonDocument) -> Path:
    """Where the document's file is (or was), inside the storage root."""
    root = storage_root().resolve()
    path = (root / doc.storage_key).resolve()
    if root not in path.parents:
        raise NotFound()
    return path


def reencrypt_files(session: Session, progress=None) -> int:
    """Re-encrypt every document file not under its organisation's active key (after `keys rotate-org`)."""
    from app.crypto import active_key, file_key_id

    moved = 0
    for doc in session.exec(select(PersonDocument).order_by(PersonDocument.id)):
        path = stored_path(doc)
        if not path.is_file():
            continue
        with path.open("rb") as fh:
            try:
                if file_key_id(fh) == active_key(session, doc.org_id).id:
                    continue
                fh.seek(0)
                chunks = open_file(session, doc.org_id, file_context(doc.id), fh)
                write_encrypted(session, doc.org_id, doc.id, chunks, path, 1 << 62)
            except DecryptError as exc:
                log.error("cannot re-encrypt document %s: %s", doc.id, exc)
                continue
        moved += 1
        if progress:
            progress("documents", moved)
    return moved
