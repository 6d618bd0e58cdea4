"""HTML routes for getting in and out: sign-in and out, registration from an invitation, and the
password reset by mail."""

from fastapi import APIRouter, BackgroundTasks, Request

from app.accounts import invitations as invitations_service
from app.accounts import resets as resets_service
from app.accounts import sign_in as sign_in_service
from app.db import SessionDep
from app.deps import AuthDep, CsrfProtected, CurrentUser, OptionalUser, start_signed_in
from app.errors import AppError, Invalid, ValidationFailed
from app.i18n import _
from app.notifications.mail import deliver_pending
from app.security import safe_next
from app.web import FormStr, client_ip, delete_cookie, flash, redirect, render

router = APIRouter(dependencies=[CsrfProtected])


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
        user = sign_in_service.authenticate(session, email, password, client_ip(request))
    except AppError as error:
        return render(
            request,
            "accounts/login.html",
            {"next": target, "form": {"email": email}, "errors": {"_form": error.message}},
            status_code=error.status_code,
        )
    return start_signed_in(request, session, user, target)


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
                "errors": error.field_errors(),
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
    response = start_signed_in(request, session, user, "/")
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
            {"token": token, "errors": error.field_errors()},
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
