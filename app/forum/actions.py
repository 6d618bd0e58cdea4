"""Forum writes: starting a thread, replying, editing, deleting, and the reading marker.

Everything is checked before anything is written; counters change with SQL increments (never
read-modify-write); notifications and the search index are written in the same transaction.
Services never commit: the request's unit of work does.
"""

import functools
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, bindparam, case, delete, update
from sqlmodel import Session, select

from app.accounts.models import User
from app.accounts.permissions import is_admin
from app.audit import record
from app.cache import bump
from app.db import upsert_for, write_soon
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.forum import permissions
from app.forum.drafts import delete_draft, reply_draft_key
from app.forum.models import (
    Bookmark,
    Post,
    PostRevision,
    PostState,
    ReadState,
    Thread,
    ThreadInstrument,
    ThreadJurisdiction,
    ThreadTag,
)
from app.forum.queries import get_post, get_thread, moderates_thread
from app.forum.schemas import ThreadCreate
from app.forum.validation import MAX_TITLE, check_body, clean_title
from app.i18n import _
from app.notifications import fan_out
from app.notifications import service as notifications
from app.sanitize import render_markdown
from app.search import index as search_index
from app.search.language import detect as detect_language
from app.taxonomy import service as taxonomy
from app.taxonomy.models import Instrument, Jurisdiction
from app.timeutil import iso, utcnow

# An imported post may be dated a little ahead of this server's clock, not more.
IMPORT_CLOCK_SKEW = timedelta(minutes=5)


MENTION_PATTERN = re.compile(r"(?<![\w@/])@([a-z0-9][a-z0-9._-]{0,39}[a-z0-9_]|[a-z0-9])", re.IGNORECASE)


def _path_segment(post_id: int) -> str:
    return f"{post_id:010d}"


def mentioned_handles(body: str) -> list[str]:
    # Code spans and blocks are not mentions.
    text = re.sub(r"```.*?```|`[^`]*`", " ", body or "", flags=re.DOTALL)
    return list(dict.fromkeys(m.lower() for m in MENTION_PATTERN.findall(text)))


def _written_at(user: User, created_at: datetime | None) -> datetime | None:
    """An imported post's own date (an administrator's import only), as naive UTC; None for a
    post written now."""
    if created_at is None:
        return None
    if not is_admin(user):
        raise Forbidden(_("Only an administrator may date a post (created_at), to import an archive."))
    if created_at.tzinfo is not None:
        created_at = created_at.astimezone(UTC).replace(tzinfo=None)
    if created_at > utcnow() + IMPORT_CLOCK_SKEW:
        raise ValidationFailed({"created_at": _("An imported post cannot be dated in the future.")})
    return created_at


def set_thread_links(session: Session, thread_id: int, jurisdictions, instruments, tags, clear=False) -> None:
    """A thread's jurisdictions, instruments and tags (anything with an `id`) as its link rows; with
    clear, in place of the ones it has."""
    if clear:
        for model in (ThreadJurisdiction, ThreadInstrument, ThreadTag):
            session.execute(delete(model).where(model.thread_id == thread_id))
    session.add_all(
        [ThreadJurisdiction(thread_id=thread_id, jurisdiction_id=j.id) for j in jurisdictions]
        + [ThreadInstrument(thread_id=thread_id, instrument_id=i.id) for i in instruments]
        + [ThreadTag(thread_id=thread_id, tag_id=t.id) for t in tags]
    )


