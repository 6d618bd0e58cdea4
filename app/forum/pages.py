"""HTML routes for discussions: lists, threads, writing (preview, drafts), editing, bookmarks,
coverage. Parse the form, call the service, redirect or re-render."""

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import RedirectResponse
from markupsafe import Markup

from app.accounts.permissions import can_moderate_sector
from app.cache import kept
from app.db import SessionDep, sqlite_reads_inline
from app.deps import CsrfProtected, CurrentUser
from app.errors import AppError, ValidationFailed
from app.forum import actions, drafts, fragments, overview, permissions, queries, urls
from app.forum import bookmarks as bookmarks_service
from app.forum.schemas import ThreadCreate
from app.i18n import _
from app.notifications import service as notifications
from app.sanitize import render_markdown
from app.search.saved import check_after_write
from app.taxonomy import service as taxonomy
from app.web import CSRF_FIELD, csrf_token, redirect, render, template_globals, templates

router = APIRouter(dependencies=[CsrfProtected])
template_globals(
    forum_permissions=permissions,
    thread_rows=lambda views: fragments.render_thread_rows(templates.env, views),
)
FormStr = Annotated[str, Form()]
FormList = Annotated[list[str], Form()]
# Nesting shown by indentation up to this depth; deeper replies continue flush with an
# "in reply to" link, so long exchanges stay readable on a narrow screen.
MAX_INDENT = 5


def _errors(error: AppError) -> dict[str, str]:
    return error.errors if isinstance(error, ValidationFailed) else {error.field or "_form": error.message}


# --- Lists ---------------------------------------------------------------------------------------


def _list_page(
    request: Request,
    session,
    user,
    filters: queries.ThreadFilters,
    heading: str,
    cursor: str | None,
    watch: tuple[str, str, int] | None = None,
    description: str = "",
    with_filters: bool = False,
):
    views, next_cursor = queries.list_threads(session, user, filters, cursor)
    watching = watch is not None and notifications.is_watching(session, user, watch[0], watch[2])
    return render(
        request,
        "forum/list.html",
        {
            "heading": heading,
            "description": description,
            "threads": views,
            "next_cursor": next_cursor,
            "filters": filters,
            "watch": watch,
            "watching": watching,
            # The filter form's choices (259 jurisdictions) only on the list that has the form.
            "with_filters": with_filters,
            "sectors": taxonomy.list_sectors(session) if with_filters else [],
            "jurisdictions": taxonomy.list_jurisdictions(session) if with_filters else [],
            "instruments": taxonomy.list_instruments(session) if with_filters else [],
        },
    )


@router.get("/", name="home")
@sqlite_reads_inline
def home(request: Request, session: SessionDep, user: CurrentUser):
    recent, _cursor = queries.list_threads(session, user, queries.ThreadFilters(), limit=10)
    return render(
        request, "forum/home.html", {"summaries": overview.sector_summaries(session), "recent": recent}
    )


@router.get("/threads", name="threads")
@sqlite_reads_inline
def threads(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    sector: str = "",
    jurisdiction: str = "",
    instrument: str = "",
    tag: str = "",
    cursor: str | None = None,
):
    filters = queries.ThreadFilters(
        sector=sector or None,
        jurisdiction=jurisdiction or None,
        instrument=instrument or None,
        tag=tag or None,
    )
    return _list_page(request, session, user, filters, _("All threads"), cursor, with_filters=True)


@router.get("/s/{slug}", name="sector_page")
@sqlite_reads_inline
def sector_page(
    request: Request, session: SessionDep, user: CurrentUser, slug: str, cursor: str | None = None
):
    sector = taxonomy.sector_by_slug(session, slug)
    return _list_page(
        request,
        session,
        user,
        queries.ThreadFilters(sector=slug),
        sector.name,
        cursor,
        watch=("sector", sector.slug, sector.id),
        description=sector.description,
    )


@router.get("/j/{code}", name="jurisdiction_page")
@sqlite_reads_inline
def jurisdiction_page(
    request: Request, session: SessionDep, user: CurrentUser, code: str, cursor: str | None = None
):
    jurisdiction = taxonomy.jurisdiction_by_code(session, code)
    return _list_page(
        request,
        session,
        user,
        queries.ThreadFilters(jurisdiction=code),
        jurisdiction.name,
        cursor,
        watch=("jurisdiction", jurisdiction.code, jurisdiction.id),
    )


@router.get("/i/{slug}", name="instrument_page")
@sqlite_reads_inline
def instrument_page(
    request: Request, session: SessionDep, user: CurrentUser, slug: str, cursor: str | None = None
):
    instrument = taxonomy.instrument_by_slug(session, slug)
    return _list_page(request, session, user, queries.ThreadFilters(instrument=slug), instrument.name, cursor)


