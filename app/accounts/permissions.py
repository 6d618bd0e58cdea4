"""Who may do what with accounts. can_* answer templates; check_* raise for services."""

from sqlmodel import Session, select

from app.accounts.models import ModeratorSector, Role, User
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


# --- A moderator's sectors and the members they act on --------------------------------------------


def moderated_sector_ids(session: Session, user: User | None) -> set[int] | None:
    """The sectors a moderator acts in: None means every sector (admins, unscoped moderators)."""
    if not is_moderator(user):
        return set()
    if is_admin(user):
        return None
    scoped = set(
        session.exec(select(ModeratorSector.sector_id).where(ModeratorSector.user_id == user.id)).all()
    )
    return scoped or None


def can_moderate_sector(session: Session, user: User | None, sector_id: int) -> bool:
    if not is_moderator(user):
        return False
    sectors = moderated_sector_ids(session, user)
    return sectors is None or sector_id in sectors


def check_can_moderate_sector(session: Session, user: User, sector_id: int) -> None:
    if not is_moderator(user):
        raise Forbidden(_("Only moderators can do this."))
    if not can_moderate_sector(session, user, sector_id):
        raise Forbidden(_("You moderate other sectors, not this one."))


def can_act_on_user(actor: User | None, target: User) -> bool:
    """Moderators act on members; nobody moderates an administrator, and nobody themselves."""
    return is_moderator(actor) and target.id != actor.id and target.role != Role.admin


def check_can_act_on_user(actor: User, target: User) -> None:
    if not is_moderator(actor):
        raise Forbidden(_("Only moderators can do this."))
    if target.id == actor.id:
        raise Forbidden(_("You cannot do this to your own account."))
    if target.role == Role.admin:
        raise Forbidden(_("Nobody moderates an administrator."))
    if target.role == Role.moderator and not is_admin(actor):
        raise Forbidden(_("Only administrators act on moderators."))
