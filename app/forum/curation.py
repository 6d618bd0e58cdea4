"""Moderators' verbs on threads and posts: hide and unhide, lock, pin, move, retag, merge and split.

One small function per verb (Misago); each checks its permission (the moderator's sector scope),
is idempotent (returns whether anything changed), and writes its audit entry in the same
transaction as the change (Zulip). The forum owns these tables, so its verbs live here; flags, the
queue and the audit log are `app/moderation`'s.
"""

from sqlalchemy import delete, func, literal, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from app.accounts.models import User
from app.accounts.permissions import check_can_moderate_sector
from app.audit import record
from app.errors import NotFound, ValidationFailed
from app.forum import queries, validation
from app.forum.actions import change_post_state, set_thread_links
from app.forum.models import Post, PostState, ReadState, Thread
from app.i18n import _
from app.moderation import permissions
from app.notifications import thread_moves
from app.search import index as search_index
from app.taxonomy import service as taxonomy
from app.taxonomy.models import Instrument, Jurisdiction, Tag


def clean_reason(reason: str, required: bool = True) -> str:
    reason = " ".join((reason or "").split())[:1000]
    if required and not reason:
        raise ValidationFailed({"reason": _("Give a reason: it is recorded and shown where it matters.")})
    return reason


def thread_for_moderation(session: Session, user: User, thread_id: int) -> Thread:
    thread = session.get(Thread, thread_id)
    if thread is None or thread.merged_into_id is not None:
        raise NotFound(_("No such thread."))
    check_can_moderate_sector(session, user, thread.sector_id)
    return thread


def post_for_moderation(session: Session, user: User, post_id: int) -> tuple[Post, Thread]:
    post = session.get(Post, post_id)
    if post is None:
        raise NotFound(_("No such post."))
    thread = session.get(Thread, post.thread_id)
    check_can_moderate_sector(session, user, thread.sector_id)
    return post, thread


def hide_post(session: Session, user: User, post_id: int, reason: str) -> bool:
    post, _thread = post_for_moderation(session, user, post_id)
    reason = clean_reason(reason)
    if not change_post_state(session, post, PostState.visible, PostState.hidden, reason):
        return False
    record(
        session,
        user,
        "post.hide",
        "post",
        post.id,
        reason=reason,
        before={"state": "visible"},
        after={"state": "hidden"},
    )
    return True


def unhide_post(session: Session, user: User, post_id: int, reason: str = "") -> bool:
    post, _thread = post_for_moderation(session, user, post_id)
    if not change_post_state(session, post, PostState.hidden, PostState.visible):
        return False
    record(
        session,
        user,
        "post.unhide",
        "post",
        post.id,
        reason=clean_reason(reason, required=False),
        before={"state": "hidden"},
        after={"state": "visible"},
    )
    return True


def _set_flags(session: Session, user: User, thread_id: int, action: str, reason: str, **values) -> bool:
    thread = thread_for_moderation(session, user, thread_id)
    before = {key: getattr(thread, key) for key in values}
    if before == values:
        return False
    session.execute(update(Thread).where(Thread.id == thread.id).values(**values))
    if "locked" in values:  # status:locked|open is a token in the search index
        search_index.reindex_threads(session, [thread.id])
    record(
        session,
        user,
        action,
        "thread",
        thread.id,
        reason=clean_reason(reason, required=False),
        before=before,
        after=values,
    )
    return True


def lock_thread(session: Session, user: User, thread_id: int, reason: str = "") -> bool:
    return _set_flags(session, user, thread_id, "thread.lock", reason, locked=True)


def unlock_thread(session: Session, user: User, thread_id: int, reason: str = "") -> bool:
    return _set_flags(session, user, thread_id, "thread.unlock", reason, locked=False)


def pin_thread(
    session: Session, user: User, thread_id: int, site_wide: bool = False, reason: str = ""
) -> bool:
    if site_wide:
        permissions.check_can_pin_globally(user)
        return _set_flags(session, user, thread_id, "thread.pin", reason, pinned=True, pinned_globally=True)
    return _set_flags(session, user, thread_id, "thread.pin", reason, pinned=True)


