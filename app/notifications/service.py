"""Watching and notifications, written in the transaction of the post that causes them.

A notification names the thread, the post and who acted; it never copies a post's text, so a post
hidden later cannot leak through a notification or its mail."""

import functools
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, update
from sqlmodel import Session, select

from app.accounts.models import User, UserStatus
from app.config import get_settings
from app.db import upsert_for, write_soon
from app.errors import NotFound, ValidationFailed
from app.forum.models import Thread
from app.i18n import _, ngettext
from app.notifications.mail import mail_configured, queue_mail
from app.notifications.models import Notification, Watch
from app.timeutil import utcnow

WATCH_TYPES = ("thread", "sector", "jurisdiction")
MAIL_PREFERENCES = ("each", "daily", "none")


@functools.cache
def _watch_statement(dialect: str):
    """A watch, unless the member already has it: one statement, built once per engine."""
    return (
        upsert_for(dialect)(Watch.__table__)
        .values(user_id=bindparam("w_user"), target_type=bindparam("w_type"), target_id=bindparam("w_target"))
        .on_conflict_do_nothing(index_elements=["user_id", "target_type", "target_id"])
    )


def watch(session: Session, user: User, target_type: str, target_id: int) -> None:
    if target_type not in WATCH_TYPES:
        raise ValidationFailed({"target": _("You can watch a thread, a sector or a jurisdiction.")})
    connection = session.connection()
    connection.execute(
        _watch_statement(connection.dialect.name),
        {"w_user": user.id, "w_type": target_type, "w_target": target_id},
    )


def unwatch(session: Session, user: User, target_type: str, target_id: int) -> None:
    watch_row = session.exec(
        select(Watch).where(
            Watch.user_id == user.id, Watch.target_type == target_type, Watch.target_id == target_id
        )
    ).first()
    if watch_row is not None:
        session.delete(watch_row)


def is_watching(session: Session, user: User, target_type: str, target_id: int) -> bool:
    return (
        session.exec(
            select(Watch.id).where(
                Watch.user_id == user.id, Watch.target_type == target_type, Watch.target_id == target_id
            )
        ).first()
        is not None
    )


def describe(kind: str, actor_name: str, title: str, count: int = 1) -> str:
    """What a notification says; `count` > 1 when it stands for several events in one thread."""
    if count > 1:
        texts = {
            "mention": ngettext(
                "%(num)d mention of you in “%(title)s”, the latest by %(actor)s",
                "%(num)d mentions of you in “%(title)s”, the latest by %(actor)s",
                count,
                actor=actor_name,
                title=title,
            ),
            "reply": ngettext(
                "%(num)d reply to your posts in “%(title)s”, the latest by %(actor)s",
                "%(num)d replies to your posts in “%(title)s”, the latest by %(actor)s",
                count,
                actor=actor_name,
                title=title,
            ),
            "watched_reply": ngettext(
                "%(num)d new reply in “%(title)s”, the latest by %(actor)s",
                "%(num)d new replies in “%(title)s”, the latest by %(actor)s",
                count,
                actor=actor_name,
                title=title,
            ),
            "saved_search": ngettext(
                "%(num)d new match for your saved searches in “%(title)s”",
                "%(num)d new matches for your saved searches in “%(title)s”",
                count,
                title=title,
            ),
        }
        if kind in texts:
            return texts[kind]
    texts = {
        "mention": _("%(actor)s mentioned you in “%(title)s”"),
        "reply": _("%(actor)s replied to your post in “%(title)s”"),
        "watched_reply": _("%(actor)s replied in “%(title)s”"),
        "new_thread": _("%(actor)s started “%(title)s”"),
        "saved_search": _("New match for your saved search in “%(title)s”"),
        "flag_outcome": _("A report you made about “%(title)s” was handled"),
    }
    return texts.get(kind, _("Activity in “%(title)s”")) % {"actor": actor_name, "title": title}


def one_line(text: str) -> str:
    # Mail headers: a title or name with a line break must not add headers.
    return " ".join(text.split())