def create_thread(session: Session, user: User, data: ThreadCreate, author: User | None = None) -> Thread:
    """Start a thread with its opening post; everything is checked before anything is written.
    An administrator importing an archive may give its date (data.created_at) and, from the
    command line, its author: the import is audited and notifies nobody."""
    imported_at = _written_at(user, data.created_at)
    if author is not None and not is_admin(user):
        raise Forbidden(_("Only an administrator may post in another member's name."))
    writer = author or user
    errors: dict[str, str] = {}
    title = clean_title(data.title)
    if not title:
        errors["title"] = _("Give the thread a title.")
    elif len(title) > MAX_TITLE:
        errors["title"] = _("Use at most %(n)d characters for the title.", n=MAX_TITLE)
    try:
        check_body(data.body)
    except ValidationFailed as error:
        errors.update(error.errors)
    sector = None
    try:
        sector = taxonomy.sector_by_slug(session, data.sector)
        if sector.archived:
            errors["sector"] = _("This sector is archived; choose another.")
    except NotFound:
        errors["sector"] = _("Choose a sector.")
    jurisdictions, instruments, tags = [], [], []
    try:
        jurisdictions = taxonomy.resolve_many(
            session, Jurisdiction, Jurisdiction.code, data.jurisdictions, "jurisdictions"
        )
        if not jurisdictions:
            errors["jurisdictions"] = _("Choose at least one jurisdiction.")
    except ValidationFailed as error:
        errors.update(error.errors)
    try:
        instruments = taxonomy.resolve_many(
            session, Instrument, Instrument.slug, data.instruments, "instruments"
        )
    except ValidationFailed as error:
        errors.update(error.errors)
    try:
        tags = taxonomy.parse_tags(data.tags)
    except ValidationFailed as error:
        errors.update(error.errors)
    if errors:
        raise ValidationFailed(errors)

    now = imported_at or utcnow()
    thread = Thread(
        title=title,
        slug=taxonomy.slugify(title)[:120],
        sector_id=sector.id,
        author_id=writer.id,
        created_at=now,
        last_activity_at=now,
    )
    session.add(thread)
    session.flush()
    set_thread_links(
        session, thread.id, jurisdictions, instruments, taxonomy.get_or_create_tags(session, tags)
    )
    post = _add_post(session, writer, thread, data.body, parent=None, now=now)
    thread.last_post_id = post.id
    session.add(thread)
    search_index.reindex_posts(session, [post.id])
    if imported_at is not None:
        record(session, user, "thread.import", "thread", thread.id, after={"created_at": iso(now)})
        return thread
    delete_draft(session, user, "thread")
    notifications.watch(session, user, "thread", thread.id)
    _mark_read(session, user, thread.id, post.id)
    fan_out.notify_new_thread(
        session, user, thread, post, [j.id for j in jurisdictions], mentioned_handles(data.body)
    )
    return thread


def _add_post(
    session: Session, user: User, thread: Thread, body: str, parent: Post | None, now: datetime
) -> Post:
    bump(session)  # a new post changes counts and activity kept by app.cache
    post = Post(
        thread_id=thread.id,
        parent_id=parent.id if parent else None,
        author_id=user.id,
        body=body,
        body_html=render_markdown(body),
        language=detect_language(body),
        created_at=now,
        depth=(parent.depth + 1) if parent else 0,
    )
    session.add(post)
    session.flush()
    post.path = f"{parent.path}.{_path_segment(post.id)}" if parent else _path_segment(post.id)
    session.add(post)
    session.add(PostRevision(post_id=post.id, revision=1, body=body, editor_id=user.id, created_at=now))
    return post


# A reply counted in its thread, built once: an SQL increment (two processes replying at once both
# count), and the last activity only ever moving forwards (an imported reply may be older).
_threads = Thread.__table__
_COUNT_REPLY = (
    update(_threads)
    .where(_threads.c.id == bindparam("r_thread"))
    .values(
        reply_count=_threads.c.reply_count + 1,
        last_activity_at=case(
            (_threads.c.last_activity_at > bindparam("r_now", type_=DateTime()), _threads.c.last_activity_at),
            else_=bindparam("r_now", type_=DateTime()),
        ),
        last_post_id=bindparam("r_post"),
    )
)


def reply(
    session: Session,
    user: User,
    thread_id: int,
    body: str,
    parent_id: int | None = None,
    *,
    created_at: datetime | None = None,
    author: User | None = None,
) -> Post:
    """Reply to the thread (the opening post) or to any post in it. An administrator importing an
    archive may date the reply and (from the command line) name its author: audited, notifying
    nobody, and the thread's last activity moves only forwards."""
    imported_at = _written_at(user, created_at)
    if author is not None and not is_admin(user):
        raise Forbidden(_("Only an administrator may post in another member's name."))
    writer = author or user
    thread = get_thread(session, user, thread_id)
    if thread.merged_into_id is not None:
        raise NotFound(_("This thread was merged into another one: reply there."))
    permissions.check_can_reply(user, thread, moderates_thread(session, user, thread))
    check_body(body)
    if parent_id is None:
        parent = session.exec(
            select(Post)
            .where(Post.thread_id == thread.id, Post.parent_id.is_(None))
            .order_by(Post.id)
            .limit(1)
        ).first()
    else:
        parent = session.get(Post, parent_id)
        if parent is None or parent.thread_id != thread.id:
            raise ValidationFailed({"parent_id": _("The post you are replying to is not in this thread.")})
        if parent.state == PostState.deleted or not permissions.can_see_post_body(user, parent):
            raise ValidationFailed({"parent_id": _("The post you are replying to was removed.")})
    now = imported_at or utcnow()
    post = _add_post(session, writer, thread, body, parent=parent, now=now)
    session.connection().execute(_COUNT_REPLY, {"r_thread": thread.id, "r_now": now, "r_post": post.id})
    session.expire(thread, ["reply_count", "last_activity_at", "last_post_id"])  # read again if asked
    search_index.reindex_posts(session, [post.id])
    if imported_at is not None:
        record(session, user, "post.import", "post", post.id, after={"created_at": iso(now)})
        return post
    delete_draft(session, user, reply_draft_key(thread.id, parent_id))
    notifications.watch(session, user, "thread", thread.id)
    _mark_read(session, user, thread.id, post.id)
    fan_out.notify_reply(session, user, thread, post, parent, mentioned_handles(body))
    return post


