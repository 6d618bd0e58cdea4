"""Accounts: personal access tokens for the API.

Services take the session and the acting user, check permissions, write, and never commit: the
request (or the CLI's unit of work) commits once.
"""

from sqlalchemy import update
from sqlmodel import Session, select

from app.accounts.models import ApiToken, User
from app.accounts.sign_in import TOUCH_INTERVAL, Authenticated
from app.accounts.users import clean_text
from app.db import write_soon
from app.errors import NotFound, ValidationFailed
from app.i18n import _
from app.security import new_token, token_hash
from app.timeutil import utcnow


def create_api_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    name = clean_text(name, 100)
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
