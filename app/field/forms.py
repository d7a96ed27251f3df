"""The forms of field work, as pydantic models. Quantities of materials (inputs named m_<material id>,
found_<id>, collected_<id>) are dynamic and read by catalogue.parse_quantities."""

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, field_validator

from app.field.days import is_future
from app.i18n import _
from app.persons.forms import split_list
from app.web import TZ


def _past_time(value: datetime) -> datetime:
    """A time typed on a phone (Paris time when no offset is given), never in the future."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=TZ)
    if value.year < 2000:
        raise ValueError(_("Enter a valid date."))
    if is_future(value):
        raise ValueError(_("This time is in the future: check the day and the hour."))
    return value.astimezone(UTC)


PastTime = Annotated[datetime, AfterValidator(_past_time)]
RoundKind = Literal["foot", "bus", "metro"]
Atmosphere = Literal["calm", "tense", "violent"]
Police = Literal["none", "passing", "present", "operation"]
ServiceScope = Literal["encounter", "checkin"]


def _alias_ok(alias: str) -> bool:
    return 0 < len(alias) <= 120 and any(ch.isalnum() for ch in alias)


class EncounterForm(BaseModel):
    id: uuid.UUID  # client-generated: the same form sent twice records one encounter
    round_id: uuid.UUID | None = None
    person_ids: list[uuid.UUID] = []
    # Persons created on the spot: "<client id> <alias>", one per chip.
    new_persons: list[str] = []
    at: PastTime | None = None
    where: str | None = Field(default=None, max_length=40)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    accuracy_m: int | None = Field(default=None, ge=0, le=100_000)
    service_ids: list[uuid.UUID] = []
    note: str | None = Field(default=None, max_length=2000)
    health_care: str | None = Field(default=None, max_length=300)
    health_note: str | None = Field(default=None, max_length=2000)
    # An optional need or request recorded with the encounter (for its persons and the team: app/needs/service.py).
    need_category_ids: list[uuid.UUID] = []
    need_description: str | None = Field(default=None, max_length=5000)
    need_urgent: bool = False
    need_due_on: date | None = None

    @field_validator("need_due_on")
    @classmethod
    def _sane_day(cls, v: date | None) -> date | None:
        if v is not None and not 2000 <= v.year <= 2100:
            raise ValueError(_("Enter a valid date."))
        return v

    @field_validator("new_persons")
    @classmethod
    def _new_persons(cls, v: list[str]) -> list[str]:
        for item in v:
            key, _sep, alias = item.partition(" ")
            try:
                uuid.UUID(key)
            except ValueError:
                raise ValueError(_("Add the new person again.")) from None
            if not _alias_ok(" ".join(alias.split())):
                raise ValueError(_("Write the name the person gave, with at least one letter or digit."))
        return v

    @property
    def new_person_list(self) -> list[tuple[uuid.UUID, str]]:
        out: dict[uuid.UUID, str] = {}
        for item in self.new_persons:
            key, _sep, alias = item.partition(" ")
            out.setdefault(uuid.UUID(key), " ".join(alias.split()))
        return list(out.items())


class RoundForm(BaseModel):
    id: uuid.UUID
    kind: RoundKind
    territory_id: uuid.UUID | None = None
    member_ids: list[uuid.UUID] = []
    started_at: PastTime | None = None


class EndRoundForm(BaseModel):
    version: int | None = None
    ended_at: PastTime | None = None


class AnonymousForm(BaseModel):
    id: uuid.UUID
    people: int = Field(ge=1, le=200)
    at: PastTime | None = None


class CheckinForm(BaseModel):
    id: uuid.UUID
    person_id: uuid.UUID | None = None  # none: an anonymous check-in
    service_ids: list[uuid.UUID] = []
    at: PastTime | None = None


class CheckinEditForm(BaseModel):
    version: int | None = None
    service_ids: list[uuid.UUID] = []


class CheckoutForm(BaseModel):
    at: PastTime | None = None


class CloseDayForm(BaseModel):
    id: uuid.UUID


class ObservationForm(BaseModel):
    id: uuid.UUID
    where: str = Field(min_length=1, max_length=40)
    at: PastTime | None = None
    women: int = Field(default=0, ge=0, le=1000)
    men: int = Field(default=0, ge=0, le=1000)
    others: int = Field(default=0, ge=0, le=1000)
    atmosphere: Atmosphere
    police: Police
    incidents: str | None = Field(default=None, max_length=2000)
    note: str | None = Field(default=None, max_length=2000)


class ReportForm(BaseModel):
    id: uuid.UUID | None = None  # for the first save of the day's report
    version: int | None = None
    description: str | None = Field(default=None, max_length=5000)
    partners: str | None = Field(default=None, max_length=1000)
    handover: str | None = Field(default=None, max_length=2000)


class TerritoryForm(BaseModel):
    id: uuid.UUID | None = None
    version: int | None = None
    name: str = Field(min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    kinds: str | None = Field(default=None, max_length=300)

    @property
    def kind_list(self) -> list[str]:
        return split_list(self.kinds)[:10]


class PlaceForm(BaseModel):
    id: uuid.UUID | None = None
    version: int | None = None
    name: str = Field(min_length=1, max_length=120)


class MaterialForm(BaseModel):
    id: uuid.UUID | None = None
    version: int | None = None
    label: str = Field(min_length=1, max_length=120)
    position: int = Field(default=0, ge=0, le=1000)


class ServiceForm(MaterialForm):
    scope: ServiceScope
