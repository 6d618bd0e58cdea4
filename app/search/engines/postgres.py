"""PostgreSQL full-text search (tsvector, ts_rank_cd): the query tree as a tsquery."""

from sqlalchemy import Float, Text, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op
from sqlmodel import Session

from app.i18n import _
from app.search import thesaurus
from app.search.engines.base import RANKED_TABLE, SEARCH_TABLE, START, STOP, MatchSpec
from app.search.language import query_stems, stems, unaccent
from app.search.query import And, Node, Not, Or, Phrase, Query, QueryError, Term
from app.search.rewrite import Concept, concepts


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

    def match(self, query: Query, spec: MatchSpec = MatchSpec()):
        """The newest `spec.window` posts matching the words and the filter tokens, with their rank."""
        tokens, window, expand, primary = spec.tokens, spec.window, spec.expand, spec.primary
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
        low, high = spec.bounds
        if low is not None:
            conditions.append(post_id >= low)
        if high is not None:
            conditions.append(post_id <= high)
        if not spec.ranked:
            rank = literal_column("0.0")
        if not window or query.text is None or not spec.ranked:
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
        documents = RANKED_TABLE.alias("ranked")
        rank = cast(
            func.ts_rank_cd(documents.c.document_tsv, self.tsquery(query.text, expand, primary)), Float
        )
        matched = select(newest.c.post_id, rank.label("rank")).join(
            documents, documents.c.post_id == newest.c.post_id
        )
        return matched.subquery("matched"), False

    def window_table(self, session: Session, query: Query, spec: MatchSpec) -> None:
        """One index: a window costs what its rows do (ts_rank_cd reads no statistics)."""
        return None

    def snippets(self, session: Session, query: Query, post_ids: list[int], table=None) -> dict[int, str]:
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

    return UnaryExpression(expression, operator=custom_op("!!"))
