"""HTML routes for reading a thread, and for bookmarks."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from app.db import SessionDep, sqlite_reads_inline
from app.deps import CsrfProtected, CurrentUser
from app.forum import bookmarks as bookmarks_service
from app.forum import fragments, queries, reading, urls
from app.i18n import _
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
    flat = view == "flat"
    page = reading.open_thread(session, user, thread, cursor, flat)
    posts_html = fragments.render_posts(
        templates.env,
        page.posts,
        thread=thread,
        user=user,
        flat=flat,
        max_indent=MAX_INDENT,
        can_moderate=page.can_moderate,
        token=csrf_token(request),
        field=CSRF_FIELD,
        bodies=lambda ids: queries.post_bodies(session, ids),
    )
    choices = page.choices
    return render(
        request,
        "forum/thread.html",
        {
            "t": page.view,
            "thread": thread,
            "posts_html": posts_html,
            "next_cursor": page.next_cursor,
            "flat": flat,
            "max_indent": MAX_INDENT,
            "watching": page.reader.watching,
            "reply_body": page.reader.draft_body,
            "can_moderate": page.can_moderate,
            "unread_notifications": page.unread_notifications,
            "sectors": choices.sectors if choices else [],
            "jurisdictions": choices.jurisdictions if choices else [],
            "instruments": choices.instruments if choices else [],
        },
    )
