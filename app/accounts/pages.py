"""HTML routes for accounts: sign-in and out, registration, password reset, profile, invitations,
and the administrators' user list. Each parses the form, calls the service, and redirects or
re-renders the form with the messages beside the fields and the input kept."""

from datetime import UTC, datetime

from fastapi import APIRouter, BackgroundTasks, Request

from app.accounts import admin as admin_service
from app.accounts import invitations as invitations_service
from app.accounts import permissions
from app.accounts import resets as resets_service
from app.accounts import sign_in as sign_in_service
from app.accounts import tokens as tokens_service
from app.accounts import users as users_service
from app.accounts.countries import country_choices, country_name
from app.accounts.models import Role
from app.config import get_settings
from app.db import SessionDep
from app.deps import AuthDep, CsrfProtected, CurrentUser, OptionalUser
from app.errors import AppError, Invalid, ValidationFailed
from app.i18n import _
from app.notifications.mail import deliver_pending, mail_configured
from app.security import safe_next
from app.timeutil import utcnow
from app.web import FormStr, delete_cookie, flash, redirect, render, set_cookie, template_globals

router = APIRouter(dependencies=[CsrfProtected])
template_globals(permissions=permissions, country_choices=country_choices, country_name=country_name)


def _errors(error: AppError) -> dict[str, str]:
    if isinstance(error, ValidationFailed):
        return error.errors
    return {error.field or "_form": error.message}


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _sign_in(request: Request, session, user, target: str):
    raw = sign_in_service.start_session(
        session, user, ip_address=_client_ip(request), user_agent=request.headers.get("user-agent", "")
    )
    response = redirect(request, target)
    set_cookie(response, request, "session", raw, max_age=get_settings().session_absolute_days * 86400)
    delete_cookie(response, request, "presession")
    return response


# --- Sign-in and out -----------------------------------------------------------------------------


@router.get("/login", name="login_page")
def login_page(request: Request, user: OptionalUser, next: str = "/"):
    if user:
        return redirect(request, safe_next(next))
    return render(request, "accounts/login.html", {"next": safe_next(next)})


@router.post("/login", name="login")
def login(
    request: Request, session: SessionDep, email: FormStr = "", password: FormStr = "", next: FormStr = "/"
):
    target = safe_next(next)
    try:
        # No savepoint here: a failed attempt's rate-limit count must be committed.
        user = sign_in_service.authenticate(session, email, password, _client_ip(request))
    except AppError as error:
        return render(
            request,
            "accounts/login.html",
            {"next": target, "form": {"email": email}, "errors": {"_form": error.message}},
            status_code=error.status_code,
        )
    return _sign_in(request, session, user, target)


@router.get("/logout", name="logout_page")
def logout_page(request: Request, user: CurrentUser):
    return render(request, "accounts/logout.html")


@router.post("/logout", name="logout")
def logout(request: Request, session: SessionDep, auth: AuthDep):
    if auth and auth.user_session:
        sign_in_service.end_session(session, auth.user_session)
    response = redirect(request, "/login", _("You have signed out."))
    delete_cookie(response, request, "session")
    return response


# --- Registration from an invitation -------------------------------------------------------------


@router.get("/register", name="register_page")
def register_page(request: Request, session: SessionDep, token: str = ""):
    try:
        invitation = invitations_service.invitation_for_token(session, token)
    except Invalid as error:
        return render(
            request, "accounts/invitation_invalid.html", {"message": error.message}, status_code=400
        )
    return render(request, "accounts/register.html", {"invitation": invitation, "token": token})


@router.post("/register", name="register")
def register(
    request: Request,
    session: SessionDep,
    token: FormStr = "",
    name: FormStr = "",
    organisation: FormStr = "",
    country: FormStr = "",
    password: FormStr = "",
):
    try:
        with session.begin_nested():
            user = invitations_service.accept_invitation(
                session, token=token, name=name, password=password, organisation=organisation, country=country
            )
    except Invalid as error:
        if not isinstance(error, ValidationFailed):
            return render(
                request, "accounts/invitation_invalid.html", {"message": error.message}, status_code=400
            )
        invitation = invitations_service.invitation_for_token(session, token)
        return render(
            request,
            "accounts/register.html",
            {
                "invitation": invitation,
                "token": token,
                "errors": _errors(error),
                "form": {"name": name, "organisation": organisation, "country": country},
            },
            status_code=error.status_code,
        )
    except AppError as error:
        return render(
            request,
            "accounts/invitation_invalid.html",
            {"message": error.message},
            status_code=error.status_code,
        )
    response = _sign_in(request, session, user, "/")
    flash(response, request, _("Welcome, %(name)s. Your account is ready.", name=user.display_name))
    return response


# --- Password reset ------------------------------------------------------------------------------


@router.get("/password-reset", name="password_reset_request_page")
def password_reset_request_page(request: Request):
    return render(request, "accounts/password_reset_request.html")


