import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from app.i18n import _
from app.models import utcnow

ExitTo = Literal[
    "housing", "care_place", "family", "return_country", "street", "prison", "death", "lost_contact", "other"
]
ProcedureKind = Literal["domiciliation", "id_papers", "health_insurance", "income", "addiction_care", "health_care"]


def _not_future(v: date | None) -> date | None:
    if v is not None and (v > utcnow().date() or v.year < 1990):
        raise ValueError(_("Enter a date between 1990 and today."))
    return v


class StayForm(BaseModel):
    id: uuid.UUID | None = None
    person_id: uuid.UUID
    # "structure:<id>" (a structure of the directory) or "team:<id>" (an accommodation team of the organisation)
    place: str = Field(min_length=1, max_length=60)
    room: str | None = Field(default=None, max_length=60)
    entered_on: date
    referral_id: uuid.UUID | None = None

    @field_validator("entered_on")
    @classmethod
    def _entered(cls, v: date) -> date:
        return _not_future(v)  # type: ignore[return-value]

    @field_validator("room")
    @classmethod
    def _room(cls, v: str | None) -> str | None:
        return " ".join(v.split()) if v else None

    @property
    def place_ref(self) -> tuple[str, uuid.UUID] | None:
        kind, _sep, raw = self.place.partition(":")
        try:
            return (kind, uuid.UUID(raw)) if kind in ("structure", "team") else None
        except ValueError:
            return None


class StayEditForm(BaseModel):
    version: int | None = None
    room: str | None = Field(default=None, max_length=60)
    entered_on: date

    @field_validator("entered_on")
    @classmethod
    def _entered(cls, v: date) -> date:
        return _not_future(v)  # type: ignore[return-value]

    @field_validator("room")
    @classmethod
    def _room(cls, v: str | None) -> str | None:
        return " ".join(v.split()) if v else None


class ExitForm(BaseModel):
    version: int | None = None
    exited_on: date
    exit_to: ExitTo
    exit_note: str | None = Field(default=None, max_length=2000)

    @field_validator("exited_on")
    @classmethod
    def _exited(cls, v: date) -> date:
        return _not_future(v)  # type: ignore[return-value]


class ProcedureForm(BaseModel):
    id: uuid.UUID | None = None
    person_id: uuid.UUID
    kind: ProcedureKind
    started_on: date

    @field_validator("started_on")
    @classmethod
    def _started(cls, v: date) -> date:
        return _not_future(v)  # type: ignore[return-value]
