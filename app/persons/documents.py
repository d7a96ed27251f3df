"""Documents and photos attached to a person: files kept outside the database under Settings.documents_dir
(one folder per organisation, a random file name each), with a size limit and a type allow-list checked on the
file's first bytes (what the phone says it sent is not trusted), streamed back only to users who may see the
person."""

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlmodel import Session, col

from app.access import Actor, get_or_404, scoped
from app.admin.service import FieldErrors
from app.audit.service import record
from app.config import get_settings
from app.errors import NotFound
from app.i18n import _
from app.models import Person, PersonDocument, utcnow
from app.persons.service import user_names

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
    content_type, ext = kind
    doc_id = doc_id or uuid.uuid4()
    key = f"{actor.org_id}/{doc_id.hex}.{ext}"
    target = storage_root() / key
    target.parent.mkdir(parents=True, exist_ok=True)
    size, limit = len(head), max_bytes()
    tmp = target.with_suffix(".part")
    try:
        with tmp.open("wb") as out:
            out.write(head)
            while chunk := upload.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise FieldErrors({"file": too_big_message()})
                out.write(chunk)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    doc = PersonDocument(
        id=doc_id,
        org_id=person.org_id,
        person_id=person.id,
        name=clean_name(filename),
        folder=(" ".join((folder or "").split())[:80] or None),
        content_type=content_type,
        size=size,
        storage_key=key,
        created_by=actor.user_id,
    )
    session.add(doc)
    session.flush()
    record(session, actor, "document.added", entity_type="person", entity_id=person.id, details={"size": size})
    return doc


@dataclass
class DocumentRow:
    doc: PersonDocument
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
        groups.setdefault(d.folder, []).append(DocumentRow(d, names.get(d.created_by) if d.created_by else None))
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
    root = storage_root().resolve()
    path = (root / doc.storage_key).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFound(_("This file is no longer available."))
    return path


def delete_document(session: Session, actor: Actor, doc: PersonDocument) -> None:
    """Leaves the lists at once; the file itself is removed with the purge after the retention period."""
    actor.require("persons.write")
    doc.deleted_at = utcnow()
    record(session, actor, "document.deleted", entity_type="person", entity_id=doc.person_id)
