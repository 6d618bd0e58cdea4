"""API shapes for moderation."""

from pydantic import BaseModel, Field


class FlagIn(BaseModel):
    reason: str = Field(max_length=20)
    note: str = Field(default="", max_length=1000)


class ReasonIn(BaseModel):
    reason: str = Field(default="", max_length=1000)


class PinIn(ReasonIn):
    site_wide: bool = False


class MoveIn(ReasonIn):
    sector: str = Field(max_length=80)


class MergeIn(ReasonIn):
    target_id: int


class SplitIn(ReasonIn):
    post_ids: list[int] = Field(min_length=1, max_length=1000)
    title: str = Field(max_length=500)


class TaxonomyIn(ReasonIn):
    jurisdictions: list[str] = Field(default_factory=list, max_length=20)
    instruments: list[str] = Field(default_factory=list, max_length=20)
    tags: list[str] | str = Field(default_factory=list)


class ResolveIn(ReasonIn):
    action: str = Field(max_length=10)


class TagRenameIn(BaseModel):
    new_name: str = Field(max_length=100)


class AuditQuery(BaseModel):
    """The audit log's filters as a query string, for the list and its CSV export alike."""

    actor: str = ""
    action: str = ""
    target_type: str = ""
    target_id: int | None = None
    since: str = ""  # YYYY-MM-DD
    until: str = ""

    def filters(self) -> dict:
        """moderation.service.audit_filters's arguments."""
        return self.model_dump()


class AuditPageQuery(AuditQuery):
    """The page's form keeps what was typed; a target id that is not a number filters nothing."""

    target_id: str = ""

    def filters(self) -> dict:
        typed = self.target_id.strip()
        return {**self.model_dump(), "target_id": int(typed) if typed.isdecimal() else None}
