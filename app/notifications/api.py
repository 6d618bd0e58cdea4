"""/api/v1 routes for watching and notifications."""

from fastapi import APIRouter

from app.db import SessionDep
from app.deps import CsrfProtected, CurrentUser
from app.forum import urls
from app.notifications import service as notifications
from app.notifications.watching import set_watching
from app.openapi import COMMON_ERRORS
from app.timeutil import iso

router = APIRouter(tags=["notifications"], dependencies=[CsrfProtected], responses=COMMON_ERRORS)


@router.put("/watches/{target_type}/{key}", status_code=204)
def watch(session: SessionDep, user: CurrentUser, target_type: str, key: str):
    set_watching(session, user, target_type, key, on=True)


@router.delete("/watches/{target_type}/{key}", status_code=204)
def unwatch(session: SessionDep, user: CurrentUser, target_type: str, key: str):
    set_watching(session, user, target_type, key, on=False)


@router.get("/notifications")
def list_notifications(session: SessionDep, user: CurrentUser):
    items = [
        {
            "id": n.id,
            "kind": n.kind,
            "text": notifications.describe(n.kind, actor, title, n.count),
            "count": n.count,
            "thread_id": n.thread_id,
            "post_id": n.post_id,
            "url": urls.post_url(n.thread_id, n.post_id),
            "created_at": iso(n.created_at),
            "read": n.read_at is not None,
        }
        for n, actor, title in notifications.list_notifications(session, user)
    ]
    return {"items": items, "unread": notifications.unread_count(session, user), "next_cursor": None}


@router.post("/notifications/read", status_code=204)
def read_notifications(session: SessionDep, user: CurrentUser):
    notifications.mark_read(session, user)
