"""Addresses of forum objects: one helper per object, so no service or template types a path by hand."""

from app.forum.models import (
    Thread,
)


def thread_url(thread: Thread) -> str:
    return f"/t/{thread.id}/{thread.slug}" if thread.slug else f"/t/{thread.id}"


def post_url(thread: Thread | int, post_id: int) -> str:
    thread_id = thread if isinstance(thread, int) else thread.id
    return f"/t/{thread_id}#post-{post_id}"
