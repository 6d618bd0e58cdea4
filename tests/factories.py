"""Plain factory functions: each writes through the services, in its own unit of work."""

import itertools

from app.accounts import invitations as invitations_service
from app.accounts import tokens as tokens_service
from app.accounts import users as users_service
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
        return users_service.create_user(
            session,
            email=email or f"user{number}@example.org",
            name=name or f"Member {number}",
            password=password,
            role=role,
            country=country,
        )


def make_token(database, user: User, name: str = "test") -> str:
    with database.unit_of_work() as session:
        _token, raw = tokens_service.create_api_token(session, user, name)
        return raw


def make_invitation(database, inviter: User | None, email: str = "invitee@example.org", role: str = "expert"):
    with database.unit_of_work() as session:
        invitation, url = invitations_service.create_invitation(session, inviter, email=email, role=role)
        return invitation, url.split("token=", 1)[1]


def make_thread(
    database,
    author: User,
    *,
    title: str = "Charging online sales of fake pesticides",
    body: str = "An analysis of the **offence** charged.",
    sector: str = "pesticides-agrochemicals",
    jurisdictions: list[str] | None = None,
    instruments: list[str] | None = None,
    tags: list[str] | str | None = None,
):
    from app.forum import actions
    from app.forum.schemas import ThreadCreate

    with database.unit_of_work() as session:
        return actions.create_thread(
            session,
            author,
            ThreadCreate(
                title=title,
                body=body,
                sector=sector,
                jurisdictions=jurisdictions or ["KE"],
                instruments=instruments or [],
                tags=tags or [],
            ),
        )


def make_reply(database, author: User, thread, body: str = "A reply.", parent_id: int | None = None):
    from app.forum import actions

    with database.unit_of_work() as session:
        return actions.reply(session, author, thread.id, body, parent_id)


def set_post_state(database, post_id: int, state: str, reason: str = "") -> None:
    """Stands in for the moderation actions of a later issue: the state a moderator would set."""
    from sqlalchemy import update

    from app.forum.models import Post

    with database.unit_of_work() as session:
        session.execute(update(Post).where(Post.id == post_id).values(state=state, hidden_reason=reason))


def set_thread(database, thread_id: int, **values) -> None:
    from sqlalchemy import update

    from app.forum.models import Thread
    from app.search import index as search_index

    with database.unit_of_work() as session:
        session.execute(update(Thread).where(Thread.id == thread_id).values(**values))
        search_index.reindex_threads(session, [thread_id])  # as the services do after such a change


def token_client(app, database, user):
    """A client that signs its requests with a new API token of `user`."""
    from fastapi.testclient import TestClient

    client = TestClient(app, base_url="https://testserver")
    client.headers["Authorization"] = f"Bearer {make_token(database, user)}"
    return client


def audit_entries(database, action: str | None = None):
    """The audit log, oldest first; one action's entries only if given."""
    from sqlmodel import select

    from app.audit import AuditEntry

    with database.unit_of_work(write=False) as session:
        statement = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            statement = statement.where(AuditEntry.action == action)
        return list(session.exec(statement).all())
