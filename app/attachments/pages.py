"""HTML routes: attach documents to a post, the attachment page, the library, downloads."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.attachments import service
from app.attachments.models import DOCUMENT_KIND_LABELS
from app.attachments.transfer import download_response, upload_files
from app.db import SessionDep
from app.deps import CsrfProtected, CurrentUser
from app.errors import AppError, NotFound
from app.forum import permissions as forum_permissions
from app.forum import queries, urls
from app.i18n import _
from app.taxonomy import service as taxonomy
from app.web import FormStr, redirect, render, template_globals

router = APIRouter(dependencies=[CsrfProtected])
template_globals(document_kinds=DOCUMENT_KIND_LABELS)

KIND_LABELS = DOCUMENT_KIND_LABELS
LANGUAGES = {
    "": "Not specified",
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "ar": "Arabic",
    "pt": "Portuguese",
    "ru": "Russian",
    "zh": "Chinese",
    "de": "German",
    "it": "Italian",
    "nl": "Dutch",
    "other": "Other",
}


def _form_context(post, thread, **extra):
    return {"post": post, "thread": thread, "kinds": KIND_LABELS, "languages": LANGUAGES, **extra}


@router.get("/posts/{post_id}/attachments/new", name="attach_page")
def attach_page(request: Request, session: SessionDep, user: CurrentUser, post_id: int):
    post = queries.get_post(session, post_id)
    forum_permissions.check_can_see_post(user, post)
    if not service.can_attach(session, user, post):
        raise NotFound(_("No such post."))
    thread = queries.get_thread(session, user, post.thread_id)
    return render(request, "attachments/upload.html", _form_context(post, thread))


@router.post("/posts/{post_id}/attachments", name="attach")
async def attach(request: Request, session: SessionDep, user: CurrentUser, post_id: int):
    try:
        attachments = await upload_files(request, session, user, post_id)
    except AppError as error:
        if error.status_code in (403, 404):
            raise
        post = queries.get_post(session, post_id)
        thread = queries.get_thread(session, user, post.thread_id)
        return render(
            request,
            "attachments/upload.html",
            _form_context(post, thread, error=error.message),
            status_code=error.status_code,
        )
    post = queries.get_post(session, post_id)
    return redirect(
        request, urls.post_url(post.thread_id, post.id), _("%(n)d document(s) attached.", n=len(attachments))
    )


@router.get("/attachments/{attachment_id}", name="attachment_page")
def attachment_page(request: Request, session: SessionDep, user: CurrentUser, attachment_id: int):
    view = service.views(session, [service.get_attachment(session, user, attachment_id)])[0]
    return render(
        request,
        "attachments/attachment.html",
        {
            "view": view,
            "kinds": KIND_LABELS,
            "languages": LANGUAGES,
            "can_edit": service.can_edit_attachment(session, user, view.attachment, view.post),
        },
    )


@router.post("/attachments/{attachment_id}", name="attachment_update")
def attachment_update(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    attachment_id: int,
    kind: FormStr = "",
    tags: FormStr = "",
    language: FormStr = "",
):
    try:
        with session.begin_nested():
            service.update(session, user, attachment_id, kind=kind, tags=tags, language=language)
    except AppError as error:
        if error.status_code in (403, 404):
            raise
        return redirect(request, f"/attachments/{attachment_id}", error.message, "error")
    return redirect(request, f"/attachments/{attachment_id}", _("The document's details were saved."))


@router.post("/attachments/{attachment_id}/delete", name="attachment_delete")
def attachment_delete(request: Request, session: SessionDep, user: CurrentUser, attachment_id: int):
    attachment = service.remove(session, user, attachment_id)
    post = queries.get_post(session, attachment.post_id)
    return redirect(request, urls.post_url(post.thread_id, post.id), _("The document was removed."))


@router.get("/attachments/{attachment_id}/download", name="attachment_download")
def attachment_download(session: SessionDep, user: CurrentUser, attachment_id: int):
    attachment, _post, _thread = service.get_attachment(session, user, attachment_id)
    return download_response(attachment)


@router.get("/attachments/{attachment_id}/inline", name="attachment_inline")
def attachment_inline(session: SessionDep, user: CurrentUser, attachment_id: int):
    """Pictures shown in posts, from the same guarded route; anything else only downloads."""
    attachment, _post, _thread = service.get_attachment(session, user, attachment_id)
    return download_response(attachment, inline=attachment.content_type in ("image/png", "image/jpeg"))


@router.get("/library", name="library")
def library(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    filters: Annotated[service.LibraryFilters, Depends()],
    cursor: str | None = None,
):
    views, next_cursor = service.library(session, user, filters, cursor)
    return render(
        request,
        "attachments/library.html",
        {
            "views": views,
            "next_cursor": next_cursor,
            "filters": filters,
            "kinds": KIND_LABELS,
            "languages": LANGUAGES,
            "sectors": taxonomy.list_sectors(session),
            "jurisdictions": taxonomy.list_jurisdictions(session),
        },
    )
