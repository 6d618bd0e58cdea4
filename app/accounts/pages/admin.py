"""HTML routes for the administrators' user list: roles, suspension, deactivation, sessions, reset links."""

from datetime import UTC, datetime

from fastapi import APIRouter, Request

from app.accounts import admin as admin_service
from app.accounts.models import Role
from app.db import SessionDep
from app.deps import CsrfProtected, CurrentUser
from app.errors import ValidationFailed
from app.i18n import _
from app.timeutil import utcnow
from app.web import FormStr, redirect, render

router = APIRouter(dependencies=[CsrfProtected])


# --- Administration ------------------------------------------------------------------------------


@router.get("/admin/users", name="admin_users")
def admin_users(request: Request, session: SessionDep, user: CurrentUser):
    return render(
        request,
        "accounts/admin_users.html",
        {"users": admin_service.list_users(session, user), "roles": list(Role), "now": utcnow()},
    )


@router.post("/admin/users/{user_id}/role", name="admin_user_role")
def admin_user_role(
    request: Request, session: SessionDep, user: CurrentUser, user_id: int, role: FormStr = ""
):
    target = admin_service.change_role(session, user, user_id, role)
    return redirect(
        request, "/admin/users", _("%(name)s is now %(role)s.", name=target.display_name, role=role)
    )


@router.post("/admin/users/{user_id}/suspend", name="admin_user_suspend")
def admin_user_suspend(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    user_id: int,
    reason: FormStr = "",
    until: FormStr = "",
):
    try:
        until_date = datetime.fromisoformat(until) if until.strip() else None
        if until_date is not None and until_date.tzinfo is not None:
            until_date = until_date.astimezone(UTC).replace(tzinfo=None)
    except ValueError:
        return redirect(request, "/admin/users", _("The date was not valid; use YYYY-MM-DD."), "error")
    try:
        with session.begin_nested():
            target = admin_service.suspend_user(session, user, user_id, until=until_date, reason=reason)
    except ValidationFailed as error:
        return redirect(request, "/admin/users", error.message, "error")
    return redirect(request, "/admin/users", _("%(name)s is suspended.", name=target.display_name))


@router.post("/admin/users/{user_id}/reactivate", name="admin_user_reactivate")
def admin_user_reactivate(request: Request, session: SessionDep, user: CurrentUser, user_id: int):
    target = admin_service.reactivate_user(session, user, user_id)
    return redirect(request, "/admin/users", _("%(name)s is active again.", name=target.display_name))


@router.post("/admin/users/{user_id}/deactivate", name="admin_user_deactivate")
def admin_user_deactivate(request: Request, session: SessionDep, user: CurrentUser, user_id: int):
    target = admin_service.deactivate_user(session, user, user_id)
    return redirect(request, "/admin/users", _("%(name)s is deactivated.", name=target.display_name))


@router.post("/admin/users/{user_id}/sessions/revoke", name="admin_user_sessions_revoke")
def admin_user_sessions_revoke(request: Request, session: SessionDep, user: CurrentUser, user_id: int):
    count = admin_service.revoke_user_sessions(session, user, user_id)
    return redirect(request, "/admin/users", _("%(count)d sessions were signed out.", count=count))


@router.post("/admin/users/{user_id}/reset-link", name="admin_user_reset_link")
def admin_user_reset_link(request: Request, session: SessionDep, user: CurrentUser, user_id: int):
    url = admin_service.admin_reset_link(session, user, user_id)
    return redirect(
        request,
        "/admin/users",
        _(
            "Reset link created. Give it to the member through a channel you trust; it works once, "
            "within an hour."
        ),
        link=url,
    )
