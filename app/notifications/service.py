"""Watching and notifications, written in the transaction of the post that causes them.

A notification names the thread, the post and who acted; it never copies a post's text, so a post
hidden later cannot leak through a notification or its mail."""

import functools
from datetime import datetime, timedelta

from sqlalchemy import DateTime, bindparam, case, delete, func, insert, literal, null, update
from sqlmodel import Session, select

from app.accounts.models import User, UserStatus
from app.config import get_settings
from app.db import upsert_for, write_soon
from app.errors import NotFound, ValidationFailed
from app.forum.models import Thread
from app.i18n import _, ngettext
from app.notifications.mail import mail_configured, queue_mail
from app.notifications.models import Notification, OutboxMessage, Watch
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
    return _one_line(f"[{settings.site_name}] {summary}")[:300], body


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


def _one_line(text: str) -> str:
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
                _one_line(_("[%(site)s] Your daily digest", site=settings.site_name)),
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