@router.get("/tag/{name}", name="tag_page")
@sqlite_reads_inline
def tag_page(request: Request, session: SessionDep, user: CurrentUser, name: str, cursor: str | None = None):
    return _list_page(
        request,
        session,
        user,
        queries.ThreadFilters(tag=name),
        _("Tagged “%(tag)s”", tag=taxonomy.normalise_tag(name)),
        cursor,
    )


@router.get("/coverage", name="coverage")
@sqlite_reads_inline
def coverage(request: Request, session: SessionDep, user: CurrentUser, all: bool = False):
    # The table (thousands of cells over every thread) is the same for every member: rendered once
    # and kept until the forum's version moves.
    table = kept(session, ("coverage-table", all), lambda: _coverage_table(session, all))
    return render(request, "forum/coverage.html", {"table": table, "show_all": all})


def _coverage_table(session, show_all: bool) -> Markup:
    sectors, jurisdictions, cells = overview.coverage(session, all_jurisdictions=show_all)
    # Pairs of (jurisdiction code, count) per sector, built here: thousands of cells render faster
    # from a plain list than from lookups in the template.
    rows = [
        (sector, [(j.code, cells.get((sector.id, j.id), 0)) for j in jurisdictions]) for sector in sectors
    ]
    template = templates.env.get_template("forum/_coverage_table.html")
    html = template.render(rows=rows, jurisdictions=jurisdictions)
    return Markup(html)  # noqa: S704  (autoescaped template output)


# --- Writing a thread ----------------------------------------------------------------------------


def _new_thread_form(request: Request, session, form: dict, status_code: int = 200, **context):
    return render(
        request,
        "forum/new_thread.html",
        {
            "form": form,
            "sectors": taxonomy.list_sectors(session),
            "jurisdictions": taxonomy.list_jurisdictions(session),
            "instruments": taxonomy.list_instruments(session),
            **context,
        },
        status_code=status_code,
    )


@router.get("/threads/new", name="new_thread_page")
def new_thread_page(
    request: Request, session: SessionDep, user: CurrentUser, sector: str = "", jurisdiction: str = ""
):
    draft = drafts.get_draft(session, user, "thread")
    fields = drafts.draft_fields(draft)
    form = {
        "title": draft.title if draft else "",
        "body": draft.body if draft else "",
        "sector": fields.get("sector") or sector,
        "jurisdictions": fields.get("jurisdictions") or ([jurisdiction] if jurisdiction else []),
        "instruments": fields.get("instruments") or [],
        "tags": fields.get("tags") or "",
    }
    return _new_thread_form(
        request, session, form, draft_restored=bool(draft and (draft.body or draft.title))
    )


@router.post("/threads/new", name="new_thread")
def new_thread(
    request: Request,
    session: SessionDep,
    background: BackgroundTasks,
    user: CurrentUser,
    title: FormStr = "",
    body: FormStr = "",
    sector: FormStr = "",
    jurisdictions: FormList = None,
    instruments: FormList = None,
    tags: FormStr = "",
    action: FormStr = "publish",
    attach: FormStr = "",
):
    jurisdictions = [j for j in (jurisdictions or []) if j]
    instruments = [i for i in (instruments or []) if i]
    form = {
        "title": title,
        "body": body,
        "sector": sector,
        "jurisdictions": jurisdictions,
        "instruments": instruments,
        "tags": tags,
    }
    if action == "preview":
        return _new_thread_form(request, session, form, preview=render_markdown(body))
    if action == "save_draft":
        drafts.save_draft(
            session,
            user,
            "thread",
            title=title,
            body=body,
            fields={
                "sector": sector,
                "jurisdictions": jurisdictions,
                "instruments": instruments,
                "tags": tags,
            },
        )
        return _new_thread_form(request, session, form, draft_saved=True)
    try:
        with session.begin_nested():
            thread = actions.create_thread(
                session,
                user,
                ThreadCreate(
                    title=title[:500],
                    body=body,
                    sector=sector,
                    jurisdictions=jurisdictions[:20],
                    instruments=instruments[:20],
                    tags=tags,
                ),
            )
    except AppError as error:
        return _new_thread_form(request, session, form, 422, errors=_errors(error))
    background.add_task(check_after_write, request.app.state.database)
    if attach == "1":
        # "Attach documents" ticked while writing: the upload form for the new post comes next.
        return redirect(
            request, f"/posts/{thread.last_post_id}/attachments/new", _("Your thread was published.")
        )
    return redirect(request, urls.thread_url(thread), _("Your thread was published."))


# --- Replying ------------------------------------------------------------------------------------


def _reply_form(
    request: Request,
    session,
    user,
    thread,
    parent_id: int | None,
    body: str,
    status_code: int = 200,
    **context,
):
    parent = None
    if parent_id:
        parent, parent_author = queries.post_for_quote(session, user, parent_id)
        context["parent_author"] = parent_author
    return render(
        request,
        "forum/reply.html",
        {
            "thread": thread,
            "parent": parent,
            "form": {"body": body},
            "draft_key": drafts.reply_draft_key(thread.id, parent_id),
            **context,
        },
        status_code=status_code,
    )


