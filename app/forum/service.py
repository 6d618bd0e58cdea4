"""Threads and posts: every query and state change, with permissions checked here.

Reads load what a page shows with a fixed number of queries whatever the size of the thread; writes
keep counters with SQL increments (never read-modify-write) and notify in the same transaction.
"""

import difflib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, bindparam, case, delete, func, or_, text, tuple_, update
from sqlmodel import Session, select

from app.accounts.models import User
from app.accounts.permissions import can_moderate_sector, is_admin
from app.attachments.models import Attachment
from app.attachments.service import for_posts
from app.audit import record
from app.cache import bump, kept
from app.db import write_soon
from app.errors import Conflict, Forbidden, Invalid, NotFound, ValidationFailed
from app.forum import permissions
from app.forum.models import (
    Bookmark,
    Draft,
    Post,
    PostRevision,
    PostState,
    ReadState,
    Thread,
    ThreadInstrument,
    ThreadJurisdiction,
    ThreadTag,
)
from app.forum.schemas import ThreadCreate
from app.i18n import _
from app.notifications import service as notifications
from app.pagination import cursor_int, decode_cursor, encode_cursor
from app.sanitize import render_markdown
from app.search import index as search_index
from app.search.language import detect as detect_language
from app.taxonomy import service as taxonomy
from app.taxonomy.models import Instrument, Jurisdiction, Sector, Tag
from app.timeutil import iso, utcnow

MAX_TITLE = 200
# An imported post may be dated a little ahead of this server's clock, not more.
IMPORT_CLOCK_SKEW = timedelta(minutes=5)
MAX_BODY = 100_000
THREAD_PAGE_POSTS = 200
LIST_PAGE_SIZE = 30
MENTION_PATTERN = re.compile(r"(?<![\w@/])@([a-z0-9][a-z0-9._-]{0,39}[a-z0-9_]|[a-z0-9])", re.IGNORECASE)


def _path_segment(post_id: int) -> str:
    return f"{post_id:010d}"


def thread_url(thread: Thread) -> str:
    return f"/t/{thread.id}/{thread.slug}" if thread.slug else f"/t/{thread.id}"


def post_url(thread: Thread | int, post_id: int) -> str:
    thread_id = thread if isinstance(thread, int) else thread.id
    return f"/t/{thread_id}#post-{post_id}"


def _clean_title(title: str) -> str:
    return " ".join("".join(ch for ch in (title or "") if ch.isprintable()).split())


def _check_body(body: str, field_name: str = "body") -> str:
    if not (body or "").strip():
        raise ValidationFailed({field_name: _("Write something first: the post is empty.")})
    if len(body) > MAX_BODY:
        raise ValidationFailed({field_name: _("A post can hold at most %(n)d characters.", n=MAX_BODY)})
    return body


def mentioned_handles(body: str) -> list[str]:
    # Code spans and blocks are not mentions.
    text = re.sub(r"```.*?```|`[^`]*`", " ", body or "", flags=re.DOTALL)
    return list(dict.fromkeys(m.lower() for m in MENTION_PATTERN.findall(text)))


# --- Threads -------------------------------------------------------------------------------------


@dataclass
class ThreadView:
    """A thread with what a page or the API shows of it, loaded in a fixed number of queries."""

    thread: Thread
    sector: taxonomy.SectorRow
    jurisdictions: list[taxonomy.JurisdictionRow] = field(default_factory=list)
    instruments: list[taxonomy.InstrumentRow] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    author: "ThreadAuthor | None" = None
    unread: int | None = None
    last_read_post_id: int | None = None


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


