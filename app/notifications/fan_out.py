"""How a post reaches members: the notifications (and mail) of a new thread, a reply, a mention, a
report's outcome and a saved search's match, written in the transaction of the post that causes
them, in a fixed number of statements however many members they reach.

A notification names the thread, the post and who acted; it never copies a post's text, so a post
hidden later cannot leak through a notification or its mail."""

import functools

from sqlalchemy import DateTime, bindparam, case, func, insert, literal, null, update
from sqlmodel import Session, select

from app.accounts.models import User, UserStatus
from app.config import get_settings
from app.forum.models import Thread
from app.i18n import _
from app.notifications.mail import mail_configured, queue_mail
from app.notifications.models import Notification, OutboxMessage, Watch
from app.notifications.service import describe, one_line
from app.timeutil import utcnow


def _users_by_handle(session: Session, handles: list[str]) -> set[int]:
    if not handles:
        return set()
    return set(session.exec(select(User.id).where(User.handle.in_(handles))).all())


def _mail_text(kind: str, actor_name: str, thread_id: int, title: str, post_id: int) -> tuple[str, str]:
    """A notification mail's subject and body: the same for every recipient of one event."""
    settings = get_settings()
    summary = describe(kind, actor_name, title)
    url = f"{settings.base_url.rstrip('/')}/t/{thread_id}#post-{post_id}"
    body = _(
        "%(summary)s\n\nRead it here (sign-in required): %(url)s\n\n"
        "Change how we mail you on your profile page.",
        summary=summary,
        url=url,
    )
    return one_line(f"[{settings.site_name}] {summary}")[:300], body


# Who a fan-out reaches, as a SELECT of user ids with bound parameters: members named by id
# (mentions, the author replied to), a thread's watchers, or a new thread's sector and jurisdiction
# watchers.
_RECIPIENTS = {
    "ids": lambda: bindparam("fan_recipient_ids", expanding=True),
    "thread_watchers": lambda: select(Watch.user_id).where(
        Watch.target_type == "thread", Watch.target_id == bindparam("fan_thread_id")
    ),
    "new_thread_watchers": lambda: select(Watch.user_id).where(
        ((Watch.target_type == "sector") & (Watch.target_id == bindparam("fan_sector_id")))
        | (
            (Watch.target_type == "jurisdiction")
            & Watch.target_id.in_(bindparam("fan_jurisdiction_ids", expanding=True))
        )
    ),
}


@functools.cache
def _fan_out_statements(recipients: str, counts_up: bool, mail: bool) -> tuple:
    """The fan-out's statements, built once per shape and executed with bound values (building
    them is most of a reply's cost otherwise); Core, not ORM, for the same reason."""
    users = User.__table__
    notifications = Notification.__table__
    now = bindparam("fan_now", type_=DateTime())
    # Conditions on user_account, used inside the UPDATE's subquery and as the INSERTs' own WHERE.
    eligible = (
        users.c.id.in_(_RECIPIENTS[recipients]()),
        users.c.status != UserStatus.deactivated.value,
        users.c.id.not_in(bindparam("fan_exclude", expanding=True)),
    )
    statements = []
    if counts_up:
        # Only each member's oldest such item counts up: a merge of two threads (or two replies
        # committed at once on PostgreSQL) can leave two, and the count must not double.
        other = notifications.alias("other")
        oldest = (
            select(func.min(other.c.id))
            .where(
                other.c.thread_id == bindparam("fan_thread_id"),
                other.c.kind == bindparam("fan_kind"),
                other.c.read_at.is_(None),
                other.c.user_id.in_(select(users.c.id).where(*eligible)),
            )
            .group_by(other.c.user_id)
        )
        # A daily-digest member hears of the new events in the next digest, even if an earlier
        # one already listed this item; a member mailed "each" has had their one mail for it.
        preference = (
            select(users.c.mail_preference).where(users.c.id == notifications.c.user_id).scalar_subquery()
        )
        statements.append(
            update(notifications)
            .where(notifications.c.id.in_(oldest))
            .values(
                count=notifications.c.count + 1,
                actor_id=bindparam("fan_actor_id"),
                created_at=now,
                mailed_at=case((preference == "daily", null()), else_=notifications.c.mailed_at),
            )
        )
    told = (
        select(notifications.c.id)
        .where(
            notifications.c.thread_id == bindparam("fan_thread_id"),
            notifications.c.kind == bindparam("fan_kind"),
            notifications.c.read_at.is_(None),
            notifications.c.user_id == users.c.id,
        )
        .exists()
    )
    fresh = (*eligible, ~told)
    mailed = null()
    if mail:
        statements.append(
            insert(OutboxMessage.__table__).from_select(
                ["to_address", "subject", "body", "created_at", "attempts", "last_error"],
                select(
                    users.c.email,
                    bindparam("fan_subject"),
                    bindparam("fan_body"),
                    now,
                    literal(0),
                    literal(""),
                ).where(*fresh, users.c.mail_preference == "each"),
            )
        )
        mailed = case((users.c.mail_preference == "each", now), else_=null())
    statements.append(
        insert(notifications).from_select(
            ["user_id", "kind", "thread_id", "post_id", "actor_id", "created_at", "count", "mailed_at"],
            select(
                users.c.id,
                bindparam("fan_kind"),
                bindparam("fan_thread_id"),
                bindparam("fan_post_id"),
                bindparam("fan_actor_id"),
                now,
                literal(1),
                mailed,
            ).where(*fresh),
        )
    )
    return tuple(statements)


