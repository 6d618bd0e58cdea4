"""Accounts: every query and state change for users, sessions, tokens, invitations and resets.

Services take the session and the acting user, check permissions, write, and never commit: the
request (or the CLI's unit of work) commits once.
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, update
from sqlmodel import Session, select

from app import ratelimit
from app.accounts import permissions
from app.accounts.countries import is_country
from app.accounts.models import ApiToken, Invitation, PasswordReset, Role, User, UserSession, UserStatus
from app.accounts.passwords import password_problem
from app.audit import record
from app.config import get_settings
from app.db import write_soon
from app.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited, Unauthorized, ValidationFailed
from app.i18n import _
from app.notifications.mail import queue_mail
from app.security import burn_password_check, hash_password, new_token, token_hash, verify_password
from app.timeutil import utcnow

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Sessions are touched at most this often, so reading pages does not write on every request.
TOUCH_INTERVAL = timedelta(minutes=5)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def email_problem(email: str) -> str | None:
    if not email:
        return _("Enter an email address.")
    if len(email) > 320 or not EMAIL_PATTERN.match(email):
        return _("Enter an email address in the right format, like name@example.org.")
    return None


def _clean_text(value: str | None, limit: int) -> str:
    # Control characters have no place in names; they could also forge lines in mail headers.
    return "".join(ch for ch in (value or "") if ch.isprintable()).strip()[:limit]


def _profile_errors(name: str, country: str, organisation: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Enter your name as colleagues should see it.")
    elif len(name) > 120:
        errors["name"] = _("Use at most 120 characters for your name.")
    if len(organisation) > 200:
        errors["organisation"] = _("Use at most 200 characters for the organisation.")
    if country and not is_country(country):
        errors["country"] = _("Choose a country from the list.")
    return errors


# --- Users -------------------------------------------------------------------------------------


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def admin_exists(session: Session) -> bool:
    return session.exec(select(User.id).where(User.role == Role.admin).limit(1)).first() is not None


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    role: str = Role.expert,
    organisation: str = "",
    country: str = "",
) -> User:
    """Create an account after checking every field; nothing is written when one is wrong."""
    email = normalise_email(email)
    name = _clean_text(name, 200)
    organisation = _clean_text(organisation, 300)
    country = (country or "").strip().upper()
    errors = _profile_errors(name, country, organisation)
    if problem := email_problem(email):
        errors["email"] = problem
    if problem := password_problem(password or "", email):
        errors["password"] = problem
    if role not in Role.__members__:
        errors["role"] = _("Choose a role: expert, moderator or admin.")
    if errors:
        raise ValidationFailed(errors)
    if get_user_by_email(session, email):
        raise Conflict(_("An account with this email address already exists."), field="email")
    user = User(
        email=email,
        display_name=name,
        organisation=organisation,
        country=country,
        role=role,
        handle=_free_handle(session, name, email),
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    return user


def handle_base(name: str, email: str = "") -> str:
    """ "Amina Diallo-Ndiaye" → "amina.diallo-ndiaye": ASCII, for typing @mentions on any keyboard."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9_-]+", ".", ascii_name.lower()).strip(".-_")[:30]
    return base or re.sub(r"[^a-z0-9]+", ".", email.split("@")[0].lower()).strip(".")[:30] or "member"


def _free_handle(session: Session, name: str, email: str) -> str:
    base = handle_base(name, email)
    taken = set(session.exec(select(User.handle).where(User.handle.startswith(base))).all())
    if base not in taken:
        return base
    number = 2
    while f"{base}{number}" in taken:
        number += 1
    return f"{base}{number}"


def update_profile(session: Session, user: User, *, name: str, organisation: str, country: str) -> User:
    name = _clean_text(name, 200)
    organisation = _clean_text(organisation, 300)
    country = (country or "").strip().upper()
    if errors := _profile_errors(name, country, organisation):
        raise ValidationFailed(errors)
    user.display_name, user.organisation, user.country = name, organisation, country
    session.add(user)
    return user


