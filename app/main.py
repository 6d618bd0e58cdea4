"""create_app(): settings, database, middleware, routers, templates, static files, error handlers."""

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import openapi
from app.accounts import api as accounts_api
from app.accounts import pages as accounts_pages
from app.attachments import api as attachments_api
from app.attachments import pages as attachments_pages
from app.config import ROOT, Settings, get_settings, use_settings
from app.control_chars import ControlCharacters, is_api_path
from app.db import Database, make_engine
from app.deps import SignInRequired
from app.errors import AppError, ValidationFailed
from app.forum import api as forum_api
from app.forum import pages as forum_pages
from app.i18n import _
from app.moderation import api as moderation_api
from app.moderation import pages as moderation_pages
from app.notifications import api as notifications_api
from app.notifications import pages as notifications_pages
from app.pages import router as site_pages
from app.search import api as search_api
from app.search import pages as search_pages
from app.security import SecurityHeadersMiddleware
from app.taxonomy import pages as taxonomy_pages
from app.web import render

log = logging.getLogger(__name__)


def _is_api(request: Request) -> bool:
    # "//api//v1//me" is still an API address: its errors are JSON too.
    return is_api_path(request.url.path)


def _error_page(request: Request, status_code: int, message: str, headers: dict | None = None):
    response = render(
        request, "error.html", {"status_code": status_code, "message": message}, status_code=status_code
    )
    response.headers.update(headers or {})
    return response


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, error: SignInRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(AppError)
    async def app_error(request: Request, error: AppError):
        if _is_api(request):
            body: dict = {"detail": error.message}
            if isinstance(error, ValidationFailed):
                body["errors"] = error.errors
            return JSONResponse(body, status_code=error.status_code, headers=error.headers)
        return _error_page(request, error.status_code, error.message, error.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        message = error.detail if isinstance(error.detail, str) else _("Something went wrong.")
        if error.status_code == 404:
            message = _("There is no page at this address.") if not _is_api(request) else _("Not found.")
        if _is_api(request):
            return JSONResponse({"detail": message}, status_code=error.status_code, headers=error.headers)
        return _error_page(request, error.status_code, message, error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError):
        problems = [
            {
                "field": ".".join(str(part) for part in item["loc"][1:]) or str(item["loc"][0]),
                "message": item["msg"],
            }
            for item in error.errors()
        ]
        if _is_api(request):
            # One shape for every 422 (as ValidationFailed answers): a message per field.
            by_field: dict[str, str] = {}
            for problem in problems:
                known = by_field.get(problem["field"])
                by_field[problem["field"]] = f"{known}; {problem['message']}" if known else problem["message"]
            summary = "; ".join(f"{field}: {message}" for field, message in by_field.items())
            return JSONResponse(
                {"detail": summary or _("The request is not valid."), "errors": by_field}, status_code=422
            )
        return _error_page(request, 400, _("The form was incomplete or not valid. Go back and try again."))

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def number_too_large(request: Request, error: Exception):
        # An id beyond 64 bits (OverflowError on SQLite, "out of range" on PostgreSQL) names
        # nothing that exists; any other value the database refuses is a bad request.
        if isinstance(error, DataError) and "out of range" not in str(error.orig):
            log.warning("database refused a value on %s", request.url.path, exc_info=True)
            status, message = 400, _("The request holds a value that cannot be stored.")
        else:
            status, message = (
                404,
                (_("Not found.") if _is_api(request) else _("There is no page at this address.")),
            )
        if _is_api(request):
            return JSONResponse({"detail": message}, status_code=status)
        return _error_page(request, status, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception):
        log.exception("Unhandled error on %s %s", request.method, request.url.path)
        if _is_api(request):
            return JSONResponse({"detail": _("Internal error.")}, status_code=500)
        return _error_page(request, 500, _("Something went wrong on our side. Nothing was saved; try again."))


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = use_settings(settings or get_settings())
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.resolved_secret_key()
    app = FastAPI(
        title=settings.site_name,
        version="0.1.0",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    app.state.database = database or Database(make_engine(settings.resolved_database_url()))
    install_error_handlers(app)
    openapi.install(app)
    app.add_middleware(ControlCharacters)  # inside the security headers, which its 422s carry too
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.secure_cookies)
    app.mount("/static", StaticFiles(directory=str(ROOT / "static")), name="static")
    app.include_router(site_pages, include_in_schema=False)
    # The most visited pages first: routes are matched in order. No forum path is also an account path.
    app.include_router(forum_pages.router, include_in_schema=False)
    app.include_router(notifications_pages.router, include_in_schema=False)
    app.include_router(accounts_pages.router, include_in_schema=False)
    app.include_router(accounts_api.router, prefix="/api/v1")
    app.include_router(forum_api.router, prefix="/api/v1")
    app.include_router(notifications_api.router, prefix="/api/v1")
    app.include_router(taxonomy_pages.router, include_in_schema=False)
    app.include_router(moderation_pages.router, include_in_schema=False)
    app.include_router(attachments_pages.router, include_in_schema=False)
    app.include_router(search_pages.router, include_in_schema=False)
    app.include_router(search_api.router, prefix="/api/v1")
    app.include_router(attachments_api.router, prefix="/api/v1")
    app.include_router(moderation_api.router, prefix="/api/v1")
    return app
