"""/api/v1 routes for threads, posts, drafts, bookmarks and taxonomy."""

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import JSONResponse

from app.accounts.models import User
from app.db import SessionDep
from app.deps import CsrfProtected, CurrentUser
from app.forum import actions, drafts, overview, queries, urls
from app.forum import bookmarks as bookmarks_service
from app.forum.reads import author_read, post_read, thread_read
from app.forum.schemas import (
    DraftIn,
    InstrumentRead,
    JurisdictionRead,
    PostEdit,
    PostRead,
    PreviewIn,
    ReplyCreate,
    RevisionRead,
    ThreadCreate,
    ThreadDetail,
    ThreadRead,
)
from app.openapi import COMMON_ERRORS, error_responses
from app.sanitize import render_markdown
from app.search.saved import check_after_write
from app.taxonomy import service as taxonomy
from app.timeutil import iso

router = APIRouter(tags=["forum"], dependencies=[CsrfProtected], responses=COMMON_ERRORS)


@router.get("/sectors")
def sectors(session: SessionDep, user: CurrentUser):
    items = [
        {
            "slug": s.slug,
            "name": s.name,
            "thread_count": summary.thread_count,
            "last_activity_at": iso(summary.last_activity_at),
        }
        for summary in overview.sector_summaries(session)
        for s in [summary.sector]
    ]
    return {"items": items, "next_cursor": None}


@router.get("/jurisdictions")
def jurisdictions(session: SessionDep, user: CurrentUser):
    items = [JurisdictionRead.model_validate(j) for j in taxonomy.list_jurisdictions(session)]
    return {"items": items, "next_cursor": None}


@router.get("/instruments")
def instruments(session: SessionDep, user: CurrentUser):
    items = [InstrumentRead.model_validate(i) for i in taxonomy.list_instruments(session)]
    return {"items": items, "next_cursor": None}


@router.get("/threads")
def list_threads(
    session: SessionDep,
    user: CurrentUser,
    sector: str | None = None,
    jurisdiction: str | None = None,
    instrument: str | None = None,
    tag: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
):
    filters = queries.ThreadFilters(sector=sector, jurisdiction=jurisdiction, instrument=instrument, tag=tag)
    views, next_cursor = queries.list_threads(session, user, filters, cursor, limit)
    return {"items": [thread_read(v) for v in views], "next_cursor": next_cursor}


@router.post("/threads", response_model=ThreadRead, status_code=201)
def create_thread(
    request: Request, session: SessionDep, user: CurrentUser, data: ThreadCreate, background: BackgroundTasks
):
    thread = actions.create_thread(session, user, data)
    background.add_task(check_after_write, request.app.state.database)
    return thread_read(queries.thread_views(session, user, [thread])[0])


@router.get("/threads/{thread_id}", response_model=ThreadDetail)
def get_thread(session: SessionDep, user: CurrentUser, thread_id: int):
    thread = queries.get_thread(session, user, thread_id)
    view = queries.thread_views(session, user, [thread])[0]
    posts, next_cursor = queries.thread_view(session, user, thread, texts=True)
    return thread_read(
        view,
        ThreadDetail,
        posts=[post_read(p.post, p.author, p.body_visible, p.attachments, user) for p in posts],
        posts_next_cursor=next_cursor,
    )


@router.get("/threads/{thread_id}/posts")
def thread_posts(
    session: SessionDep,
    user: CurrentUser,
    thread_id: int,
    cursor: str | None = None,
    flat: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 200,
):
    thread = queries.get_thread(session, user, thread_id)
    posts, next_cursor = queries.thread_view(session, user, thread, cursor, limit, flat=flat, texts=True)
    items = [post_read(p.post, p.author, p.body_visible, p.attachments, user) for p in posts]
    return {"items": items, "next_cursor": next_cursor}


@router.post("/threads/{thread_id}/posts", response_model=PostRead, status_code=201)
def reply(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    thread_id: int,
    data: ReplyCreate,
    background: BackgroundTasks,
):
    post = actions.reply(session, user, thread_id, data.body, data.parent_id, created_at=data.created_at)
    background.add_task(check_after_write, request.app.state.database)
    return post_read(post, user, True)