@router.get("/t/{thread_id}/reply", name="reply_page")
def reply_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    thread_id: int,
    parent: int | None = None,
    quote: bool = False,
):
    thread = queries.get_thread(session, user, thread_id)
    draft = drafts.get_draft(session, user, drafts.reply_draft_key(thread.id, parent))
    body = draft.body if draft else ""
    if quote and parent:
        quoted, author = queries.post_for_quote(session, user, parent)
        body = queries.quote_markdown(quoted, author) + body
    return _reply_form(
        request, session, user, thread, parent, body, draft_restored=bool(draft and draft.body)
    )


@router.post("/t/{thread_id}/reply", name="reply")
def reply(
    request: Request,
    session: SessionDep,
    background: BackgroundTasks,
    user: CurrentUser,
    thread_id: int,
    body: FormStr = "",
    parent_id: FormStr = "",
    action: FormStr = "publish",
    attach: FormStr = "",
):
    thread = queries.get_thread(session, user, thread_id)
    parent = int(parent_id) if parent_id.isdecimal() else None
    if action == "preview":
        return _reply_form(request, session, user, thread, parent, body, preview=render_markdown(body))
    if action == "save_draft":
        drafts.save_draft(session, user, drafts.reply_draft_key(thread.id, parent), body=body)
        return _reply_form(request, session, user, thread, parent, body, draft_saved=True)
    try:
        with session.begin_nested():
            post = actions.reply(session, user, thread.id, body, parent)
    except AppError as error:
        if error.status_code == 403:
            raise
        return _reply_form(request, session, user, thread, parent, body, 422, errors=_errors(error))
    background.add_task(check_after_write, request.app.state.database)
    if attach == "1":
        return redirect(request, f"/posts/{post.id}/attachments/new", _("Your reply was posted."))
    return redirect(request, urls.post_url(thread, post.id), _("Your reply was posted."))


# --- Editing, deleting, revisions ------------------------------------------------------------------


@router.get("/posts/{post_id}/edit", name="edit_post_page")
def edit_post_page(request: Request, session: SessionDep, user: CurrentUser, post_id: int):
    post = queries.get_post(session, post_id)
    permissions.check_can_see_post(user, post)
    permissions.check_can_edit_post(
        user, post, queries.moderates_thread(session, user, queries.get_thread(session, user, post.thread_id))
    )
    thread = queries.get_thread(session, user, post.thread_id)
    return render(
        request,
        "forum/edit.html",
        {"post": post, "thread": thread, "form": {"body": post.body, "base_revision": post.revision}},
    )


@router.post("/posts/{post_id}/edit", name="edit_post")
def edit_post(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    post_id: int,
    body: FormStr = "",
    base_revision: FormStr = "0",
    reason: FormStr = "",
    action: FormStr = "save",
):
    post = queries.get_post(session, post_id)
    thread = queries.get_thread(session, user, post.thread_id)
    base = int(base_revision) if base_revision.isdecimal() else 0
    form = {"body": body, "base_revision": base, "reason": reason}
    if action == "preview":
        return render(
            request,
            "forum/edit.html",
            {"post": post, "thread": thread, "form": form, "preview": render_markdown(body)},
        )
    try:
        with session.begin_nested():
            post = actions.edit_post(session, user, post_id, body, base, reason)
    except actions.StaleEdit as error:
        # Nothing lost: the member's text comes back beside the current version, and the form now
        # builds on the current revision.
        return render(
            request,
            "forum/edit.html",
            {
                "post": error.current,
                "thread": thread,
                "conflict": error.message,
                "rejected": error.rejected,
                "form": {"body": body, "base_revision": error.current.revision, "reason": reason},
            },
            status_code=409,
        )
    except AppError as error:
        if error.status_code in (403, 404):
            raise
        return render(
            request,
            "forum/edit.html",
            {"post": post, "thread": thread, "form": form, "errors": _errors(error)},
            status_code=422,
        )
    return redirect(request, urls.post_url(thread, post.id), _("Your changes were saved."))


@router.post("/posts/{post_id}/delete", name="delete_post")
def delete_post(request: Request, session: SessionDep, user: CurrentUser, post_id: int):
    post = actions.delete_post(session, user, post_id)
    return redirect(request, urls.post_url(post.thread_id, post.id), _("Your post was deleted."))


@router.get("/posts/{post_id}/revisions", name="post_revisions")
def post_revisions(request: Request, session: SessionDep, user: CurrentUser, post_id: int):
    post, rows = queries.revisions(session, user, post_id)
    thread = queries.get_thread(session, user, post.thread_id)
    diffs = [
        (
            rows[i],
            rows[i - 1] if i else None,
            queries.diff_lines(rows[i - 1][0].body, rows[i][0].body) if i else [],
        )
        for i in range(len(rows))
    ]
    return render(
        request, "forum/revisions.html", {"post": post, "thread": thread, "diffs": list(reversed(diffs))}
    )


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
