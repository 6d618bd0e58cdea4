"""Who may moderate what. Misago's rule: a named check per verb, mirrored by the templates."""

from sqlmodel import Session, select

from app.accounts.models import Role, User
from app.accounts.permissions import is_admin, is_moderator
from app.errors import Forbidden
from app.i18n import _
from app.moderation.models import ModeratorSector


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


def check_can_pin_globally(user: User) -> None:
    if not is_admin(user):
        raise Forbidden(_("Only administrators pin threads on the whole site."))


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