def unpin_thread(session: Session, user: User, thread_id: int, reason: str = "") -> bool:
    thread = thread_for_moderation(session, user, thread_id)
    if thread.pinned_globally:
        permissions.check_can_pin_globally(user)
    return _set_flags(session, user, thread_id, "thread.unpin", reason, pinned=False, pinned_globally=False)


def move_thread(session: Session, user: User, thread_id: int, sector_slug: str, reason: str = "") -> bool:
    thread = thread_for_moderation(session, user, thread_id)
    sector = taxonomy.sector_by_slug(session, sector_slug)
    check_can_moderate_sector(session, user, sector.id)
    if sector.id == thread.sector_id:
        return False
    before = thread.sector_id
    # A sector pin does not follow the thread into another sector's list.
    session.execute(update(Thread).where(Thread.id == thread.id).values(sector_id=sector.id, pinned=False))
    search_index.reindex_threads(session, [thread.id])
    record(
        session,
        user,
        "thread.move",
        "thread",
        thread.id,
        reason=clean_reason(reason, required=False),
        before={"sector_id": before},
        after={"sector_id": sector.id},
    )
    return True


def set_thread_taxonomy(
    session: Session,
    user: User,
    thread_id: int,
    *,
    jurisdictions: list[str],
    instruments: list[str],
    tags: list[str] | str,
    reason: str = "",
) -> bool:
    thread = thread_for_moderation(session, user, thread_id)
    new_jurisdictions = taxonomy.resolve_many(
        session, Jurisdiction, Jurisdiction.code, jurisdictions, "jurisdictions"
    )
    if not new_jurisdictions:
        raise ValidationFailed({"jurisdictions": _("Choose at least one jurisdiction.")})
    new_instruments = taxonomy.resolve_many(session, Instrument, Instrument.slug, instruments, "instruments")
    new_tags = taxonomy.get_or_create_tags(session, taxonomy.parse_tags(tags))
    view = queries.thread_views(session, None, [thread])[0]
    before = {
        "jurisdictions": sorted(j.code for j in view.jurisdictions),
        "instruments": sorted(i.slug for i in view.instruments),
        "tags": sorted(view.tags),
    }
    after = {
        "jurisdictions": sorted(j.code for j in new_jurisdictions),
        "instruments": sorted(i.slug for i in new_instruments),
        "tags": sorted(t.name for t in new_tags),
    }
    if before == after:
        return False
    set_thread_links(session, thread.id, new_jurisdictions, new_instruments, new_tags, clear=True)
    search_index.reindex_threads(session, [thread.id])
    record(
        session,
        user,
        "thread.taxonomy",
        "thread",
        thread.id,
        reason=clean_reason(reason, required=False),
        before=before,
        after=after,
    )
    return True


def _refresh_counters(session: Session, thread_id: int) -> None:
    """Recount after posts moved between threads (merge, split): derived from the posts themselves."""
    replies = session.exec(
        select(func.count())
        .select_from(Post)
        .where(Post.thread_id == thread_id, Post.parent_id.is_not(None), Post.state == PostState.visible)
    ).one()
    last = session.exec(
        select(Post.id, Post.created_at).where(Post.thread_id == thread_id).order_by(Post.id.desc()).limit(1)
    ).first()
    values = {"reply_count": replies}
    if last:
        values.update(last_post_id=last[0], last_activity_at=last[1])
    session.execute(update(Thread).where(Thread.id == thread_id).values(**values))


def _opening_post(session: Session, thread_id: int) -> Post:
    return session.exec(
        select(Post).where(Post.thread_id == thread_id, Post.parent_id.is_(None)).order_by(Post.id).limit(1)
    ).one()