def edit_post(
    session: Session, user: User, post_id: int, body: str, base_revision: int, reason: str = ""
) -> Post:
    """Save a new revision. An edit made from a stale revision is refused with 409, carrying the
    current post and the rejected text, so nothing typed is lost."""
    post = get_post(session, post_id)
    permissions.check_can_see_post(user, post)
    permissions.check_can_edit_post(
        user, post, moderates_thread(session, user, session.get(Thread, post.thread_id))
    )
    check_body(body)
    reason = " ".join((reason or "").split())[:300]
    if base_revision != post.revision:
        raise StaleEdit(post, body)
    if body == post.body:
        return post
    now = utcnow()
    # The WHERE on revision makes the check and the write one step: of two concurrent edits from
    # the same base, exactly one wins.
    changed = session.execute(
        update(Post)
        .where(Post.id == post.id, Post.revision == base_revision)
        .values(
            body=body,
            body_html=render_markdown(body),
            language=detect_language(body),
            revision=base_revision + 1,
            edited_at=now,
        )
    ).rowcount
    if changed != 1:
        session.refresh(post)
        raise StaleEdit(post, body)
    session.add(
        PostRevision(
            post_id=post.id,
            revision=base_revision + 1,
            body=body,
            editor_id=user.id,
            reason=reason,
            created_at=now,
        )
    )
    session.refresh(post)
    search_index.reindex_posts(session, [post.id])
    if user.id != post.author_id:
        record(
            session,
            user,
            "post.edit",
            "post",
            post.id,
            reason=reason,
            before={"revision": base_revision},
            after={"revision": base_revision + 1},
        )
    return post


class StaleEdit(Conflict):
    def __init__(self, current: Post, rejected: str):
        super().__init__(
            _(
                "Someone saved a newer version of this post while you were editing. Your text is "
                "below, next to the current version: merge them and save again."
            )
        )
        self.current = current
        self.rejected = rejected


def change_post_state(session: Session, post: Post, before: str, after: str, hidden_reason: str = "") -> bool:
    """Move a post from one state to another (delete, hide, unhide), keeping the thread's reply
    count: whether anything changed. The state is checked and changed in one statement, so a
    concurrent delete or hide can neither be overwritten nor make the count move twice."""
    changed = session.execute(
        update(Post)
        .where(Post.id == post.id, Post.state == before)
        .values(state=after, hidden_reason=hidden_reason)
    ).rowcount
    if not changed:
        return False
    if post.parent_id is not None and PostState.visible in (before, after):
        step = 1 if after == PostState.visible else -1
        session.execute(
            update(Thread).where(Thread.id == post.thread_id).values(reply_count=Thread.reply_count + step)
        )
    session.refresh(post)
    return True


def delete_post(session: Session, user: User, post_id: int) -> Post:
    """The author removes their post: the text leaves the view, the tree keeps its shape."""
    post = get_post(session, post_id)
    permissions.check_can_delete_post(user, post)
    if not change_post_state(session, post, PostState.visible, PostState.deleted):
        raise Conflict(_("This post was changed meanwhile; reload the page."))
    session.execute(delete(Bookmark).where(Bookmark.post_id == post.id))
    search_index.unindex_posts(session, [post.id])
    return post


@functools.cache
def _read_marker(dialect: str):
    """Insert a member's reading marker for a thread, or move it forwards (never back): one
    statement, built once per engine."""
    table = ReadState.__table__
    statement = upsert_for(dialect)(table).values(
        user_id=bindparam("rs_user"),
        thread_id=bindparam("rs_thread"),
        last_read_post_id=bindparam("rs_post"),
        updated_at=bindparam("rs_now"),
    )
    return statement.on_conflict_do_update(
        index_elements=["user_id", "thread_id"],
        set_={
            "last_read_post_id": statement.excluded.last_read_post_id,
            "updated_at": statement.excluded.updated_at,
        },
        where=table.c.last_read_post_id < statement.excluded.last_read_post_id,
    )


def _mark_read(session: Session, user: User, thread_id: int, post_id: int) -> None:
    connection = session.connection()
    connection.execute(
        _read_marker(connection.dialect.name),
        {"rs_user": user.id, "rs_thread": thread_id, "rs_post": post_id, "rs_now": utcnow()},
    )


def mark_thread_read(session: Session, user: User, thread: Thread, last_read_post_id: int | None) -> None:
    """Called when a member opens a thread: writes only when there is something new to mark."""
    if thread.last_post_id and (last_read_post_id or 0) < thread.last_post_id:
        user_id, thread_id, post_id = user.id, thread.id, thread.last_post_id
        write_soon(session, lambda s: _mark_read(s, s.get(User, user_id), thread_id, post_id))