@router.patch("/posts/{post_id}", response_model=PostRead, responses=error_responses(409))
def edit_post(session: SessionDep, user: CurrentUser, post_id: int, data: PostEdit):
    try:
        post = actions.edit_post(session, user, post_id, data.body, data.base_revision, data.reason)
    except actions.StaleEdit as error:
        current = error.current
        author = session.get(User, current.author_id) if current.author_id else None
        return JSONResponse(
            status_code=409,
            content={
                "detail": error.message,
                "current": post_read(current, author, True).model_dump(mode="json"),
                "rejected": error.rejected,
            },
        )
    author = session.get(User, post.author_id) if post.author_id else None
    return post_read(post, author, True)


@router.delete("/posts/{post_id}", response_model=PostRead, responses=error_responses(409))
def delete_post(session: SessionDep, user: CurrentUser, post_id: int):
    post = actions.delete_post(session, user, post_id)
    return post_read(post, user, False)


@router.get("/posts/{post_id}/revisions")
def post_revisions(session: SessionDep, user: CurrentUser, post_id: int):
    _post, rows = queries.revisions(session, user, post_id)
    items = [
        RevisionRead(
            revision=r.revision,
            body=r.body,
            author=author_read(editor),
            reason=r.reason,
            created_at=r.created_at,
        )
        for r, editor in rows
    ]
    return {"items": items, "next_cursor": None}


@router.post("/preview")
def preview(user: CurrentUser, data: PreviewIn):
    return {"html": render_markdown(data.body)}


@router.get("/drafts/{key}")
def get_draft(session: SessionDep, user: CurrentUser, key: str):
    draft = drafts.get_draft(session, user, key)
    if draft is None:
        return {"key": key, "title": "", "body": "", "fields": {}, "updated_at": None}
    return {
        "key": key,
        "title": draft.title,
        "body": draft.body,
        "fields": drafts.draft_fields(draft),
        "updated_at": iso(draft.updated_at),
    }


@router.put("/drafts/{key}")
def save_draft(session: SessionDep, user: CurrentUser, key: str, data: DraftIn):
    draft = drafts.save_draft(session, user, key, title=data.title, body=data.body, fields=data.fields)
    return {"key": key, "updated_at": iso(draft.updated_at)}


@router.delete("/drafts/{key}", status_code=204)
def delete_draft(session: SessionDep, user: CurrentUser, key: str):
    drafts.delete_draft(session, user, key)


@router.put("/posts/{post_id}/bookmark", status_code=204)
def bookmark(session: SessionDep, user: CurrentUser, post_id: int):
    bookmarks_service.set_bookmark(session, user, post_id, True)


@router.delete("/posts/{post_id}/bookmark", status_code=204)
def unbookmark(session: SessionDep, user: CurrentUser, post_id: int):
    bookmarks_service.set_bookmark(session, user, post_id, False)


@router.get("/bookmarks")
def bookmarks(session: SessionDep, user: CurrentUser):
    items = [
        {
            "post_id": post.id,
            "thread_id": thread.id,
            "title": thread.title,
            "url": urls.post_url(thread, post.id),
            "created_at": iso(mark.created_at),
        }
        for mark, post, thread, _author in bookmarks_service.list_bookmarks(session, user)
    ]
    return {"items": items, "next_cursor": None}


@router.get("/coverage")
def coverage(session: SessionDep, user: CurrentUser):
    sectors_, jurisdictions_, cells = overview.coverage(session)
    return {
        "sectors": [s.slug for s in sectors_],
        "jurisdictions": [j.code for j in jurisdictions_],
        "cells": [
            {"sector": s.slug, "jurisdiction": j.code, "threads": cells[(s.id, j.id)]}
            for s in sectors_
            for j in jurisdictions_
            if (s.id, j.id) in cells
        ],
    }
