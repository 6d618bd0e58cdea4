"""/api/v1 routes for moderation: thin adapters over app.moderation.service (reports, tags, the audit log)
and app.forum.curation (the verbs on threads and posts)."""

import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app.db import SessionDep
from app.deps import CsrfProtected, CurrentUser
from app.forum import curation, queries
from app.forum.reads import author_read, post_read, thread_read
from app.moderation import service
from app.moderation.schemas import (
    AuditQuery,
    FlagIn,
    MergeIn,
    MoveIn,
    PinIn,
    ReasonIn,
    ResolveIn,
    SplitIn,
    TagRenameIn,
    TaxonomyIn,
)
from app.openapi import COMMON_ERRORS, error_responses
from app.timeutil import iso

router = APIRouter(tags=["moderation"], dependencies=[CsrfProtected], responses=COMMON_ERRORS)


def _thread(session, user, thread_id: int):
    thread = queries.get_thread(session, user, thread_id)
    return thread_read(queries.thread_views(session, user, [thread])[0])


@router.post("/posts/{post_id}/flags", status_code=201, responses=error_responses(409))
def report(session: SessionDep, user: CurrentUser, post_id: int, data: FlagIn):
    flag = service.report_post(session, user, post_id, data.reason, data.note)
    return {
        "id": flag.id,
        "post_id": flag.post_id,
        "reason": flag.reason,
        "note": flag.note,
        "created_at": iso(flag.created_at),
    }


@router.get("/moderation/flags")
def flags(session: SessionDep, user: CurrentUser):
    groups = service.open_reports(session, user)
    return {
        "items": [
            {
                "post": post_read(group.post, group.author, True).model_dump(mode="json"),
                "thread_id": group.thread.id,
                "title": group.thread.title,
                "flags": [
                    {
                        "id": flag.id,
                        "reason": flag.reason,
                        "note": flag.note,
                        "reporter": author_read(reporter),
                        "created_at": iso(flag.created_at),
                    }
                    for flag, reporter in group.flags
                ],
            }
            for group in groups
        ],
        "next_cursor": None,
    }


@router.post("/moderation/flags/{post_id}/resolve", responses=error_responses(409))
def resolve(session: SessionDep, user: CurrentUser, post_id: int, data: ResolveIn):
    return {"resolved": service.resolve_reports(session, user, post_id, data.action, data.reason)}


@router.post("/posts/{post_id}/hide")
def hide(session: SessionDep, user: CurrentUser, post_id: int, data: ReasonIn):
    changed = curation.hide_post(session, user, post_id, data.reason)
    post = queries.get_post(session, post_id)
    return {"changed": changed, "post": post_read(post, None, True)}


def _optional_reason_verb(kind: str, path: str, name: str, verb):
    """A route for a verb whose body, a reason, may be left out: on a post it answers whether
    anything changed and the post, on a thread the thread."""

    if kind == "post":

        def route(session: SessionDep, user: CurrentUser, post_id: int, data: ReasonIn | None = None):
            changed = verb(session, user, post_id, data.reason if data else "")
            return {"changed": changed, "post": post_read(queries.get_post(session, post_id), None, True)}

    else:

        def route(session: SessionDep, user: CurrentUser, thread_id: int, data: ReasonIn | None = None):
            verb(session, user, thread_id, data.reason if data else "")
            return _thread(session, user, thread_id)

    route.__name__ = name
    router.post(f"/{kind}s/{{{kind}_id}}/{path}", name=name)(route)


_optional_reason_verb("post", "unhide", "unhide", curation.unhide_post)
_optional_reason_verb("thread", "lock", "lock", curation.lock_thread)
_optional_reason_verb("thread", "unlock", "unlock", curation.unlock_thread)
_optional_reason_verb("thread", "unpin", "unpin", curation.unpin_thread)


@router.post("/threads/{thread_id}/pin")
def pin(session: SessionDep, user: CurrentUser, thread_id: int, data: PinIn | None = None):
    data = data or PinIn()
    curation.pin_thread(session, user, thread_id, data.site_wide, data.reason)
    return _thread(session, user, thread_id)


@router.post("/threads/{thread_id}/move")
def move(session: SessionDep, user: CurrentUser, thread_id: int, data: MoveIn):
    curation.move_thread(session, user, thread_id, data.sector, data.reason)
    return _thread(session, user, thread_id)


@router.post("/threads/{thread_id}/taxonomy")
def retag(session: SessionDep, user: CurrentUser, thread_id: int, data: TaxonomyIn):
    curation.set_thread_taxonomy(
        session,
        user,
        thread_id,
        jurisdictions=data.jurisdictions,
        instruments=data.instruments,
        tags=data.tags,
        reason=data.reason,
    )
    return _thread(session, user, thread_id)


@router.post("/threads/{thread_id}/merge")
def merge(session: SessionDep, user: CurrentUser, thread_id: int, data: MergeIn):
    target = curation.merge_threads(session, user, thread_id, data.target_id, data.reason)
    return _thread(session, user, target.id)


@router.post("/threads/{thread_id}/split", status_code=201)
def split(session: SessionDep, user: CurrentUser, thread_id: int, data: SplitIn):
    new = curation.split_thread(session, user, thread_id, data.post_ids, data.title, data.reason)
    return _thread(session, user, new.id)


@router.post("/tags/{name}/rename")
def rename_tag(session: SessionDep, user: CurrentUser, name: str, data: TagRenameIn):
    tag = service.rename_tag(session, user, name, data.new_name)
    return {"name": tag.name}


@router.get("/audit-log")
def audit_log(
    session: SessionDep, user: CurrentUser, query: Annotated[AuditQuery, Query()], cursor: str | None = None
):
    filters = service.audit_filters(**query.filters())
    rows, next_cursor = service.audit_entries(session, user, filters, cursor)
    return {
        "items": [
            {
                "id": entry.id,
                "created_at": iso(entry.created_at),
                "actor": author_read(actor_user),
                "action": entry.action,
                "target_type": entry.target_type,
                "target_id": entry.target_id,
                "reason": entry.reason,
                "detail": json.loads(entry.detail) if entry.detail else None,
            }
            for entry, actor_user in rows
        ],
        "next_cursor": next_cursor,
    }


@router.get(
    "/audit-log.csv",
    response_class=Response,
    responses={200: {"description": "The audit log as CSV.", "content": {"text/csv": {}}}},
)
def audit_log_csv(session: SessionDep, user: CurrentUser, query: Annotated[AuditQuery, Query()]):
    filters = service.audit_filters(**query.filters())
    content = service.audit_csv(session, user, filters)
    name = f"audit-log-{datetime.now().date().isoformat()}.csv"
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


class SectorsIn(ReasonIn):
    sectors: list[str] = []


@router.post("/users/{user_id}/sectors")
def moderator_sectors(session: SessionDep, user: CurrentUser, user_id: int, data: SectorsIn):
    return {"sectors": service.set_moderator_sectors(session, user, user_id, data.sectors)}
