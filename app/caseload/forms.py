import uuid
from typing import Literal

from pydantic import BaseModel, Field

from app.caseload.service import Filters

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
    # The service's defaults: a form left as it is must equal Filters() (the filter panel then stays closed).
    days: int = Field(default=Filters.days, ge=1, le=3650)
    waiting_days: int = Field(default=Filters.waiting_days, ge=1, le=3650)
    name: ListName = "not_seen"
    page: int = Field(default=1, ge=1, le=100000)
