"""Who may moderate what beyond a sector's posts. Misago's rule: a named check per verb, mirrored by
the templates. A moderator's sector scope and acting on members are account rules
(app.accounts.permissions)."""

from app.accounts.models import User
from app.accounts.permissions import is_admin
from app.errors import Forbidden
from app.i18n import _


def check_can_pin_globally(user: User) -> None:
    if not is_admin(user):
        raise Forbidden(_("Only administrators pin threads on the whole site."))
