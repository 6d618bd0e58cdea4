"""Password hashing (the only module that imports passlib), tokens, CSRF and security headers."""

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from passlib.context import CryptContext

# Argon2id at OWASP's first recommended setting (m=19 MiB, t=2, p=1): about 20 ms a hash here.
_passwords = CryptContext(
    schemes=["argon2"],
    argon2__type="ID",
    argon2__memory_cost=19 * 1024,
    argon2__time_cost=2,
    argon2__parallelism=1,
)


def hash_password(password: str) -> str:
    return _passwords.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _passwords.verify(password, password_hash)
    except ValueError:
        return False


# Verified against when the email is unknown, so that both answers take the same time.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def burn_password_check(password: str) -> None:
    verify_password(password, _DUMMY_HASH)


def new_token(prefix: str = "") -> str:
    """128 bits or more of randomness, URL-safe."""
    return prefix + secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token_for(secret_key: str, binding: str) -> str:
    """The CSRF token for a session (or pre-session), derived so nothing extra is stored."""
    return hmac.new(secret_key.encode(), b"csrf:" + binding.encode(), hashlib.sha256).hexdigest()


def csrf_matches(secret_key: str, binding: str, submitted: str | None) -> bool:
    if not submitted or not binding:
        return False
    return hmac.compare_digest(csrf_token_for(secret_key, binding), submitted)


def safe_next(target: str | None, default: str = "/") -> str:
    """A redirect target on this site only: a path, never a scheme or another host."""
    if not target:
        return default
    target = target.strip()
    # Browsers read "\" as "/", so "/\evil.example" would leave the site.
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(ch) < 32 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    """Pure ASGI middleware: adds the headers to every response, streaming ones included."""

    def __init__(self, app, hsts: bool = False):
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_docs = scope["path"] in ("/docs", "/redoc")
        # Our own CSS and JS may be cached; every other answer may hold confidential text.
        cache = "public, max-age=3600" if scope["path"].startswith("/static/") else "no-store"

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}

                def add(name: str, value: str) -> None:
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))

                # The API docs page loads its scripts from the package's CDN; it keeps a CSP
                # of its own rather than weakening ours for every page.
                if not is_docs:
                    add("content-security-policy", CSP)
                add("x-content-type-options", "nosniff")
                add("referrer-policy", "same-origin")
                add("x-frame-options", "DENY")
                add("cross-origin-opener-policy", "same-origin")
                add("permissions-policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
                add("cache-control", cache)
                if self.hsts:
                    add("strict-transport-security", "max-age=31536000; includeSubDomains")
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
