"""Accounts: users — who they are, their profile, finding them by email.

Services take the session and the acting user, check permissions, write, and never commit: the
request (or the CLI's unit of work) commits once.
"""

import re
import unicodedata

from sqlmodel import Session, select

from app.accounts.countries import is_country
from app.accounts.models import Role, User
from app.accounts.passwords import password_problem
from app.errors import Conflict, NotFound, ValidationFailed
from app.i18n import _
from app.security import hash_password

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def email_problem(email: str) -> str | None:
    if not email:
        return _("Enter an email address.")
    if len(email) > 320 or not EMAIL_PATTERN.match(email):
        return _("Enter an email address in the right format, like name@example.org.")
    return None


def clean_text(value: str | None, limit: int) -> str:
    # Control characters have no place in names; they could also forge lines in mail headers.
    return "".join(ch for ch in (value or "") if ch.isprintable()).strip()[:limit]


def profile_errors(name: str, country: str, organisation: str) -> dict[str, str]:
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
    name = clean_text(name, 200)
    organisation = clean_text(organisation, 300)
    country = (country or "").strip().upper()
    errors = profile_errors(name, country, organisation)
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
    name = clean_text(name, 200)
    organisation = clean_text(organisation, 300)
    country = (country or "").strip().upper()
    if errors := profile_errors(name, country, organisation):
        raise ValidationFailed(errors)
    user.display_name, user.organisation, user.country = name, organisation, country
    session.add(user)
    return user
