"""/api/v1 routes for accounts: thin adapters over the service."""

from datetime import UTC

from fastapi import APIRouter, BackgroundTasks, Request

from app.accounts import admin as admin_service
from app.accounts import invitations as invitations_service
from app.accounts.schemas import (
    InvitationCreate,
    InvitationRead,
    Me,
    RegisterIn,
    RoleIn,
    SuspendIn,
    UserAdmin,
)
from app.db import SessionDep
from app.deps import CsrfProtected, CurrentUser
from app.notifications.mail import deliver_pending
from app.openapi import COMMON_ERRORS, error_responses
from app.timeutil import utcnow

router = APIRouter(tags=["accounts"], dependencies=[CsrfProtected], responses=COMMON_ERRORS)


def _invitation_read(invitation, url: str | None = None) -> InvitationRead:
    return InvitationRead(
        id=invitation.id,
        email=invitation.email,
        role=invitation.role,
        state=invitation.state(utcnow()),
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
        url=url,
    )


@router.get("/me", response_model=Me)
def me(user: CurrentUser):
    return user


@router.post(
    "/invitations", response_model=InvitationRead, status_code=201, responses=error_responses(409, 429)
)
def create_invitation(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    data: InvitationCreate,
    background: BackgroundTasks,
):
    invitation, url = invitations_service.create_invitation(session, user, email=data.email, role=data.role)
    background.add_task(deliver_pending, request.app.state.database)
    return _invitation_read(invitation, url)


@router.get("/invitations")
def list_invitations(session: SessionDep, user: CurrentUser):
    return {
        "items": [_invitation_read(i) for i in invitations_service.list_invitations(session, user)],
        "next_cursor": None,
    }


@router.post(
    "/invitations/{invitation_id}/revoke", response_model=InvitationRead, responses=error_responses(409)
)
def revoke_invitation(session: SessionDep, user: CurrentUser, invitation_id: int):
    return _invitation_read(invitations_service.revoke_invitation(session, user, invitation_id))


@router.post(
    "/invitations/{invitation_id}/resend", response_model=InvitationRead, responses=error_responses(409, 429)
)
def resend_invitation(
    request: Request, session: SessionDep, user: CurrentUser, invitation_id: int, background: BackgroundTasks
):
    invitation, url = invitations_service.resend_invitation(session, user, invitation_id)
    background.add_task(deliver_pending, request.app.state.database)
    return _invitation_read(invitation, url)


@router.post("/register", response_model=Me, status_code=201, responses=error_responses(409))
def register(session: SessionDep, data: RegisterIn):
    return invitations_service.accept_invitation(
        session,
        token=data.token,
        name=data.name,
        password=data.password,
        organisation=data.organisation,
        country=data.country,
    )


@router.get("/users")
def list_users(session: SessionDep, user: CurrentUser):
    items = [UserAdmin.model_validate(u) for u in admin_service.list_users(session, user)]
    return {"items": items, "next_cursor": None}


@router.post("/users/{user_id}/role", response_model=UserAdmin)
def change_role(session: SessionDep, user: CurrentUser, user_id: int, data: RoleIn):
    return admin_service.change_role(session, user, user_id, data.role)


@router.post("/users/{user_id}/suspend", response_model=UserAdmin)
def suspend(session: SessionDep, user: CurrentUser, user_id: int, data: SuspendIn):
    until = data.until
    if until is not None and until.tzinfo is not None:
        until = until.astimezone(UTC).replace(tzinfo=None)
    return admin_service.suspend_user(session, user, user_id, until=until, reason=data.reason)


@router.post("/users/{user_id}/unsuspend", response_model=UserAdmin)
def unsuspend(session: SessionDep, user: CurrentUser, user_id: int):
    return admin_service.reactivate_user(session, user, user_id)
