"""Watching by the keys people and clients use: a thread by its id, a sector by its slug, a
jurisdiction by its code. Shared by the watch button and the API."""

from sqlmodel import Session

from app.accounts.models import User
from app.errors import Invalid
from app.forum import queries
from app.i18n import _
from app.notifications import service as notifications
from app.taxonomy import service as taxonomy


def watch_target(session: Session, target_type: str, key: str) -> int:
    """The id of what `key` names, or Invalid/NotFound."""
    if target_type == "thread":
        if not key.isdecimal():
            raise Invalid(_("Not a thread id."))
        return queries.get_thread(session, None, int(key)).id
    if target_type == "sector":
        return taxonomy.sector_by_slug(session, key).id
    if target_type == "jurisdiction":
        return taxonomy.jurisdiction_by_code(session, key).id
    raise Invalid(_("You can watch a thread, a sector or a jurisdiction."))


def set_watching(session: Session, user: User, target_type: str, key: str, on: bool) -> None:
    target_id = watch_target(session, target_type, key)
    if on:
        notifications.watch(session, user, target_type, target_id)
    else:
        notifications.unwatch(session, user, target_type, target_id)
