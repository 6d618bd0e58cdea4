"""Drafts: what a member is typing, kept on the server so any device can pick it up again."""

import json
import re

from sqlalchemy import bindparam, delete
from sqlmodel import Session, select

from app.accounts.models import User
from app.errors import Invalid, ValidationFailed
from app.forum.models import (
    Draft,
)
from app.forum.validation import MAX_BODY, MAX_TITLE, clean_title
from app.i18n import _
from app.timeutil import utcnow


def reply_draft_key(thread_id: int, parent_id: int | None = None) -> str:
    return f"reply:{thread_id}" + (f":{parent_id}" if parent_id else "")


DRAFT_KEY = re.compile(r"^(thread|reply:\d+(:\d+)?)$")


def save_draft(
    session: Session, user: User, key: str, *, title: str = "", body: str = "", fields: dict | None = None
) -> Draft:
    """Keep what the member is typing, on the server, so any device can pick it up again."""
    if not DRAFT_KEY.match(key or ""):
        raise Invalid(_("Unknown draft."))
    if len(body or "") > MAX_BODY:
        raise ValidationFailed({"body": _("A post can hold at most %(n)d characters.", n=MAX_BODY)})
    draft = session.exec(select(Draft).where(Draft.user_id == user.id, Draft.key == key)).first()
    if draft is None:
        draft = Draft(user_id=user.id, key=key)
    draft.title = clean_title(title)[:MAX_TITLE]
    draft.body = body or ""
    draft.fields = json.dumps(fields or {}, sort_keys=True)[:5000]
    draft.updated_at = utcnow()
    session.add(draft)
    session.flush()
    return draft


def get_draft(session: Session, user: User, key: str) -> Draft | None:
    return session.exec(select(Draft).where(Draft.user_id == user.id, Draft.key == key)).first()


# Built once, in Core: every reply runs it.
_DELETE = delete(Draft.__table__).where(
    Draft.__table__.c.user_id == bindparam("d_user"), Draft.__table__.c.key == bindparam("d_key")
)


def delete_draft(session: Session, user: User, key: str) -> None:
    session.connection().execute(_DELETE, {"d_user": user.id, "d_key": key})


def draft_fields(draft: Draft | None) -> dict:
    if draft is None or not draft.fields:
        return {}
    try:
        value = json.loads(draft.fields)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
