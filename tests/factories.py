"""Plain factory functions: each writes through the services, in its own unit of work."""

import itertools

from app.accounts import service as accounts
from app.accounts.models import User

PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)


def make_user(
    database,
    *,
    role: str = "expert",
    email: str | None = None,
    name: str | None = None,
    password: str = PASSWORD,
    country: str = "FR",
) -> User:
    number = next(_numbers)
    with database.unit_of_work() as session:
        return accounts.create_user(
            session,
            email=email or f"user{number}@example.org",
            name=name or f"Member {number}",
            password=password,
            role=role,
            country=country,
        )


def make_token(database, user: User, name: str = "test") -> str:
    with database.unit_of_work() as session:
        _token, raw = accounts.create_api_token(session, user, name)
        return raw


def make_invitation(database, inviter: User | None, email: str = "invitee@example.org", role: str = "expert"):
    with database.unit_of_work() as session:
        invitation, url = accounts.create_invitation(session, inviter, email=email, role=role)
        return invitation, url.split("token=", 1)[1]