@router.post("/password-reset", name="password_reset_request")
def password_reset_request(
    request: Request, session: SessionDep, background: BackgroundTasks, email: FormStr = ""
):
    resets_service.request_password_reset(session, email)
    background.add_task(deliver_pending, request.app.state.database)
    # The same words whether or not the address has an account.
    return redirect(
        request,
        "/login",
        _(
            "If an account uses that address, a link to reset its password "
            "is on its way. It works once, within an hour."
        ),
    )


@router.get("/password-reset/{token}", name="password_reset_page")
def password_reset_page(request: Request, session: SessionDep, token: str):
    try:
        resets_service.reset_for_token(session, token)
    except Invalid as error:
        return render(
            request,
            "accounts/invitation_invalid.html",
            {"message": error.message, "title": _("Reset link not valid")},
            status_code=400,
        )
    return render(request, "accounts/password_reset.html", {"token": token})


@router.post("/password-reset/{token}", name="password_reset")
def password_reset(request: Request, session: SessionDep, token: str, password: FormStr = ""):
    try:
        with session.begin_nested():
            resets_service.reset_password(session, token, password)
    except ValidationFailed as error:
        return render(
            request,
            "accounts/password_reset.html",
            {"token": token, "errors": _errors(error)},
            status_code=422,
        )
    except AppError as error:
        return render(
            request,
            "accounts/invitation_invalid.html",
            {"message": error.message, "title": _("Reset link not valid")},
            status_code=400,
        )
    return redirect(request, "/login", _("Your password was changed. Sign in with the new one."))


# --- Profile -------------------------------------------------------------------------------------


def _profile(request: Request, session, user, auth, status_code: int = 200, **context):
    context.setdefault("mail_configured", mail_configured())
    context.setdefault(
        "form", {"name": user.display_name, "organisation": user.organisation, "country": user.country}
    )
    return render(
        request,
        "accounts/profile.html",
        {
            "sessions": sign_in_service.list_sessions(session, user),
            "current_session_id": auth.user_session.id if auth and auth.user_session else None,
            "tokens": tokens_service.list_api_tokens(session, user),
            **context,
        },
        status_code=status_code,
    )


@router.get("/profile", name="profile")
def profile(request: Request, session: SessionDep, user: CurrentUser, auth: AuthDep):
    return _profile(request, session, user, auth)


@router.post("/profile", name="profile_update")
def profile_update(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    auth: AuthDep,
    name: FormStr = "",
    organisation: FormStr = "",
    country: FormStr = "",
):
    try:
        with session.begin_nested():
            users_service.update_profile(session, user, name=name, organisation=organisation, country=country)
    except AppError as error:
        session.refresh(user)
        return _profile(
            request,
            session,
            user,
            auth,
            422,
            errors=_errors(error),
            form={"name": name, "organisation": organisation, "country": country},
        )
    return redirect(request, "/profile", _("Your profile was saved."))


@router.post("/profile/password", name="password_change")
def password_change(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    auth: AuthDep,
    current_password: FormStr = "",
    new_password: FormStr = "",
):
    try:
        with session.begin_nested():
            sign_in_service.change_password(session, user, current=current_password, new=new_password)
    except AppError as error:
        return _profile(request, session, user, auth, 422, errors=_errors(error))
    # Every session ended with the old password, this one too; the person at the keyboard gets
    # a fresh one.
    response = _sign_in(request, session, user, "/")
    flash(response, request, _("Your password was changed. Your other sessions were signed out."))
    return response


@router.post("/profile/sessions/end-others", name="sessions_end_others")
def sessions_end_others(request: Request, session: SessionDep, user: CurrentUser, auth: AuthDep):
    count = sign_in_service.end_all_sessions(session, user, keep=auth.user_session if auth else None)
    return redirect(request, "/profile#sessions", _("Signed out of %(count)d other sessions.", count=count))


@router.post("/profile/sessions/{session_id}/end", name="session_end")
def session_end(request: Request, session: SessionDep, user: CurrentUser, session_id: int):
    sign_in_service.end_own_session(session, user, session_id)
    return redirect(request, "/profile#sessions", _("That session was signed out."))


@router.post("/profile/tokens", name="token_create")
def token_create(request: Request, session: SessionDep, user: CurrentUser, auth: AuthDep, name: FormStr = ""):
    try:
        with session.begin_nested():
            _token, raw = tokens_service.create_api_token(session, user, name)
    except AppError as error:
        return _profile(request, session, user, auth, 422, token_errors=_errors(error), token_name=name)
    return redirect(
        request, "/profile#tokens", _("Token created. Copy it now: it will not be shown again."), secret=raw
    )


@router.post("/profile/tokens/{token_id}/revoke", name="token_revoke")
def token_revoke(request: Request, session: SessionDep, user: CurrentUser, token_id: int):
    tokens_service.revoke_api_token(session, user, token_id)
    return redirect(request, "/profile#tokens", _("The token was revoked."))


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
            errors=_errors(error),
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