def change_password(session: Session, user: User, *, current: str, new: str) -> None:
    """Change the password and end every session and reset link; the caller starts a new session."""
    if not verify_password(current or "", user.password_hash):
        raise ValidationFailed({"current_password": _("Your current password is not right.")})
    if problem := password_problem(new or "", user.email):
        raise ValidationFailed({"new_password": problem})
    _set_password(session, user, new)


def _set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    session.add(user)
    # Whoever knew the old password may have made sessions or tokens with it: all end.
    end_all_sessions(session, user)
    revoke_all_tokens(session, user)


# --- Sign-in and sessions ----------------------------------------------------------------------


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
            user_agent=_clean_text(user_agent, 300),
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


# --- Personal access tokens --------------------------------------------------------------------


def create_api_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    name = _clean_text(name, 100)
    if not name:
        raise ValidationFailed({"name": _("Name the token, so you can tell it apart later.")})
    raw = new_token("lef_")
    token = ApiToken(user_id=user.id, name=name, token_hash=token_hash(raw), prefix=raw[:8])
    session.add(token)
    session.flush()
    return token, raw


def list_api_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(
        session.exec(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc())
        ).all()
    )


def revoke_api_token(session: Session, user: User, token_id: int) -> None:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound(_("No such token."))
    token.revoked_at = utcnow()
    session.add(token)


def resolve_api_token(session: Session, raw_token: str) -> Authenticated | None:
    now = utcnow()
    row = session.exec(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_hash(raw_token), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    api_token, user = row
    if not user.can_sign_in(now):
        return None
    if api_token.last_used_at is None or now - api_token.last_used_at > TOUCH_INTERVAL:
        token_id = api_token.id
        write_soon(
            session,
            lambda s: s.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)),
        )
    return Authenticated(user=user, api_token=api_token)


# --- Invitations -------------------------------------------------------------------------------


def invitation_url(raw_token: str) -> str:
    return f"{get_settings().base_url.rstrip('/')}/register?token={raw_token}"


def _send_invitation(session: Session, inviter: User | None, invitation: Invitation, raw: str) -> str:
    url = invitation_url(raw)
    site = get_settings().site_name
    body = _(
        "%(inviter)s invites you to join %(site)s, a closed forum where legal experts share analyses "
        "on illicit trade and intellectual-property crime.\n\n"
        "Open this link to choose your name and password (it works once and expires on %(expires)s UTC):\n"
        "%(url)s\n\nIf you did not expect this invitation, ignore this message.",
        inviter=inviter.display_name if inviter else _("The administrator"),
        site=site,
        url=url,
        expires=invitation.expires_at.strftime("%Y-%m-%d %H:%M"),
    )
    queue_mail(session, invitation.email, _("Your invitation to %(site)s", site=site), body)
    return url


