"""The OpenAPI document of the JSON API: the one error body, the statuses each route can answer, the
Bearer scheme, and the document served at /openapi.json as well as /api/v1/openapi.json.

Only /api/ routes are described (main.py includes the page routers with include_in_schema=False):
the HTML pages are for browsers, not for scripts."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from app.attachments.detect import CONTENT_TYPES


class ErrorBody(BaseModel):
    """Every refusal: a message, and for a form of fields a message per field."""

    # A stale edit (409) adds the post as it now is and the text that was sent.
    model_config = ConfigDict(extra="allow")

    detail: str
    errors: dict[str, str] | None = None


_DESCRIPTIONS = {
    400: "The request holds a value that cannot be used.",
    401: "No valid session or personal access token.",
    403: "Not allowed for this member, or a cookie request without its CSRF token.",
    404: "Nothing by that id (or not visible to this member).",
    409: "The change conflicts with the current state.",
    413: "The upload or a field is larger than allowed.",
    415: "The file is not of an accepted type.",
    422: "The request's fields are not valid; `errors` names each field.",
    429: "Too many attempts; try again later.",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route for the error statuses it can answer."""
    return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in codes}


# What any /api/ route can answer: a bad value, no credential, no permission (or no CSRF token on a
# cookie request), an unknown id, invalid fields.
COMMON_ERRORS = error_responses(400, 401, 403, 404, 422)


def file_responses() -> dict[int | str, dict[str, Any]]:
    """A download answers the document's own type, one of those accepted at upload."""
    media_types = {content_type.split(";")[0]: {} for content_type in CONTENT_TYPES.values()}
    return {200: {"description": "The document, as an attachment.", "content": media_types}}


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                routes=app.routes,
            )
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer", "description": "A personal access token."}
            }
            schema["security"] = [{"bearer": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi())
