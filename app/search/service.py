"""One search interface over two engines: SQLite FTS5 (BM25) and PostgreSQL (tsvector, ts_rank_cd).

The query language is parsed once (app.search.query); each engine turns the same tree into its own
match expression; filters, permissions, facets and pagination are shared SQL on the live tables,
so both engines answer with the same semantics."""

import html
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import String, and_, case, cast, func, literal_column, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from app.accounts.models import User
from app.config import get_settings
from app.errors import Invalid
from app.forum import urls
from app.forum.models import Post, Thread, ThreadJurisdiction
from app.i18n import _
from app.pagination import decode_cursor, encode_cursor
from app.sanitize import render_plain
from app.search import rewrite
from app.search.engines import engine_for
from app.search.engines.base import START, STOP, MatchSpec
from app.search.facets import Facet, facet_counts
from app.search.filters import filter_conditions, id_bounds, visible
from app.search.query import Query, QueryError, parse
from app.taxonomy.models import Jurisdiction, Sector

PAGE_SIZE = 20
MAX_PAGES = 25  # bounded pagination: 500 hits are more than anyone reads; refine the query instead


@dataclass
class Hit:
    post_id: int
    thread_id: int
    title: str
    snippet_html: str
    url: str
    sector: str
    sector_slug: str
    jurisdictions: list[str]
    author: str
    created_at: datetime
    state: str
    # Holds all of the search's words but one (shown after those that hold them all).
    partial: bool = False


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    total: int
    facets: dict[str, list[Facet]] = field(default_factory=dict)
    next_cursor: str | None = None
    page: int = 1
    truncated: bool = False
    # How many of `total` hold every word; the others hold all but one.
    matched_all: int = 0


# --- Search --------------------------------------------------------------------------------------


class WindowRow(NamedTuple):
    """One match of the window, with what ranking, the live checks and the facets read."""

    post_id: int
    rank: float
    created_at: datetime
    thread_id: int
    parent_id: int | None
    sector_id: int
    ok: int
    jurisdiction_ids: str | None = None  # "3,41" (only with facets)


def search(
    session: Session,
    user: User,
    raw: str,
    *,
    sort: str = "relevance",
    cursor: str | None = None,
    include_hidden: bool = False,
    with_facets: bool = True,
) -> SearchResult:
    try:
        query = parse(raw)
    except QueryError as error:
        raise Invalid(str(error), field="q") from None
    if sort not in ("relevance", "date"):
        raise Invalid(_("Sort by relevance or by date."), field="sort")
    try:
        return _run(session, user, raw, query, sort, cursor, include_hidden, with_facets)
    except QueryError as error:
        raise Invalid(str(error), field="q") from None


