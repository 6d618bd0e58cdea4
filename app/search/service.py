"""One search interface over two engines: SQLite FTS5 (BM25) and PostgreSQL (tsvector, ts_rank_cd).

The query language is parsed once (app.search.query); each engine turns the same tree into its own
match expression; filters, permissions, facets and pagination are shared SQL on the live tables,
so both engines answer with the same semantics."""

import difflib
import html
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import (
    Float,
    String,
    Text,
    and_,
    case,
    cast,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.permissions import is_moderator
from app.attachments.models import Attachment
from app.cache import kept
from app.config import get_settings
from app.errors import Invalid, NotFound
from app.forum.models import Post, PostState, Thread, ThreadInstrument, ThreadJurisdiction, ThreadTag
from app.i18n import _
from app.moderation.models import AuditEntry
from app.pagination import decode_cursor, encode_cursor
from app.sanitize import render_plain
from app.search import thesaurus
from app.search.index import KINDS, meta_token
from app.search.language import fold, fold_arabic, query_stems, stems, unaccent
from app.search.query import And, Node, Not, Or, Phrase, Query, QueryError, Term, parse
from app.taxonomy import service as taxonomy
from app.taxonomy.models import Instrument, Jurisdiction, Sector, Tag

# A table clause, not text(): the match subquery is joined to ORM selects of posts.
SEARCH_TABLE = table("search_index", column("rowid"), column("post_id"))
RANKED_TABLE = table("search_index", column("post_id"), column("document_tsv"))
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


@dataclass(frozen=True)
class Concept:
    """Consecutive words typed that form a thesaurus entry ("controlled delivery")."""

    words: tuple[str, ...]


def concepts(node: And, expand: bool) -> list[Node | Concept]:
    """The positive parts of an AND, with runs of plain words that form a thesaurus entry taken
    together (longest first), so that `controlled delivery` also finds "entrega vigilada"."""
    parts = [child for child in node.nodes if not isinstance(child, Not)]
    if not expand:
        return parts
    result: list[Node | Concept] = []
    index = 0
    while index < len(parts):
        for length in range(min(4, len(parts) - index), 1, -1):
            run = parts[index : index + length]
            if all(isinstance(p, Term) and not p.prefix for p in run):
                words = tuple(p.word for p in run)
                if thesaurus.alternatives(words):
                    result.append(Concept(words))
                    index += length
                    break
        else:
            result.append(parts[index])
            index += 1
    return result


class SQLiteEngine:
    """FTS5: the tree becomes a MATCH string with every word quoted, so nothing typed can become
    FTS5 syntax. Each word is looked for as written (with the porter stemmer of the index) in the
    text columns, and as its Snowball stems in every indexed language in `stems`; a thesaurus
    entry adds its equivalents in the other languages (expand=True)."""

    TEXT_COLUMNS = "{title body tags attachments context}"
    # bm25 weights by column: title, body, tags, attachments, meta (never ranked), context, stems.
    # A post's own words count far more than its thread's context.
    WEIGHTS = "10.0, 1.0, 5.0, 0.5, 0.0, 0.2, 0.8"

    # An excluded word is looked for in the post's own text only: a thread's sector name ("…,
    # toys, cosmetics") must not exclude every post of the sector.
    OWN_COLUMNS = "{title body tags attachments}"

    @staticmethod
    def _quote(word: str) -> str:
        return '"' + word.replace('"', '""') + '"'

    def _word(self, word: str, columns: str, expand: bool) -> str:
        literal = f"{columns} : {self._quote(fold_arabic(word))}"
        if columns not in (self.TEXT_COLUMNS, self.OWN_COLUMNS):
            return literal  # in:title, in:attachments: the words as written there only
        alternatives = [literal] + [f"stems : {self._quote(stem)}" for stem in query_stems(word)]
        if expand:
            alternatives += self._equivalents((word,))
        return "(" + " OR ".join(alternatives) + ")"

    def _equivalents(self, words: tuple[str, ...]) -> list[str]:
        """A thesaurus entry's equivalents: stemmed in the post's own text, as written in its
        thread's context (a reply under "Entrega vigilada…" is found by "controlled delivery")."""
        found = []
        for language, term in thesaurus.alternatives(words):
            found.append(f"stems : {self._quote(stems(term, language))}")
            found.append(f"context : {self._quote(fold_arabic(term))}")
        return found

    def expression(self, node: Node, columns: str = TEXT_COLUMNS, expand: bool = True) -> str:
        if isinstance(node, Term):
            if node.prefix:
                return f"{columns} : {self._quote(fold_arabic(node.word))}*"
            return self._word(node.word, columns, expand)
        if isinstance(node, Phrase):
            # A quoted phrase is exact: never stemmed across languages nor expanded.
            return f"{columns} : {self._quote(' '.join(fold_arabic(w) for w in node.words))}"
        if isinstance(node, Or):
            return "(" + " OR ".join(self.expression(child, columns, expand) for child in node.nodes) + ")"
        if isinstance(node, And):
            positives = []
            for part in concepts(node, expand and columns == self.TEXT_COLUMNS):
                if isinstance(part, Concept):
                    words = " AND ".join(self._word(word, columns, False) for word in part.words)
                    positives.append(
                        "((" + words + ") OR " + " OR ".join(self._equivalents(part.words)) + ")"
                    )
                else:
                    positives.append(self.expression(part, columns, expand))
            # An excluded word is excluded in every form, never through the thesaurus.
            own = self.OWN_COLUMNS if columns == self.TEXT_COLUMNS else columns
            negatives = [self.expression(c.node, own, False) for c in node.nodes if isinstance(c, Not)]
            if not positives:
                raise QueryError(_("Add at least one word to look for: a search cannot be only exclusions."))
            result = "(" + " AND ".join(positives) + ")"
            for negative in negatives:
                result += f" NOT {negative}"
            return "(" + result + ")"
        raise QueryError(_("Add at least one word to look for: a search cannot be only exclusions."))

    def text_expression(self, query: Query, expand: bool = True) -> str:
        """The words typed, limited to the text columns (never the filter tokens in `meta`)."""
        columns = self.TEXT_COLUMNS
        if query.filters.in_title:
            columns = "title"
        elif query.filters.in_attachments:
            columns = "attachments"
        return self.expression(query.text, columns, expand)

    def match(self, query: Query, tokens=(), window: int | None = None, bounds=(None, None), expand=True):
        """The newest `window` posts matching the words and the filter tokens, with their rank."""
        parts = [self.text_expression(query, expand)] if query.text is not None else []
        parts += ["meta : (" + " OR ".join(self._quote(t) for t in group) + ")" for group in tokens]
        rowid = literal_column("rowid")
        rank = (
            literal_column(f"bm25(search_index, {self.WEIGHTS})")
            if query.text is not None
            else literal_column("0.0")
        )
        matched = (
            select(rowid.label("post_id"), rank.label("rank"))
            .select_from(SEARCH_TABLE)
            .where(text("search_index MATCH :fts").bindparams(fts=" AND ".join(parts)))
        )
        low, high = bounds
        if low is not None:
            matched = matched.where(rowid >= low)  # a rowid range FTS5 walks natively
        if high is not None:
            matched = matched.where(rowid <= high)
        if window:
            # Newest matches first (ids grow with time), stopping at the window: bm25 is computed
            # for those rows only, however common the words.
            matched = matched.order_by(rowid.desc()).limit(window)
        return matched.subquery("matched"), True  # lower bm25 is better

    def snippets(self, session: Session, query: Query, post_ids: list[int]) -> dict[int, str]:
        if not post_ids or query.text is None:
            return {}
        # From the post's own text (body, then title, then its documents), never from the context
        # columns: a reply found through its thread shows its own first words.
        columns = (3,) if query.filters.in_attachments else (1, 0, 3)
        rows = session.execute(
            select(
                literal_column("rowid"),
                *(
                    literal_column(f"snippet(search_index, {number}, '{START}', '{STOP}', '…', 24)")
                    for number in columns
                ),
            )
            .select_from(SEARCH_TABLE)
            .where(text("search_index MATCH :fts").bindparams(fts=self.text_expression(query)))
            .where(literal_column("rowid").in_(post_ids))
        ).all()
        return {
            row[0]: next((snippet for snippet in row[1:] if snippet and START in snippet), row[1])
            for row in rows
        }


class PostgresEngine:
    """tsvector/GIN: the tree becomes a tsquery built from SQL functions and bound parameters
    (plainto/phraseto_tsquery), never from query text pasted into SQL."""

    config = literal_column("'english'::regconfig")

    simple = literal_column("'simple'::regconfig")

    def _word(self, word: str, expand: bool) -> ColumnElement:
        result = func.plainto_tsquery(self.config, unaccent(word))
        for stem in query_stems(word):
            result = result.op("||")(func.plainto_tsquery(self.simple, stem))
        if expand:
            for equivalent in self._equivalents((word,)):
                result = result.op("||")(equivalent)
        return result

    def _equivalents(self, words: tuple[str, ...]) -> list[ColumnElement]:
        """As on SQLite: stemmed in the post's own text, as written (english configuration) in
        the rest of the document, its context included."""
        found = []
        for language, term in thesaurus.alternatives(words):
            found.append(func.phraseto_tsquery(self.simple, stems(term, language)))
            found.append(func.phraseto_tsquery(self.config, unaccent(term)))
        return found

    def tsquery(self, node: Node, expand: bool = True) -> ColumnElement:
        """The words as written (english configuration), or their Snowball stems in every indexed
        language (the `stems` part of document_tsv, simple configuration), or with expand their
        thesaurus equivalents. A quoted phrase is exact."""
        if isinstance(node, Term):
            word = unaccent(node.word)
            if node.prefix:
                # Only letters and digits reach to_tsquery, so ":*" is the only operator in it.
                safe = "".join(ch for ch in word if ch.isalnum()) or "x"
                return func.to_tsquery(self.config, safe + ":*")
            return self._word(node.word, expand)
        if isinstance(node, Phrase):
            return func.phraseto_tsquery(self.config, unaccent(" ".join(node.words)))
        if isinstance(node, Or):
            parts = [self.tsquery(child, expand) for child in node.nodes]
        elif isinstance(node, And):
            parts = []
            for part in concepts(node, expand):
                if isinstance(part, Concept):
                    together = self._join([self._word(word, False) for word in part.words], "&&")
                    parts.append(self._join([together, *self._equivalents(part.words)], "||"))
                else:
                    parts.append(self.tsquery(part, expand))
            parts += [
                negate(self._own_text(self.tsquery(c.node, False))) for c in node.nodes if isinstance(c, Not)
            ]
        else:
            raise QueryError(_("Add at least one word to look for: a search cannot be only exclusions."))
        return self._join(parts, "||" if isinstance(node, Or) else "&&")

    @staticmethod
    def _own_text(tsquery: ColumnElement) -> ColumnElement:
        """The same query, its lexemes limited to weights A-C: the post's own text, not its
        thread's context (weight D), so that an excluded word in a sector's name does not exclude
        the sector."""
        labelled = func.regexp_replace(cast(tsquery, Text), "'((?:[^']|'')+)'", "'\\1':ABC", "g")
        return cast(labelled, TSQUERY)

    @staticmethod
    def _join(parts: list[ColumnElement], operator: str) -> ColumnElement:
        result = parts[0]
        for part in parts[1:]:
            result = result.op(operator)(part)
        return result

    def match(self, query: Query, tokens=(), window: int | None = None, bounds=(None, None), expand=True):
        """The newest `window` posts matching the words and the filter tokens, with their rank."""
        post_id = literal_column("search_index.post_id")
        conditions = []
        rank = literal_column("0.0")
        if query.text is not None:
            column = "document_tsv"
            if query.filters.in_title:
                column = "title_tsv"
            elif query.filters.in_attachments:
                column = "attachments_tsv"
            tsquery = self.tsquery(query.text, expand)
            conditions.append(literal_column(f"search_index.{column}").op("@@")(tsquery))
            rank = cast(func.ts_rank_cd(literal_column("search_index.document_tsv"), tsquery), Float)
        if tokens:
            # Our own tokens only (letters and digits), joined with tsquery operators.
            expression = " & ".join("(" + " | ".join(group) + ")" for group in tokens)
            conditions.append(
                literal_column("search_index.meta_tsv").op("@@")(
                    func.to_tsquery(literal_column("'simple'::regconfig"), expression)
                )
            )
        low, high = bounds
        if low is not None:
            conditions.append(post_id >= low)
        if high is not None:
            conditions.append(post_id <= high)
        if not window or query.text is None:
            matched = select(post_id.label("post_id"), rank.label("rank")).select_from(SEARCH_TABLE)
            matched = matched.where(*conditions)
            if window:
                matched = matched.order_by(post_id.desc()).limit(window)
            return matched.subquery("matched"), False  # higher ts_rank_cd is better
        # The newest `window` ids first, then the rank of those rows only: computed in the same
        # SELECT, ts_rank_cd would read (detoast) the document of every match before the LIMIT.
        newest = (
            select(post_id.label("post_id"))
            .select_from(SEARCH_TABLE)
            .where(*conditions)
            .order_by(post_id.desc())
            .limit(window)
            .subquery("newest")
        )
        ranked = RANKED_TABLE.alias("ranked")
        rank = cast(func.ts_rank_cd(ranked.c.document_tsv, self.tsquery(query.text, expand)), Float)
        matched = select(newest.c.post_id, rank.label("rank")).join(
            ranked, ranked.c.post_id == newest.c.post_id
        )
        return matched.subquery("matched"), False

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


def _id_bounds(session: Session, query: Query) -> tuple[int | None, int | None]:
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


def _filter_conditions(
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
    one query fetches the window (words and filter tokens matched inside the index, then checked
    against the live tables); ranking, counting and facets are computed from those rows, so a common
    word costs what a rare one does. A window that fills up is reported (`truncated`), with the
    advice to narrow the search."""
    engine = engine_for(session)
    window = get_settings().search_window
    conditions, tokens = _filter_conditions(session, query)
    conditions = _visible(user, include_hidden) + conditions
    page = 1
    after = decode_cursor(cursor, 1)
    if after:
        try:
            page = max(1, min(int(after[0]), MAX_PAGES))
        except (TypeError, ValueError):
            raise Invalid(_("The page cursor is not valid; start from the first page.")) from None
    bounds = _id_bounds(session, query) if query.text is not None or tokens else (None, None)

    def window_rows(expand: bool):
        if query.text is not None or tokens:
            matched, ascending = engine.match(query, tokens, window, bounds, expand=expand)
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
            Thread.sector_id,
            case((and_(*conditions), 1), else_=0).label("ok"),
        ]
        if with_facets:
            columns.append(_jurisdiction_ids(session))
        rows = session.execute(
            select(*columns)
            .select_from(matched)
            .join(Post, Post.id == matched.c.post_id)
            .join(Thread, Thread.id == Post.thread_id)
        ).all()
        return rows, ascending

    # The thesaurus ranks below the words typed: the words as typed first; only when they leave
    # room in the window are their equivalents in other languages looked for, and those posts
    # come after every literal match. A common word (a full window) costs one match, as before.
    literal: set[int] | None = None
    rows, ascending = window_rows(expand=False)
    if query.text is not None and len(rows) < window and _uses_thesaurus(query.text):
        literal = {row.post_id for row in rows}
        rows, ascending = window_rows(expand=True)
    truncated = len(rows) >= window
    rows = [row for row in rows if row.ok]
    if sort == "date" or query.text is None:
        rows.sort(key=lambda row: (row.created_at, row.post_id), reverse=True)
    else:
        sign = 1 if ascending else -1
        rows.sort(
            key=lambda row: (
                literal is not None and row.post_id not in literal,
                sign * row.rank,
                -row.post_id,
            )
        )
    start = (page - 1) * PAGE_SIZE
    ids = [row.post_id for row in rows[start : start + PAGE_SIZE]]
    more = len(rows) > start + PAGE_SIZE
    next_cursor = encode_cursor([page + 1]) if more and page < MAX_PAGES else None
    facets = _facets(session, rows, raw, query) if with_facets else {}
    return SearchResult(
        query=raw,
        hits=_hits(session, engine, query, ids),
        total=len(rows),
        facets=facets,
        next_cursor=next_cursor,
        page=page,
        truncated=truncated,
    )


def _uses_thesaurus(node: Node) -> bool:
    if isinstance(node, Term):
        return not node.prefix and bool(thesaurus.alternatives((node.word,)))
    if isinstance(node, And) and any(isinstance(part, Concept) for part in concepts(node, True)):
        return True
    if isinstance(node, Or | And):
        return any(_uses_thesaurus(child) for child in node.nodes if not isinstance(child, Not))
    return False


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
        raw_snippet = snippets.get(post_id) or render_plain(post.body)[:240]
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


FACET_SIZE = 15


def _top(counter: Counter) -> list[tuple[int, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:FACET_SIZE]


def _facets(session: Session, rows, raw: str, query: Query) -> dict[str, list[Facet]]:
    """Counts over the window's rows that narrow the query; a value already applied is not offered
    again."""
    applied_sectors = set(query.filters.sectors)
    applied_places = {value.lower() for value in query.filters.jurisdictions}
    sectors = _top(Counter(row.sector_id for row in rows))
    places = _top(
        Counter(int(i) for row in rows if row.jurisdiction_ids for i in row.jurisdiction_ids.split(","))
    )
    sector_names = {
        sector_id: (slug, name)
        for sector_id, slug, name in session.execute(
            select(Sector.id, Sector.slug, Sector.name).where(Sector.id.in_([i for i, _n in sectors]))
        )
    }
    place_names = {
        place_id: (code, name)
        for place_id, code, name in session.execute(
            select(Jurisdiction.id, Jurisdiction.code, Jurisdiction.name).where(
                Jurisdiction.id.in_([i for i, _n in places])
            )
        )
    }
    facets = {
        "sector": [
            Facet(slug, name, count, _narrow(raw, "sector", slug))
            for sector_id, count in sectors
            for slug, name in [sector_names[sector_id]]
            if slug not in applied_sectors
        ],
        "jurisdiction": [
            Facet(code, name, count, _narrow(raw, "jurisdiction", code))
            for place_id, count in places
            for code, name in [place_names[place_id]]
            if code.lower() not in applied_places and name.lower() not in applied_places
        ],
        "year": [],
    }
    if not (query.filters.after or query.filters.before):
        years = Counter(row.created_at.year for row in rows)
        for year in sorted(years, reverse=True)[:FACET_SIZE]:
            label = str(year)
            narrowed = _narrow(_narrow(raw, "after", f"{label}-01-01"), "before", f"{year + 1}-01-01")
            facets["year"].append(Facet(label, label, years[year], narrowed))
    return facets


def new_matches(session: Session, user: User, raw: str, *, after_post_id: int, limit: int = 50) -> list[Hit]:
    """Posts newer than after_post_id that match a saved query, oldest first."""
    query = parse(raw)
    engine = engine_for(session)
    base = select(Post.id).join(Thread, Thread.id == Post.thread_id)
    conditions, tokens = _filter_conditions(session, query)
    if query.text is not None or tokens:
        matched, _ascending = engine.match(query, tokens, bounds=(after_post_id + 1, None))
        base = base.join(matched, matched.c.post_id == Post.id)
    conditions = _visible(user, False) + conditions + [Post.id > after_post_id]
    ids = session.execute(base.where(and_(*conditions)).order_by(Post.id).limit(limit)).scalars().all()
    return _hits(session, engine, query, list(ids))
