"""What watches and notifications do when moderators merge or split threads: they follow the posts.

Called by the forum's curation verbs in the same transaction as the move."""

from sqlalchemy import update
from sqlmodel import Session, select

from app.notifications.models import Notification, Watch


def follow_merge(session: Session, source_id: int, target_id: int) -> None:
    """Notifications about the merged thread now lead to the thread it joined, and whoever watched
    it watches that thread (once)."""
    session.execute(
        update(Notification).where(Notification.thread_id == source_id).values(thread_id=target_id)
    )
    watchers = session.exec(
        select(Watch.user_id)
        .where(Watch.target_type == "thread", Watch.target_id == source_id)
        .where(
            Watch.user_id.not_in(
                select(Watch.user_id).where(Watch.target_type == "thread", Watch.target_id == target_id)
            )
        )
    ).all()
    session.add_all(
        [Watch(user_id=watcher, target_type="thread", target_id=target_id) for watcher in watchers]
    )


def follow_split(session: Session, moved_post_ids, new_thread_id: int) -> None:
    """Notifications about the posts split off (ids, or a subquery of them) lead to their new thread."""
    session.execute(
        update(Notification).where(Notification.post_id.in_(moved_post_ids)).values(thread_id=new_thread_id)
    )
