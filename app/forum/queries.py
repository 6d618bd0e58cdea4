"""Forum reads: threads and their lists, a thread's posts, revisions, and the thread page's reader.

Each read loads what a page shows with a fixed number of queries whatever the size of the thread,
and checks who may see what (`app/forum/permissions.py`).
"""

import difflib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, bindparam, func, or_, text, tuple_
from sqlmodel import Session, select

from app.accounts.models import User
from app.accounts.permissions import can_moderate_sector
from app.attachments.models import Attachment
from app.attachments.service import for_posts
from app.errors import Invalid, NotFound
from app.forum import permissions
from app.forum.drafts import reply_draft_key
from app.forum.filters import thread_conditions
from app.forum.models import Bookmark, Post, PostRevision, PostState, ReadState, Thread
from app.i18n import _
from app.notifications import service as notifications
from app.pagination import cursor_int, decode_cursor, encode_cursor
from app.taxonomy import service as taxonomy

THREAD_PAGE_POSTS = 200


LIST_PAGE_SIZE = 30


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
    statement = statement.where(
        *thread_conditions(
            session,
            sector=filters.sector,
            jurisdiction=filters.jurisdiction,
            instrument=filters.instrument,
            tag=filters.tag,
        )
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
    Post.edited_at,
    Post.hidden_reason,
)
# What the API and the split form show besides: the text. The thread page leaves it out, keeps
# rendered posts and loads a body only to render it (`post_bodies`).
TEXT_COLUMNS = (Post.body, Post.body_html)


@dataclass(frozen=True)
class PostAuthor:
    id: int
    display_name: str
    handle: str
    organisation: str
    country: str


def _thread_view_statement(flat: bool, after: bool, texts: bool):
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
            *(TEXT_COLUMNS if texts else ()),
            User.display_name,
            User.handle,
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


# Built once: the thread page and the API run one of these on every view.
THREAD_VIEW = {
    (flat, after, texts): _thread_view_statement(flat, after, texts)
    for flat in (False, True)
    for after in (False, True)
    for texts in (False, True)
}


def thread_view(
    session: Session,
    user: User,
    thread: Thread,
    cursor: str | None = None,
    limit: int = THREAD_PAGE_POSTS,
    flat: bool = False,
    texts: bool = False,
) -> tuple[list[PostView], str | None]:
    """A page of a thread's posts as this reader may see them, for the thread page and the API alike:
    in tree order (or chronological when flat), keyset-paginated, each with its author, whether the
    reader bookmarked it and its documents. One query, two when a post has documents, however many
    posts. With `texts`, each row carries the post's Markdown and HTML (the API); without, the page
    loads only the bodies it has to render."""
    after = _post_cursor(cursor, flat)
    params = {"thread_id": thread.id, "user_id": user.id, "limit": limit + 1, "after": after}
    posts, next_cursor = _post_page(
        session.execute(THREAD_VIEW[(flat, after is not None, texts)], params).all(), limit, flat
    )
    authors: dict[int, PostAuthor] = {}
    for p in posts:
        if p.author_id is not None and p.author_id not in authors:
            authors[p.author_id] = PostAuthor(
                p.author_id, p.display_name, p.handle, p.organisation, p.country
            )
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
