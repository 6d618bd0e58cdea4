"""Bookmarks: the posts a member keeps to come back to."""

from sqlmodel import Session, select

from app.accounts.models import User
from app.forum import permissions
from app.forum.models import (
    Bookmark,
    Post,
    Thread,
)
from app.forum.queries import get_post


def set_bookmark(session: Session, user: User, post_id: int, on: bool) -> Post:
    post = get_post(session, post_id)
    permissions.check_can_see_post(user, post)
    existing = session.get(Bookmark, (user.id, post.id))
    if on and existing is None:
        session.add(Bookmark(user_id=user.id, post_id=post.id))
    elif not on and existing is not None:
        session.delete(existing)
    return post


def list_bookmarks(session: Session, user: User) -> list[tuple[Bookmark, Post, Thread, User | None]]:
    rows = session.exec(
        select(Bookmark, Post, Thread, User)
        .join(Post, Post.id == Bookmark.post_id)
        .join(Thread, Thread.id == Post.thread_id)
        .outerjoin(User, User.id == Post.author_id)
        .where(Bookmark.user_id == user.id)
        .order_by(Bookmark.created_at.desc())
        .limit(500)
    ).all()
    # A post hidden since it was bookmarked disappears from the list for those who cannot see it.
    return [row for row in rows if permissions.can_see_post_body(user, row[1])]
