"""API shapes for accounts. Output models never carry a password hash or a token hash."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from app.accounts.models import Role
from app.timeutil import iso


class ApiModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    @field_serializer("*", when_used="json")
    def _times(self, value):
        return iso(value) if isinstance(value, datetime) else value


class UserPublic(ApiModel):
    id: int
    display_name: str
    organisation: str
    country: str
    role: Role


class Me(UserPublic):
    email: str
    status: str
    created_at: datetime


class UserAdmin(Me):
    suspended_until: datetime | None
    suspension_reason: str


class InvitationCreate(BaseModel):
    email: str = Field(max_length=320)
    role: Role = Role.expert


class InvitationRead(ApiModel):
    id: int
    email: str
    role: Role
    state: str
    created_at: datetime
    expires_at: datetime
    url: str | None = None


class RegisterIn(BaseModel):
    token: str = Field(max_length=200)
    name: str = Field(max_length=200)
    password: str = Field(max_length=1000)
    organisation: str = Field(default="", max_length=300)
    country: str = Field(default="", max_length=2)


class SuspendIn(BaseModel):
    reason: str = Field(max_length=1000)
    until: datetime | None = None


class RoleIn(BaseModel):
    role: Role