def create_thread(session: Session, user: User, data: ThreadCreate, author: User | None = None) -> Thread:
    """Start a thread with its opening post; everything is checked before anything is written.
    An administrator importing an archive may give its date (data.created_at) and, from the
    command line, its author: the import is audited and notifies nobody."""
    imported_at = _written_at(user, data.created_at)
    if author is not None and not is_admin(user):
        raise Forbidden(_("Only an administrator may post in another member's name."))
    writer = author or user
    errors: dict[str, str] = {}
    title = _clean_title(data.title)
    if not title:
        errors["title"] = _("Give the thread a title.")
    elif len(title) > MAX_TITLE:
        errors["title"] = _("Use at most %(n)d characters for the title.", n=MAX_TITLE)
    try:
        _check_body(data.body)
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
    session.add_all([ThreadJurisdiction(thread_id=thread.id, jurisdiction_id=j.id) for j in jurisdictions])
    session.add_all([ThreadInstrument(thread_id=thread.id, instrument_id=i.id) for i in instruments])
    session.add_all(
        [ThreadTag(thread_id=thread.id, tag_id=t.id) for t in taxonomy.get_or_create_tags(session, tags)]
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
    notifications.notify_new_thread(
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


def moderates_thread(session: Session, user: User | None, thread: Thread) -> bool:
    return can_moderate_sector(session, user, thread.sector_id)


def get_thread(session: Session, user: User, thread_id: int) -> Thread:
    thread = session.get(Thread, thread_id)
    if thread is None:
        raise NotFound(_("No such thread."))
    return thread


@dataclass(frozen=True)
class ThreadAuthor:
    """What lists and the API show of a thread's author."""

    id: int
    display_name: str
    handle: str
    organisation: str
    country: str


# Built once: list pages run these on every view.
THREAD_AUTHORS = select(User.id, User.display_name, User.handle, User.organisation, User.country).where(
    User.id.in_(bindparam("ids", expanding=True))
)
READ_STATES = select(ReadState.thread_id, ReadState.last_read_post_id).where(
    ReadState.user_id == bindparam("user_id"), ReadState.thread_id.in_(bindparam("ids", expanding=True))
)
UNREAD_COUNTS = (
    select(Post.thread_id, func.count())
    .outerjoin(
        ReadState, and_(ReadState.thread_id == Post.thread_id, ReadState.user_id == bindparam("user_id"))
    )
    .where(
        Post.thread_id.in_(bindparam("ids", expanding=True)),
        Post.state == PostState.visible,
        Post.id > func.coalesce(ReadState.last_read_post_id, 0),
    )
    .group_by(Post.thread_id)
)
THREAD_LINKS = text(
    "SELECT thread_id, 'j', jurisdiction_id, NULL FROM thread_jurisdiction WHERE thread_id IN :ids "
    "UNION ALL SELECT thread_id, 'i', instrument_id, NULL FROM thread_instrument WHERE thread_id IN :ids "
    "UNION ALL SELECT tt.thread_id, 'g', tt.tag_id, tg.name FROM thread_tag tt "
    "JOIN tag tg ON tg.id = tt.tag_id WHERE tt.thread_id IN :ids"
).bindparams(bindparam("ids", expanding=True))


def thread_views(
    session: Session, user: User | None, threads: list[Thread], counts: bool = True
) -> list[ThreadView]:
    """Taxonomy, tags, authors and unread counts for a page of threads, in four queries for any
    page size (three without `counts`, the "N new" figures). Sectors, jurisdictions and
    instruments come from the kept taxonomy (immutable rows shared by requests)."""
    if not threads:
        return []
    ids = [t.id for t in threads]
    taxa = taxonomy.maps(session)
    views = {t.id: ThreadView(thread=t, sector=taxa.sectors[t.sector_id]) for t in threads}
    for thread_id, kind, value, name in session.execute(THREAD_LINKS, {"ids": ids}):
        view = views[thread_id]
        if kind == "j":
            view.jurisdictions.append(taxa.jurisdictions[value])
        elif kind == "i":
            view.instruments.append(taxa.instruments[value])
        else:
            view.tags.append(name)
    authors = {
        row[0]: ThreadAuthor(*row)
        for row in session.execute(THREAD_AUTHORS, {"ids": list({t.author_id for t in threads})})
    }
    for view in views.values():
        view.jurisdictions.sort(key=lambda j: j.name)
        view.instruments.sort(key=lambda i: (i.year is None, i.year or 0))
        view.tags.sort()
        view.author = authors.get(view.thread.author_id)
    if user is not None:
        params = {"user_id": user.id, "ids": ids}
        read = dict(session.execute(READ_STATES, params).all())
        # "N new": visible posts after the last one read, counted in one grouped query.
        unread = dict(session.execute(UNREAD_COUNTS, params).all()) if counts else {}
        for view in views.values():
            view.last_read_post_id = read.get(view.thread.id)
            view.unread = unread.get(view.thread.id, 0) if counts else None
    return [views[i] for i in ids]


@dataclass
class ThreadFilters:
    sector: str | None = None
    jurisdiction: str | None = None
    instrument: str | None = None
    tag: str | None = None
    author_id: int | None = None


def list_threads(
    session: Session,
    user: User | None,
    filters: ThreadFilters,
    cursor: str | None = None,
    limit: int = LIST_PAGE_SIZE,
) -> tuple[list[ThreadView], str | None]:
    """Pinned threads first, then by last activity; keyset-paginated on (pinned, last_activity_at, id)."""
    limit = max(1, min(limit, 100))
    # Rows of every column rather than ORM objects: a list only reads them.
    statement = select(*Thread.__table__.columns)
    if filters.sector:
        statement = statement.where(Thread.sector_id == taxonomy.sector_by_slug(session, filters.sector).id)
    if filters.jurisdiction:
        jurisdiction = taxonomy.jurisdiction_by_code(session, filters.jurisdiction)
        statement = statement.where(
            Thread.id.in_(
                select(ThreadJurisdiction.thread_id).where(
                    ThreadJurisdiction.jurisdiction_id == jurisdiction.id
                )
            )
        )
    if filters.instrument:
        instrument = taxonomy.instrument_by_slug(session, filters.instrument)
        statement = statement.where(
            Thread.id.in_(
                select(ThreadInstrument.thread_id).where(ThreadInstrument.instrument_id == instrument.id)
            )
        )
    if filters.tag:
        tag = session.exec(select(Tag).where(Tag.name == taxonomy.normalise_tag(filters.tag))).first()
        if tag is None:
            return [], None
        statement = statement.where(
            Thread.id.in_(select(ThreadTag.thread_id).where(ThreadTag.tag_id == tag.id))
        )
    if filters.author_id:
        statement = statement.where(Thread.author_id == filters.author_id)
    # A pin in a sector shows in that sector's list; a site-wide pin (administrators) everywhere.
    pin = Thread.pinned if filters.sector else Thread.pinned_globally
    statement = statement.where(Thread.merged_into_id.is_(None))
    after = decode_cursor(cursor, 3)
    if after:
        pinned, last_activity, last_id = after
        try:
            last_activity = datetime.fromisoformat(last_activity)
            pinned, last_id = bool(pinned), int(last_id)
        except (TypeError, ValueError):
            raise Invalid(_("The page cursor is not valid; start from the first page.")) from None
        # Descending on every key: rows "after" the cursor are smaller in (pin, time, id).
        older = tuple_(Thread.last_activity_at, Thread.id) < tuple_(last_activity, last_id)
        if pinned:
            statement = statement.where(or_(pin.is_(False), and_(pin.is_(True), older)))
        else:
            statement = statement.where(pin.is_(False), older)
    statement = statement.order_by(pin.desc(), Thread.last_activity_at.desc(), Thread.id.desc())
    threads = list(session.execute(statement.limit(limit + 1)).all())
    next_cursor = None
    if len(threads) > limit:
        threads = threads[:limit]
        last = threads[-1]
        pinned = last.pinned if filters.sector else last.pinned_globally
        next_cursor = encode_cursor([int(pinned), last.last_activity_at.isoformat(), last.id])
    return thread_views(session, user, threads), next_cursor


# --- Posts ---------------------------------------------------------------------------------------


@dataclass
class PostView:
    post: Post
    author: User | None
    body_visible: bool
    bookmarked: bool = False
    new: bool = False
    attachments: list = field(default_factory=list)


def _post_cursor(cursor: str | None, flat: bool):
    """The key a page of posts continues after: a post id (flat) or a tree path."""
    after = decode_cursor(cursor, 1)
    if not after:
        return None
    return cursor_int(after[0]) if flat else str(after[0])


def _post_page(posts: list, limit: int, flat: bool) -> tuple[list, str | None]:
    """Rows fetched with limit + 1: the page, and the cursor of the next one if there is one."""
    if len(posts) <= limit:
        return posts, None
    posts = posts[:limit]
    return posts, encode_cursor([posts[-1].id if flat else posts[-1].path])


def thread_posts(
    session: Session,
    user: User,
    thread: Thread,
    cursor: str | None = None,
    limit: int = THREAD_PAGE_POSTS,
    flat: bool = False,
) -> tuple[list[PostView], str | None]:
    """Posts in tree order (or chronological when flat), keyset-paginated, in four queries however
    many posts."""
    statement = select(Post).where(Post.thread_id == thread.id)
    key = Post.id if flat else Post.path
    after = _post_cursor(cursor, flat)
    if after is not None:
        statement = statement.where(key > after)
    posts, next_cursor = _post_page(
        list(session.exec(statement.order_by(key).limit(limit + 1)).all()), limit, flat
    )
    author_ids = {p.author_id for p in posts if p.author_id}
    authors = (
        {u.id: u for u in session.exec(select(User).where(User.id.in_(author_ids)))} if author_ids else {}
    )
    bookmarked = set()
    if posts:
        bookmarked = set(
            session.exec(
                select(Bookmark.post_id).where(
                    Bookmark.user_id == user.id, Bookmark.post_id.in_([p.id for p in posts])
                )
            ).all()
        )
    documents = for_posts(session, user, [p.id for p in posts if permissions.can_see_post_body(user, p)])
    return [
        PostView(
            post=p,
            author=authors.get(p.author_id),
            body_visible=permissions.can_see_post_body(user, p),
            bookmarked=p.id in bookmarked,
            attachments=documents.get(p.id, []),
        )
        for p in posts
    ], next_cursor


LIGHT_POST_COLUMNS = (
    Post.id,
    Post.thread_id,
    Post.parent_id,
    Post.depth,
    Post.path,
    Post.revision,
    Post.state,
    Post.author_id,
    Post.created_at,
    Post.hidden_reason,
)


@dataclass(frozen=True)
class PostAuthor:
    id: int
    display_name: str
    organisation: str
    country: str


def _page_posts_statement(flat: bool, after: bool):
    key = Post.id if flat else Post.path
    bookmarked = (
        select(Bookmark.post_id)
        .where(Bookmark.user_id == bindparam("user_id"), Bookmark.post_id == Post.id)
        .exists()
    )
    attached = select(Attachment.id).where(Attachment.post_id == Post.id).exists()
    statement = (
        select(
            *LIGHT_POST_COLUMNS,
            User.display_name,
            User.organisation,
            User.country,
            bookmarked.label("bookmarked"),
            attached.label("attached"),
        )
        .outerjoin(User, User.id == Post.author_id)
        .where(Post.thread_id == bindparam("thread_id"))
    )
    if after:
        statement = statement.where(key > bindparam("after"))
    return statement.order_by(key).limit(bindparam("limit"))


# Built once: the thread page runs one of these on every view.
PAGE_POSTS = {
    (flat, after): _page_posts_statement(flat, after) for flat in (False, True) for after in (False, True)
}


def page_posts(
    session: Session,
    user: User,
    thread: Thread,
    cursor: str | None = None,
    limit: int = THREAD_PAGE_POSTS,
    flat: bool = False,
) -> tuple[list[PostView], str | None]:
    """thread_posts for the thread page: rows of the columns it needs, with author, bookmark and
    "has documents" in the same query, without the bodies (the page keeps rendered posts and loads
    a body only to render it: `post_bodies`). One query, two when a post has documents."""
    after = _post_cursor(cursor, flat)
    params = {"thread_id": thread.id, "user_id": user.id, "limit": limit + 1, "after": after}
    posts, next_cursor = _post_page(
        session.execute(PAGE_POSTS[(flat, after is not None)], params).all(), limit, flat
    )
    authors: dict[int, PostAuthor] = {}
    for p in posts:
        if p.author_id is not None and p.author_id not in authors:
            authors[p.author_id] = PostAuthor(p.author_id, p.display_name, p.organisation, p.country)
    documents = {}
    with_documents = [p.id for p in posts if p.attached and permissions.can_see_post_body(user, p)]
    if with_documents:
        documents = for_posts(session, user, with_documents)
    return [
        PostView(
            post=p,
            author=authors.get(p.author_id),
            body_visible=permissions.can_see_post_body(user, p),
            bookmarked=bool(p.bookmarked),
            attachments=documents.get(p.id, []),
        )
        for p in posts
    ], next_cursor


def post_bodies(session: Session, post_ids: list[int]) -> dict[int, str]:
    """Rendered HTML of these posts, one query (callers check who may see them)."""
    if not post_ids:
        return {}
    return dict(session.execute(select(Post.id, Post.body_html).where(Post.id.in_(post_ids))).all())


def get_post(session: Session, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None:
        raise NotFound(_("No such post."))
    return post


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
    _check_body(body)
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
    # SQL increments: two processes replying at once both count.
    latest = case((Thread.last_activity_at > now, Thread.last_activity_at), else_=now)
    session.execute(
        update(Thread)
        .where(Thread.id == thread.id)
        .values(reply_count=Thread.reply_count + 1, last_activity_at=latest, last_post_id=post.id)
    )
    search_index.reindex_posts(session, [post.id])
    if imported_at is not None:
        record(session, user, "post.import", "post", post.id, after={"created_at": iso(now)})
        return post
    delete_draft(session, user, reply_draft_key(thread.id, parent_id))
    notifications.watch(session, user, "thread", thread.id)
    _mark_read(session, user, thread.id, post.id)
    notifications.notify_reply(session, user, thread, post, parent, mentioned_handles(body))
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
    _check_body(body)
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


def delete_post(session: Session, user: User, post_id: int) -> Post:
    """The author removes their post: the text leaves the view, the tree keeps its shape."""
    post = get_post(session, post_id)
    permissions.check_can_delete_post(user, post)
    # Only a visible post is deleted here (checked in the same statement), so a concurrent hide
    # cannot make the reply count drop twice.
    changed = session.execute(
        update(Post)
        .where(Post.id == post.id, Post.state == PostState.visible)
        .values(state=PostState.deleted)
    ).rowcount
    if not changed:
        raise Conflict(_("This post was changed meanwhile; reload the page."))
    if post.parent_id is not None:
        session.execute(
            update(Thread).where(Thread.id == post.thread_id).values(reply_count=Thread.reply_count - 1)
        )
    session.execute(delete(Bookmark).where(Bookmark.post_id == post.id))
    search_index.unindex_posts(session, [post.id])
    session.refresh(post)
    return post


def revisions(
    session: Session, user: User, post_id: int
) -> tuple[Post, list[tuple[PostRevision, User | None]]]:
    post = get_post(session, post_id)
    permissions.check_can_see_post(user, post)
    rows = session.exec(
        select(PostRevision, User)
        .outerjoin(User, User.id == PostRevision.editor_id)
        .where(PostRevision.post_id == post.id)
        .order_by(PostRevision.revision)
    ).all()
    return post, list(rows)


def diff_lines(before: str, after: str) -> list[tuple[str, str]]:
    """Line diff between two revisions as (mark, line): "+" added, "-" removed, " " kept, "@" a gap."""
    lines: list[tuple[str, str]] = []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        lines.append(("@", "…") if line.startswith("@@") else (line[:1], line[1:]))
    return lines


def post_for_quote(session: Session, user: User, post_id: int) -> tuple[Post, User | None]:
    post = get_post(session, post_id)
    permissions.check_can_see_post(user, post)
    return post, session.get(User, post.author_id) if post.author_id else None


def quote_markdown(post: Post, author: User | None) -> str:
    name = author.display_name if author else _("a former member")
    quoted = "\n".join(f"> {line}" if line else ">" for line in post.body.strip().splitlines())
    return _("%(name)s wrote:", name=name) + f"\n{quoted}\n\n"


# --- Reading state -------------------------------------------------------------------------------


def _mark_read(session: Session, user: User, thread_id: int, post_id: int) -> None:
    existing = session.get(ReadState, (user.id, thread_id))
    if existing is None:
        session.add(ReadState(user_id=user.id, thread_id=thread_id, last_read_post_id=post_id))
        session.flush()
    elif existing.last_read_post_id < post_id:
        session.execute(
            update(ReadState)
            .where(
                ReadState.user_id == user.id,
                ReadState.thread_id == thread_id,
                ReadState.last_read_post_id < post_id,
            )
            .values(last_read_post_id=post_id, updated_at=utcnow())
        )


def mark_thread_read(session: Session, user: User, thread: Thread, last_read_post_id: int | None) -> None:
    """Called when a member opens a thread: writes only when there is something new to mark."""
    if thread.last_post_id and (last_read_post_id or 0) < thread.last_post_id:
        user_id, thread_id, post_id = user.id, thread.id, thread.last_post_id
        write_soon(session, lambda s: _mark_read(s, s.get(User, user_id), thread_id, post_id))


# --- Drafts --------------------------------------------------------------------------------------


def reply_draft_key(thread_id: int, parent_id: int | None = None) -> str:
    return f"reply:{thread_id}" + (f":{parent_id}" if parent_id else "")


DRAFT_KEY = re.compile(r"^(thread|reply:\d+(:\d+)?)$")


def save_draft(
    session: Session, user: User, key: str, *, title: str = "", body: str = "", fields: dict | None = None
) -> Draft:
    """Keep what the member is typing, on the server, so any device can pick it up again."""
    if not DRAFT_KEY.match(key or ""):
        raise Invalid(_("Unknown draft."))
    if len(body or "") > MAX_BODY:
        raise ValidationFailed({"body": _("A post can hold at most %(n)d characters.", n=MAX_BODY)})
    draft = session.exec(select(Draft).where(Draft.user_id == user.id, Draft.key == key)).first()
    if draft is None:
        draft = Draft(user_id=user.id, key=key)
    draft.title = _clean_title(title)[:MAX_TITLE]
    draft.body = body or ""
    draft.fields = json.dumps(fields or {}, sort_keys=True)[:5000]
    draft.updated_at = utcnow()
    session.add(draft)
    session.flush()
    return draft


def get_draft(session: Session, user: User, key: str) -> Draft | None:
    return session.exec(select(Draft).where(Draft.user_id == user.id, Draft.key == key)).first()


def delete_draft(session: Session, user: User, key: str) -> None:
    session.execute(delete(Draft).where(Draft.user_id == user.id, Draft.key == key))


def draft_fields(draft: Draft | None) -> dict:
    if draft is None or not draft.fields:
        return {}
    try:
        value = json.loads(draft.fields)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# --- Bookmarks -----------------------------------------------------------------------------------


def set_bookmark(session: Session, user: User, post_id: int, on: bool) -> Post:
    post = get_post(session, post_id)
    permissions.check_can_see_post(user, post)
    existing = session.get(Bookmark, (user.id, post.id))
    if on and existing is None:
        session.add(Bookmark(user_id=user.id, post_id=post.id))
    elif not on and existing is not None:
        session.delete(existing)
    return post


def list_bookmarks(session: Session, user: User) -> list[tuple[Bookmark, Post, Thread, User | None]]:
    rows = session.exec(
        select(Bookmark, Post, Thread, User)
        .join(Post, Post.id == Bookmark.post_id)
        .join(Thread, Thread.id == Post.thread_id)
        .outerjoin(User, User.id == Post.author_id)
        .where(Bookmark.user_id == user.id)
        .order_by(Bookmark.created_at.desc())
        .limit(500)
    ).all()
    # A post hidden since it was bookmarked disappears from the list for those who cannot see it.
    return [row for row in rows if permissions.can_see_post_body(user, row[1])]


# --- Home and coverage ---------------------------------------------------------------------------


@dataclass
class SectorSummary:
    sector: Sector
    thread_count: int
    last_activity_at: datetime | None


def sector_summaries(session: Session) -> list[SectorSummary]:
    """Thread counts and latest activity per sector. The grouped query reads every thread, so its
    answer is kept until the forum's version moves (app.cache.kept)."""

    def count() -> dict[int, tuple[int, datetime | None]]:
        return {
            row[0]: (row[1], row[2])
            for row in session.exec(
                select(Thread.sector_id, func.count(), func.max(Thread.last_activity_at))
                .where(Thread.merged_into_id.is_(None))
                .group_by(Thread.sector_id)
            ).all()
        }

    counts = kept(session, ("sector-summaries",), count)
    return [
        SectorSummary(sector, *counts.get(sector.id, (0, None))) for sector in taxonomy.list_sectors(session)
    ]


def coverage(session: Session, all_jurisdictions: bool = False):
    """Thread counts crossing sectors with jurisdictions, in one grouped query."""
    rows = session.exec(
        select(Thread.sector_id, ThreadJurisdiction.jurisdiction_id, func.count())
        .join(ThreadJurisdiction, ThreadJurisdiction.thread_id == Thread.id)
        .where(Thread.merged_into_id.is_(None))
        .group_by(Thread.sector_id, ThreadJurisdiction.jurisdiction_id)
    ).all()
    cells = {(sector_id, jurisdiction_id): count for sector_id, jurisdiction_id, count in rows}
    sectors = taxonomy.list_sectors(session)
    used = {jurisdiction_id for _sector, jurisdiction_id in cells}
    jurisdictions = [j for j in taxonomy.list_jurisdictions(session) if all_jurisdictions or j.id in used]
    return sectors, jurisdictions, cells


# --- What the thread page shows of its reader ------------------------------------------------------


@dataclass(frozen=True)
class ReaderState:
    last_read_post_id: int | None
    watching: bool
    draft_body: str
    unread_notifications: int  # all of the reader's unread notifications, at most UNREAD_CAP
    unread_here: int  # of which about this thread


READER_STATE = text(
    "SELECT "
    "(SELECT last_read_post_id FROM read_state WHERE user_id = :user_id AND thread_id = :thread_id), "
    "EXISTS (SELECT 1 FROM watch WHERE user_id = :user_id AND target_type = 'thread' "
    "AND target_id = :thread_id), "
    '(SELECT body FROM draft WHERE user_id = :user_id AND "key" = :draft_key), '
    # At most UNREAD_CAP (the header says "99+"), so the count costs the same for every reader.
    "(SELECT count(*) FROM (SELECT 1 FROM notification WHERE user_id = :user_id AND read_at IS NULL "
    "LIMIT :cap) AS capped), "
    "(SELECT count(*) FROM notification WHERE user_id = :user_id AND thread_id = :thread_id "
    "AND read_at IS NULL)"
)


def reader_state(session: Session, user: User, thread: Thread) -> ReaderState:
    """The reader's marker, watch, reply draft and notification counts for one thread, in one
    statement (five indexed lookups)."""
    row = session.execute(
        READER_STATE,
        {
            "user_id": user.id,
            "thread_id": thread.id,
            "draft_key": reply_draft_key(thread.id),
            "cap": notifications.UNREAD_CAP,
        },
    ).one()
    return ReaderState(row[0], bool(row[1]), row[2] or "", row[3], row[4])
