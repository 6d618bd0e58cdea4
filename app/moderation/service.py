"""Moderation: reports, post and thread actions, tags, and the audit log.

One small function per verb (Misago); each checks its permission, is idempotent (returns whether
anything changed), and writes its audit entry in the same transaction as the change (Zulip)."""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, insert, literal, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from app.accounts.models import Invitation, ModeratorSector, User, UserStatus
from app.accounts.permissions import (
    check_can_manage_users,
    check_can_moderate_sector,
    is_admin,
    is_moderator,
    moderated_sector_ids,
)
from app.attachments.models import AttachmentTag
from app.audit import AuditEntry, record
from app.errors import Conflict, Forbidden, Invalid, NotFound, ValidationFailed
from app.forum import permissions as forum_permissions
from app.forum import queries, validation
from app.forum.models import (
    Post,
    PostState,
    ReadState,
    Thread,
    ThreadInstrument,
    ThreadJurisdiction,
    ThreadTag,
)
from app.i18n import _
from app.moderation import permissions
from app.moderation.models import Flag
from app.notifications.models import Notification, Watch
from app.pagination import cursor_int, decode_cursor, encode_cursor
from app.search import index as search_index
from app.taxonomy import service as taxonomy
from app.taxonomy.models import Instrument, Jurisdiction, Sector, Tag
from app.timeutil import utcnow

FLAG_REASONS = ("off_topic", "inappropriate", "confidential", "spam", "other")


def _reason(reason: str, required: bool = True) -> str:
    reason = " ".join((reason or "").split())[:1000]
    if required and not reason:
        raise ValidationFailed({"reason": _("Give a reason: it is recorded and shown where it matters.")})
    return reason


def _thread_for_moderation(session: Session, user: User, thread_id: int) -> Thread:
    thread = session.get(Thread, thread_id)
    if thread is None or thread.merged_into_id is not None:
        raise NotFound(_("No such thread."))
    check_can_moderate_sector(session, user, thread.sector_id)
    return thread


def _post_for_moderation(session: Session, user: User, post_id: int) -> tuple[Post, Thread]:
    post = session.get(Post, post_id)
    if post is None:
        raise NotFound(_("No such post."))
    thread = session.get(Thread, post.thread_id)
    check_can_moderate_sector(session, user, thread.sector_id)
    return post, thread


# --- Reports -------------------------------------------------------------------------------------


def report_post(session: Session, user: User, post_id: int, reason: str, note: str = "") -> Flag:
    """Any member reports a post they can see, once."""
    post = session.get(Post, post_id)
    if post is None or post.state == PostState.deleted or not forum_permissions.can_see_post_body(user, post):
        raise NotFound(_("No such post."))
    if reason not in FLAG_REASONS:
        raise ValidationFailed(
            {
                "reason": _(
                    "Choose a reason: off-topic, inappropriate, confidential information, spam or other."
                )
            }
        )
    if session.exec(select(Flag.id).where(Flag.post_id == post.id, Flag.reporter_id == user.id)).first():
        raise Conflict(_("You have already reported this post. Moderators will look at it."))
    flag = Flag(post_id=post.id, reporter_id=user.id, reason=reason, note=_reason(note, required=False))
    session.add(flag)
    session.flush()
    return flag


@dataclass
class ReportGroup:
    post: Post
    thread: Thread
    author: User | None
    flags: list[tuple[Flag, User | None]] = field(default_factory=list)


