import uuid
from datetime import date, time
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from app.i18n import _

NeedStatus = Literal["todo", "in_progress", "done", "cancelled"]


def local_path(value: str | None) -> str | None:
    """A page of this site to go back to ("/persons/…"), never another site."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value[:300]
    return None


class NeedForm(BaseModel):
    id: uuid.UUID | None = None
    version: int | None = None
    person_ids: list[uuid.UUID] = Field(default=[], validate_default=True)
    category_ids: list[uuid.UUID] = []
    description: str | None = Field(default=None, max_length=5000)
    team_ids: list[uuid.UUID] = Field(default=[], validate_default=True)
    assigned_to: uuid.UUID | None = None
    due_on: date | None = None
    due_time: time | None = None
    urgent: bool = False
    repeat_every: int | None = Field(default=None, ge=1, le=365)
    repeat_unit: Literal["day", "week", "month"] | None = None
    repeat_until: date | None = None
    back: str | None = None

    @field_validator("person_ids")
    @classmethod
    def _persons(cls, v: list[uuid.UUID]) -> list[uuid.UUID]:
        if not v:
            raise ValueError(_("Choose at least one person."))
        return list(dict.fromkeys(v))[:20]

    @field_validator("team_ids")
    @classmethod
    def _teams(cls, v: list[uuid.UUID]) -> list[uuid.UUID]:
        if not v:
            raise ValueError(_("Choose at least one team."))
        return list(dict.fromkeys(v))

    @field_validator("due_on", "repeat_until")
    @classmethod
    def _sane_day(cls, v: date | None) -> date | None:
        if v is not None and not 2000 <= v.year <= 2100:
            raise ValueError(_("Enter a valid date."))
        return v

    @field_validator("back")
    @classmethod
    def _back(cls, v: str | None) -> str | None:
        return local_path(v)

    @model_validator(mode="after")
    def _coherent(self):
        if self.due_time is not None and self.due_on is None:
            raise ValueError(_("A time needs a due date."))
        if self.repeat_every is not None or self.repeat_until is not None:
            if self.repeat_every is None or self.repeat_unit is None:
                raise ValueError(_("To repeat a need, say every how many days, weeks or months."))
            if self.due_on is None:
                raise ValueError(_("A repeated need needs a due date."))
            if self.repeat_until is not None and self.repeat_until < self.due_on:
                raise ValueError(_("The repetition must end after the due date."))
        else:
            self.repeat_unit = None
        return self


class NeedStatusForm(BaseModel):
    status: NeedStatus
    version: int | None = None
    back: str | None = None

    @field_validator("back")
    @classmethod
    def _back(cls, v: str | None) -> str | None:
        return local_path(v)


class NeedFilter(BaseModel):
    view: Literal["overdue", "today", "upcoming", "done", "all"] = "today"
    team_id: uuid.UUID | None = None
    category_id: uuid.UUID | None = None
    status: NeedStatus | None = None
    person_id: uuid.UUID | None = None
    all_teams: bool = False  # with a person: their needs whatever the team
    page: int = Field(default=1, ge=1, le=1000)


class WeekFilter(BaseModel):
    team_id: uuid.UUID | None = None
    start: date | None = None


class CategoryForm(BaseModel):
    id: uuid.UUID | None = None
    version: int | None = None
    label: str = Field(min_length=1, max_length=120)
    group_label: str | None = Field(default=None, max_length=120)
    position: int = Field(default=0, ge=0, le=1000)
