"""Accounts: signing in, server-side sessions and passwords (changing one ends every session).

Services take the session and the acting user, check permissions, write, and never commit: the
request (or the CLI's unit of work) commits once.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, update
from sqlmodel import Session, select

from app import ratelimit
from app.accounts.models import ApiToken, User, UserSession, UserStatus
from app.accounts.passwords import password_problem
from app.accounts.users import clean_text, get_user_by_email, normalise_email
from app.config import get_settings
from app.db import write_soon
from app.errors import Forbidden, NotFound, RateLimited, Unauthorized, ValidationFailed
from app.i18n import _
from app.security import burn_password_check, hash_password, new_token, token_hash, verify_password
from app.timeutil import utcnow

# Sessions are touched at most this often, so reading pages does not write on every request.
TOUCH_INTERVAL = timedelta(minutes=5)


def change_password(session: Session, user: User, *, current: str, new: str) -> None:
    """Change the password and end every session and reset link; the caller starts a new session."""
    if not verify_password(current or "", user.password_hash):
        raise ValidationFailed({"current_password": _("Your current password is not right.")})
    if problem := password_problem(new or "", user.email):
        raise ValidationFailed({"new_password": problem})
    set_password(session, user, new)


def set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    session.add(user)
    # Whoever knew the old password may have made sessions or tokens with it: all end.
    end_all_sessions(session, user)
    revoke_all_tokens(session, user)


def authenticate(session: Session, email: str, password: str, ip_address: str) -> User:
    """The user whose email and password these are, or Unauthorized: the same answer for an unknown
    email, a wrong password and an account that cannot sign in, so nobody learns who has one.

    Failures are counted per account and per address; past the limit the answer is 429 even for
    the right password, which is what stops guessing.
    """
    settings = get_settings()
    email = normalise_email(email)
    account_key, address_key = f"signin:account:{email}", f"signin:address:{ip_address}"
    window = settings.signin_window_seconds
    if ratelimit.exceeded(session, account_key, settings.signin_account_limit, window) or ratelimit.exceeded(
        session, address_key, settings.signin_address_limit, window
    ):
        raise RateLimited(
            _("Too many failed sign-in attempts. Wait 15 minutes, or reset your password."),
            headers={"Retry-After": str(window)},
        )
    user = get_user_by_email(session, email) if email else None
    if user is None:
        burn_password_check(password or "")
        ok = False
    else:
        ok = verify_password(password or "", user.password_hash) and user.status != UserStatus.deactivated
    if not ok:
        ratelimit.hit(session, account_key)
        ratelimit.hit(session, address_key)
        raise Unauthorized(_("The email address or password is not right."))
    ratelimit.clear(session, account_key)
    if user.is_suspended(utcnow()):
        # Only someone who knows the password learns this, and the member is owed the reason.
        until = user.suspended_until.strftime("%Y-%m-%d") if user.suspended_until else _("further notice")
        raise Forbidden(
            _(
                "Your account is suspended until %(until)s. Reason: %(reason)s",
                until=until,
                reason=user.suspension_reason,
            )
        )
    return user


def start_session(session: Session, user: User, *, ip_address: str = "", user_agent: str = "") -> str:
    """A new server-side session; returns the raw token for the cookie (only its hash is kept).
    A new token at every sign-in is what defeats session fixation."""
    raw = new_token()
    session.add(
        UserSession(
            user_id=user.id,
            token_hash=token_hash(raw),
            ip_address=ip_address[:64],
            user_agent=clean_text(user_agent, 300),
        )
    )
    return raw


@dataclass
class Authenticated:
    user: User
    user_session: UserSession | None = None
    api_token: ApiToken | None = None


# Built once: every signed-in request runs it.
SESSION_LOOKUP = (
    select(UserSession, User)
    .join(User, User.id == UserSession.user_id)
    .where(UserSession.token_hash == bindparam("token_hash"))
)


def resolve_session(session: Session, raw_token: str | None) -> Authenticated | None:
    """The live session and user for a cookie's token, or None when unknown, revoked, expired or
    the account cannot sign in (suspension takes effect on the next request)."""
    if not raw_token:
        return None
    now = utcnow()
    settings = get_settings()
    row = session.execute(SESSION_LOOKUP, {"token_hash": token_hash(raw_token)}).first()
    if row is None:
        return None
    user_session, user = row
    if user_session.revoked_at is not None or not user.can_sign_in(now):
        return None
    if now - user_session.last_seen_at > timedelta(minutes=settings.session_idle_minutes):
        return None
    if now - user_session.created_at > timedelta(days=settings.session_absolute_days):
        return None
    if now - user_session.last_seen_at > TOUCH_INTERVAL:
        # An UPDATE of one column, not a read-modify-write of the row.
        session_id = user_session.id
        write_soon(
            session,
            lambda s: s.execute(
                update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now)
            ),
        )
    return Authenticated(user=user, user_session=user_session)


def end_session(session: Session, user_session: UserSession) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.id == user_session.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_all_tokens(session: Session, user: User) -> None:
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def end_all_sessions(session: Session, user: User, *, keep: UserSession | None = None) -> int:
    statement = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if keep is not None:
        statement = statement.where(UserSession.id != keep.id)
    return session.execute(statement.values(revoked_at=utcnow())).rowcount


def list_sessions(session: Session, user: User) -> list[UserSession]:
    now = utcnow()
    settings = get_settings()
    rows = session.exec(
        select(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.revoked_at.is_(None),
            UserSession.last_seen_at > now - timedelta(minutes=settings.session_idle_minutes),
            UserSession.created_at > now - timedelta(days=settings.session_absolute_days),
        )
        .order_by(UserSession.last_seen_at.desc())
    ).all()
    return list(rows)


def end_own_session(session: Session, user: User, session_id: int) -> None:
    target = session.get(UserSession, session_id)
    # Another user's session is "not found", not "forbidden": IDs reveal nothing.
    if target is None or target.user_id != user.id:
        raise NotFound(_("No such session."))
    end_session(session, target)
