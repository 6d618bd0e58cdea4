"""The filters of a search (sector:, jurisdiction:, author:, dates, …) as conditions on the live
tables and as index tokens; who may see what."""

import difflib
from datetime import datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.permissions import is_moderator
from app.attachments.models import Attachment
from app.audit import AuditEntry
from app.cache import kept
from app.errors import NotFound
from app.forum.models import Post, PostState, Thread, ThreadInstrument, ThreadJurisdiction, ThreadTag
from app.i18n import _
from app.search.index import KINDS, meta_token
from app.search.language import fold
from app.search.query import Query, QueryError
from app.taxonomy import service as taxonomy
from app.taxonomy.models import Instrument, Jurisdiction, Tag


def _date_conditions(query: Query) -> list[ColumnElement]:
    conditions = []
    if query.filters.before:
        conditions.append(Post.created_at < datetime.combine(query.filters.before, time.min))
    if query.filters.after:
        conditions.append(Post.created_at >= datetime.combine(query.filters.after, time.min))
    return conditions


# Ids follow time only roughly: concurrent writers take ids and timestamps in either order. The
# id range is widened by a day on each side; the exact dates are checked on every hit.
BOUND_MARGIN = timedelta(days=1)


IMPORT_ACTIONS = ("thread.import", "post.import")


def _history_imported(session: Session) -> bool:
    """Whether any post was imported with its own date: one indexed look-up, kept until the forum's
    version moves (every audit entry, imports included, moves it)."""
    return kept(
        session,
        ("history-imported",),
        lambda: (
            session.execute(
                select(AuditEntry.id).where(AuditEntry.action.in_(IMPORT_ACTIONS)).limit(1)
            ).first()
            is not None
        ),
    )


def id_bounds(session: Session, query: Query) -> tuple[int | None, int | None]:
    """before:/after: as a range of post ids, through the index on created_at. Posts are numbered
    as they are written, so the first post of the period has its lowest id and the last its
    highest: one index step each, however long the period. The exact dates are still checked on
    each hit. An empty period gives a range that matches nothing.

    An imported archive breaks the premise (old dates, new ids): once one exists, no id range is
    used and the dates are checked on the hits alone."""
    low = high = None
    if (query.filters.after or query.filters.before) and _history_imported(session):
        return None, None
    if query.filters.after:
        start = datetime.combine(query.filters.after, time.min) - BOUND_MARGIN
        low = session.execute(
            select(Post.id).where(Post.created_at >= start).order_by(Post.created_at, Post.id).limit(1)
        ).scalar()
        low = low if low is not None else 2**62
    if query.filters.before:
        end = datetime.combine(query.filters.before, time.min) + BOUND_MARGIN
        high = session.execute(
            select(Post.id)
            .where(Post.created_at < end)
            .order_by(Post.created_at.desc(), Post.id.desc())
            .limit(1)
        ).scalar()
        high = high if high is not None else -1
    return low, high