def send_digests(session: Session) -> int:
    """One mail per member who chose a daily digest, listing what is new since the last one."""
    settings = get_settings()
    if not mail_configured():
        return 0  # nothing is queued that could never be sent
    now = utcnow()
    due = session.exec(
        select(User).where(
            User.mail_preference == "daily",
            User.status != UserStatus.deactivated,
            (User.digest_sent_at.is_(None)) | (User.digest_sent_at <= now - timedelta(hours=23)),
        )
    ).all()
    sent = 0
    for user in due:
        pending = list_notifications(session, user, unmailed_only=True, limit=200)
        if pending:
            base = settings.base_url.rstrip("/")
            lines = [
                f"- {describe(n.kind, actor, title, n.count)}\n  {base}/t/{n.thread_id}#post-{n.post_id}"
                for n, actor, title in pending
            ]
            body = _("What is new for you:\n\n%(lines)s\n", lines="\n".join(lines))
            queue_mail(
                session,
                user.email,
                one_line(_("[%(site)s] Your daily digest", site=settings.site_name)),
                body,
            )
            session.execute(
                update(Notification)
                .where(Notification.id.in_([n.id for n, _a, _t in pending]))
                .values(mailed_at=now)
            )
            sent += 1
        user.digest_sent_at = now
        session.add(user)
    return sent


def list_notifications(session: Session, user: User, *, unmailed_only: bool = False, limit: int = 100):
    """(notification, actor name, thread title), the latest activity first (an item counted up
    moves to the top): two joins, one query."""
    statement = (
        select(Notification, User.display_name, Thread.title)
        .join(Thread, Thread.id == Notification.thread_id)
        .outerjoin(User, User.id == Notification.actor_id)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    if unmailed_only:
        statement = statement.where(Notification.mailed_at.is_(None))
    return [(n, actor or _("a former member"), title) for n, actor, title in session.exec(statement).all()]


UNREAD_COUNT = (
    select(func.count())
    .select_from(Notification)
    .where(Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None))
)


# The header shows at most "99+": counting stops there, so every page costs the same whatever a
# member's backlog of unread notifications (20,000 after a busy month of watched threads).
UNREAD_CAP = 100
UNREAD_COUNT_CAPPED = select(func.count()).select_from(
    select(Notification.id)
    .where(Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None))
    .limit(UNREAD_CAP)
    .subquery()
)


def unread_count(session: Session, user: User, capped: bool = False) -> int:
    """The member's unread notifications; capped: at most UNREAD_CAP (the header's figure, on
    every page). Statements built once."""
    statement = UNREAD_COUNT_CAPPED if capped else UNREAD_COUNT
    return session.execute(statement, {"user_id": user.id}).scalar_one()


def mark_read(session: Session, user: User, notification_id: int | None = None) -> None:
    statement = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    session.execute(statement.values(read_at=utcnow()))


def mark_thread_notifications_read(session: Session, user: User, thread_id: int) -> int:
    """Reading a thread reads its notifications; a cheap check first, so most views write nothing.
    Returns how many it marks, so the page being shown can already count them as read."""
    unread = (
        Notification.user_id == user.id,
        Notification.thread_id == thread_id,
        Notification.read_at.is_(None),
    )
    marked = session.exec(select(func.count()).select_from(Notification).where(*unread)).one()
    if marked:
        mark_thread_notifications_read_later(session, user, thread_id)
    return marked


def mark_thread_notifications_read_later(session: Session, user: User, thread_id: int) -> None:
    """The write of mark_thread_notifications_read, for a caller that counted them already."""
    unread = (
        Notification.user_id == user.id,
        Notification.thread_id == thread_id,
        Notification.read_at.is_(None),
    )
    write_soon(session, lambda s: s.execute(update(Notification).where(*unread).values(read_at=utcnow())))


def open_notification(session: Session, user: User, notification_id: int) -> Notification:
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound(_("No such notification."))
    mark_read(session, user, notification_id)
    return notification


def prune_read(session: Session, now: datetime | None = None) -> int:
    """Delete the notifications read more than FORUM_NOTIFICATION_RETENTION_DAYS ago (never an
    unread one); returns how many. Their posts and threads stay: only the reminder goes."""
    days = get_settings().notification_retention_days
    if not days:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    result = session.execute(
        delete(Notification)
        .where(Notification.read_at.is_not(None), Notification.read_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def set_mail_preference(session: Session, user: User, preference: str) -> None:
    if preference not in MAIL_PREFERENCES:
        raise ValidationFailed({"mail_preference": _("Choose each, daily or none.")})
    user.mail_preference = preference
    session.add(user)
