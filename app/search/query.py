"""The search language, parsed once for both engines.

    words (all must match)   "exact phrase"   -word   -"phrase"   a OR b   (grouping)   prefix*
    sector:tobacco  jurisdiction:FR|France  instrument:fctc-protocol  tag:"online sales"  kind:case_law
    author:handle  before:2024-01-01  after:2023-06-30  in:title  in:attachments  has:attachment
    status:locked|open

Prefix matching happens only when asked for with "*": implicit prefixes make "redis" match
"redirect". Malformed queries raise QueryError with a message meant for the person who typed it."""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from app.i18n import _
from app.search.schemas import FILTER_FIELDS, AdvancedSearch

MAX_QUERY = 500
MAX_TERMS = 30
FILTER_KEYS = (
    "sector",
    "jurisdiction",
    "instrument",
    "tag",
    "kind",
    "author",
    "before",
    "after",
    "in",
    "has",
    "status",
)
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


class QueryError(ValueError):
    pass


def fold(text: str) -> str:
    """Lower-case and strip accents, so that "decision" finds "décision" on both engines."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


@dataclass(frozen=True)
class Term:
    word: str
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]


@dataclass(frozen=True)
class Not:
    node: "Node"


@dataclass(frozen=True)
class And:
    nodes: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    nodes: tuple["Node", ...]


Node = Term | Phrase | Not | And | Or


@dataclass
class Filters:
    sectors: list[str] = field(default_factory=list)
    jurisdictions: list[str] = field(default_factory=list)
    instruments: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    before: date | None = None
    after: date | None = None
    in_title: bool = False
    in_attachments: bool = False
    has_attachment: bool = False
    status: str | None = None


@dataclass
class Query:
    text: Node | None
    filters: Filters


TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\() | (?P<rparen>\)) |
        (?P<neg>-)?(?P<key>[a-z]+):(?:"(?P<qvalue>[^"]*)"|(?P<value>[^\s()"]*)) |
        (?P<negp>-)?"(?P<phrase>[^"]*)(?P<closed>"?) |
        (?P<negw>-)?(?P<word>[^\s()"]+)
    )""",
    re.VERBOSE | re.IGNORECASE,
)


def _words(text: str) -> list[str]:
    return WORD.findall(fold(text))


