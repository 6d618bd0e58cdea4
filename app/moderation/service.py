"""Moderation: reports and their queue, tags, the dashboard, the audit log and moderators' sectors.

One small function per verb (Misago); each checks its permission, is idempotent (returns whether
anything changed), and writes its audit entry in the same transaction as the change (Zulip). The
verbs on threads and posts are the forum's (`app/forum/curation.py`).
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, insert, literal
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from app.accounts.models import Invitation, ModeratorSector, User, UserStatus
from app.accounts.permissions import (
    check_can_manage_users,
    is_admin,
    is_moderator,
    moderated_sector_ids,
)
from app.attachments.models import AttachmentTag
from app.audit import AuditEntry, record
from app.errors import Conflict, Forbidden, Invalid, NotFound, ValidationFailed
from app.forum import permissions as forum_permissions
from app.forum.curation import clean_reason, hide_post, post_for_moderation
from app.forum.models import (
    Post,
    PostState,
    Thread,
    ThreadTag,
)
from app.i18n import _
from app.moderation.models import Flag
from app.notifications import fan_out
from app.pagination import cursor_int, decode_cursor, encode_cursor
from app.search import index as search_index
from app.taxonomy import service as taxonomy
from app.taxonomy.models import Sector, Tag
from app.timeutil import utcnow

FLAG_REASONS = ("off_topic", "inappropriate", "confidential", "spam", "other")


def report_post(session: Session, user: User, post_id: int, reason: str, note: str = "") -> Flag:
    """Any member reports a post they can see, once."""
    post = session.get(Post, post_id)
    if post is None or post.state == PostState.deleted or not forum_permissions.can_see_post_body(user, post):
        raise NotFound(_("No such post."))
    if not forum_permissions.can_report_post(user, post):
        raise Invalid(_("You can report other members' posts that are shown, not your own or a hidden one."))
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
    flag = Flag(post_id=post.id, reporter_id=user.id, reason=reason, note=clean_reason(note, required=False))
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
    post, thread = post_for_moderation(session, user, post_id)
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
    fan_out.notify_flag_outcome(session, [flag.reporter_id for flag in open_flags], thread.id, post.id)
    if action == "dismiss":
        record(
            session,
            user,
            "flag.dismiss",
            "post",
            post.id,
            reason=clean_reason(reason, required=False),
            after={"reports": len(open_flags)},
        )
    return len(open_flags)


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


def _move_tag_links(session: Session, model, owner, old_id: int, new_id: int) -> None:
    """Every link of `model` (ThreadTag, AttachmentTag) to tag old_id now points to new_id; an owner
    that had both keeps one."""
    session.execute(
        insert(model).from_select(
            [owner.key, "tag_id"],
            sa_select(owner, literal(new_id)).where(
                model.tag_id == old_id, owner.not_in(sa_select(owner).where(model.tag_id == new_id))
            ),
        )
    )
    session.execute(delete(model).where(model.tag_id == old_id))


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
    # Merge: threads and documents with both keep one link (documents carry tags too: theirs move
    # the same way, or the old tag could not be removed).
    _move_tag_links(session, ThreadTag, ThreadTag.thread_id, old.id, existing.id)
    _move_tag_links(session, AttachmentTag, AttachmentTag.attachment_id, old.id, existing.id)
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
