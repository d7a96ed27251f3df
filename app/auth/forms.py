import uuid
from typing import Literal

from pydantic import BaseModel, Field


class LoginForm(BaseModel):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=1024)
    next: str | None = None


class SetPasswordForm(BaseModel):
    password: str = Field(min_length=1, max_length=1024)
    confirm: str = Field(min_length=1, max_length=1024)


class ChangePasswordForm(BaseModel):
    current: str = Field(min_length=1, max_length=1024)
    password: str = Field(min_length=1, max_length=1024)
    confirm: str = Field(min_length=1, max_length=1024)


class LanguageForm(BaseModel):
    lang: Literal["fr", "en"]


class TeamPickForm(BaseModel):
    team_id: uuid.UUID


class CodeForm(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    next: str | None = None


class EnrolForm(BaseModel):
    sealed: str = Field(min_length=1, max_length=512)
    code: str = Field(min_length=1, max_length=32)
