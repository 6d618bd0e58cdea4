"""HTML routes for writing: a new thread, a reply (preview, drafts), editing, deleting and
revisions. Parse the form, call the service, redirect or re-render with the messages beside the
fields and the input kept."""

from fastapi import APIRouter, BackgroundTasks, Request

from app.db import SessionDep
from app.deps import CsrfProtected, CurrentUser
from app.errors import AppError
from app.forum import actions, drafts, permissions, queries, urls
from app.forum.schemas import ThreadCreate
from app.i18n import _
from app.sanitize import render_markdown
from app.search.saved import check_after_write
from app.taxonomy import service as taxonomy
from app.web import FormList, FormStr, redirect, render

router = APIRouter(dependencies=[CsrfProtected])


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
        return _new_thread_form(request, session, form, 422, errors=error.field_errors())
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
        return _reply_form(request, session, user, thread, parent, body, 422, errors=error.field_errors())
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
            {"post": post, "thread": thread, "form": form, "errors": error.field_errors()},
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