def create_invitation(
    session: Session, inviter: User | None, *, email: str, role: str
) -> tuple[Invitation, str]:
    """Invite someone with a role; returns the invitation and its link (the only time the token
    exists in clear). The mail is queued in the same transaction. inviter None is the command line,
    run by whoever operates the server."""
    settings = get_settings()
    email = normalise_email(email)
    if role not in Role.__members__:
        raise ValidationFailed({"role": _("Choose a role: expert, moderator or admin.")})
    if inviter is not None:
        permissions.check_can_invite(inviter, role)
    if problem := email_problem(email):
        raise ValidationFailed({"email": problem})
    key = f"invite:{inviter.id if inviter else 'cli'}"
    if inviter is not None and ratelimit.exceeded(session, key, settings.invitation_limit_per_day, 24 * 3600):
        raise RateLimited(_("You have sent the most invitations allowed in a day. Try again tomorrow."))
    if get_user_by_email(session, email):
        raise Conflict(_("Someone with this email address already has an account."), field="email")
    now = utcnow()
    pending = session.exec(
        select(Invitation).where(
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
    ).first()
    if pending:
        raise Conflict(
            _("This address already has a pending invitation: resend or revoke it instead."), field="email"
        )
    raw = new_token()
    invitation = Invitation(
        email=email,
        role=role,
        inviter_id=inviter.id if inviter else None,
        token_hash=token_hash(raw),
        expires_at=now + timedelta(days=settings.invitation_days),
    )
    session.add(invitation)
    session.flush()
    ratelimit.hit(session, key)
    record(
        session,
        inviter,
        "invitation.create",
        "invitation",
        invitation.id,
        after={"email": email, "role": role},
    )
    return invitation, _send_invitation(session, inviter, invitation, raw)


def list_invitations(session: Session, user: User) -> list[Invitation]:
    """Admins see every invitation; moderators the ones they sent."""
    if not permissions.can_invite(user):
        raise Forbidden(_("Only moderators and administrators can invite people."))
    statement = select(Invitation).order_by(Invitation.created_at.desc(), Invitation.id.desc()).limit(500)
    if not permissions.is_admin(user):
        statement = statement.where(Invitation.inviter_id == user.id)
    return list(session.exec(statement).all())


def _managed_invitation(session: Session, user: User, invitation_id: int) -> Invitation:
    invitation = session.get(Invitation, invitation_id)
    if (
        invitation is None
        or not permissions.can_invite(user)
        or (not permissions.is_admin(user) and invitation.inviter_id != user.id)
    ):
        raise NotFound(_("No such invitation."))
    return invitation


def revoke_invitation(session: Session, user: User, invitation_id: int) -> Invitation:
    invitation = _managed_invitation(session, user, invitation_id)
    if invitation.state(utcnow()) != "pending":
        raise Conflict(_("Only a pending invitation can be revoked."))
    invitation.revoked_at = utcnow()
    session.add(invitation)
    record(session, user, "invitation.revoke", "invitation", invitation.id)
    return invitation


def resend_invitation(session: Session, user: User, invitation_id: int) -> tuple[Invitation, str]:
    """A new link (the old one stops working) with a fresh expiry, mailed again."""
    invitation = _managed_invitation(session, user, invitation_id)
    if invitation.state(utcnow()) not in ("pending", "expired"):
        raise Conflict(_("An accepted or revoked invitation cannot be resent; send a new one."))
    if get_user_by_email(session, invitation.email):
        raise Conflict(_("Someone with this email address already has an account."))
    key = f"invite:{user.id}"
    if ratelimit.exceeded(session, key, get_settings().invitation_limit_per_day, 24 * 3600):
        raise RateLimited(_("You have sent the most invitations allowed in a day. Try again tomorrow."))
    raw = new_token()
    invitation.token_hash = token_hash(raw)
    invitation.expires_at = utcnow() + timedelta(days=get_settings().invitation_days)
    session.add(invitation)
    ratelimit.hit(session, key)
    record(session, user, "invitation.resend", "invitation", invitation.id)
    return invitation, _send_invitation(session, user, invitation, raw)


def invitation_for_token(session: Session, raw_token: str | None) -> Invitation:
    """The pending invitation behind a link, or Invalid saying plainly why it cannot be used."""
    invitation = (
        session.exec(select(Invitation).where(Invitation.token_hash == token_hash(raw_token or ""))).first()
        if raw_token
        else None
    )
    if invitation is None:
        raise Invalid(
            _(
                "This invitation link is not valid. Check that you copied all of it, "
                "or ask for a new invitation."
            )
        )
    state = invitation.state(utcnow())
    if state == "accepted":
        raise Invalid(_("This invitation has already been used. Sign in instead, or ask for a new one."))
    if state == "revoked":
        raise Invalid(_("This invitation was withdrawn. Ask the person who invited you for a new one."))
    if state == "expired":
        raise Invalid(_("This invitation has expired. Ask the person who invited you to resend it."))
    return invitation


def accept_invitation(
    session: Session, *, token: str, name: str, password: str, organisation: str = "", country: str = ""
) -> User:
    """Create the account an invitation offers; the invitation is used up in the same transaction."""
    invitation = invitation_for_token(session, token)
    # Claim the invitation with a conditional UPDATE, so two submissions of one link cannot both
    # create an account.
    claimed = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
        .values(accepted_at=utcnow())
    ).rowcount
    if claimed != 1:
        raise Invalid(_("This invitation has already been used. Sign in instead, or ask for a new one."))
    user = create_user(
        session,
        email=invitation.email,
        name=name,
        password=password,
        role=invitation.role,
        organisation=organisation,
        country=country,
    )
    session.execute(update(Invitation).where(Invitation.id == invitation.id).values(accepted_user_id=user.id))
    return user


