import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from app.i18n import _
from app.models import utcnow

PHONE_RE = re.compile(r"^[0-9+()./ -]{3,40}$")
FieldKind = Literal["text", "long_text", "number", "date", "boolean", "choice", "multi_choice"]


def split_list(text: str | None) -> list[str]:
    """'a, b\nc' -> ['a', 'b', 'c']: lists typed in one box, comma or line separated, without duplicates."""
    seen: dict[str, str] = {}
    for piece in re.split(r"[,;\n]", text or ""):
        piece = " ".join(piece.split())
        if piece and piece.lower() not in seen:
            seen[piece.lower()] = piece
    return list(seen.values())


def option_lines(text: str | None) -> list[str]:
    seen: dict[str, str] = {}
    for line in (text or "").splitlines():
        line = " ".join(line.split())[:120]
        if line and line.lower() not in seen:
            seen[line.lower()] = line
    return list(seen.values())[:100]


class PersonForm(BaseModel):
    id: uuid.UUID | None = None  # client-generated on creation: a second submit creates nothing more
    version: int | None = None
    alias: str = Field(min_length=1, max_length=120)
    other_aliases: str | None = Field(default=None, max_length=1000)
    gender: str | None = Field(default=None, max_length=60)
    birth_year: int | None = None
    age: int | None = Field(default=None, ge=0, le=120)
    languages: str | None = Field(default=None, max_length=300)
    nationality: str | None = Field(default=None, max_length=80)
    phone: str | None = Field(default=None, max_length=40)
    first_met_on: date | None = None
    street_since: date | None = None
    team_ids: list[uuid.UUID] = []
    alert: bool = False
    alert_reason: str | None = Field(default=None, max_length=500)
    description: str | None = Field(default=None, max_length=5000)

    @field_validator("alias")
    @classmethod
    def _alias(cls, v: str) -> str:
        v = " ".join(v.split())
        if not any(ch.isalnum() for ch in v):
            raise ValueError(_("Write the name the person gave, with at least one letter or digit."))
        return v

    @field_validator("birth_year")
    @classmethod
    def _year(cls, v: int | None) -> int | None:
        this_year = utcnow().year
        if v is not None and not 1900 <= v <= this_year:
            raise ValueError(_("Enter a year between 1900 and %(year)s.", year=this_year))
        return v

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v and not PHONE_RE.match(v):
            raise ValueError(_("Enter a phone number with digits, spaces and + only."))
        return v

    @field_validator("first_met_on", "street_since")
    @classmethod
    def _past(cls, v: date | None) -> date | None:
        if v is not None and (v > utcnow().date() or v.year < 1900):
            raise ValueError(_("Enter a date between 1900 and today."))
        return v

    @model_validator(mode="after")
    def _age_to_year(self):
        if self.birth_year is None and self.age is not None:
            self.birth_year = utcnow().year - self.age
        return self

    @property
    def alias_list(self) -> list[str]:
        from app.persons.names import normalise

        seen = {normalise(self.alias)}
        out = []
        for alias in split_list(self.other_aliases):
            if normalise(alias) not in seen:
                seen.add(normalise(alias))
                out.append(alias)
        return out[:20]

    @property
    def language_list(self) -> list[str]:
        return split_list(self.languages)[:10]


class NoteForm(BaseModel):
    id: uuid.UUID | None = None
    body: str = Field(min_length=1, max_length=5000)
    urgent: bool = False
    # When it was written, for a note typed on a phone with no network and sent later (none: now).
    at: datetime | None = None

    @field_validator("at")
    @classmethod
    def _written_in_the_past(cls, v: datetime | None) -> datetime | None:
        if v is None:
            return v
        if v.tzinfo is None:
            v = v.replace(tzinfo=UTC)
        if v.year < 2000 or v > utcnow() + timedelta(minutes=5):
            raise ValueError(_("This time is in the future: check the day and the hour."))
        return v.astimezone(UTC)


class ExitForm(BaseModel):
    reason_id: uuid.UUID
    left_on: date
    team_id: uuid.UUID | None = None  # none: the whole organisation

    @field_validator("left_on")
    @classmethod
    def _not_future(cls, v: date) -> date:
        if v > utcnow().date():
            raise ValueError(_("Enter a date between 1900 and today."))
        return v


class ReturnForm(BaseModel):
    exit_id: uuid.UUID


class LinkForm(BaseModel):
    id: uuid.UUID | None = None
    other_id: uuid.UUID
    relation: str = Field(min_length=1, max_length=120)


class PlaceForm(BaseModel):
    id: uuid.UUID | None = None
    name: str = Field(min_length=1, max_length=120)


class DeleteForm(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class SearchForm(BaseModel):
    q: str | None = Field(default=None, max_length=120)
    team_id: uuid.UUID | None = None
    status: Literal["active", "inactive", "all"] = "active"
    days: int | None = Field(default=None, ge=1, le=3650)
    page: int = Field(default=1, ge=1, le=1000)


class CustomFieldForm(BaseModel):
    id: uuid.UUID | None = None
    version: int | None = None
    scope: Literal["person", "observation", "medical"] = "person"  # set when the field is created, never changed
    label: str = Field(min_length=1, max_length=120)
    kind: FieldKind
    options: str | None = Field(default=None, max_length=3000, validate_default=True)
    required: bool = False
    team_ids: list[uuid.UUID] = []
    in_indicators: bool = False
    position: int = Field(default=0, ge=0, le=1000)

    @field_validator("options")
    @classmethod
    def _choices_need_options(cls, v: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("kind") in ("choice", "multi_choice") and not option_lines(v):
            raise ValueError(_("List the choices, one per line."))
        return v

    @property
    def option_list(self) -> list[str]:
        return option_lines(self.options)


class ExitReasonForm(BaseModel):
    id: uuid.UUID | None = None
    version: int | None = None
    label: str = Field(min_length=1, max_length=120)
    position: int = Field(default=0, ge=0, le=1000)
