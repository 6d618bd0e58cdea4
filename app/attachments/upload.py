"""Streaming multipart parsing for uploads: the file goes to disk chunk by chunk, the size limit is
enforced while it arrives (413 at once, nothing left behind), and nothing is held whole in memory."""

from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from app.attachments.storage import LocalStorage
from app.errors import AppError, Invalid
from app.i18n import _

MAX_FIELD = 10_000
MAX_FILES = 10


class TooLarge(AppError):
    status_code = 413


@dataclass
class UploadedFile:
    filename: str
    path: Path
    size: int


@dataclass
class ParsedUpload:
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[UploadedFile] = field(default_factory=list)

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[0] if values else default

    def discard(self) -> None:
        for upload in self.files:
            upload.path.unlink(missing_ok=True)


async def parse_upload(request: Request, storage: LocalStorage, max_bytes: int) -> ParsedUpload:
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        raise Invalid(_("Send the file as multipart/form-data."))
    declared = request.headers.get("content-length")
    if declared and declared.isdecimal() and int(declared) > max_bytes * MAX_FILES + 1_000_000:
        raise TooLarge(_("The upload is larger than the limit of %(mb)d MB.", mb=max_bytes // (1024 * 1024)))

    result = ParsedUpload()
    state: dict = {
        "headers": {},
        "name": b"",
        "value": b"",
        "file": None,
        "path": None,
        "size": 0,
        "header_field": b"",
        "header_value": b"",
        "error": None,
    }

    def on_part_begin():
        state.update(headers={}, file=None, path=None, size=0, value=b"")

    def on_header_field(data, start, end):
        state["header_field"] += data[start:end]

    def on_header_value(data, start, end):
        state["header_value"] += data[start:end]

    def on_header_end():
        state["headers"][state["header_field"].lower()] = state["header_value"]
        state["header_field"], state["header_value"] = b"", b""

    def on_headers_finished():
        disposition, options = parse_options_header(state["headers"].get(b"content-disposition", b""))
        state["name"] = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            if len(result.files) >= MAX_FILES:
                state["error"] = Invalid(_("Send at most %(n)d files at once.", n=MAX_FILES))
                return
            file, path = storage.new_temp()
            state.update(file=file, path=path, filename=options[b"filename"].decode("utf-8", "replace"))

    def on_part_data(data, start, end):
        if state["error"]:
            return
        chunk = data[start:end]
        if state["file"] is not None:
            state["size"] += len(chunk)
            if state["size"] > max_bytes:
                state["error"] = TooLarge(
                    _("The file is larger than the limit of %(mb)d MB.", mb=max_bytes // (1024 * 1024))
                )
                return
            state["file"].write(chunk)
        else:
            state["value"] += chunk
            if len(state["value"]) > MAX_FIELD:
                state["error"] = TooLarge(
                    _(
                        "The field “%(name)s” is longer than %(n)d bytes.",
                        name=state["name"][:40],
                        n=MAX_FIELD,
                    )
                )

    def on_part_end():
        if state["file"] is not None:
            state["file"].close()
            upload = UploadedFile(state["filename"], state["path"], state["size"])
            result.files.append(upload)
            state["file"] = None
        elif state["name"]:
            result.fields.setdefault(state["name"], []).append(state["value"].decode("utf-8", "replace"))

    parser = MultipartParser(
        params[b"boundary"],
        {
            "on_part_begin": on_part_begin,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
        },
    )
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if state["error"]:
                raise state["error"]
        parser.finalize()
    except BaseException:
        if state["file"] is not None:
            state["file"].close()
            state["path"].unlink(missing_ok=True)
        result.discard()
        raise
    return result
