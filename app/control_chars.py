"""Control characters in what a request sends (NUL and the others but tab, newline and carriage
return): PostgreSQL refuses NUL in text and SQLite would store it, so neither engine ever sees one.

An API client is told, with a 422 that names the field (`{"detail", "errors": {field: message}}`,
the shape of every 422). A person's form is cleaned instead: text pasted from a word processor
carries vertical tabs and form feeds for line breaks, and refusing it would lose what they typed;
those become newlines and the rest is dropped. Query strings are treated the same way. Multipart
bodies (uploads) are not read here: their text fields are checked where they are parsed."""

import json
import re
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.i18n import _

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# JSON and form bodies up to this size are read here (a post's body is at most a few hundred KiB);
# larger ones pass through to the body-size checks of their routes.
LIMIT = 4 * 1024 * 1024
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_api_path(path: str) -> bool:
    """ "//api//v1//me" is an API address too."""
    path = re.sub("/+", "/", path)
    return path == "/api" or path.startswith("/api/")


def field_with_control(value, name: str = "") -> str | None:
    """The dotted name of the first string (or key) of a JSON value holding a control character."""
    if isinstance(value, str):
        return (name or "body") if CONTROL.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if CONTROL.search(str(key)):
                return name or "body"
            found = field_with_control(item, f"{name}.{key}" if name else str(key))
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = field_with_control(item, f"{name}.{index}" if name else str(index))
            if found:
                return found
    return None


def clean(text: str) -> str:
    """Line breaks a word processor writes as vertical tab or form feed become newlines; the other
    control characters are dropped."""
    return CONTROL.sub("", text.replace("\x0b", "\n").replace("\x0c", "\n"))


class ControlCharacters:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = is_api_path(scope["path"])
        query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        bad = next((key for key, value in query if CONTROL.search(key) or CONTROL.search(value)), None)
        if bad is not None:
            if api:
                await _refuse(send, bad)
                return
            scope = {**scope, "query_string": urlencode([(clean(k), clean(v)) for k, v in query]).encode()}
        kind = _body_kind(scope)
        if kind is None:
            await self.app(scope, receive, send)
            return
        body, disconnected = await _read(receive)
        if kind == "json":
            try:
                bad = field_with_control(json.loads(body)) if body else None
            except (ValueError, UnicodeDecodeError):
                bad = None  # not JSON: the route's own parsing says so
            if bad is not None:
                await _refuse(send, bad)
                return
        else:
            fields = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
            bad = next((key for key, value in fields if CONTROL.search(key) or CONTROL.search(value)), None)
            if bad is not None and api:
                await _refuse(send, bad)
                return
            if bad is not None:
                body = urlencode([(clean(k), clean(v)) for k, v in fields]).encode()
                headers = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
                scope = {**scope, "headers": [*headers, (b"content-length", str(len(body)).encode())]}
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            if disconnected:
                return {"type": "http.disconnect"}
            return await receive()

        await self.app(scope, replay, send)


def _body_kind(scope: Scope) -> str | None:
    if scope["method"] not in WRITES:
        return None
    headers = dict(scope["headers"])
    content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    try:
        length = int(headers[b"content-length"])
    except (KeyError, ValueError):
        return None  # a body of unknown length is not read here
    if length > LIMIT:
        return None
    if content_type == b"application/json" or content_type.endswith(b"+json"):
        return "json"
    if content_type == b"application/x-www-form-urlencoded":
        return "form"
    return None


async def _read(receive: Receive) -> tuple[bytes, bool]:
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), True
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks), False


async def _refuse(send: Send, field: str) -> None:
    message = _("Control characters (such as NUL) are not allowed here; only tab and newline are.")
    body = json.dumps({"detail": f"{field}: {message}", "errors": {field: message}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
