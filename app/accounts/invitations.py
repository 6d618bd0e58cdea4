"""Accounts: invitations — the only way into the forum — and accepting one.

Services take the session and the acting user, check permissions, write, and never commit: the
request (or the CLI's unit of work) commits once.
"""

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from app import ratelimit
from app.accounts import permissions
from app.accounts.models import Invitation, Role, User
from app.accounts.users import create_user, email_problem, get_user_by_email, normalise_email
from app.audit import record
from app.config import get_settings
from app.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited, ValidationFailed
from app.i18n import _
from app.notifications.mail import queue_mail
from app.security import new_token, token_hash
from app.timeutil import utcnow


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
