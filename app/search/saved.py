"""Saved searches: listed, run, deleted, and checked for new matches that become notifications."""

from sqlalchemy import func
from sqlmodel import Session, select

from app.accounts.models import User, UserStatus
from app.errors import NotFound, ValidationFailed
from app.forum.models import Post
from app.i18n import _
from app.notifications.fan_out import deliver_one
from app.notifications.mail import deliver_pending
from app.notifications.models import Notification
from app.search import service
from app.search.models import SavedSearch

MAX_SAVED = 50


def save(session: Session, user: User, query: str, name: str = "") -> SavedSearch:
    """Save a query for the member; saving the same query again returns the one already saved."""
    existing = session.exec(
        select(SavedSearch).where(SavedSearch.user_id == user.id, SavedSearch.query == query.strip())
    ).first()
    if existing is not None:
        return existing
    service.search(session, user, query, with_facets=False)  # refuses malformed queries with their message
    count = session.exec(
        select(func.count()).select_from(SavedSearch).where(SavedSearch.user_id == user.id)
    ).one()
    if count >= MAX_SAVED:
        raise ValidationFailed({"q": _("You can keep at most %(n)d saved searches.", n=MAX_SAVED)})
    last = session.exec(select(func.max(Post.id))).one() or 0
    saved = SavedSearch(
        user_id=user.id, query=query.strip(), name=" ".join((name or query).split())[:200], last_post_id=last
    )
    session.add(saved)
    session.flush()
    return saved


def list_saved(session: Session, user: User) -> list[SavedSearch]:
    return list(
        session.exec(
            select(SavedSearch).where(SavedSearch.user_id == user.id).order_by(SavedSearch.created_at.desc())
        ).all()
    )


def delete(session: Session, user: User, saved_id: int) -> None:
    saved = session.get(SavedSearch, saved_id)
    if saved is None or saved.user_id != user.id:
        raise NotFound(_("No such saved search."))
    session.delete(saved)


def notify_new_matches(session: Session) -> int:
    """For every saved search, posts newer than the last check that match it become notifications
    (and mail, per the member's preference). Permissions apply: a member is told only of posts they
    may read. Returns the number of notifications."""
    newest = session.exec(select(func.max(Post.id))).one() or 0
    created = 0
    rows = session.exec(
        select(SavedSearch, User)
        .join(User, User.id == SavedSearch.user_id)
        .where(SavedSearch.last_post_id < newest, User.status == UserStatus.active)
    ).all()
    # One notification per member and post, however many of their searches match it, and none for
    # a post they were already notified of (a reply to them, a mention, a reply in a thread they
    # watch).
    told: set[tuple[int, int]] = set()
    for saved, user in rows:
        try:
            hits = service.new_matches(session, user, saved.query, after_post_id=saved.last_post_id)
        except Exception:  # noqa: BLE001  (a query that no longer parses must not stop the others)
            hits = []
        post_ids = [hit.post_id for hit in hits if (user.id, hit.post_id) not in told]
        if post_ids:
            told.update(
                (user.id, post_id)
                for post_id in session.exec(
                    select(Notification.post_id).where(
                        Notification.user_id == user.id, Notification.post_id.in_(post_ids)
                    )
                ).all()
            )
        # An unread "new replies" item in a watched thread stands for every post after its first
        # (it counts them up, keeping only the first post's id): those posts are told already.
        watched_from = dict(
            session.exec(
                select(Notification.thread_id, func.min(Notification.post_id))
                .where(
                    Notification.user_id == user.id,
                    Notification.kind == "watched_reply",
                    Notification.read_at.is_(None),
                    Notification.thread_id.in_({hit.thread_id for hit in hits}),
                )
                .group_by(Notification.thread_id)
            ).all()
            if hits
            else []
        )
        for hit in hits:
            if (user.id, hit.post_id) in told:
                continue
            if hit.post_id >= (watched_from.get(hit.thread_id) or hit.post_id + 1):
                continue
            told.add((user.id, hit.post_id))
            deliver_one(session, user, "saved_search", hit.thread_id, hit.post_id, actor=None)
            created += 1
        saved.last_post_id = newest
        session.add(saved)
    return created


def _behind():
    """Saved searches of active members that have not seen the newest post."""
    newest = select(func.max(Post.id)).scalar_subquery()
    return (
        select(SavedSearch.id)
        .join(User, User.id == SavedSearch.user_id)
        .where(SavedSearch.last_post_id < newest, User.status == UserStatus.active)
        .limit(1)
    )


def check_after_write(database) -> None:
    """Run after a new post commits (a background task): saved searches, then the outbox. Whether
    any saved search is behind is asked in a read first: on SQLite a write transaction takes the
    one writer's turn, and most posts find no saved search to check."""
    with database.unit_of_work(write=False) as session:
        behind = session.exec(_behind()).first() is not None
    if behind:
        with database.unit_of_work() as session:
            notify_new_matches(session)
    deliver_pending(database)