def _date(value: str, key: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise QueryError(
            _("%(key)s: needs a date like 2024-01-31, not “%(value)s”.", key=key, value=value)
        ) from None


def parse(raw: str) -> Query:
    text = (raw or "").strip()
    if len(text) > MAX_QUERY:
        raise QueryError(_("The search is too long: use at most %(n)d characters.", n=MAX_QUERY))
    filters = Filters()
    tokens: list[tuple[str, object]] = []
    position = 0
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None or match.end() == position:
            break
        position = match.end()
        if match.group("lparen"):
            tokens.append(("(", None))
        elif match.group("rparen"):
            tokens.append((")", None))
        elif match.group("key") and match.group("key").lower() in FILTER_KEYS:
            if match.group("neg"):
                raise QueryError(
                    _("Filters cannot be negated; remove the “-” before %(key)s:.", key=match.group("key"))
                )
            value = match.group("qvalue") if match.group("qvalue") is not None else match.group("value")
            _apply_filter(filters, match.group("key").lower(), (value or "").strip())
        elif match.group("key"):
            # "http://…" or "art:12": not one of ours, so take it as words.
            for word in _words(match.group(0)):
                tokens.append(("node", Term(word)))
        elif match.group("phrase") is not None or match.group("negp"):
            if not match.group("closed"):
                raise QueryError(_('A quotation mark is not closed: add the closing " after the phrase.'))
            words = tuple(_words(match.group("phrase") or ""))
            if not words:
                continue
            node: Node = Phrase(words) if len(words) > 1 else Term(words[0])
            tokens.append(("node", Not(node) if match.group("negp") else node))
        else:
            raw_word = match.group("word")
            if raw_word == "OR":
                tokens.append(("or", None))
                continue
            prefix = raw_word.endswith("*")
            words = _words(raw_word)
            if not words:
                continue
            nodes = [Term(w) for w in words]
            if prefix:
                nodes[-1] = Term(words[-1], prefix=True)
            node = nodes[0] if len(nodes) == 1 else Phrase(tuple(words)) if not prefix else And(tuple(nodes))
            tokens.append(("node", Not(node) if match.group("negw") else node))
    if sum(1 for kind, _v in tokens if kind == "node") > MAX_TERMS:
        raise QueryError(_("Use at most %(n)d words and phrases.", n=MAX_TERMS))
    node, rest = _parse_or(tokens, 0)
    if rest != len(tokens):
        raise QueryError(_("A closing parenthesis has no opening one."))
    if node is not None and _only_negative(node):
        raise QueryError(_("Add at least one word to look for: a search cannot be only exclusions."))
    if node is None and filters == Filters():
        raise QueryError(_("Type something to search for."))
    return Query(node, filters)


MAX_DEPTH = 8


def _parse_or(tokens, index, depth=0):
    if depth > MAX_DEPTH:
        raise QueryError(_("Too many nested parentheses: use at most %(n)d levels.", n=MAX_DEPTH))
    branches = []
    node, index = _parse_and(tokens, index, depth)
    if node is not None:
        branches.append(node)
    while index < len(tokens) and tokens[index][0] == "or":
        if not branches:
            raise QueryError(_("OR needs something on both sides."))
        node, index = _parse_and(tokens, index + 1, depth)
        if node is None:
            raise QueryError(_("OR needs something on both sides."))
        branches.append(node)
    if not branches:
        return None, index
    return (branches[0] if len(branches) == 1 else Or(tuple(branches))), index


def _parse_and(tokens, index, depth=0):
    nodes = []
    while index < len(tokens) and tokens[index][0] not in ("or", ")"):
        kind, value = tokens[index]
        if kind == "(":
            inner, index = _parse_or(tokens, index + 1, depth + 1)
            if index >= len(tokens) or tokens[index][0] != ")":
                raise QueryError(_("A parenthesis is not closed: add the missing “)”."))
            index += 1
            if isinstance(inner, And):
                # "a (-b -c)" is "a -b -c": exclusions join the words around them.
                nodes.extend(inner.nodes)
            elif inner is not None:
                nodes.append(inner)
        else:
            nodes.append(value)
            index += 1
    if not nodes:
        return None, index
    return (nodes[0] if len(nodes) == 1 else And(tuple(nodes))), index


def _only_negative(node: Node) -> bool:
    if isinstance(node, Not):
        return True
    if isinstance(node, And):
        return all(_only_negative(child) for child in node.nodes)
    if isinstance(node, Or):
        return any(_only_negative(child) for child in node.nodes)
    return False


def _apply_filter(filters: Filters, key: str, value: str) -> None:
    if not value:
        raise QueryError(
            _(
                "%(key)s: needs a value, for example %(example)s.",
                key=key,
                example={
                    "sector": "sector:tobacco",
                    "jurisdiction": "jurisdiction:FR",
                    "instrument": "instrument:untoc",
                    "tag": 'tag:"online sales"',
                    "kind": "kind:case_law",
                    "author": "author:amina.diallo",
                    "before": "before:2024-01-31",
                    "after": "after:2023-01-01",
                    "in": "in:title",
                    "has": "has:attachment",
                    "status": "status:locked",
                }[key],
            )
        )
    if key == "sector":
        filters.sectors.append(value.lower())
    elif key == "jurisdiction":
        filters.jurisdictions.append(value)
    elif key == "instrument":
        filters.instruments.append(value.lower())
    elif key == "tag":
        filters.tags.append(value)
    elif key == "kind":
        filters.kinds.append(value.lower())
    elif key == "author":
        filters.authors.append(value)
    elif key == "before":
        filters.before = _date(value, key)
    elif key == "after":
        filters.after = _date(value, key)
    elif key == "in":
        if value.lower() == "title":
            filters.in_title = True
        elif value.lower() in ("attachments", "attachment", "documents"):
            filters.in_attachments = True
        else:
            raise QueryError(_("in: takes title or attachments."))
    elif key == "has":
        if value.lower() not in ("attachment", "attachments", "document", "documents"):
            raise QueryError(_("has: takes attachment."))
        filters.has_attachment = True
    elif key == "status":
        if value.lower() not in ("locked", "open"):
            raise QueryError(_("status: takes locked or open."))
        filters.status = value.lower()


def unparse_value(value: str) -> str:
    return f'"{value}"' if re.search(r"[\s()]", value) else value


def advanced_query(form: AdvancedSearch) -> str:
    """The advanced form's fields as the query a person could type: words, a phrase, alternatives,
    exclusions, then filters."""
    parts = [w for w in form.all_words.split() if w]
    if form.phrase.strip():
        parts.append('"' + form.phrase.replace('"', " ").strip() + '"')
    alternatives = [w for w in form.any_words.split() if w]
    if len(alternatives) > 1:
        parts.append("(" + " OR ".join(alternatives) + ")")
    elif alternatives:
        parts.append(alternatives[0])
    parts += ["-" + w for w in form.none_words.split() if w]
    for key in FILTER_FIELDS:
        value = getattr(form, key).strip()
        if value:
            parts.append(f"{key}:{unparse_value(value)}")
    if form.where in ("title", "attachments"):
        parts.append(f"in:{form.where}")
    if form.has_attachment:
        parts.append("has:attachment")
    return " ".join(parts)