def merge_threads(session: Session, user: User, source_id: int, target_id: int, reason: str = "") -> Thread:
    """Move every post of the source under the target's opening post, keeping authors, times and
    nesting; the source's permalink then redirects to the target."""
    if source_id == target_id:
        raise ValidationFailed({"target": _("Choose another thread to merge into.")})
    source = thread_for_moderation(session, user, source_id)
    target = thread_for_moderation(session, user, target_id)
    source_opening, target_opening = _opening_post(session, source.id), _opening_post(session, target.id)
    moved = session.exec(select(func.count()).select_from(Post).where(Post.thread_id == source.id)).one()
    # Paths of the source subtree gain the target opening post as their prefix, depths one level.
    session.execute(
        update(Post)
        .where(Post.thread_id == source.id)
        .values(
            thread_id=target.id, path=literal(target_opening.path + ".") + Post.path, depth=Post.depth + 1
        )
    )
    session.execute(update(Post).where(Post.id == source_opening.id).values(parent_id=target_opening.id))
    thread_moves.follow_merge(session, source.id, target.id)
    session.execute(delete(ReadState).where(ReadState.thread_id == source.id))
    session.execute(
        update(Thread)
        .where(Thread.id == source.id)
        .values(merged_into_id=target.id, reply_count=0, pinned=False, pinned_globally=False)
    )
    _refresh_counters(session, target.id)
    search_index.reindex_threads(session, [target.id])
    record(
        session,
        user,
        "thread.merge",
        "thread",
        source.id,
        reason=clean_reason(reason, required=False),
        after={"into": target.id, "posts": moved},
    )
    session.refresh(target)
    return target


def split_thread(
    session: Session, user: User, thread_id: int, post_ids: list[int], title: str, reason: str = ""
) -> Thread:
    """Move the chosen posts, each with all its replies, into a new thread. The earliest chosen post
    opens it; the other chosen posts answer that one; nesting below them is kept."""
    thread = thread_for_moderation(session, user, thread_id)
    title = validation.clean_title(title)[: validation.MAX_TITLE]
    if not title:
        raise ValidationFailed({"title": _("Give the new thread a title.")})
    chosen = list(
        session.exec(select(Post).where(Post.id.in_(post_ids or []), Post.thread_id == thread.id)).all()
    )
    if not chosen or len(chosen) != len(set(post_ids)):
        raise ValidationFailed({"posts": _("Choose one or more posts of this thread.")})
    if any(post.parent_id is None for post in chosen):
        raise ValidationFailed({"posts": _("The opening post stays; choose replies to split off.")})
    chosen.sort(key=lambda post: post.path)
    roots: list[Post] = []
    for post in chosen:  # sorted by path: an ancestor comes before its descendants
        if not any(post.path.startswith(root.path + ".") for root in roots):
            roots.append(post)
    roots.sort(key=lambda post: post.id)
    opening = roots[0]
    view = queries.thread_views(session, None, [thread])[0]
    new = Thread(
        title=title,
        slug=taxonomy.slugify(title)[:120],
        sector_id=thread.sector_id,
        author_id=opening.author_id,
        created_at=opening.created_at,
        last_activity_at=opening.created_at,
    )
    session.add(new)
    session.flush()
    tags = session.exec(select(Tag).where(Tag.name.in_(view.tags))).all() if view.tags else []
    set_thread_links(session, new.id, view.jurisdictions, view.instruments, tags)
    new_root = f"{opening.id:010d}"
    moved = 0
    for root in roots:
        prefix = new_root if root is opening else f"{new_root}.{root.id:010d}"
        shift = root.depth - (0 if root is opening else 1)
        subtree = or_(Post.id == root.id, Post.path.startswith(root.path + "."))
        # substr() is 1-based in SQLite and PostgreSQL alike: keep what follows the root's own path.
        moved += session.execute(
            update(Post)
            .where(Post.thread_id == thread.id, subtree)
            .values(
                thread_id=new.id,
                path=literal(prefix) + func.substr(Post.path, len(root.path) + 1),
                depth=Post.depth - shift,
            )
        ).rowcount
    session.execute(update(Post).where(Post.id == opening.id).values(parent_id=None))
    other_roots = [root.id for root in roots[1:]]
    if other_roots:
        session.execute(update(Post).where(Post.id.in_(other_roots)).values(parent_id=opening.id))
    moved_ids = sa_select(Post.id).where(Post.thread_id == new.id)
    thread_moves.follow_split(session, moved_ids, new.id)
    _refresh_counters(session, thread.id)
    _refresh_counters(session, new.id)
    search_index.reindex_threads(session, [thread.id, new.id])
    record(
        session,
        user,
        "thread.split",
        "thread",
        thread.id,
        reason=clean_reason(reason, required=False),
        after={"new_thread": new.id, "posts": moved},
    )
    session.refresh(new)
    return new
