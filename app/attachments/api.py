"""/api/v1 routes for attachments and the document library."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse

from app.attachments import service
from app.attachments.schemas import AttachmentPatch, AttachmentRead
from app.attachments.transfer import download_response, upload_files
from app.db import SessionDep
from app.deps import CsrfProtected, CurrentUser
from app.openapi import COMMON_ERRORS, error_responses, file_responses

router = APIRouter(tags=["attachments"], dependencies=[CsrfProtected], responses=COMMON_ERRORS)


def attachment_read(view: service.AttachmentView) -> AttachmentRead:
    attachment = view.attachment
    return AttachmentRead(
        id=attachment.id,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        sha256=attachment.sha256,
        kind=attachment.kind,
        tags=view.tags,
        language=attachment.language,
        post_id=attachment.post_id,
        thread_id=view.thread.id,
        jurisdictions=[j.code for j in view.jurisdictions],
        text_status=attachment.text_status,
        uploader_id=attachment.uploader_id,
        created_at=attachment.created_at,
        download_url=f"/api/v1/attachments/{attachment.id}/download",
    )


@router.post("/posts/{post_id}/attachments", status_code=201, responses=error_responses(413, 415))
async def upload(request: Request, session: SessionDep, user: CurrentUser, post_id: int):
    attachments = await upload_files(request, session, user, post_id)
    rows = [service.get_attachment(session, user, a.id) for a in attachments]
    items = [attachment_read(v) for v in service.views(session, rows)]
    return items[0] if len(items) == 1 else {"items": items, "next_cursor": None}


@router.get("/attachments", name="api_library")
def library(
    session: SessionDep,
    user: CurrentUser,
    filters: Annotated[service.LibraryFilters, Depends()],
    cursor: str | None = None,
):
    views, next_cursor = service.library(session, user, filters, cursor)
    return {"items": [attachment_read(v) for v in views], "next_cursor": next_cursor}


@router.get("/attachments/{attachment_id}", response_model=AttachmentRead)
def get(session: SessionDep, user: CurrentUser, attachment_id: int):
    return attachment_read(service.views(session, [service.get_attachment(session, user, attachment_id)])[0])


@router.patch("/attachments/{attachment_id}", response_model=AttachmentRead)
def patch(session: SessionDep, user: CurrentUser, attachment_id: int, data: AttachmentPatch):
    service.update(session, user, attachment_id, kind=data.kind, tags=data.tags, language=data.language)
    return attachment_read(service.views(session, [service.get_attachment(session, user, attachment_id)])[0])


@router.delete("/attachments/{attachment_id}", status_code=204)
def delete(session: SessionDep, user: CurrentUser, attachment_id: int):
    service.remove(session, user, attachment_id)


@router.get("/attachments/{attachment_id}/download", response_class=FileResponse, responses=file_responses())
def download(session: SessionDep, user: CurrentUser, attachment_id: int):
    attachment, _post, _thread = service.get_attachment(session, user, attachment_id)
    return download_response(attachment)
