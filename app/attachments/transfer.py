"""Files in and out over HTTP, for the attachment page and the API alike: an upload streamed and
checked outside any transaction, and a download served in a sandbox."""

from fastapi import Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from app.attachments import service
from app.attachments.storage import get_storage
from app.attachments.upload import parse_upload
from app.config import get_settings


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
