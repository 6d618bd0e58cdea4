"""Accounts: password reset links, by mail or handed over by an administrator.

Services take the session and the acting user, check permissions, write, and never commit: the
request (or the CLI's unit of work) commits once.
"""

import hashlib
from datetime import timedelta

from sqlmodel import Session, select

from app import ratelimit
from app.accounts.models import PasswordReset, User, UserStatus
from app.accounts.passwords import password_problem
from app.accounts.sign_in import set_password
from app.accounts.users import get_user_by_email
from app.config import get_settings
from app.errors import Invalid, ValidationFailed
from app.i18n import _
from app.notifications.mail import queue_mail
from app.security import new_token, token_hash
from app.timeutil import utcnow


def _reset_fingerprint(user: User) -> str:
    return hashlib.sha256(f"{user.email}\0{user.password_hash}".encode()).hexdigest()


def new_reset(session: Session, user: User) -> str:
    raw = new_token()
    session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=token_hash(raw),
            fingerprint=_reset_fingerprint(user),
            expires_at=utcnow() + timedelta(minutes=get_settings().reset_minutes),
        )
    )
    return f"{get_settings().base_url.rstrip('/')}/password-reset/{raw}"


def request_password_reset(session: Session, email: str) -> None:
    """Mail a reset link if the account exists and may sign in. The caller shows the same message
    either way, so the form tells nobody whether an address has an account."""
    settings = get_settings()
    user = get_user_by_email(session, email)
    if user is None or user.status == UserStatus.deactivated:
        return
    key = f"reset:{user.id}"
    if ratelimit.exceeded(session, key, settings.reset_limit_per_hour, 3600):
        return  # Silently: an answer would tell the address exists.
    ratelimit.hit(session, key)
    url = new_reset(session, user)
    body = _(
        "Someone asked to reset the password of your %(site)s account.\n\n"
        "Open this link within an hour to choose a new password (it works once):\n%(url)s\n\n"
        "If it was not you, ignore this message: your password stays as it is.",
        site=settings.site_name,
        url=url,
    )
    queue_mail(session, user.email, _("Reset your %(site)s password", site=settings.site_name), body)


def reset_for_token(session: Session, raw_token: str) -> PasswordReset:
    reset = session.exec(
        select(PasswordReset).where(PasswordReset.token_hash == token_hash(raw_token or ""))
    ).first()
    user = session.get(User, reset.user_id) if reset else None
    if (
        reset is None
        or user is None
        or reset.used_at is not None
        or reset.expires_at <= utcnow()
        or reset.fingerprint != _reset_fingerprint(user)
    ):
        raise Invalid(
            _(
                "This reset link is not valid any more: it was used, it expired, or the password "
                "or email changed since. Ask for a new one."
            )
        )
    return reset


def reset_password(session: Session, raw_token: str, new_password: str) -> User:
    reset = reset_for_token(session, raw_token)
    user = session.get(User, reset.user_id)
    if problem := password_problem(new_password or "", user.email):
        raise ValidationFailed({"password": problem})
    reset.used_at = utcnow()
    session.add(reset)
    set_password(session, user, new_password)
    ratelimit.clear(session, f"signin:account:{user.email}")
    return user