def filter_conditions(
    session: Session, query: Query, dates: bool = True
) -> tuple[list[ColumnElement], list[list[str]]]:
    """The filters twice: as conditions on the live tables, checked on every hit, and as index
    tokens (an AND of OR groups) that narrow the full-text match itself."""
    filters = query.filters
    conditions: list[ColumnElement] = []
    tokens: list[list[str]] = []
    if filters.sectors:
        ids = []
        for slug in filters.sectors:
            try:
                ids.append(taxonomy.sector_by_slug(session, slug).id)
            except NotFound:
                raise QueryError(
                    _("sector: no sector “%(value)s”. Use a key like tobacco or firearms.", value=slug)
                ) from None
        conditions.append(Thread.sector_id.in_(ids))
        tokens.append([meta_token("s", i) for i in ids])
    for value in filters.jurisdictions:
        jurisdiction = session.execute(
            select(Jurisdiction).where(
                or_(
                    func.lower(Jurisdiction.code) == value.lower(),
                    func.lower(Jurisdiction.name) == value.lower(),
                )
            )
        ).scalar()
        if jurisdiction is None:
            raise QueryError(
                _(
                    "jurisdiction: no jurisdiction “%(value)s”. Use a code like FR or a name like France.",
                    value=value,
                )
            )
        conditions.append(
            Thread.id.in_(
                select(ThreadJurisdiction.thread_id).where(
                    ThreadJurisdiction.jurisdiction_id == jurisdiction.id
                )
            )
        )
        tokens.append([meta_token("j", jurisdiction.id)])
    for value in filters.instruments:
        instrument = session.execute(
            select(Instrument).where(
                or_(Instrument.slug == value, func.lower(Instrument.short_name) == value.lower())
            )
        ).scalar()
        if instrument is None:
            raise QueryError(
                _(
                    "instrument: no instrument “%(value)s”. Use a key like untoc or fctc-protocol.",
                    value=value,
                )
            )
        conditions.append(
            Thread.id.in_(
                select(ThreadInstrument.thread_id).where(ThreadInstrument.instrument_id == instrument.id)
            )
        )
        tokens.append([meta_token("i", instrument.id)])
    for value in filters.tags:
        tag_id = session.execute(select(Tag.id).where(Tag.name == taxonomy.normalise_tag(value))).scalar()
        # An unknown tag matches nothing: token 0 is no tag's.
        conditions.append(Thread.id.in_(select(ThreadTag.thread_id).where(ThreadTag.tag_id == (tag_id or 0))))
        tokens.append([meta_token("g", tag_id or 0)])
    for value in filters.kinds:
        if value not in KINDS:
            raise QueryError(
                _(
                    "kind: takes legislation, case_law, treaty, guidance, analysis, template, "
                    "presentation or other."
                )
            )
        # IN over the (few) attachments, not EXISTS evaluated for every post.
        conditions.append(Post.id.in_(select(Attachment.post_id).where(Attachment.kind == value)))
        tokens.append([meta_token("kind", value)])
    if filters.authors:
        ids = [user_id for value in filters.authors for user_id in _author_ids(session, value)]
        conditions.append(Post.author_id.in_(ids))
        tokens.append([meta_token("a", i) for i in ids])
    if dates:
        conditions += _date_conditions(query)
    if filters.has_attachment or filters.in_attachments:
        conditions.append(Post.id.in_(select(Attachment.post_id)))
        tokens.append([meta_token("attachment", 1)])
    if filters.status == "locked":
        conditions.append(Thread.locked.is_(True))
        tokens.append([meta_token("status", "locked")])
    elif filters.status == "open":
        conditions.append(Thread.locked.is_(False))
        tokens.append([meta_token("status", "open")])
    return conditions, tokens


def _folded(value: str) -> str:
    return " ".join(fold(value).split())


def _author_ids(session: Session, value: str) -> list[int]:
    """`author:` by handle, email or the name people see on posts (case and accents aside). Nobody
    by that name is an error that suggests close names, never a silent empty result."""
    wanted = value.lstrip("@").strip().lower()
    ids = (
        session.execute(select(User.id).where(or_(User.handle == wanted, func.lower(User.email) == wanted)))
        .scalars()
        .all()
    )
    if ids:
        return list(ids)
    # Names are few next to posts (members, not messages): folded here the same way for both engines.
    members = session.execute(select(User.id, User.display_name, User.handle)).all()
    folded = _folded(value)
    ids = [member.id for member in members if _folded(member.display_name) == folded]
    if ids:
        return ids
    names = {_folded(member.display_name): member.display_name for member in members}
    close = difflib.get_close_matches(folded, list(names), n=3, cutoff=0.6)
    # A surname alone ("gomez") is a close name too.
    close += [key for key in names if folded and folded in key.split() and key not in close][: 3 - len(close)]
    if close:
        raise QueryError(
            _(
                "author: no member called “%(value)s”. Did you mean %(names)s?",
                value=value,
                names=", ".join(f'author:"{names[key]}"' for key in close),
            )
        )
    raise QueryError(_("author: no member called “%(value)s”.", value=value))


def visible(user: User, include_hidden: bool) -> list[ColumnElement]:
    """Experts never find hidden or deleted posts; moderators may include hidden ones."""
    states = [PostState.visible.value]
    if include_hidden and is_moderator(user):
        states.append(PostState.hidden.value)
    return [Post.state.in_(states), Thread.merged_into_id.is_(None)]
