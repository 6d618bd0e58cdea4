"""Writing audit entries, always in the transaction of the action they record."""

import json

from sqlmodel import Session

from app.cache import bump
from app.moderation.models import AuditEntry


def record(
    session: Session,
    actor,
    action: str,
    target_type: str,
    target_id: int | None,
    reason: str = "",
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    detail = json.dumps({"before": before, "after": after}, sort_keys=True) if before or after else ""
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        detail=detail,
    )
    session.add(entry)
    bump(session)  # audited actions can change kept values (app.cache)
    return entry
