"""One search interface over two engines: SQLite FTS5 (BM25) and PostgreSQL (tsvector, ts_rank_cd).

The query language is parsed once (app.search.query); each engine turns the same tree into its own
match expression; filters, permissions, facets and pagination are shared SQL on the live tables,
so both engines answer with the same semantics."""

import difflib
import html
from collections import Counter
from dataclasses import dataclass, field, replace
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
    # Holds all of the search's words but one (shown after those that hold them all).
    partial: bool = False


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
    # How many of `total` hold every word; the others hold all but one.
    matched_all: int = 0


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


@dataclass(frozen=True)
class Scope:
    """Where a query's words are looked for in the SQLite index: columns for the words as written,
    and columns for their stems and thesaurus equivalents (None: neither)."""

    text: str
    stems: str | None


class SQLiteEngine:
    """FTS5: the tree becomes a MATCH string with every word quoted, so nothing typed can become
    FTS5 syntax. Each word is looked for as written (with the porter stemmer of the index) in the
    text columns, and as its Snowball stems in every indexed language in `stems` (and among the
    stems of a reply's thread title in `context`); a thesaurus entry adds its equivalents in the
    other languages (expand="all"), only those in the language typed (expand="same") or only other
    forms of the words typed (expand="variants")."""

    # bm25 weights by column: title, body, tags, attachments, meta (never ranked), context (a
    # reply's thread title and tags), taxonomy (sector, jurisdiction and instrument names), stems.
    # A post's own words count far more than its thread's context.
    WEIGHTS = "10.0, 1.0, 5.0, 0.5, 0.0, 0.3, 0.2, 0.8"

    # Everything, the thread's context and the thesaurus included.
    ALL = Scope("{title body tags attachments context taxonomy}", "{stems context}")
    # The words typed in the post's own title, tags and text: the first posts a search shows.
    PRIMARY = Scope("{title body tags}", "stems")
    # An excluded word is looked for in the post's own text and its thread's title and tags (a
    # reply under "Counterfeit toys" is about toys), never in the taxonomy: a sector's name ("…,
    # toys, cosmetics") must not exclude every post of the sector. Never through the thesaurus.
    OWN = Scope("{title body tags attachments context}", "{stems context}")

    @staticmethod
    def _quote(word: str) -> str:
        return '"' + word.replace('"', '""') + '"'

    def _word(self, word: str, scope: Scope, expand: str | bool) -> str:
        literal = f"{scope.text} : {self._quote(fold_arabic(word))}"
        if scope.stems is None:
            return literal  # in:title, in:attachments: the words as written there only
        alternatives = [literal] + [f"{scope.stems} : {self._quote(stem)}" for stem in query_stems(word)]
        if expand:
            alternatives += self._equivalents((word,), expand, scope)
        return "(" + " OR ".join(alternatives) + ")"

    def _equivalents(self, words: tuple[str, ...], languages: str, scope: Scope) -> list[str]:
        """A thesaurus entry's equivalents, stemmed (in the post's own text and its thread's title)
        and as written anywhere: a post titled "Blanchiment d'argent…" and a reply under "Entrega
        vigilada…" are found by `money laundering` and `controlled delivery`. They rank after the
        posts with the words typed (_run), except variants in the language typed."""
        found = []
        for language, term in thesaurus.alternatives(words, languages):
            found.append(f"{scope.stems} : {self._quote(stems(term, language))}")
            found.append(f"{scope.text} : {self._quote(fold_arabic(term))}")
        return found

    def expression(self, node: Node, scope: Scope = ALL, expand: str | bool = "all") -> str:
        if isinstance(node, Term):
            if node.prefix:
                return f"{scope.text} : {self._quote(fold_arabic(node.word))}*"
            return self._word(node.word, scope, expand)
        if isinstance(node, Phrase):
            # A quoted phrase is exact: never stemmed across languages nor expanded, and never
            # found in a sector's or an instrument's name alone.
            columns = self.OWN.text if scope == self.ALL else scope.text
            return f"{columns} : {self._quote(' '.join(fold_arabic(w) for w in node.words))}"
        if isinstance(node, Or):
            return "(" + " OR ".join(self.expression(child, scope, expand) for child in node.nodes) + ")"
        if isinstance(node, And):
            positives = []
            for part in concepts(node, bool(expand and scope.stems)):
                if isinstance(part, Concept):
                    words = "(" + " AND ".join(self._word(word, scope, False) for word in part.words) + ")"
                    positives.append(
                        "(" + " OR ".join([words, *self._equivalents(part.words, expand, scope)]) + ")"
                    )
                else:
                    positives.append(self.expression(part, scope, expand))
            # An excluded word is excluded in every form, never through the thesaurus.
            own = scope if scope.stems is None else self.OWN
            negatives = [self.expression(c.node, own, False) for c in node.nodes if isinstance(c, Not)]
            if not positives:
                raise QueryError(_("Add at least one word to look for: a search cannot be only exclusions."))
            result = "(" + " AND ".join(positives) + ")"
            for negative in negatives:
                result += f" NOT {negative}"
            return "(" + result + ")"
        raise QueryError(_("Add at least one word to look for: a search cannot be only exclusions."))

    def text_expression(self, query: Query, expand: str | bool = "all", primary: bool = False) -> str:
        """The words typed, limited to the text columns (never the filter tokens in `meta`)."""
        scope = self.PRIMARY if primary else self.ALL
        if query.filters.in_title:
            scope = Scope("title", None)
        elif query.filters.in_attachments:
            scope = Scope("attachments", None)
        return self.expression(query.text, scope, expand)

    def match(
        self,
        query: Query,
        tokens=(),
        window: int | None = None,
        bounds=(None, None),
        expand="all",
        primary=False,
    ):
        """The newest `window` posts matching the words and the filter tokens, with their rank.
        primary: the words as typed in the post's own title, tags and text only."""
        parts = [self.text_expression(query, expand, primary)] if query.text is not None else []
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

    def _word(self, word: str, expand: str | bool) -> ColumnElement:
        result = func.plainto_tsquery(self.config, unaccent(word))
        for stem in query_stems(word):
            result = result.op("||")(func.plainto_tsquery(self.simple, stem))
        if expand:
            for equivalent in self._equivalents((word,), expand):
                result = result.op("||")(equivalent)
        return result

    def _equivalents(self, words: tuple[str, ...], languages: str) -> list[ColumnElement]:
        """As on SQLite: stemmed (the post's own text and its thread's title), and as written
        (english configuration) anywhere in the document."""
        found = []
        for language, term in thesaurus.alternatives(words, languages):
            found.append(func.phraseto_tsquery(self.simple, stems(term, language)))
            found.append(func.phraseto_tsquery(self.config, unaccent(term)))
        return found

    def tsquery(
        self, node: Node, expand: str | bool = "all", primary: bool = False, weighted: bool = True
    ) -> ColumnElement:
        """The words as written (english configuration), or their Snowball stems in every indexed
        language (the `stems` part of document_tsv, simple configuration), or with expand their
        thesaurus equivalents ("all", or "same": in the language typed). A quoted phrase is exact.
        primary: in the post's own title, tags and text only (weights A and B). weighted: False
        for title_tsv and attachments_tsv, whose lexemes carry no weights."""

        def weights(result: ColumnElement, labels: str) -> ColumnElement:
            return self._weights(result, labels) if weighted else result

        if isinstance(node, Term):
            word = unaccent(node.word)
            if node.prefix:
                # Only letters and digits reach to_tsquery, so ":*" is the only operator in it.
                safe = "".join(ch for ch in word if ch.isalnum()) or "x"
                result = func.to_tsquery(self.config, safe + ":*")
            else:
                result = self._word(node.word, expand)
            return weights(result, "AB") if primary else result
        if isinstance(node, Phrase):
            # Exact, and never in a sector's or an instrument's name alone (weight D).
            result = func.phraseto_tsquery(self.config, unaccent(" ".join(node.words)))
            return weights(result, "AB" if primary else "ABC")
        if isinstance(node, Or):
            parts = [self.tsquery(child, expand, primary, weighted) for child in node.nodes]
        elif isinstance(node, And):
            parts = []
            for part in concepts(node, bool(expand)):
                if isinstance(part, Concept):
                    together = self._join([self._word(word, False) for word in part.words], "&&")
                    concept = self._join([together, *self._equivalents(part.words, expand)], "||")
                    parts.append(weights(concept, "AB") if primary else concept)
                else:
                    parts.append(self.tsquery(part, expand, primary, weighted))
            parts += [
                negate(weights(self.tsquery(c.node, False, weighted=False), "ABC"))
                for c in node.nodes
                if isinstance(c, Not)
            ]
        else:
            raise QueryError(_("Add at least one word to look for: a search cannot be only exclusions."))
        return self._join(parts, "||" if isinstance(node, Or) else "&&")

    @staticmethod
    def _weights(tsquery: ColumnElement, weights: str) -> ColumnElement:
        """The same query, its lexemes limited to these weights. A and B: the post's own title, tags
        and text; C: its attachments and its thread's title and tags; D: the taxonomy's names.
        An excluded word looks at A-C, so that a word in a sector's name does not exclude the
        sector."""
        # 'word' becomes 'word':AB, and a prefix 'word':* becomes 'word':*AB.
        labelled = func.regexp_replace(
            cast(tsquery, Text), "'((?:[^']|'')+)'(?::(\\*))?", f"'\\1':\\2{weights}", "g"
        )
        return cast(labelled, TSQUERY)

    @staticmethod
    def _join(parts: list[ColumnElement], operator: str) -> ColumnElement:
        result = parts[0]
        for part in parts[1:]:
            result = result.op(operator)(part)
        return result

    def match(
        self,
        query: Query,
        tokens=(),
        window: int | None = None,
        bounds=(None, None),
        expand="all",
        primary=False,
    ):
        """The newest `window` posts matching the words and the filter tokens, with their rank.
        primary: the words as typed in the post's own title, tags and text only."""
        post_id = literal_column("search_index.post_id")
        conditions = []
        rank = literal_column("0.0")
        if query.text is not None:
            column = "document_tsv"
            if query.filters.in_title:
                column = "title_tsv"
            elif query.filters.in_attachments:
                column = "attachments_tsv"
            weighted = column == "document_tsv"
            primary = primary and weighted
            tsquery = self.tsquery(query.text, expand, primary, weighted)
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
        rank = cast(func.ts_rank_cd(ranked.c.document_tsv, self.tsquery(query.text, expand, primary)), Float)
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

    def window_rows(query: Query, expand: str, primary: bool = False):
        if query.text is not None or tokens:
            matched, ascending = engine.match(query, tokens, window, bounds, expand=expand, primary=primary)
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
        rows = session.execute(
            select(*columns)
            .select_from(matched)
            .join(Post, Post.id == matched.c.post_id)
            .join(Thread, Thread.id == Post.thread_id)
        ).all()
        return rows, ascending

    # Three kinds of match, each after the other: the posts whose own title, tags or text hold the
    # words typed; then those that hold them with their thread's title or taxonomy; then those
    # found through the thesaurus (equivalents in other languages). Each pass runs only when the
    # ones before leave room in the window, so a common word (a full window) costs one match.
    tiers: dict[int, int] = {}
    rows: list = []
    ascending = True
    if query.text is None or query.filters.in_title or query.filters.in_attachments:
        rows, ascending = window_rows(query, expand="all")
    else:
        passes = [{"expand": "variants", "primary": True}, {"expand": "same"}]
        if _uses_thesaurus(query.text):
            passes.append({"expand": "all"})
        for tier, options in enumerate(passes):
            found, ascending = window_rows(query, **options)
            known = {row.post_id for row in rows}
            rows = rows + [row for row in found if row.post_id not in known]
            for row in found:
                tiers.setdefault(row.post_id, tier)
            if len(found) >= window:
                break
    truncated = len(rows) >= window
    rows = [row for row in rows if row.ok]
    # Words typed together that a post holds together (in that order) put it first of its kind:
    # "money laundering" before "laundering the money".
    together: set[int] = set()
    phrase = _together(query.text) if query.text is not None and tiers else None
    if phrase is not None and sort == "relevance":
        found, _ascending = window_rows(replace(query, text=phrase), expand=False)
        together = {row.post_id for row in found}
    # Few posts hold every word: those that hold all but one follow, marked as partial matches.
    partial: set[int] = set()
    relaxed = _relaxed(query.text) if query.text is not None else None
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

        def kind(row) -> tuple:
            return (
                row.post_id in partial,
                row.post_id in partial and row.thread_id not in threads,
                tiers.get(row.post_id, 0),
                row.post_id not in together,
            )

        # An opening post takes the place of the best of its thread's posts of the same kind: the
        # question and its title before the replies that answer it.
        best: dict[tuple, float] = {}
        for row in rows:
            group = (row.thread_id, kind(row))
            best[group] = min(best.get(group, sign * row.rank), sign * row.rank)

        def rank(row) -> float:
            return best[(row.thread_id, kind(row))] if row.parent_id is None else sign * row.rank

        rows.sort(key=lambda row: (*kind(row), rank(row), row.parent_id is not None, -row.post_id))
    start = (page - 1) * PAGE_SIZE
    ids = [row.post_id for row in rows[start : start + PAGE_SIZE]]
    more = len(rows) > start + PAGE_SIZE
    next_cursor = encode_cursor([page + 1]) if more and page < MAX_PAGES else None
    facets = _facets(session, rows, raw, query) if with_facets else {}
    hits = _hits(session, engine, query, ids)
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


