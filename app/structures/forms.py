import uuid
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from app.i18n import _, lazy
from app.persons.forms import PHONE_RE

STRUCTURE_KINDS = {
    "caarud": lazy("CAARUD"),
    "csapa": lazy("CSAPA"),
    "scmr": lazy("Lower-risk consumption room"),
    "rest_area": lazy("Rest area"),
    "day_centre": lazy("Day centre"),
    "hospital": lazy("Hospital / PASS"),
    "assore": lazy("ASSORE"),
    "phase": lazy("PHASE"),
    "uhs": lazy("UHS"),
    "lhss": lazy("LHSS"),
    "lam": lazy("LAM"),
    "act": lazy("ACT"),
    "siao": lazy("SIAO"),
    "court_ordered": lazy("Court-ordered treatment places"),
    "other": lazy("Other"),
}
# Kinds that house people: listed with their occupancy on the accommodation page.
ACCOMMODATION_KINDS = ("rest_area", "assore", "phase", "uhs", "lhss", "lam", "act", "court_ordered")
OPENINGS = {"day": lazy("Day"), "night": lazy("Night"), "both": lazy("Day and night")}

StructureKind = Literal[
    "caarud",
    "csapa",
    "scmr",
    "rest_area",
    "day_centre",
    "hospital",
    "assore",
    "phase",
    "uhs",
    "lhss",
    "lam",
    "act",
    "siao",
    "court_ordered",
    "other",
]


class StructureForm(BaseModel):
    id: uuid.UUID | None = None
    version: int | None = None
    name: str = Field(min_length=1, max_length=200)
    kind: StructureKind
    address: str | None = Field(default=None, max_length=300)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    phone: str | None = Field(default=None, max_length=40)
    opening: Literal["day", "night", "both"] | None = None
    hours: str | None = Field(default=None, max_length=300)
    places: int | None = Field(default=None, ge=0, le=5000)
    notes: str | None = Field(default=None, max_length=3000)
    # The link to a team in Parcours: one of the organisation's own teams, or another organisation's inbox code.
    linked_team_id: uuid.UUID | None = None
    partner_code: str | None = Field(default=None, max_length=20)
    unlink: bool = False

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return " ".join(v.split())

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v and not PHONE_RE.match(v):
            raise ValueError(_("Enter a phone number with digits, spaces and + only."))
        return v

    @model_validator(mode="after")
    def _position(self):
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError(_("Give both the latitude and the longitude, or neither."))
        if self.linked_team_id is not None and self.partner_code:
            raise ValueError(_("Choose one of your teams or enter another organisation's code, not both."))
        return self


class StructureFilter(BaseModel):
    q: str | None = Field(default=None, max_length=100)
    kind: StructureKind | None = None
    archived: bool = False
    page: int = Field(default=1, ge=1, le=1000)
