"""One search interface over two engines: SQLite FTS5 (BM25) and PostgreSQL (tsvector, ts_rank_cd).

The query language is parsed once (app.search.query); each engine turns the same tree into its own
match expression; filters, permissions, facets and pagination are shared SQL on the live tables,
so both engines answer with the same semantics."""

import html
from dataclasses import dataclass, field
from datetime import datetime, time

from sqlalchemy import (
    Float,
    and_,
    cast,
    column,
    extract,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.permissions import is_moderator
from app.attachments.models import Attachment
from app.config import get_settings
from app.errors import Invalid, NotFound
from app.forum.models import Post, PostState, Thread, ThreadInstrument, ThreadJurisdiction, ThreadTag
from app.i18n import _
from app.pagination import decode_cursor, encode_cursor
from app.search.index import strip_accents
from app.search.query import And, Node, Not, Or, Phrase, Query, QueryError, Term, parse
from app.taxonomy import service as taxonomy
from app.taxonomy.models import Instrument, Jurisdiction, Sector, Tag

# A table clause, not text(): the match subquery is joined to ORM selects of posts.
SEARCH_TABLE = table("search_index", column("rowid"), column("post_id"))
PAGE_SIZE = 20
MAX_PAGES = 25  # bounded pagination: 500 hits are more than anyone reads; refine the query instead
START, STOP = "\x02", "\x03"


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


@dataclass
class Facet:
    key: str
    label: str
    count: int
    query: str  # the query narrowed by this facet


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    total: int
    facets: dict[str, list[Facet]] = field(default_factory=dict)
    next_cursor: str | None = None
    page: int = 1
    truncated: bool = False


# --- Engines ---------------------------------------------------------------------------------------


class SQLiteEngine:
    """FTS5: the tree becomes a MATCH string with every word quoted, so nothing typed can become
    FTS5 syntax."""

    @staticmethod
    def _quote(word: str) -> str:
        return '"' + word.replace('"', '""') + '"'

    def expression(self, node: Node) -> str:
        if isinstance(node, Term):
            return self._quote(node.word) + ("*" if node.prefix else "")
        if isinstance(node, Phrase):
            return self._quote(" ".join(node.words))
        if isinstance(node, Or):
            return "(" + " OR ".join(self.expression(child) for child in node.nodes) + ")"
        if isinstance(node, And):
            positives = [self.expression(c) for c in node.nodes if not isinstance(c, Not)]
            negatives = [self.expression(c.node) for c in node.nodes if isinstance(c, Not)]
            if not positives:
                raise QueryError(_("Add at least one word to look for: a search cannot be only exclusions."))
            result = "(" + " AND ".join(positives) + ")"
            for negative in negatives:
                result += f" NOT {negative}"
            return "(" + result + ")"
        raise QueryError(_("Add at least one word to look for: a search cannot be only exclusions."))

    def match(self, query: Query, restrict=None, window: int | None = None, bounds=(None, None)):
        expression = self.expression(query.text)
        if query.filters.in_title:
            expression = f"title : ({expression})"
        elif query.filters.in_attachments:
            expression = f"attachments : ({expression})"
        rowid = literal_column("rowid")
        matched = (
            select(
                rowid.label("post_id"),
                literal_column("bm25(search_index, 10.0, 1.0, 5.0, 0.5)").label("rank"),
            )
            .select_from(SEARCH_TABLE)
            .where(text("search_index MATCH :fts").bindparams(fts=expression))
        )
        low, high = bounds
        if low is not None:
            matched = matched.where(rowid >= low)  # a rowid range FTS5 walks natively
        if high is not None:
            matched = matched.where(rowid <= high)
        if restrict is not None:
            # "+rowid": the unary plus keeps the constraint away from FTS5, which would otherwise run
            # the match once per allowed id; SQLite checks each match against the set instead.
            matched = matched.where(literal_column("+rowid").in_(restrict))
        if window:
            # Newest matches first (ids grow with time), stopping at the window: bm25 is computed
            # for those rows only, however common the words.
            matched = matched.order_by(rowid.desc()).limit(window)
        return matched.subquery("matched"), True  # lower bm25 is better

    def snippets(self, session: Session, query: Query, post_ids: list[int]) -> dict[int, str]:
        if not post_ids or query.text is None:
            return {}
        expression = self.match(query)[0].element.whereclause
        rows = session.execute(
            select(
                literal_column("rowid"),
                literal_column(f"snippet(search_index, -1, '{START}', '{STOP}', '…', 24)"),
            )
            .select_from(SEARCH_TABLE)
            .where(expression)
            .where(literal_column("rowid").in_(post_ids))
        ).all()
        return dict(rows)


class PostgresEngine:
    """tsvector/GIN: the tree becomes a tsquery built from SQL functions and bound parameters
    (plainto/phraseto_tsquery), never from query text pasted into SQL."""

    config = literal_column("'english'::regconfig")

    def tsquery(self, node: Node) -> ColumnElement:
        if isinstance(node, Term):
            word = strip_accents(node.word)
            if node.prefix:
                # Only letters and digits reach to_tsquery, so ":*" is the only operator in it.
                safe = "".join(ch for ch in word if ch.isalnum()) or "x"
                return func.to_tsquery(self.config, safe + ":*")
            return func.plainto_tsquery(self.config, word)
        if isinstance(node, Phrase):
            return func.phraseto_tsquery(self.config, strip_accents(" ".join(node.words)))
        if isinstance(node, Or):
            parts = [self.tsquery(child) for child in node.nodes]
        elif isinstance(node, And):
            parts = [
                negate(self.tsquery(c.node)) if isinstance(c, Not) else self.tsquery(c) for c in node.nodes
            ]
        else:
            raise QueryError(_("Add at least one word to look for: a search cannot be only exclusions."))
        operator = "||" if isinstance(node, Or) else "&&"
        result = parts[0]
        for part in parts[1:]:
            result = result.op(operator)(part)
        return result

    def match(self, query: Query, restrict=None, window: int | None = None, bounds=(None, None)):
        column = "document_tsv"
        if query.filters.in_title:
            column = "title_tsv"
        elif query.filters.in_attachments:
            column = "attachments_tsv"
        tsquery = self.tsquery(query.text)
        document = literal_column(f"search_index.{column}")
        matched = (
            select(
                literal_column("search_index.post_id").label("post_id"),
                cast(func.ts_rank_cd(literal_column("search_index.document_tsv"), tsquery), Float).label(
                    "rank"
                ),
            )
            .select_from(SEARCH_TABLE)
            .where(document.op("@@")(self.tsquery(query.text)))
        )
        post_id = literal_column("search_index.post_id")
        low, high = bounds
        if low is not None:
            matched = matched.where(post_id >= low)
        if high is not None:
            matched = matched.where(post_id <= high)
        if restrict is not None:
            matched = matched.where(post_id.in_(restrict))
        if window:
            matched = matched.order_by(post_id.desc()).limit(window)
        return matched.subquery("matched"), False  # higher ts_rank_cd is better

    def snippets(self, session: Session, query: Query, post_ids: list[int]) -> dict[int, str]:
        if not post_ids or query.text is None:
            return {}
        options = (
            f"StartSel={START}, StopSel={STOP}, MaxWords=40, MinWords=15, MaxFragments=2, FragmentDelimiter=…"
        )
        source = (
            "search_index.attachments"
            if query.filters.in_attachments
            else "search_index.title || ' ' || search_index.body"
        )
        rows = session.execute(
            select(
                literal_column("search_index.post_id"),
                func.ts_headline(self.config, literal_column(source), self.tsquery(query.text), options),
            )
            .select_from(SEARCH_TABLE)
            .where(literal_column("search_index.post_id").in_(post_ids))
        ).all()
        return dict(rows)


def negate(expression: ColumnElement) -> ColumnElement:
    """!! q: the tsquery negation operator, applied to a built expression."""
    from sqlalchemy.sql.expression import UnaryExpression
    from sqlalchemy.sql.operators import custom_op

    return UnaryExpression(expression, operator=custom_op("!!"))


def engine_for(session: Session):
    return SQLiteEngine() if session.get_bind().dialect.name == "sqlite" else PostgresEngine()


# --- Filters -------------------------------------------------------------------------------------


def _date_conditions(query: Query) -> list[ColumnElement]:
    conditions = []
    if query.filters.before:
        conditions.append(Post.created_at < datetime.combine(query.filters.before, time.min))
    if query.filters.after:
        conditions.append(Post.created_at >= datetime.combine(query.filters.after, time.min))
    return conditions


def _id_bounds(session: Session, query: Query) -> tuple[int | None, int | None]:
    """before:/after: as a range of post ids, through the index on created_at. Posts are numbered
    as they are written, so the range holds every post of the period; the exact dates are still
    checked on each hit. An empty period gives a range that matches nothing."""
    low = high = None
    if query.filters.after:
        start = datetime.combine(query.filters.after, time.min)
        low = session.execute(select(func.min(Post.id)).where(Post.created_at >= start)).scalar()
        low = low if low is not None else 2**62
    if query.filters.before:
        end = datetime.combine(query.filters.before, time.min)
        high = session.execute(select(func.max(Post.id)).where(Post.created_at < end)).scalar()
        high = high if high is not None else -1
    return low, high


def _filter_conditions(session: Session, query: Query, dates: bool = True) -> list[ColumnElement]:
    filters = query.filters
    conditions: list[ColumnElement] = []
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
    for value in filters.tags:
        tag_ids = select(Tag.id).where(Tag.name == taxonomy.normalise_tag(value))
        conditions.append(Thread.id.in_(select(ThreadTag.thread_id).where(ThreadTag.tag_id.in_(tag_ids))))
    for value in filters.kinds:
        if value not in (
            "legislation",
            "case_law",
            "treaty",
            "guidance",
            "analysis",
            "template",
            "presentation",
            "other",
        ):
            raise QueryError(
                _(
                    "kind: takes legislation, case_law, treaty, guidance, analysis, template, "
                    "presentation or other."
                )
            )
        # IN over the (few) attachments, not EXISTS evaluated for every post.
        conditions.append(Post.id.in_(select(Attachment.post_id).where(Attachment.kind == value)))
    if filters.authors:
        conditions.append(Post.author_id.in_(select(User.id).where(User.handle.in_(filters.authors))))
    if dates:
        conditions += _date_conditions(query)
    if filters.has_attachment or filters.in_attachments:
        conditions.append(Post.id.in_(select(Attachment.post_id)))
    if filters.status == "locked":
        conditions.append(Thread.locked.is_(True))
    elif filters.status == "open":
        conditions.append(Thread.locked.is_(False))
    return conditions


def _visible(user: User, include_hidden: bool) -> list[ColumnElement]:
    """Experts never find hidden or deleted posts; moderators may include hidden ones."""
    states = [PostState.visible.value]
    if include_hidden and is_moderator(user):
        states.append(PostState.hidden.value)
    return [Post.state.in_(states), Thread.merged_into_id.is_(None)]


# --- Search --------------------------------------------------------------------------------------


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
    """Work is bounded by a window of the newest matches (FORUM_SEARCH_WINDOW, 2,000 by default):
    ranking, counting and facets look at those, so a common word costs what a rare one does. A
    window that fills up is reported (`truncated`), with the advice to narrow the search."""
    engine = engine_for(session)
    window = get_settings().search_window
    filters = _filter_conditions(session, query, dates=False)
    date_filters = _date_conditions(query)
    conditions = _visible(user, include_hidden) + filters + date_filters
    base = select(Post.id).join(Thread, Thread.id == Post.thread_id)
    rank = None
    if query.text is not None:
        # Filters narrow the match itself (rowid IN …), not the window after it.
        restrict = (
            select(Post.id).join(Thread, Thread.id == Post.thread_id).where(and_(*filters))
            if filters
            else None
        )
        matched, ascending = engine.match(query, restrict, window, _id_bounds(session, query))
        rank = matched.c.rank if ascending else -matched.c.rank
    else:
        matched = (
            select(Post.id.label("post_id"))
            .join(Thread, Thread.id == Post.thread_id)
            .where(and_(*conditions))
            .order_by(Post.id.desc())
            .limit(window)
            .subquery("matched")
        )
    base = base.join(matched, matched.c.post_id == Post.id).where(and_(*conditions))
    page = 1
    after = decode_cursor(cursor, 1)
    if after:
        try:
            page = max(1, min(int(after[0]), MAX_PAGES))
        except (TypeError, ValueError):
            raise Invalid(_("The page cursor is not valid; start from the first page.")) from None
    order = (
        [Post.created_at.desc(), Post.id.desc()] if sort == "date" or rank is None else [rank, Post.id.desc()]
    )
    rows = session.execute(base.order_by(*order).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    ids = [row[0] for row in rows[:PAGE_SIZE]]
    next_cursor = encode_cursor([page + 1]) if len(rows) > PAGE_SIZE and page < MAX_PAGES else None
    hits = _hits(session, engine, query, ids)
    matched_ids = base.subquery("hits")
    total = session.execute(select(func.count()).select_from(matched_ids)).scalar_one()
    truncated = session.execute(select(func.count()).select_from(matched)).scalar_one() >= window
    facets = _facets(session, matched_ids, raw, query) if with_facets else {}
    return SearchResult(
        query=raw,
        hits=hits,
        total=total,
        facets=facets,
        next_cursor=next_cursor,
        page=page,
        truncated=truncated,
    )


def _hits(session: Session, engine, query: Query, ids: list[int]) -> list[Hit]:
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
    snippets = engine.snippets(session, query, ids)
    hits = []
    for post_id in ids:
        post, thread, sector, author = by_id[post_id]
        raw_snippet = snippets.get(post_id) or post.body[:240]
        hits.append(
            Hit(
                post_id=post.id,
                thread_id=thread.id,
                title=thread.title,
                snippet_html=highlight(raw_snippet),
                url=f"/t/{thread.id}#post-{post.id}",
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


def _narrow(raw: str, key: str, value: str) -> str:
    value = f'"{value}"' if any(ch.isspace() for ch in value) else value
    return f"{raw.strip()} {key}:{value}".strip()


def _facets(session: Session, matched, raw: str, query: Query) -> dict[str, list[Facet]]:
    """Counts that narrow the query; a value already applied is not offered again."""
    applied_sectors = set(query.filters.sectors)
    applied_places = {value.lower() for value in query.filters.jurisdictions}
    sector_rows = session.execute(
        select(Sector.slug, Sector.name, func.count())
        .select_from(matched)
        .join(Post, Post.id == matched.c.id)
        .join(Thread, Thread.id == Post.thread_id)
        .join(Sector, Sector.id == Thread.sector_id)
        .group_by(Sector.slug, Sector.name)
        .order_by(func.count().desc())
        .limit(15)
    ).all()
    jurisdiction_rows = session.execute(
        select(Jurisdiction.code, Jurisdiction.name, func.count())
        .select_from(matched)
        .join(Post, Post.id == matched.c.id)
        .join(ThreadJurisdiction, ThreadJurisdiction.thread_id == Post.thread_id)
        .join(Jurisdiction, Jurisdiction.id == ThreadJurisdiction.jurisdiction_id)
        .group_by(Jurisdiction.code, Jurisdiction.name)
        .order_by(func.count().desc())
        .limit(15)
    ).all()
    year = (
        extract("year", Post.created_at)
        if session.get_bind().dialect.name != "sqlite"
        else func.strftime("%Y", Post.created_at)
    )
    year_rows = session.execute(
        select(year.label("year"), func.count())
        .select_from(matched)
        .join(Post, Post.id == matched.c.id)
        .group_by(year)
        .order_by(year.desc())
        .limit(15)
    ).all()
    facets = {
        "sector": [
            Facet(slug, name, count, _narrow(raw, "sector", slug))
            for slug, name, count in sector_rows
            if slug not in applied_sectors
        ],
        "jurisdiction": [
            Facet(code, name, count, _narrow(raw, "jurisdiction", code))
            for code, name, count in jurisdiction_rows
            if code.lower() not in applied_places and name.lower() not in applied_places
        ],
        "year": [],
    }
    for value, count in year_rows if not (query.filters.after or query.filters.before) else []:
        label = str(int(value))
        narrowed = _narrow(_narrow(raw, "after", f"{label}-01-01"), "before", f"{int(label) + 1}-01-01")
        facets["year"].append(Facet(label, label, count, narrowed))
    return facets


def new_matches(session: Session, user: User, raw: str, *, after_post_id: int, limit: int = 50) -> list[Hit]:
    """Posts newer than after_post_id that match a saved query, oldest first."""
    query = parse(raw)
    engine = engine_for(session)
    base = select(Post.id).join(Thread, Thread.id == Post.thread_id)
    if query.text is not None:
        matched, _ascending = engine.match(query)
        base = base.join(matched, matched.c.post_id == Post.id)
    conditions = _visible(user, False) + _filter_conditions(session, query) + [Post.id > after_post_id]
    ids = session.execute(base.where(and_(*conditions)).order_by(Post.id).limit(limit)).scalars().all()
    return _hits(session, engine, query, list(ids))
