"""HTML routes for watching, notifications and the mail preference."""

from fastapi import APIRouter, Request

from app.db import SessionDep
from app.deps import CsrfProtected, CurrentUser
from app.i18n import _
from app.notifications import service as notifications
from app.notifications.watching import set_watching
from app.security import safe_next
from app.web import FormStr, context_hook, redirect, render

router = APIRouter(dependencies=[CsrfProtected])


@context_hook
def header_counts(request: Request, user, context: dict) -> None:
    """The header's unread count on every page, through the request's session while its unit of
    work is open. An error page is rendered after that unit of work was rolled back and closed: it
    reads in a short read transaction of its own, never through the request's (possibly write)
    session."""
    if "unread_notifications" in context:
        return
    if user is None:
        context["unread_notifications"] = 0
        return
    db = getattr(request.state, "db", None)
    if db is not None:
        context["unread_notifications"] = notifications.unread_count(db, user, capped=True)
        return
    with request.app.state.database.unit_of_work(write=False) as session:
        context["unread_notifications"] = notifications.unread_count(session, user, capped=True)


@router.post("/watch", name="watch")
def watch(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    target_type: FormStr = "",
    key: FormStr = "",
    on: FormStr = "1",
    next: FormStr = "/",
):
    set_watching(session, user, target_type, key, on=on == "1")
    if on == "1":
        message = _("You are watching it: new activity will reach your notifications.")
    else:
        message = _("You stopped watching it.")
    return redirect(request, safe_next(next), message)


@router.get("/notifications", name="notifications")
def notifications_page(request: Request, session: SessionDep, user: CurrentUser):
    items = notifications.list_notifications(session, user)
    return render(request, "notifications/list.html", {"items": items, "describe": notifications.describe})


@router.post("/notifications/read", name="notifications_read")
def notifications_read(request: Request, session: SessionDep, user: CurrentUser):
    notifications.mark_read(session, user)
    return redirect(request, "/notifications", _("All notifications are marked as read."))


@router.post("/profile/mail", name="mail_preference")
def mail_preference(request: Request, session: SessionDep, user: CurrentUser, mail_preference: FormStr = ""):
    notifications.set_mail_preference(session, user, mail_preference)
    return redirect(request, "/profile#mail", _("Your mail preference was saved."))
