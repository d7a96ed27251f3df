import uuid
from datetime import date

from pydantic import BaseModel, ValidationInfo, field_validator

from app.i18n import _

FIRST_YEAR = 2000


class PeriodFilter(BaseModel):
    """A period (both days included) and optionally some teams; empty means every team."""

    start: date | None = None
    end: date | None = None
    team: list[uuid.UUID] = []

    @field_validator("start")
    @classmethod
    def _start(cls, v: date | None) -> date | None:
        if v is not None and v.year < FIRST_YEAR:
            raise ValueError(_("Choose a period from %(year)s on.", year=FIRST_YEAR))
        return v

    @field_validator("end")
    @classmethod
    def _end(cls, v: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start")
        if v is not None and v.year < FIRST_YEAR:
            raise ValueError(_("Choose a period from %(year)s on.", year=FIRST_YEAR))
        if v is not None and start is not None and v < start:
            raise ValueError(_("The end of the period must be on or after its start."))
        if v is not None and start is not None and (v - start).days > 366 * 5:
            raise ValueError(_("Choose a period of at most five years."))
        return v


class SharingForm(BaseModel):
    share: bool = False
