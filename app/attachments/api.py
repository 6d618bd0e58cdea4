"""/api/v1 routes for attachments and the document library."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from app.attachments import service
from app.attachments.schemas import AttachmentPatch, AttachmentRead
from app.attachments.storage import get_storage
from app.attachments.upload import parse_upload
from app.config import get_settings
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


def download_response(attachment, inline: bool = False) -> FileResponse:
    """Served as a download in a sandbox: the browser never runs or sniffs what an upload holds."""
    return FileResponse(
        service.file_path(attachment),
        media_type=attachment.content_type,
        filename=attachment.filename,
        content_disposition_type="inline" if inline else "attachment",
        headers={
            "etag": f'"{attachment.sha256}"',
            "content-security-policy": "sandbox; default-src 'none'",
            "x-content-type-options": "nosniff",
            "cache-control": "private, no-store",
        },
    )


async def upload_files(request: Request, session, user, post_id: int):
    """Check the permission, then end the transaction: on SQLite a write transaction holds the
    database's write lock, and nobody else may wait on a slow upload. The body is streamed, checked
    and its text extracted with no transaction open; the rows go in a short one afterwards."""
    service.check_can_attach(session, user, post_id)
    session.commit()
    parsed = await parse_upload(request, get_storage(), get_settings().max_upload_mb * 1024 * 1024)
    fields = {
        "kind": parsed.get("kind", "other"),
        "tags": parsed.get("tags"),
        "language": parsed.get("language"),
    }
    # Checking, hashing and text extraction are blocking work: off the event loop.
    files = await run_in_threadpool(lambda: service.prepare(parsed, **fields))
    return await run_in_threadpool(lambda: service.store(session, user, post_id, files, **fields))


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
