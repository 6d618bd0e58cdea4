"""HTML routes for discussions, one module per topic: `lists` (the forum by sector, jurisdiction,
instrument and tag; coverage), `writing` (threads, replies, edits, deletes, revisions) and `reading`
(a thread, bookmarks). The routers join here, in this order: `/t/{id}/reply` is matched before
`/t/{id}/{slug}` would take it."""

from fastapi import APIRouter

from app.forum import fragments, permissions, urls
from app.forum.pages import lists, reading, writing
from app.web import template_globals, templates

template_globals(
    forum_permissions=permissions,
    thread_url=urls.thread_url,
    post_url=urls.post_url,
    thread_rows=lambda views: fragments.render_thread_rows(templates.env, views),
)

router = APIRouter()
router.include_router(lists.router)
router.include_router(writing.router)
router.include_router(reading.router)