# --- Password resets ---------------------------------------------------------------------------


def _reset_fingerprint(user: User) -> str:
    return hashlib.sha256(f"{user.email}\0{user.password_hash}".encode()).hexdigest()


def _new_reset(session: Session, user: User) -> str:
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
    url = _new_reset(session, user)
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
    _set_password(session, user, new_password)
    ratelimit.clear(session, f"signin:account:{user.email}")
    return user


# --- Administration ----------------------------------------------------------------------------


def list_users(session: Session, admin: User) -> list[User]:
    permissions.check_can_manage_users(admin)
    return list(session.exec(select(User).order_by(func.lower(User.display_name), User.id)).all())


def _other_user(session: Session, admin: User, user_id: int) -> User:
    permissions.check_can_manage_users(admin)
    user = get_user(session, user_id)
    if user.id == admin.id:
        raise Forbidden(_("You cannot do this to your own account."))
    return user


def _moderatable_user(session: Session, actor: User, user_id: int) -> User:
    """Moderators suspend members; nobody moderates an administrator, nor themselves."""
    user = get_user(session, user_id)
    permissions.check_can_act_on_user(actor, user)
    return user


def change_role(session: Session, admin: User, user_id: int, role: str) -> User:
    user = _other_user(session, admin, user_id)
    if role not in Role.__members__:
        raise ValidationFailed({"role": _("Choose a role: expert, moderator or admin.")})
    if user.role != role:
        record(session, admin, "user.role", "user", user.id, before={"role": user.role}, after={"role": role})
        user.role = role
        session.add(user)
    return user


def suspend_user(session: Session, admin: User, user_id: int, *, until: datetime | None, reason: str) -> User:
    """Suspend until a time (or indefinitely); sessions and tokens stop working at once."""
    user = _moderatable_user(session, admin, user_id)
    reason = _clean_text(reason, 1000)
    if not reason:
        raise ValidationFailed({"reason": _("Give a reason: the member will see it.")})
    if until is not None and until <= utcnow():
        raise ValidationFailed({"until": _("Choose a date in the future, or leave it empty.")})
    user.status, user.suspended_until, user.suspension_reason = UserStatus.suspended, until, reason
    session.add(user)
    end_all_sessions(session, user)
    revoke_all_tokens(session, user)
    record(
        session,
        admin,
        "user.suspend",
        "user",
        user.id,
        reason=reason,
        after={"until": until.isoformat() if until else None},
    )
    return user


def reactivate_user(session: Session, admin: User, user_id: int) -> User:
    """Lift a suspension (moderators and admins) or a deactivation (admins only)."""
    target = get_user(session, user_id)
    user = (_other_user if target.status == UserStatus.deactivated else _moderatable_user)(
        session, admin, user_id
    )
    if user.status != UserStatus.active:
        record(session, admin, "user.reactivate", "user", user.id, before={"status": user.status})
        user.status, user.suspended_until, user.suspension_reason = UserStatus.active, None, ""
        session.add(user)
    return user


def deactivate_user(session: Session, admin: User, user_id: int) -> User:
    user = _other_user(session, admin, user_id)
    if user.status != UserStatus.deactivated:
        record(session, admin, "user.deactivate", "user", user.id, before={"status": user.status})
        user.status = UserStatus.deactivated
        session.add(user)
        end_all_sessions(session, user)
        revoke_all_tokens(session, user)
    return user


def revoke_user_sessions(session: Session, admin: User, user_id: int) -> int:
    user = _other_user(session, admin, user_id)
    count = end_all_sessions(session, user)
    record(session, admin, "user.sessions_revoke", "user", user.id, after={"sessions": count})
    return count


def admin_reset_link(session: Session, admin: User, user_id: int) -> str:
    """A reset link for the admin to hand over: the admin never chooses or sees a password."""
    user = _other_user(session, admin, user_id)
    record(session, admin, "user.reset_link", "user", user.id)
    return _new_reset(session, user)