def _run(session, user, raw, query: Query, sort, cursor, include_hidden, with_facets) -> SearchResult:
    """Work is bounded by a window of the newest matches (FORUM_SEARCH_WINDOW, 1,000 by default):
    one query fetches the window (words and filter tokens matched inside the index, then checked
    against the live tables); ranking, counting and facets are computed from those rows, so a common
    word costs what a rare one does. A window that fills up is reported (`truncated`), with the
    advice to narrow the search."""
    engine = engine_for(session)
    window = get_settings().search_window
    conditions, tokens = filter_conditions(session, query)
    conditions = visible(user, include_hidden) + conditions
    page = 1
    after = decode_cursor(cursor, 1)
    if after:
        try:
            page = max(1, min(int(after[0]), MAX_PAGES))
        except (TypeError, ValueError):
            raise Invalid(_("The page cursor is not valid; start from the first page.")) from None
    bounds = id_bounds(session, query) if query.text is not None or tokens else (None, None)
    # Where the words typed are looked for first (all of them in title or attachment searches):
    # on SQLite, the recent index answers when the newest matches fill the window there.
    plain = query.text is None or query.filters.in_title or query.filters.in_attachments
    spec = MatchSpec(tokens, window, bounds)
    if query.text is not None or tokens:
        spec = replace(
            spec, table=engine.window_table(session, query, replace(spec, expand="all" if plain else "same"))
        )

    def window_rows(query: Query, expand: str, primary: bool = False):
        if query.text is not None or tokens:
            matched, ascending = engine.match(query, replace(spec, expand=expand, primary=primary))
        else:  # dates alone: the newest posts of the period
            matched, ascending = (
                (
                    select(Post.id.label("post_id"), literal_column("0.0").label("rank"))
                    .join(Thread, Thread.id == Post.thread_id)
                    .where(and_(*conditions))
                    .order_by(Post.id.desc())
                    .limit(window)
                    .subquery("matched")
                ),
                True,
            )
        columns = [
            matched.c.post_id,
            matched.c.rank,
            Post.created_at,
            Post.thread_id,
            Post.parent_id,
            Thread.sector_id,
            case((and_(*conditions), 1), else_=0).label("ok"),
        ]
        if with_facets:
            columns.append(_jurisdiction_ids(session))
        # On the session's connection: plain named tuples, without the ORM's loading of up to a window
        # of them (read many times each while sorting).
        result = session.connection().execute(
            select(*columns)
            .select_from(matched)
            .join(Post, Post.id == matched.c.post_id)
            .join(Thread, Thread.id == Post.thread_id)
        )
        return [WindowRow(*row) for row in result], ascending

    def matching(query: Query, expand: str, span: tuple[int, int], primary: bool = False) -> set[int]:
        """Which posts of the window's id range match: no rank, no join."""
        matched, _ascending = engine.match(
            query, replace(spec, window=None, bounds=span, expand=expand, primary=primary, ranked=False)
        )
        return set(session.connection().execute(select(matched.c.post_id)).scalars())

    # One window of matches, found every way (the thread's context, the thesaurus), ranked. Then
    # three kinds, each after the other: the posts whose own title, tags or text hold the words
    # typed; those that hold them with their thread's title or taxonomy; those found through the
    # thesaurus (equivalents in other languages). Equivalents in other languages are looked for
    # only when the words typed leave room in the pages (a common word costs one match); which
    # posts hold the words in their own text is asked of the index within the window's id range
    # only, without ranking.
    tiers: dict[int, int] = {}
    held_together: set[int] = set()
    if plain:
        rows, ascending = window_rows(query, expand="all")
    else:
        rows, ascending = window_rows(query, expand="same")
        # Equivalents in other languages rank after every post with the words typed: once those
        # fill the pages one can reach (MAX_PAGES), looking for equivalents would show nothing.
        if len(rows) < PAGE_SIZE * MAX_PAGES and rewrite.uses_thesaurus(query.text):
            literal = {row.post_id for row in rows}
            rows, ascending = window_rows(query, expand="all")
            tiers = {row.post_id: 1 if row.post_id in literal else 2 for row in rows}
        else:
            tiers = {row.post_id: 1 for row in rows}
        if rows and sort == "relevance":  # sorted by date, the kinds would change nothing
            span = (min(tiers), max(tiers))  # within the date bounds already: the window was
            for post_id in matching(query, "variants", span, primary=True) & tiers.keys():
                tiers[post_id] = 0
            # Words typed together that a post holds together (in that order) put it first of its
            # kind: "money laundering" before "laundering the money".
            phrase = rewrite.together(query.text)
            if phrase is not None:
                held_together = matching(replace(query, text=phrase), False, span)
    truncated = len(rows) >= window
    rows = [row for row in rows if row.ok]
    # Few posts hold every word: those that hold all but one follow, marked as partial matches.
    partial: set[int] = set()
    relaxed = rewrite.relaxed(query.text) if query.text is not None else None
    if sort == "relevance" and relaxed is not None and not truncated and len(rows) < PAGE_SIZE:
        more, _ascending = window_rows(replace(query, text=relaxed), expand="all")
        found = {row.post_id for row in rows}
        extra = [row for row in more if row.ok and row.post_id not in found]
        partial = {row.post_id for row in extra}
        rows += extra
    if sort == "date" or query.text is None:
        rows.sort(key=lambda row: (row.created_at, row.post_id), reverse=True)
    else:
        sign = 1 if ascending else -1
        # A partial match in a thread where a post holds every word comes first: it is part of
        # that discussion ("the Louboutin judgment" under the post naming Louboutin v Amazon).
        threads = {row.thread_id for row in rows if row.post_id not in partial}
        kinds = []
        best: dict[tuple, float] = {}
        for row in rows:
            post_id = row.post_id
            kind = (
                post_id in partial,
                post_id in partial and row.thread_id not in threads,
                tiers.get(post_id, 0),
                post_id not in held_together,
                row.thread_id,
            )
            rank = sign * row.rank
            kinds.append((kind, rank))
            if best.get(kind, rank) >= rank:
                best[kind] = rank
        # An opening post takes the place of the best of its thread's posts of the same kind: the
        # question and its title before the replies that answer it.
        order = sorted(
            (
                kind[:4],
                best[kind] if row.parent_id is None else rank,
                row.parent_id is not None,
                -row.post_id,
                index,
            )
            for index, ((kind, rank), row) in enumerate(zip(kinds, rows, strict=True))
        )
        rows = [rows[key[-1]] for key in order]
    start = (page - 1) * PAGE_SIZE
    ids = [row.post_id for row in rows[start : start + PAGE_SIZE]]
    more = len(rows) > start + PAGE_SIZE
    next_cursor = encode_cursor([page + 1]) if more and page < MAX_PAGES else None
    facets = facet_counts(session, rows, raw, query) if with_facets else {}
    hits = _hits(session, engine, query, ids, spec.table)
    for hit in hits:
        hit.partial = hit.post_id in partial
    return SearchResult(
        query=raw,
        hits=hits,
        total=len(rows),
        matched_all=len(rows) - len(partial),
        facets=facets,
        next_cursor=next_cursor,
        page=page,
        truncated=truncated,
    )


