"""Accounts: what administrators and moderators do to other members' accounts.

Services take the session and the acting user, check permissions, write, and never commit: the
request (or the CLI's unit of work) commits once.
"""

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from app.accounts import permissions
from app.accounts.models import Role, User, UserStatus
from app.accounts.resets import new_reset
from app.accounts.sign_in import end_all_sessions, revoke_all_tokens
from app.accounts.users import clean_text, get_user
from app.audit import record
from app.errors import Forbidden, ValidationFailed
from app.i18n import _
from app.timeutil import utcnow


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
    reason = clean_text(reason, 1000)
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
    return new_reset(session, user)
