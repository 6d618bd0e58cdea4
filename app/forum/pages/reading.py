"""HTML routes for reading a thread, and for bookmarks."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from app.accounts.permissions import can_moderate_sector
from app.db import SessionDep, sqlite_reads_inline
from app.deps import CsrfProtected, CurrentUser
from app.forum import actions, fragments, queries, urls
from app.forum import bookmarks as bookmarks_service
from app.i18n import _
from app.notifications import service as notifications
from app.taxonomy import service as taxonomy
from app.web import CSRF_FIELD, FormStr, csrf_token, redirect, render, templates

router = APIRouter(dependencies=[CsrfProtected])
# Nesting shown by indentation up to this depth; deeper replies continue flush with an
# "in reply to" link, so long exchanges stay readable on a narrow screen.
MAX_INDENT = 5


# --- Bookmarks, watching, notifications ------------------------------------------------------------


@router.post("/posts/{post_id}/bookmark", name="bookmark")
def bookmark(request: Request, session: SessionDep, user: CurrentUser, post_id: int, on: FormStr = "1"):
    post = bookmarks_service.set_bookmark(session, user, post_id, on == "1")
    message = _("Bookmarked.") if on == "1" else _("Bookmark removed.")
    return redirect(request, urls.post_url(post.thread_id, post.id), message)


@router.get("/bookmarks", name="bookmarks")
def bookmarks(request: Request, session: SessionDep, user: CurrentUser):
    return render(
        request, "forum/bookmarks.html", {"bookmarks": bookmarks_service.list_bookmarks(session, user)}
    )


# --- Reading a thread ----------------------------------------------------------------------------


@router.get("/t/{thread_id}", name="thread_page")
@router.get("/t/{thread_id}/{slug}", name="thread_page_slug")
@sqlite_reads_inline
def thread_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    thread_id: int,
    slug: str = "",
    view: str = "tree",
    cursor: str | None = None,
):
    thread = queries.get_thread(session, user, thread_id)
    if thread.merged_into_id:
        # Permalinks never break: a merged thread's address leads to the thread it joined.
        return RedirectResponse(f"/t/{thread.merged_into_id}", status_code=301)
    thread_view = queries.thread_views(session, None, [thread])[0]
    reader = queries.reader_state(session, user, thread)
    flat = view == "flat"
    posts, next_cursor = queries.thread_view(session, user, thread, cursor, flat=flat)
    last_read = reader.last_read_post_id or 0
    for post_view in posts:
        post_view.new = post_view.post.id > last_read and reader.last_read_post_id is not None
    # Opening a thread is reading it: the unread marker and its notifications catch up (after the
    # page's read transaction, and only when there is something to mark).
    actions.mark_thread_read(session, user, thread, reader.last_read_post_id)
    if reader.unread_here:
        notifications.mark_thread_notifications_read_later(session, user, thread.id)
    can_moderate = can_moderate_sector(session, user, thread.sector_id)
    choices = taxonomy.choices(session) if can_moderate else None
    posts_html = fragments.render_posts(
        templates.env,
        posts,
        thread=thread,
        user=user,
        flat=flat,
        max_indent=MAX_INDENT,
        can_moderate=can_moderate,
        token=csrf_token(request),
        field=CSRF_FIELD,
        bodies=lambda ids: queries.post_bodies(session, ids),
    )
    return render(
        request,
        "forum/thread.html",
        {
            "t": thread_view,
            "thread": thread,
            "posts_html": posts_html,
            "next_cursor": next_cursor,
            "flat": flat,
            "max_indent": MAX_INDENT,
            "watching": reader.watching,
            "reply_body": reader.draft_body,
            "thread_url": urls.thread_url(thread),
            "can_moderate": can_moderate,
            # Those about this thread are read now; "99+" stays "99+".
            "unread_notifications": (
                reader.unread_notifications - reader.unread_here
                if reader.unread_notifications < notifications.UNREAD_CAP
                else reader.unread_notifications
            ),
            # The moderator tools' choices, loaded only for those who see the tools.
            "sectors": choices.sectors if choices else [],
            "jurisdictions": choices.jurisdictions if choices else [],
            "instruments": choices.instruments if choices else [],
        },
    )
