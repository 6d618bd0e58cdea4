"""Opening a thread: everything the thread page shows its reader, and the reading it records.

The page's route renders what `open_thread` returns; the reads are a fixed number of queries
whatever the size of the thread, and the two writes (the reading marker, the thread's notifications
marked read) run after the page's read transaction, and only when there is something to mark."""

from dataclasses import dataclass

from sqlmodel import Session

from app.accounts.models import User
from app.accounts.permissions import can_moderate_sector
from app.forum import actions, queries
from app.forum.models import Thread
from app.notifications import service as notifications
from app.taxonomy import service as taxonomy


@dataclass
class ThreadPage:
    view: queries.ThreadView
    posts: list[queries.PostView]
    next_cursor: str | None
    reader: queries.ReaderState
    can_moderate: bool
    # The moderator tools' choices, loaded only for those who see the tools.
    choices: taxonomy.TaxonomyChoices | None
    # The header's count once this thread's notifications are read; "99+" stays "99+".
    unread_notifications: int


def open_thread(
    session: Session, user: User, thread: Thread, cursor: str | None = None, flat: bool = False
) -> ThreadPage:
    reader = queries.reader_state(session, user, thread)
    posts, next_cursor = queries.thread_view(session, user, thread, cursor, flat=flat)
    last_read = reader.last_read_post_id or 0
    for post_view in posts:
        post_view.new = post_view.post.id > last_read and reader.last_read_post_id is not None
    # Opening a thread is reading it: the unread marker and its notifications catch up.
    actions.mark_thread_read(session, user, thread, reader.last_read_post_id)
    if reader.unread_here:
        notifications.mark_thread_notifications_read_later(session, user, thread.id)
    can_moderate = can_moderate_sector(session, user, thread.sector_id)
    return ThreadPage(
        view=queries.thread_views(session, None, [thread])[0],
        posts=posts,
        next_cursor=next_cursor,
        reader=reader,
        can_moderate=can_moderate,
        choices=taxonomy.choices(session) if can_moderate else None,
        unread_notifications=(
            reader.unread_notifications - reader.unread_here
            if reader.unread_notifications < notifications.UNREAD_CAP
            else reader.unread_notifications
        ),
    )
