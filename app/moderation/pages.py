"""HTML routes for moderation: reports, post and thread actions, tags, dashboard and audit log."""

import re
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.db import SessionDep
from app.deps import CsrfProtected, CurrentUser
from app.errors import AppError, ValidationFailed
from app.forum import curation, queries, urls
from app.i18n import _
from app.moderation import service
from app.moderation.schemas import AuditPageQuery
from app.web import FormList, FormStr, redirect, render

router = APIRouter(dependencies=[CsrfProtected])

REASON_LABELS = {
    "off_topic": "Off-topic",
    "inappropriate": "Inappropriate",
    "confidential": "Confidential information",
    "spam": "Spam",
    "other": "Other",
}


def _back_to_thread(request: Request, thread_id: int, message: str, category: str = "success"):
    return redirect(request, f"/t/{thread_id}", message, category)


def _attempt(request: Request, session, thread_id: int, action, success: str):
    """Run a moderation verb; a refused one comes back as a message on the thread page."""
    try:
        with session.begin_nested():
            changed = action()
    except ValidationFailed as error:
        return _back_to_thread(request, thread_id, error.message, "error")
    except AppError as error:
        if error.status_code in (403, 404):
            raise
        return _back_to_thread(request, thread_id, error.message, "error")
    return _back_to_thread(request, thread_id, success if changed is not False else _("Nothing to change."))


# --- Reports -------------------------------------------------------------------------------------


@router.get("/posts/{post_id}/report", name="report_page")
def report_page(request: Request, session: SessionDep, user: CurrentUser, post_id: int):
    post, author = queries.post_for_quote(session, user, post_id)
    return render(
        request, "moderation/report.html", {"post": post, "author": author, "reasons": REASON_LABELS}
    )


@router.post("/posts/{post_id}/report", name="report")
def report(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    post_id: int,
    reason: FormStr = "",
    note: FormStr = "",
):
    post, author = queries.post_for_quote(session, user, post_id)
    try:
        with session.begin_nested():
            service.report_post(session, user, post_id, reason, note)
    except AppError as error:
        if error.status_code in (403, 404):
            raise
        status = 409 if error.status_code == 409 else 422
        return render(
            request,
            "moderation/report.html",
            {
                "post": post,
                "author": author,
                "reasons": REASON_LABELS,
                "errors": {"reason": error.message},
                "form": {"reason": reason, "note": note},
            },
            status_code=status,
        )
    return redirect(
        request,
        urls.post_url(post.thread_id, post.id),
        _("Thank you. The moderators will look at your report; you will hear the outcome."),
    )


@router.get("/moderation", name="moderation_dashboard")
def moderation_dashboard(request: Request, session: SessionDep, user: CurrentUser):
    return render(
        request,
        "moderation/dashboard.html",
        {"dashboard": service.dashboard(session, user), "reasons": REASON_LABELS},
    )


@router.get("/moderation/reports", name="report_queue")
def report_queue(request: Request, session: SessionDep, user: CurrentUser):
    return render(
        request,
        "moderation/queue.html",
        {"groups": service.open_reports(session, user), "reasons": REASON_LABELS},
    )


@router.post("/moderation/reports/{post_id}", name="resolve_reports")
def resolve_reports(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    post_id: int,
    action: FormStr = "",
    reason: FormStr = "",
):
    try:
        with session.begin_nested():
            count = service.resolve_reports(session, user, post_id, action, reason)
    except AppError as error:
        if error.status_code in (403, 404):
            raise
        return redirect(request, "/moderation/reports", error.message, "error")
    message = _("The post is hidden.") if action == "hide" else _("The reports were dismissed.")
    return redirect(request, "/moderation/reports", f"{message} ({count})")


# --- Posts ---------------------------------------------------------------------------------------


def _post_verb(path: str, name: str, verb, success):
    """A route for a verb on a post that takes only a reason; `success` gives the message."""

    def route(request: Request, session: SessionDep, user: CurrentUser, post_id: int, reason: FormStr = ""):
        post = queries.get_post(session, post_id)
        return _attempt(
            request, session, post.thread_id, lambda: verb(session, user, post_id, reason), success()
        )

    route.__name__ = name
    router.post(f"/posts/{{post_id}}/{path}", name=name)(route)


def _thread_verb(path: str, name: str, verb, success):
    """A route for a verb on a thread that takes only a reason; `success` gives the message."""

    def route(request: Request, session: SessionDep, user: CurrentUser, thread_id: int, reason: FormStr = ""):
        return _attempt(
            request, session, thread_id, lambda: verb(session, user, thread_id, reason), success()
        )

    route.__name__ = name
    router.post(f"/threads/{{thread_id}}/{path}", name=name)(route)


_post_verb("hide", "hide_post", curation.hide_post, lambda: _("The post is hidden."))
_post_verb("unhide", "unhide_post", curation.unhide_post, lambda: _("The post is visible again."))
_thread_verb("lock", "lock_thread", curation.lock_thread, lambda: _("The thread is locked."))
_thread_verb("unlock", "unlock_thread", curation.unlock_thread, lambda: _("The thread is open again."))
_thread_verb("unpin", "unpin_thread", curation.unpin_thread, lambda: _("The thread is unpinned."))


