import re
import uuid
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from app.i18n import _

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
OrgRole = Literal["admin", "coordinator", "worker", "health", "reception"]
TeamKindField = Literal["patrol", "metro_patrol", "rest_area", "reception", "accommodation", "coordination"]


class UserForm(BaseModel):
    id: uuid.UUID | None = None  # client-generated on creation: a second submit creates nothing more
    version: int | None = None  # the version the edit was based on
    name: str = Field(min_length=1, max_length=120)
    email: str = Field(min_length=1, max_length=254)
    role: OrgRole
    lang: Literal["fr", "en"] | None = None
    team_ids: list[uuid.UUID] = []
    # Admins only: also a health professional, so sees health data (app/access.py HEALTH_GRANTS).
    health_access: bool = False

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        if not EMAIL_RE.match(v):
            raise ValueError(_("Enter an email address such as name@example.org."))
        return v.lower()


class TeamForm(BaseModel):
    id: uuid.UUID | None = None
    version: int | None = None
    name: str = Field(min_length=1, max_length=120)
    kind: TeamKindField
    capacity: int | None = Field(default=None, ge=0, le=5000)
    noon_to_noon: bool = False
