"""Who may do what with accounts. can_* answer templates; check_* raise for services."""

from app.accounts.models import Role, User
from app.errors import Forbidden
from app.i18n import _

ROLE_RANK = {Role.expert: 0, Role.moderator: 1, Role.admin: 2}


def is_admin(user: User | None) -> bool:
    return user is not None and user.role == Role.admin


def is_moderator(user: User | None) -> bool:
    """Moderators and admins."""
    return user is not None and user.role in (Role.moderator, Role.admin)


def invitable_roles(user: User | None) -> list[Role]:
    """Admins invite any role; moderators invite experts only."""
    if is_admin(user):
        return [Role.expert, Role.moderator, Role.admin]
    if is_moderator(user):
        return [Role.expert]
    return []


def can_invite(user: User | None, role: str | None = None) -> bool:
    roles = invitable_roles(user)
    return bool(roles) if role is None else role in roles


def can_manage_users(user: User | None) -> bool:
    return is_admin(user)


def check_can_invite(user: User, role: str) -> None:
    if not can_invite(user):
        raise Forbidden(_("Only moderators and administrators can invite people."))
    if not can_invite(user, role):
        raise Forbidden(_("Moderators can invite experts only."), field="role")


def check_can_manage_users(user: User) -> None:
    if not can_manage_users(user):
        raise Forbidden(_("Only administrators can manage accounts."))