def _jurisdiction_ids(session: Session) -> ColumnElement:
    """A thread's jurisdiction ids as "3,41": one indexed lookup per row of the window."""
    if session.get_bind().dialect.name == "sqlite":
        aggregate = func.group_concat(ThreadJurisdiction.jurisdiction_id)
    else:
        aggregate = func.string_agg(cast(ThreadJurisdiction.jurisdiction_id, String), ",")
    return (
        select(aggregate)
        .where(ThreadJurisdiction.thread_id == Post.thread_id)
        .scalar_subquery()
        .label("jurisdiction_ids")
    )


def _hits(session: Session, engine, query: Query, ids: list[int], table: str | None = None) -> list[Hit]:
    if not ids:
        return []
    rows = session.execute(
        select(Post, Thread, Sector, User.display_name)
        .join(Thread, Thread.id == Post.thread_id)
        .join(Sector, Sector.id == Thread.sector_id)
        .outerjoin(User, User.id == Post.author_id)
        .where(Post.id.in_(ids))
    ).all()
    by_id = {post.id: (post, thread, sector, author) for post, thread, sector, author in rows}
    thread_ids = {thread.id for _p, thread, _s, _a in rows}
    places: dict[int, list[str]] = {}
    for thread_id, name in session.execute(
        select(ThreadJurisdiction.thread_id, Jurisdiction.name)
        .join(Jurisdiction)
        .where(ThreadJurisdiction.thread_id.in_(thread_ids))
        .order_by(Jurisdiction.name)
    ):
        places.setdefault(thread_id, []).append(name)
    snippets = engine.snippets(session, query, ids, table)
    hits = []
    for post_id in ids:
        post, thread, sector, author = by_id[post_id]
        raw_snippet = snippets.get(post_id) or render_plain(post.body)[:240]
        hits.append(
            Hit(
                post_id=post.id,
                thread_id=thread.id,
                title=thread.title,
                snippet_html=highlight(raw_snippet),
                url=urls.post_url(thread, post.id),
                sector=sector.name,
                sector_slug=sector.slug,
                jurisdictions=places.get(thread.id, []),
                author=author or _("a former member"),
                created_at=post.created_at,
                state=post.state,
            )
        )
    return hits


def highlight(snippet: str) -> str:
    """Escape everything, then turn the engine's markers (control characters that cannot come from
    the escaped text) into <mark>: a snippet can never inject HTML."""
    escaped = html.escape(snippet.replace("<mark>", "").replace("</mark>", ""), quote=True)
    return escaped.replace(START, "<mark>").replace(STOP, "</mark>")


def new_matches(session: Session, user: User, raw: str, *, after_post_id: int, limit: int = 50) -> list[Hit]:
    """Posts newer than after_post_id that match a saved query, oldest first."""
    query = parse(raw)
    engine = engine_for(session)
    base = select(Post.id).join(Thread, Thread.id == Post.thread_id)
    conditions, tokens = filter_conditions(session, query)
    if query.text is not None or tokens:
        matched, _ascending = engine.match(query, MatchSpec(tokens, bounds=(after_post_id + 1, None)))
        base = base.join(matched, matched.c.post_id == Post.id)
    conditions = visible(user, False) + conditions + [Post.id > after_post_id]
    ids = session.execute(base.where(and_(*conditions)).order_by(Post.id).limit(limit)).scalars().all()
    return _hits(session, engine, query, list(ids))
