import uuid
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from app.i18n import _
from app.needs.forms import local_path

ReferralStatus = Literal[
    "proposed", "sent", "accepted", "waiting_list", "refused", "attended", "admitted", "closed", "no_show", "cancelled"
]
Shareable = Literal["age", "gender", "languages", "nationality", "phone", "alert", "reason", "need"]
Outcome = Literal["reached", "partly", "not_reached"]


class ReferralForm(BaseModel):
    id: uuid.UUID | None = None
    person_id: uuid.UUID
    structure_id: uuid.UUID
    need_id: uuid.UUID | None = None
    reason: str | None = Field(default=None, max_length=3000)
    shared: list[Shareable] = []
    consent_given: bool = False
    consent_scope: str | None = Field(default=None, max_length=300)
    send: bool = False  # "Send now" rather than keeping it as proposed

    @model_validator(mode="after")
    def _scope(self):
        if not self.consent_given:
            self.consent_scope = None
        return self


class StatusForm(BaseModel):
    status: ReferralStatus
    version: int | None = None
    outcome: Outcome | None = None
    outcome_note: str | None = Field(default=None, max_length=2000)
    back: str | None = None

    @model_validator(mode="after")
    def _outcome(self):
        if self.status == "closed" and self.outcome is None:
            raise ValueError(_("Say how the referral ended to close it."))
        self.back = local_path(self.back)
        return self


class LinkForm(BaseModel):
    """The receiving organisation links an incoming referral to one of its persons, or creates one."""

    other_id: uuid.UUID | None = None
    create: bool = False
    confirm: bool = False  # create even though look-alikes exist


class ReferralFilter(BaseModel):
    status: Literal["open", "all"] | ReferralStatus = "open"
    team_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    all_teams: bool = False
    page: int = Field(default=1, ge=1, le=1000)


class InboxFilter(BaseModel):
    status: Literal["new", "open", "all"] = "open"
    team_id: uuid.UUID | None = None
    page: int = Field(default=1, ge=1, le=1000)