def _uses_thesaurus(node: Node) -> bool:
    """Whether the thesaurus has equivalents in other languages for some part of the search."""
    if isinstance(node, Term):
        return not node.prefix and bool(thesaurus.alternatives((node.word,), "other"))
    if isinstance(node, And) and any(
        isinstance(part, Concept) and thesaurus.alternatives(part.words, "other")
        for part in concepts(node, True)
    ):
        return True
    if isinstance(node, Or | And):
        return any(_uses_thesaurus(child) for child in node.nodes if not isinstance(child, Not))
    return False


def _together(node: Node) -> Node | None:
    """The words of a search of plain words (2 to RELAXED_PARTS, exclusions aside) as one phrase,
    exclusions kept; None for any other search."""
    if not isinstance(node, And):
        return None
    words = [child for child in node.nodes if not isinstance(child, Not)]
    if not 2 <= len(words) <= RELAXED_PARTS or not all(isinstance(w, Term) and not w.prefix for w in words):
        return None
    negatives = tuple(child for child in node.nodes if isinstance(child, Not))
    return And((Phrase(tuple(w.word for w in words)),) + negatives)


# Up to this many parts (words, phrases, thesaurus entries typed together), a search whose every part
# matches few posts also shows those that match all parts but one.
RELAXED_PARTS = 8


def _relaxed(node: Node) -> Node | None:
    """All parts of an AND but one, each left out in turn (exclusions kept): for `laboratory chain
    of custody`, the post that says "chain of custody" without "laboratory". None when the search
    is not a plain AND of 2 to RELAXED_PARTS parts."""
    if not isinstance(node, And):
        return None
    parts = concepts(node, True)
    if len(parts) == 1 and isinstance(parts[0], Concept):
        parts = [Term(word) for word in parts[0].words]  # `falsified medicines`: either word
    negatives = tuple(child for child in node.nodes if isinstance(child, Not))
    if not 2 <= len(parts) <= RELAXED_PARTS:
        return None

    def nodes(part) -> tuple[Node, ...]:
        return tuple(Term(word) for word in part.words) if isinstance(part, Concept) else (part,)

    return Or(
        tuple(
            And(tuple(n for j, part in enumerate(parts) if j != left_out for n in nodes(part)) + negatives)
            for left_out in range(len(parts))
        )
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
