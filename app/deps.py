"""Typed dependencies: who is asking, and whether a state-changing request is genuine."""

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from app.accounts import sign_in as sign_in_service
from app.accounts import tokens as tokens_service
from app.accounts.models import User
from app.accounts.sign_in import Authenticated
from app.config import get_settings
from app.db import SAFE_METHODS, SessionDep
from app.errors import Forbidden, Unauthorized
from app.i18n import _
from app.security import csrf_matches
from app.web import (
    CSRF_FIELD,
    CSRF_HEADER,
    client_ip,
    cookie_name,
    csrf_binding,
    delete_cookie,
    redirect,
    set_cookie,
)


class SignInRequired(Unauthorized):
    """Raised for pages: the page handler turns it into a redirect to the sign-in form."""


async def get_auth(request: Request, session: SessionDep) -> Authenticated | None:
    """The signed-in user, by Bearer token or by session cookie; resolved once per request.

    On SQLite, a read request's lookup (one indexed read, microseconds, never waiting on a lock in
    WAL mode; the session's "last seen" write is deferred) runs on the event loop: a thread-pool
    round trip would cost more than the lookup. Everything else goes through the thread pool."""
    if hasattr(request.state, "auth"):
        return request.state.auth
    if request.app.state.database.is_sqlite and not session.info.get("writes", True):
        auth = _resolve_auth(request, session)
    else:
        auth = await run_in_threadpool(_resolve_auth, request, session)
    request.state.auth = auth
    return auth


def _resolve_auth(request: Request, session) -> Authenticated | None:
    auth = None
    header = request.headers.get("authorization", "")
    if header:
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(
                _("Use an Authorization header of the form 'Bearer <token>'."),
                headers={"WWW-Authenticate": "Bearer"},
            )
        auth = tokens_service.resolve_api_token(session, token.strip())
        if auth is None:
            raise Unauthorized(
                _("This token is not valid, or was revoked."), headers={"WWW-Authenticate": "Bearer"}
            )
    else:
        auth = sign_in_service.resolve_session(session, request.cookies.get(cookie_name(request, "session")))
    return auth


AuthDep = Annotated[Authenticated | None, Depends(get_auth)]


async def get_optional_user(auth: AuthDep) -> User | None:
    return auth.user if auth else None


async def get_current_user(request: Request, auth: AuthDep) -> User:
    if auth is None:
        if request.url.path.startswith("/api/"):
            raise Unauthorized(
                _("Sign in, or send a personal access token."), headers={"WWW-Authenticate": "Bearer"}
            )
        raise SignInRequired(_("Sign in to continue."))
    return auth.user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]
CurrentUser = Annotated[User, Depends(get_current_user)]


def _origin_allowed(request: Request) -> bool:
    """Browsers say where a request comes from; a cross-site form post is refused outright."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True  # Older browsers and non-browser clients; the token still has to match.
    base = urlsplit(get_settings().base_url)
    allowed = {f"{request.url.scheme}://{request.headers.get('host', '')}", f"{base.scheme}://{base.netloc}"}
    return origin in allowed


async def verify_csrf(request: Request, auth: AuthDep) -> None:
    """On every state-changing request made with a cookie: a token bound to the session (or the
    pre-session), compared in constant time, and a same-origin check. Bearer-token API calls carry
    no ambient credentials and need neither."""
    if request.method in SAFE_METHODS or (auth is not None and auth.api_token is not None):
        return
    if request.url.path.startswith("/api/") and (auth is None or auth.user_session is None):
        # An API call with no cookie session carries no ambient credential to abuse (and sets
        # none): it is either a Bearer call or anonymous, like registration.
        return
    if not _origin_allowed(request):
        raise Forbidden(_("This request came from another site and was refused."))
    submitted = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if submitted is None and content_type.startswith("multipart/form-data"):
        # Uploads are streamed to disk by their route; reading the body here would spool it
        # whole. Their forms carry the token in the action URL instead.
        submitted = request.query_params.get(CSRF_FIELD)
    elif submitted is None and content_type.startswith("application/x-www-form-urlencoded"):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    if not csrf_matches(get_settings().resolved_secret_key(), csrf_binding(request), submitted):
        raise Forbidden(
            _("This form has expired or did not come from this site. Go back, reload the page and try again.")
        )


CsrfProtected = Depends(verify_csrf)


def start_signed_in(request: Request, session, user: User, target: str):
    """A new session for a member who has just proved who they are (sign-in, registration, a new
    password): its cookie set on a redirect to `target`, the pre-session cookie dropped."""
    raw = sign_in_service.start_session(
        session, user, ip_address=client_ip(request), user_agent=request.headers.get("user-agent", "")
    )
    response = redirect(request, target)
    set_cookie(response, request, "session", raw, max_age=get_settings().session_absolute_days * 86400)
    delete_cookie(response, request, "presession")
    return response
