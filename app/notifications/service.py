"""Watching and notifications, written in the transaction of the post that causes them.

A notification names the thread, the post and who acted; it never copies a post's text, so a post
hidden later cannot leak through a notification or its mail."""

from datetime import timedelta

from sqlalchemy import bindparam, func, update
from sqlmodel import Session, select

from app.accounts.models import User, UserStatus
from app.config import get_settings
from app.db import write_soon
from app.errors import NotFound, ValidationFailed
from app.i18n import _
from app.notifications.mail import queue_mail
from app.notifications.models import Notification, Watch
from app.timeutil import utcnow

WATCH_TYPES = ("thread", "sector", "jurisdiction")
MAIL_PREFERENCES = ("each", "daily", "none")
# One notification per member and post: the most specific reason wins.
PRIORITY = {"mention": 0, "reply": 1, "watched_reply": 2, "new_thread": 3}


def watch(session: Session, user: User, target_type: str, target_id: int) -> None:
    if target_type not in WATCH_TYPES:
        raise ValidationFailed({"target": _("You can watch a thread, a sector or a jurisdiction.")})
    exists = session.exec(
        select(Watch.id).where(
            Watch.user_id == user.id, Watch.target_type == target_type, Watch.target_id == target_id
        )
    ).first()
    if exists is None:
        session.add(Watch(user_id=user.id, target_type=target_type, target_id=target_id))
        session.flush()


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


def _watchers(session: Session, target_type: str, target_ids: list[int]) -> set[int]:
    if not target_ids:
        return set()
    return set(
        session.exec(
            select(Watch.user_id).where(Watch.target_type == target_type, Watch.target_id.in_(target_ids))
        ).all()
    )


def mail_configured() -> bool:
    """Notification mail is queued only when it can be sent (FORUM_SMTP_URL): without SMTP every
    post would leave one outbox row per watcher that nothing will ever deliver. Invitations and
    password resets are kept either way: the administrator copies their links from the page."""
    return bool(get_settings().smtp_url)


def _users_by_handle(session: Session, handles: list[str]) -> set[int]:
    if not handles:
        return set()
    return set(session.exec(select(User.id).where(User.handle.in_(handles))).all())


def _deliver(session: Session, actor: User, thread, post, reasons: dict[int, str]) -> None:
    reasons.pop(actor.id, None)
    if not reasons:
        return
    recipients = {u.id: u for u in session.exec(select(User).where(User.id.in_(list(reasons)))).all()}
    now = utcnow()
    for user_id, kind in reasons.items():
        recipient = recipients.get(user_id)
        if recipient is None or recipient.status == UserStatus.deactivated:
            continue
        notification = Notification(
            user_id=user_id,
            kind=kind,
            thread_id=thread.id,
            post_id=post.id,
            actor_id=actor.id,
            created_at=now,
        )
        if recipient.mail_preference == "each" and mail_configured():
            _mail_one(session, recipient, actor, thread, post, kind)
            notification.mailed_at = now
        session.add(notification)


def deliver_one(
    session: Session, user: User, kind: str, thread_id: int, post_id: int, actor: User | None
) -> None:
    """One notification for one member (saved searches), mailed per their preference."""
    from app.forum.models import Thread

    now = utcnow()
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
        settings = get_settings()
        summary = describe(kind, actor.display_name if actor else "", thread.title)
        url = f"{settings.base_url.rstrip('/')}/t/{thread_id}#post-{post_id}"
        body = _(
            "%(summary)s\n\nRead it here (sign-in required): %(url)s\n\n"
            "Change how we mail you on your profile page.",
            summary=summary,
            url=url,
        )
        queue_mail(session, user.email, _one_line(f"[{settings.site_name}] {summary}")[:300], body)
        notification.mailed_at = now
    session.add(notification)


def _add(reasons: dict[int, str], user_ids, kind: str) -> None:
    for user_id in user_ids:
        current = reasons.get(user_id)
        if current is None or PRIORITY[kind] < PRIORITY[current]:
            reasons[user_id] = kind


def notify_new_thread(
    session: Session, actor: User, thread, post, jurisdiction_ids: list[int], handles: list[str]
) -> None:
    reasons: dict[int, str] = {}
    _add(reasons, _watchers(session, "sector", [thread.sector_id]), "new_thread")
    _add(reasons, _watchers(session, "jurisdiction", jurisdiction_ids), "new_thread")
    _add(reasons, _users_by_handle(session, handles), "mention")
    _deliver(session, actor, thread, post, reasons)


def notify_reply(session: Session, actor: User, thread, post, parent, handles: list[str]) -> None:
    reasons: dict[int, str] = {}
    _add(reasons, _watchers(session, "thread", [thread.id]), "watched_reply")
    if parent is not None and parent.author_id:
        _add(reasons, [parent.author_id], "reply")
    _add(reasons, _users_by_handle(session, handles), "mention")
    _deliver(session, actor, thread, post, reasons)


def describe(kind: str, actor_name: str, title: str) -> str:
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


def _mail_one(session: Session, recipient: User, actor: User, thread, post, kind: str) -> None:
    settings = get_settings()
    url = f"{settings.base_url.rstrip('/')}/t/{thread.id}#post-{post.id}"
    summary = describe(kind, actor.display_name, thread.title)
    body = _(
        "%(summary)s\n\nRead it here (sign-in required): %(url)s\n\n"
        "Change how we mail you on your profile page.",
        summary=summary,
        url=url,
    )
    queue_mail(session, recipient.email, _one_line(f"[{settings.site_name}] {summary}")[:300], body)


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
                f"- {describe(n.kind, actor, title)}\n  {base}/t/{n.thread_id}#post-{n.post_id}"
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
    """(notification, actor name, thread title), newest first: two joins, one query."""
    from app.forum.models import Thread

    statement = (
        select(Notification, User.display_name, Thread.title)
        .join(Thread, Thread.id == Notification.thread_id)
        .outerjoin(User, User.id == Notification.actor_id)
        .where(Notification.user_id == user.id)
        .order_by(Notification.id.desc())
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


def set_mail_preference(session: Session, user: User, preference: str) -> None:
    if preference not in MAIL_PREFERENCES:
        raise ValidationFailed({"mail_preference": _("Choose each, daily or none.")})
    user.mail_preference = preference
    session.add(user)