@router.post("/threads/{thread_id}/pin", name="pin_thread")
def pin_thread(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    thread_id: int,
    site_wide: FormStr = "",
    reason: FormStr = "",
):
    return _attempt(
        request,
        session,
        thread_id,
        lambda: curation.pin_thread(session, user, thread_id, site_wide == "1", reason),
        _("The thread is pinned."),
    )


@router.post("/threads/{thread_id}/move", name="move_thread")
def move_thread(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    thread_id: int,
    sector: FormStr = "",
    reason: FormStr = "",
):
    return _attempt(
        request,
        session,
        thread_id,
        lambda: curation.move_thread(session, user, thread_id, sector, reason),
        _("The thread was moved."),
    )


@router.post("/threads/{thread_id}/taxonomy", name="retag_thread")
def retag_thread(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    thread_id: int,
    jurisdictions: FormList = None,
    instruments: FormList = None,
    tags: FormStr = "",
    reason: FormStr = "",
):
    return _attempt(
        request,
        session,
        thread_id,
        lambda: curation.set_thread_taxonomy(
            session,
            user,
            thread_id,
            jurisdictions=[j for j in jurisdictions or [] if j][:20],
            instruments=[i for i in instruments or [] if i][:20],
            tags=tags,
            reason=reason,
        ),
        _("Jurisdictions, instruments and tags were updated."),
    )


@router.post("/threads/{thread_id}/merge", name="merge_thread")
def merge_thread(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    thread_id: int,
    target: FormStr = "",
    reason: FormStr = "",
):
    # The target as a number, or a pasted permalink (/t/42/slug#post-7).
    match = re.search(r"(?:/t/)?(\d+)", target or "")
    target_id = int(match.group(1)) if match else 0
    try:
        with session.begin_nested():
            merged = curation.merge_threads(session, user, thread_id, target_id, reason)
    except AppError as error:
        if error.status_code == 403:
            raise
        return _back_to_thread(
            request,
            thread_id,
            error.message if target_id else _("Enter the number or address of the thread to merge into."),
            "error",
        )
    return redirect(request, urls.thread_url(merged), _("The threads were merged."))


@router.get("/t/{thread_id}/split", name="split_page")
def split_page(request: Request, session: SessionDep, user: CurrentUser, thread_id: int):
    thread = curation.thread_for_moderation(session, user, thread_id)
    posts, _cursor = queries.thread_view(session, user, thread, limit=1000, texts=True)
    return render(request, "moderation/split.html", {"thread": thread, "posts": posts})


@router.post("/t/{thread_id}/split", name="split")
def split(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    thread_id: int,
    posts: FormList = None,
    title: FormStr = "",
    reason: FormStr = "",
):
    post_ids = [int(p) for p in posts or [] if p.isdecimal()]
    try:
        with session.begin_nested():
            new = curation.split_thread(session, user, thread_id, post_ids, title, reason)
    except AppError as error:
        if error.status_code in (403, 404):
            raise
        thread = curation.thread_for_moderation(session, user, thread_id)
        views, _cursor = queries.thread_view(session, user, thread, limit=1000, texts=True)
        return render(
            request,
            "moderation/split.html",
            {"thread": thread, "posts": views, "chosen": post_ids, "title": title, "error": error.message},
            status_code=422,
        )
    return redirect(request, urls.thread_url(new), _("The chosen posts now form this thread."))


# --- Tags ----------------------------------------------------------------------------------------


@router.get("/moderation/tags", name="tags_page")
def tags_page(request: Request, session: SessionDep, user: CurrentUser):
    rows = service.tag_counts(session, user)
    return render(request, "moderation/tags.html", {"tags": rows})


@router.post("/moderation/tags/rename", name="rename_tag")
def rename_tag(
    request: Request, session: SessionDep, user: CurrentUser, old_name: FormStr = "", new_name: FormStr = ""
):
    try:
        with session.begin_nested():
            tag = service.rename_tag(session, user, old_name, new_name)
    except AppError as error:
        if error.status_code == 403:
            raise
        return redirect(request, "/moderation/tags", error.message, "error")
    return redirect(request, "/moderation/tags", _("The tag is now “%(name)s”.", name=tag.name))


# --- Audit log -----------------------------------------------------------------------------------


@router.get("/audit-log", name="audit_log")
def audit_log(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    query: Annotated[AuditPageQuery, Query()],
    cursor: str | None = None,
):
    form = query.model_dump()
    try:
        filters = service.audit_filters(**query.filters())
        rows, next_cursor = service.audit_entries(session, user, filters, cursor)
        error = None
    except AppError as exc:
        if exc.status_code == 403:
            raise
        rows, next_cursor, error = [], None, exc.message
    return render(
        request,
        "moderation/audit_log.html",
        {
            "rows": rows,
            "next_cursor": next_cursor,
            "form": form,
            "error": error,
            "query": urlencode({k: v for k, v in form.items() if v}),
        },
    )


@router.get("/audit-log.csv", name="audit_log_csv")
def audit_log_csv(
    request: Request, session: SessionDep, user: CurrentUser, query: Annotated[AuditPageQuery, Query()]
):
    filters = service.audit_filters(**query.filters())
    content = service.audit_csv(session, user, filters)
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )
