"""The JSON shapes of the sync API (shown in /api/openapi.json)."""

import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

MAX_BATCH = 500


class Change(BaseModel):
    """One change made on a phone. `id` is the record's client-generated id (its primary key); an edit has its
    own `change_id` too, so that replaying the same edit is recognised."""

    id: uuid.UUID
    change_id: uuid.UUID | None = None
    type: Literal["person", "encounter", "checkin", "observation", "note"]
    op: Literal["create", "update"] = "create"
    data: dict[str, Any] = {}
    base_version: int | None = Field(default=None, description="update: the version the edit started from")
    base: dict[str, Any] = Field(default={}, description="update: the values the edit started from")
    team_id: uuid.UUID | None = Field(default=None, description="the team the worker was with when making it")


class PushIn(BaseModel):
    changes: list[Change] = Field(max_length=MAX_BATCH)


class Result(BaseModel):
    """accepted: saved now; duplicate: already saved before (same content); rejected: `code` says why (403 not
    allowed, 409 changed meanwhile, 422 the values: fix them and resend); conflict: the fields in `conflicts`
    were changed by someone else meanwhile (both values given), the others were saved."""

    id: uuid.UUID
    status: Literal["accepted", "duplicate", "rejected", "conflict"]
    version: int | None = None
    code: int | None = None
    message: str | None = None
    errors: dict[str, str] | None = None
    conflicts: dict[str, dict[str, Any]] | None = None


class PushOut(BaseModel):
    results: list[Result]


class Record(BaseModel):
    type: str
    id: uuid.UUID
    deleted: bool
    version: int | None = None
    data: dict[str, Any] | None = None


class PullOut(BaseModel):
    changes: list[Record]
    cursor: str = Field(description="pass it back as ?cursor= to get what changed next")
    more: bool


class TeamPerson(BaseModel):
    id: uuid.UUID
    alias: str
    code: str


class Token(BaseModel):
    csrf_token: str