def _fan_out(
    session: Session, actor: User, thread, post, kind: str, recipients: str, exclude: set[int], **values
) -> None:
    """Notify every member that `recipients` (a shape of _RECIPIENTS, with its `values`) yields, but
    `exclude`, in a fixed number of statements however many they are (set-based, never a row per
    watcher in Python):

    1. a member with an unread notification of this kind in this thread has it counted up ("5 new
       replies"), no new row and no new mail: one unread item per thread and kind;
    2. the others, if their preference is "each" and SMTP is configured, get one mail;
    3. and a new notification (marked mailed when it was)."""
    mail = mail_configured()
    values |= {
        "now": utcnow(),
        "kind": kind,
        "thread_id": thread.id,
        "post_id": post.id,
        "actor_id": actor.id,
        "exclude": sorted(exclude),
    }
    if mail:
        values["subject"], values["body"] = _mail_text(
            kind, actor.display_name, thread.id, thread.title, post.id
        )
    # Bound as fan_<name>: a bare column name is reserved in an INSERT's or UPDATE's own values.
    values = {f"fan_{name}": value for name, value in values.items()}
    # A thread just started has no notifications yet to count up.
    connection = session.connection()
    for statement in _fan_out_statements(recipients, kind != "new_thread", mail):
        connection.execute(statement, values)


def deliver_one(
    session: Session, user: User, kind: str, thread_id: int, post_id: int, actor: User | None
) -> None:
    """One notification for one member (saved searches), mailed per their preference; counted into
    their unread one of the same kind for that thread if there is one."""
    now = utcnow()
    existing = session.exec(
        select(Notification).where(
            Notification.user_id == user.id,
            Notification.thread_id == thread_id,
            Notification.kind == kind,
            Notification.read_at.is_(None),
        )
    ).first()
    if existing is not None:
        existing.count += 1
        existing.created_at = now
        session.add(existing)
        return
    notification = Notification(
        user_id=user.id,
        kind=kind,
        thread_id=thread_id,
        post_id=post_id,
        actor_id=actor.id if actor else None,
        created_at=now,
    )
    if user.mail_preference == "each" and mail_configured():
        thread = session.get(Thread, thread_id)
        actor_name = actor.display_name if actor else ""
        subject, body = _mail_text(kind, actor_name, thread_id, thread.title, post_id)
        queue_mail(session, user.email, subject, body)
        notification.mailed_at = now
    session.add(notification)


def notify_new_thread(
    session: Session, actor: User, thread, post, jurisdiction_ids: list[int], handles: list[str]
) -> None:
    """Mentions first (the more specific reason wins, once per member), then the watchers of the
    sector or of any of the thread's jurisdictions."""
    mentioned = _users_by_handle(session, handles) - {actor.id}
    if mentioned:
        _fan_out(session, actor, thread, post, "mention", "ids", {actor.id}, recipient_ids=sorted(mentioned))
    _fan_out(
        session,
        actor,
        thread,
        post,
        "new_thread",
        "new_thread_watchers",
        mentioned | {actor.id},
        sector_id=thread.sector_id,
        jurisdiction_ids=list(jurisdiction_ids),
    )


def notify_reply(session: Session, actor: User, thread, post, parent, handles: list[str]) -> None:
    """A mention, else a reply to one's post, else a reply in a watched thread: one reason per
    member, the most specific, in a fixed number of statements whatever the number of watchers."""
    mentioned = _users_by_handle(session, handles) - {actor.id}
    if mentioned:
        _fan_out(session, actor, thread, post, "mention", "ids", {actor.id}, recipient_ids=sorted(mentioned))
    replied_to = set()
    if parent is not None and parent.author_id and parent.author_id != actor.id:
        replied_to = {parent.author_id} - mentioned
        if replied_to:
            _fan_out(
                session, actor, thread, post, "reply", "ids", {actor.id}, recipient_ids=sorted(replied_to)
            )
    _fan_out(
        session, actor, thread, post, "watched_reply", "thread_watchers", mentioned | replied_to | {actor.id}
    )


def notify_flag_outcome(session: Session, reporter_ids: list[int], thread_id: int, post_id: int) -> None:
    """Tell those who reported a post that a moderator handled it (hidden or dismissed: not which)."""
    now = utcnow()
    session.add_all(
        [
            Notification(
                user_id=reporter_id,
                kind="flag_outcome",
                thread_id=thread_id,
                post_id=post_id,
                actor_id=None,
                created_at=now,
            )
            for reporter_id in reporter_ids
        ]
    )
