import uuid
from typing import Literal

from pydantic import BaseModel, Field

ListName = Literal[
    "active",
    "not_seen",
    "overdue_needs",
    "urgent_notes",
    "referrals_waiting",
    "long_stays",
    "no_open_need",
    "new_persons",
]


class CaseloadFilter(BaseModel):
    team: uuid.UUID | None = None
    worker: uuid.UUID | None = None
    category: uuid.UUID | None = None
    days: int = Field(default=30, ge=1, le=3650)
    waiting_days: int = Field(default=14, ge=1, le=3650)
    name: ListName = "not_seen"
    page: int = Field(default=1, ge=1, le=100000)
