"""HTML side: the Jinja2 environment (gettext, filters), render(), flash messages, CSRF, cookies."""

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import Response

from app.config import ROOT, get_settings
from app.i18n import get_translations
from app.security import csrf_token_for, new_token
from app.timeutil import iso

# Form fields as every HTML route declares them.
FormStr = Annotated[str, Form()]
FormList = Annotated[list[str], Form()]

_environment = Environment(
    loader=FileSystemLoader(str(ROOT / "templates")),
    # Templates change with a deploy, not while serving: no stat() of every template per page.
    auto_reload=False,
    autoescape=select_autoescape(),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
templates = Jinja2Templates(env=_environment)
templates.env.install_gettext_translations(get_translations(), newstyle=True)
# What a domain's templates need (its permissions, its labels) is registered by its pages.py:
# template_globals(...) for values, context_hook(...) for what every page shows (the header's counts).
ContextHook = Callable[[Request, Any, dict], None]
_CONTEXT_HOOKS: list[ContextHook] = []


def template_globals(**values: Any) -> None:
    templates.env.globals.update(values)


def context_hook(hook: ContextHook) -> ContextHook:
    """hook(request, user, context) fills in what every page shows, unless the route gave it."""
    _CONTEXT_HOOKS.append(hook)
    return hook


templates.env.filters["iso"] = iso
templates.env.filters["datetime"] = lambda value: value.strftime("%Y-%m-%d %H:%M") + " UTC" if value else ""
templates.env.filters["date"] = lambda value: value.strftime("%Y-%m-%d") if value else ""

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
FLASH_COOKIE = "forum_flash"


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def is_secure(request: Request) -> bool:
    return get_settings().secure_cookies or request.url.scheme == "https"


def cookie_name(request: Request, base: str) -> str:
    # Browsers accept a __Host- cookie only with Secure, which plain-HTTP development cannot set.
    return f"__Host-{base}" if is_secure(request) else base


def set_cookie(
    response: Response, request: Request, base: str, value: str, max_age: int | None = None
) -> None:
    response.set_cookie(
        cookie_name(request, base),
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=is_secure(request),
    )


def delete_cookie(response: Response, request: Request, base: str) -> None:
    response.delete_cookie(
        cookie_name(request, base), path="/", httponly=True, samesite="lax", secure=is_secure(request)
    )


# --- CSRF ---------------------------------------------------------------------------------------


def csrf_binding(request: Request) -> str:
    """What the CSRF token is bound to: the signed-in session, else the pre-session cookie that the
    sign-in and registration forms set (so nobody can sign a victim into the attacker's account)."""
    auth = getattr(request.state, "auth", None)
    if auth is not None and auth.user_session is not None:
        return auth.user_session.token_hash
    presession = getattr(request.state, "new_presession", None) or request.cookies.get(
        cookie_name(request, "presession")
    )
    return f"pre:{presession}" if presession else ""


def csrf_token(request: Request) -> str:
    binding = csrf_binding(request)
    if not binding:
        # First visit to a form: make a pre-session now; render() sets its cookie.
        request.state.new_presession = new_token()
        binding = csrf_binding(request)
    return csrf_token_for(get_settings().resolved_secret_key(), binding)


# --- Flash messages (a signed cookie, read once) -------------------------------------------------


def _sign(payload: bytes) -> str:
    key = get_settings().resolved_secret_key().encode()
    return hmac.new(key, b"flash:" + payload, hashlib.sha256).hexdigest()


def flash(response: Response, request: Request, message: str, category: str = "success", **extra) -> None:
    messages = list(getattr(request.state, "pending_flash", []))
    messages.append({"message": message, "category": category, **extra})
    request.state.pending_flash = messages
    payload = base64.urlsafe_b64encode(json.dumps(messages).encode())
    set_cookie(response, request, FLASH_COOKIE, payload.decode() + "." + _sign(payload), max_age=300)


def _read_flash(request: Request) -> list[dict]:
    raw = request.cookies.get(cookie_name(request, FLASH_COOKIE))
    if not raw or "." not in raw:
        return []
    payload, signature = raw.rsplit(".", 1)
    if not hmac.compare_digest(_sign(payload.encode()), signature):
        return []
    try:
        return json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return []


def redirect(
    request: Request, url: str, message: str | None = None, category: str = "success", **extra
) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    if message:
        flash(response, request, message, category, **extra)
    return response


# --- Rendering -----------------------------------------------------------------------------------


def _once(compute):
    value: list[str] = []

    def cached() -> str:
        if not value:
            value.append(compute())
        return value[0]

    return cached


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    auth = getattr(request.state, "auth", None)
    messages = _read_flash(request)
    user = auth.user if auth else None
    context = context or {}
    for hook in _CONTEXT_HOOKS:
        hook(request, user, context)
    ctx = {
        "request": request,
        "user": user,
        "settings": get_settings(),
        "messages": messages,
        "csrf_field": CSRF_FIELD,
        # Computed once per page, however many forms the page holds.
        "csrf_token": _once(lambda: csrf_token(request)),
        "errors": {},
        "form": {},
    }
    ctx.update(context)
    response = templates.TemplateResponse(request, template, ctx, status_code=status_code)
    if messages:
        delete_cookie(response, request, FLASH_COOKIE)
    if new_presession := getattr(request.state, "new_presession", None):
        set_cookie(response, request, "presession", new_presession)
    return response
