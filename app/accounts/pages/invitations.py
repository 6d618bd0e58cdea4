"""HTML routes for invitations: the list, sending, revoking and resending."""

from fastapi import APIRouter, BackgroundTasks, Request

from app.accounts import invitations as invitations_service
from app.accounts import permissions
from app.accounts.models import Role
from app.config import get_settings
from app.db import SessionDep
from app.deps import CsrfProtected, CurrentUser
from app.errors import AppError
from app.i18n import _
from app.notifications.mail import deliver_pending
from app.timeutil import utcnow
from app.web import FormStr, redirect, render

router = APIRouter(dependencies=[CsrfProtected])


# --- Invitations ---------------------------------------------------------------------------------


def _invitations(request: Request, session, user, status_code: int = 200, **context):
    return render(
        request,
        "accounts/invitations.html",
        {
            "invitations": invitations_service.list_invitations(session, user),
            "roles": permissions.invitable_roles(user),
            "now": utcnow(),
            **context,
        },
        status_code=status_code,
    )


@router.get("/invitations", name="invitations")
def invitations(request: Request, session: SessionDep, user: CurrentUser):
    return _invitations(request, session, user)


def _invitation_sent(request: Request, invitation, url: str):
    if get_settings().smtp_url:
        return redirect(request, "/invitations", _("Invitation sent to %(email)s.", email=invitation.email))
    return redirect(
        request,
        "/invitations",
        _(
            "Invitation created for %(email)s. Mail is not set up: pass this link on yourself.",
            email=invitation.email,
        ),
        link=url,
    )


@router.post("/invitations", name="invitation_create")
def invitation_create(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    background: BackgroundTasks,
    email: FormStr = "",
    role: FormStr = Role.expert.value,
):
    try:
        with session.begin_nested():
            invitation, url = invitations_service.create_invitation(session, user, email=email, role=role)
    except AppError as error:
        return _invitations(
            request,
            session,
            user,
            error.status_code if error.status_code != 400 else 422,
            errors=error.field_errors(),
            form={"email": email, "role": role},
        )
    background.add_task(deliver_pending, request.app.state.database)
    return _invitation_sent(request, invitation, url)


@router.post("/invitations/{invitation_id}/revoke", name="invitation_revoke")
def invitation_revoke(request: Request, session: SessionDep, user: CurrentUser, invitation_id: int):
    invitation = invitations_service.revoke_invitation(session, user, invitation_id)
    return redirect(
        request, "/invitations", _("The invitation to %(email)s was revoked.", email=invitation.email)
    )


@router.post("/invitations/{invitation_id}/resend", name="invitation_resend")
def invitation_resend(
    request: Request, session: SessionDep, user: CurrentUser, background: BackgroundTasks, invitation_id: int
):
    invitation, url = invitations_service.resend_invitation(session, user, invitation_id)
    background.add_task(deliver_pending, request.app.state.database)
    return _invitation_sent(request, invitation, url)