def open_reports(session: Session, user: User) -> list[ReportGroup]:
    """Open reports grouped by post, the oldest report first, in the sectors the moderator acts in."""
    if not is_moderator(user):
        raise Forbidden(_("Only moderators can see reports."))
    statement = (
        select(Flag, Post, Thread)
        .join(Post, Post.id == Flag.post_id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(Flag.resolved_at.is_(None), Post.state != PostState.deleted)
        .order_by(Flag.created_at, Flag.id)
    )
    sectors = moderated_sector_ids(session, user)
    if sectors is not None:
        statement = statement.where(Thread.sector_id.in_(sectors))
    rows = session.exec(statement).all()
    people_ids = {flag.reporter_id for flag, _p, _t in rows} | {post.author_id for _f, post, _t in rows}
    people = (
        {u.id: u for u in session.exec(select(User).where(User.id.in_(people_ids)))} if people_ids else {}
    )
    groups: dict[int, ReportGroup] = {}
    for flag, post, thread in rows:
        group = groups.setdefault(
            post.id, ReportGroup(post=post, thread=thread, author=people.get(post.author_id))
        )
        group.flags.append((flag, people.get(flag.reporter_id)))
    return list(groups.values())


def resolve_reports(session: Session, user: User, post_id: int, action: str, reason: str = "") -> int:
    """Hide the post (with the reason shown to its author) or dismiss the reports; tell the reporters."""
    post, thread = _post_for_moderation(session, user, post_id)
    if action not in ("hide", "dismiss"):
        raise ValidationFailed({"action": _("Choose to hide the post or to dismiss the reports.")})
    open_flags = session.exec(select(Flag).where(Flag.post_id == post.id, Flag.resolved_at.is_(None))).all()
    if not open_flags:
        raise Conflict(_("These reports were already handled."))
    if action == "hide":
        hide_post(session, user, post.id, reason)
    now = utcnow()
    for flag in open_flags:
        flag.resolved_at, flag.resolution, flag.resolver_id = (
            now,
            "hidden" if action == "hide" else "dismissed",
            user.id,
        )
        session.add(flag)
        session.add(
            Notification(
                user_id=flag.reporter_id,
                kind="flag_outcome",
                thread_id=thread.id,
                post_id=post.id,
                actor_id=None,
                created_at=now,
            )
        )
    if action == "dismiss":
        record(
            session,
            user,
            "flag.dismiss",
            "post",
            post.id,
            reason=_reason(reason, required=False),
            after={"reports": len(open_flags)},
        )
    return len(open_flags)


# --- Posts ---------------------------------------------------------------------------------------


def hide_post(session: Session, user: User, post_id: int, reason: str) -> bool:
    post, thread = _post_for_moderation(session, user, post_id)
    reason = _reason(reason)
    # The state is checked and changed in one statement: a concurrent delete or hide cannot be
    # overwritten, nor the reply count decremented twice.
    changed = session.execute(
        update(Post)
        .where(Post.id == post.id, Post.state == PostState.visible)
        .values(state=PostState.hidden, hidden_reason=reason)
    ).rowcount
    if not changed:
        return False
    if post.parent_id is not None:
        session.execute(
            update(Thread).where(Thread.id == thread.id).values(reply_count=Thread.reply_count - 1)
        )
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
    session.refresh(post)
    return True


def unhide_post(session: Session, user: User, post_id: int, reason: str = "") -> bool:
    post, thread = _post_for_moderation(session, user, post_id)
    changed = session.execute(
        update(Post)
        .where(Post.id == post.id, Post.state == PostState.hidden)
        .values(state=PostState.visible, hidden_reason="")
    ).rowcount
    if not changed:
        return False
    if post.parent_id is not None:
        session.execute(
            update(Thread).where(Thread.id == thread.id).values(reply_count=Thread.reply_count + 1)
        )
    record(
        session,
        user,
        "post.unhide",
        "post",
        post.id,
        reason=_reason(reason, required=False),
        before={"state": "hidden"},
        after={"state": "visible"},
    )
    session.refresh(post)
    return True


# --- Threads -------------------------------------------------------------------------------------


def _set_flags(session: Session, user: User, thread_id: int, action: str, reason: str, **values) -> bool:
    thread = _thread_for_moderation(session, user, thread_id)
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
        reason=_reason(reason, required=False),
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
    thread = _thread_for_moderation(session, user, thread_id)
    if thread.pinned_globally:
        permissions.check_can_pin_globally(user)
    return _set_flags(session, user, thread_id, "thread.unpin", reason, pinned=False, pinned_globally=False)


def move_thread(session: Session, user: User, thread_id: int, sector_slug: str, reason: str = "") -> bool:
    thread = _thread_for_moderation(session, user, thread_id)
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
        reason=_reason(reason, required=False),
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
    thread = _thread_for_moderation(session, user, thread_id)
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
    for model in (ThreadJurisdiction, ThreadInstrument, ThreadTag):
        session.execute(delete(model).where(model.thread_id == thread.id))
    session.add_all(
        [ThreadJurisdiction(thread_id=thread.id, jurisdiction_id=j.id) for j in new_jurisdictions]
    )
    session.add_all([ThreadInstrument(thread_id=thread.id, instrument_id=i.id) for i in new_instruments])
    session.add_all([ThreadTag(thread_id=thread.id, tag_id=t.id) for t in new_tags])
    search_index.reindex_threads(session, [thread.id])
    record(
        session,
        user,
        "thread.taxonomy",
        "thread",
        thread.id,
        reason=_reason(reason, required=False),
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
    source = _thread_for_moderation(session, user, source_id)
    target = _thread_for_moderation(session, user, target_id)
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
    session.execute(
        update(Notification).where(Notification.thread_id == source.id).values(thread_id=target.id)
    )
    watchers = session.exec(
        select(Watch.user_id)
        .where(Watch.target_type == "thread", Watch.target_id == source.id)
        .where(
            Watch.user_id.not_in(
                select(Watch.user_id).where(Watch.target_type == "thread", Watch.target_id == target.id)
            )
        )
    ).all()
    session.add_all(
        [Watch(user_id=watcher, target_type="thread", target_id=target.id) for watcher in watchers]
    )
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
        reason=_reason(reason, required=False),
        after={"into": target.id, "posts": moved},
    )
    session.refresh(target)
    return target


def split_thread(
    session: Session, user: User, thread_id: int, post_ids: list[int], title: str, reason: str = ""
) -> Thread:
    """Move the chosen posts, each with all its replies, into a new thread. The earliest chosen post
    opens it; the other chosen posts answer that one; nesting below them is kept."""
    thread = _thread_for_moderation(session, user, thread_id)
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
    session.add_all([ThreadJurisdiction(thread_id=new.id, jurisdiction_id=j.id) for j in view.jurisdictions])
    session.add_all([ThreadInstrument(thread_id=new.id, instrument_id=i.id) for i in view.instruments])
    tags = session.exec(select(Tag).where(Tag.name.in_(view.tags))).all() if view.tags else []
    session.add_all([ThreadTag(thread_id=new.id, tag_id=t.id) for t in tags])
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
    session.execute(update(Notification).where(Notification.post_id.in_(moved_ids)).values(thread_id=new.id))
    _refresh_counters(session, thread.id)
    _refresh_counters(session, new.id)
    search_index.reindex_threads(session, [thread.id, new.id])
    record(
        session,
        user,
        "thread.split",
        "thread",
        thread.id,
        reason=_reason(reason, required=False),
        after={"new_thread": new.id, "posts": moved},
    )
    session.refresh(new)
    return new


# --- Tags ----------------------------------------------------------------------------------------


def tag_counts(session: Session, user: User) -> list[tuple[str, int]]:
    """Every tag with the number of threads that carry it, by name: the moderators' tag page."""
    if not is_moderator(user):
        raise Forbidden(_("Only moderators can do this."))
    return list(
        session.exec(
            select(Tag.name, func.count(ThreadTag.thread_id))
            .outerjoin(ThreadTag)
            .group_by(Tag.id, Tag.name)
            .order_by(Tag.name)
        ).all()
    )


def rename_tag(session: Session, user: User, old_name: str, new_name: str) -> Tag:
    """Rename a tag site-wide; renaming onto an existing tag merges the two."""
    if not is_moderator(user):
        raise Forbidden(_("Only moderators can rename tags."))
    old = session.exec(select(Tag).where(Tag.name == taxonomy.normalise_tag(old_name))).first()
    if old is None:
        raise NotFound(_("No such tag."))
    new_name = taxonomy.normalise_tag(new_name)
    if not new_name:
        raise ValidationFailed({"new_name": _("Enter the new name.")})
    if new_name == old.name:
        return old
    existing = session.exec(select(Tag).where(Tag.name == new_name)).first()
    if existing is None:
        record(
            session, user, "tag.rename", "tag", old.id, before={"name": old.name}, after={"name": new_name}
        )
        old.name = new_name
        session.add(old)
        search_index.reindex_threads(session, _threads_tagged(session, old.id))
        return old
    # Merge: threads with both keep one link.
    session.execute(
        insert(ThreadTag).from_select(
            ["thread_id", "tag_id"],
            sa_select(ThreadTag.thread_id, literal(existing.id)).where(
                ThreadTag.tag_id == old.id,
                ThreadTag.thread_id.not_in(
                    sa_select(ThreadTag.thread_id).where(ThreadTag.tag_id == existing.id)
                ),
            ),
        )
    )
    session.execute(delete(ThreadTag).where(ThreadTag.tag_id == old.id))
    # Documents carry tags too: theirs move the same way, or the old tag could not be removed.
    session.execute(
        insert(AttachmentTag).from_select(
            ["attachment_id", "tag_id"],
            sa_select(AttachmentTag.attachment_id, literal(existing.id)).where(
                AttachmentTag.tag_id == old.id,
                AttachmentTag.attachment_id.not_in(
                    sa_select(AttachmentTag.attachment_id).where(AttachmentTag.tag_id == existing.id)
                ),
            ),
        )
    )
    session.execute(delete(AttachmentTag).where(AttachmentTag.tag_id == old.id))
    record(
        session,
        user,
        "tag.merge",
        "tag",
        existing.id,
        before={"name": old.name},
        after={"name": existing.name},
    )
    session.delete(old)
    search_index.reindex_threads(session, _threads_tagged(session, existing.id))
    return existing


def _threads_tagged(session: Session, tag_id: int) -> list[int]:
    return list(session.exec(select(ThreadTag.thread_id).where(ThreadTag.tag_id == tag_id)).all())


# --- Audit log -----------------------------------------------------------------------------------


@dataclass
class AuditFilters:
    actor: str = ""  # email or id
    action: str = ""
    target_type: str = ""
    target_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def audit_filters(actor: str, action: str, target_type: str, target_id: int | None, since: str, until: str):
    """The audit log's filters as typed in its form or query string (days as YYYY-MM-DD)."""
    return AuditFilters(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        since=parse_day(since, "since"),
        until=parse_day(until, "until"),
    )


def audit_entries(
    session: Session, user: User, filters: AuditFilters, cursor: str | None = None, limit: int = 100
) -> tuple[list[tuple[AuditEntry, User | None]], str | None]:
    check_can_manage_users(user)
    statement = select(AuditEntry, User).outerjoin(User, User.id == AuditEntry.actor_id)
    if filters.actor:
        actor = filters.actor.strip().lower()
        statement = (
            statement.where(AuditEntry.actor_id == int(actor))
            if actor.isdecimal()
            else statement.where(User.email == actor)
        )
    if filters.action:
        statement = statement.where(AuditEntry.action.startswith(filters.action.strip()))
    if filters.target_type:
        statement = statement.where(AuditEntry.target_type == filters.target_type.strip())
    if filters.target_id is not None:
        statement = statement.where(AuditEntry.target_id == filters.target_id)
    if filters.since:
        statement = statement.where(AuditEntry.created_at >= filters.since)
    if filters.until:
        statement = statement.where(AuditEntry.created_at < filters.until)
    after = decode_cursor(cursor, 1)
    if after:
        statement = statement.where(AuditEntry.id < cursor_int(after[0]))
    rows = list(session.exec(statement.order_by(AuditEntry.id.desc()).limit(limit + 1)).all())
    next_cursor = encode_cursor([rows[limit - 1][0].id]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def _neutralise(value) -> str:
    """A cell a spreadsheet would run as a formula starts with = + - @ (or a tab/CR): prefix it."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def audit_csv(session: Session, user: User, filters: AuditFilters) -> str:
    rows, cursor = audit_entries(session, user, filters, limit=10_000)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "time", "actor", "action", "target_type", "target_id", "reason", "detail"])
    for entry, actor in rows:
        writer.writerow(
            [
                _neutralise(v)
                for v in (
                    entry.id,
                    entry.created_at.isoformat(timespec="seconds") + "Z",
                    actor.email if actor else "",
                    entry.action,
                    entry.target_type,
                    entry.target_id,
                    entry.reason,
                    entry.detail,
                )
            ]
        )
    return buffer.getvalue()


def parse_day(value: str, field_name: str) -> datetime | None:
    if not (value or "").strip():
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(_("Use a date like 2026-11-27."), field=field_name) from None


# --- Dashboard -----------------------------------------------------------------------------------


@dataclass
class Dashboard:
    reports: list[ReportGroup]
    hidden: list[tuple[AuditEntry, User | None]]
    suspended: list[User]
    pending_invitations: list[Invitation]


def dashboard(session: Session, user: User) -> Dashboard:
    reports = open_reports(session, user)
    hidden_statement = (
        select(AuditEntry, User)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.action == "post.hide")
        .order_by(AuditEntry.id.desc())
        .limit(10)
    )
    sectors = moderated_sector_ids(session, user)
    if sectors is not None:
        # A scoped moderator sees what was hidden in their own sectors only.
        hidden_statement = (
            hidden_statement.join(Post, Post.id == AuditEntry.target_id)
            .join(Thread, Thread.id == Post.thread_id)
            .where(Thread.sector_id.in_(sectors))
        )
    hidden = session.exec(hidden_statement).all()
    suspended = session.exec(
        select(User).where(User.status == UserStatus.suspended).order_by(User.id.desc()).limit(20)
    ).all()
    now = utcnow()
    invitations_statement = (
        select(Invitation)
        .where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at > now)
        .order_by(Invitation.created_at.desc())
        .limit(20)
    )
    if not is_admin(user):
        # As on the invitations page: moderators see the invitations they sent.
        invitations_statement = invitations_statement.where(Invitation.inviter_id == user.id)
    invitations = session.exec(invitations_statement).all()
    return Dashboard(reports, list(hidden), list(suspended), list(invitations))


# --- Moderator scopes ----------------------------------------------------------------------------


def set_moderator_sectors(session: Session, admin: User, user_id: int, sector_slugs: list[str]) -> list[str]:
    """Scope a moderator to some sectors (none: every sector). Administrators only."""
    check_can_manage_users(admin)
    target = session.get(User, user_id)
    if target is None:
        raise NotFound(_("No such user."))
    sectors = taxonomy.resolve_many(session, Sector, Sector.slug, sector_slugs, "sectors", active_only=False)
    before = sorted(
        session.exec(
            select(Sector.slug)
            .join(ModeratorSector, ModeratorSector.sector_id == Sector.id)
            .where(ModeratorSector.user_id == target.id)
        ).all()
    )
    after = sorted(s.slug for s in sectors)
    if before != after:
        session.execute(delete(ModeratorSector).where(ModeratorSector.user_id == target.id))
        session.add_all([ModeratorSector(user_id=target.id, sector_id=s.id) for s in sectors])
        record(
            session,
            admin,
            "user.sectors",
            "user",
            target.id,
            before={"sectors": before},
            after={"sectors": after},
        )
    return after
