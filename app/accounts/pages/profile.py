"""HTML routes for a member's own account: the profile, the password, sessions and API tokens."""

from fastapi import APIRouter, Request

from app.accounts import sign_in as sign_in_service
from app.accounts import tokens as tokens_service
from app.accounts import users as users_service
from app.db import SessionDep
from app.deps import AuthDep, CsrfProtected, CurrentUser, start_signed_in
from app.errors import AppError
from app.i18n import _
from app.notifications.mail import mail_configured
from app.web import FormStr, flash, redirect, render

router = APIRouter(dependencies=[CsrfProtected])


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
            errors=error.field_errors(),
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
        return _profile(request, session, user, auth, 422, errors=error.field_errors())
    # Every session ended with the old password, this one too; the person at the keyboard gets
    # a fresh one.
    response = start_signed_in(request, session, user, "/")
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
        return _profile(request, session, user, auth, 422, token_errors=error.field_errors(), token_name=name)
    return redirect(
        request, "/profile#tokens", _("Token created. Copy it now: it will not be shown again."), secret=raw
    )


@router.post("/profile/tokens/{token_id}/revoke", name="token_revoke")
def token_revoke(request: Request, session: SessionDep, user: CurrentUser, token_id: int):
    tokens_service.revoke_api_token(session, user, token_id)
    return redirect(request, "/profile#tokens", _("The token was revoked."))
