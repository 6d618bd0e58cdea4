"""SQLite FTS5 (BM25): the query tree as a MATCH expression."""

from dataclasses import dataclass, replace

from sqlalchemy import column, func, literal_column, select, table, text
from sqlmodel import Session

from app.i18n import _
from app.search import thesaurus
from app.search.engines.base import START, STOP, MatchSpec
from app.search.index import RECENT, recent_floor
from app.search.language import fold_arabic, query_stems, stems
from app.search.query import And, Node, Not, Or, Phrase, Query, QueryError, Term
from app.search.rewrite import Concept, any_word, concepts

# The full index and the recent one (app.search.index), as table clauses.
_TABLES = {name: table(name, column("rowid")) for name in ("search_index", RECENT)}


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
    # Where snippets are cut from: the post's own text and documents.
    SNIPPETS = Scope("{title body attachments}", "stems")

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
        # Each phrase once: bm25 reads every phrase's whole list of rows, and a stem the thesaurus
        # gives again would count twice.
        return "(" + " OR ".join(dict.fromkeys(alternatives)) + ")"

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
                    alternatives = [words, *self._equivalents(part.words, expand, scope)]
                    positives.append("(" + " OR ".join(dict.fromkeys(alternatives)) + ")")
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

    def match(self, query: Query, spec: MatchSpec = MatchSpec()):
        """The newest `spec.window` posts matching the words and the filter tokens, with their rank."""
        name = spec.table or "search_index"
        parts = [self.text_expression(query, spec.expand, spec.primary)] if query.text is not None else []
        parts += ["meta : (" + " OR ".join(self._quote(t) for t in group) + ")" for group in spec.tokens]
        rowid = literal_column("rowid")
        rank = (
            literal_column(f"bm25({name}, {self.WEIGHTS})")
            if query.text is not None and spec.ranked
            else literal_column("0.0")
        )
        matched = (
            select(rowid.label("post_id"), rank.label("rank"))
            .select_from(_TABLES[name])
            .where(text(f"{name} MATCH :fts").bindparams(fts=" AND ".join(parts)))
        )
        low, high = spec.bounds
        if low is not None:
            matched = matched.where(rowid >= low)  # a rowid range FTS5 walks natively
        if high is not None:
            matched = matched.where(rowid <= high)
        if spec.window:
            # Newest matches first (ids grow with time), stopping at the window: bm25 is computed
            # for those rows only, however common the words.
            matched = matched.order_by(rowid.desc()).limit(spec.window)
        return matched.subquery("matched"), True  # lower bm25 is better

    def window_table(self, session: Session, query: Query, spec: MatchSpec) -> str | None:
        """The recent index (app.search.index) when the newest `window` matches are all there, which
        one unranked look tells; else None, the full index. Ranked there, a common word's weight is
        read from some 50,000 posts instead of all of them."""
        if not spec.window or recent_floor(session.connection()) is None:
            return None
        matched, _ascending = self.match(query, replace(spec, ranked=False, table=RECENT))
        found = session.connection().execute(select(func.count()).select_from(matched)).scalar()
        return RECENT if found >= spec.window else None

    def snippets(self, session: Session, query: Query, post_ids: list[int], table=None) -> dict[int, str]:
        if not post_ids or query.text is None:
            return {}
        name = table or "search_index"
        # From the post's own text (body, then title, then its documents), never from the context
        # columns: a reply found through its thread shows its own first words. Any word searched
        # for is highlighted, looked for in the post's own columns only (cheaper than the search).
        columns = (3,) if query.filters.in_attachments else (1, 0, 3)
        if query.filters.in_attachments:
            words = self.expression(any_word(query.text), Scope("attachments", None), False)
        else:
            words = self.expression(any_word(query.text), self.SNIPPETS, "all")
        rows = session.execute(
            select(
                literal_column("rowid"),
                *(
                    literal_column(f"snippet({name}, {number}, '{START}', '{STOP}', '…', 24)")
                    for number in columns
                ),
            )
            .select_from(_TABLES[name])
            .where(text(f"{name} MATCH :fts").bindparams(fts=words))
            .where(literal_column("rowid").in_(post_ids))
        ).all()
        return {
            row[0]: next((snippet for snippet in row[1:] if snippet and START in snippet), row[1])
            for row in rows
        }
