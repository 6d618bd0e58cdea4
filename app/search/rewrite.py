"""The query tree rewritten for ranking: runs of words that form a thesaurus entry (concepts), the
words typed as one phrase, and the relaxed search that leaves one part out."""

from dataclasses import dataclass

from app.search import thesaurus
from app.search.query import And, Node, Not, Or, Phrase, Term

# Up to this many parts (words, phrases, thesaurus entries typed together), a search whose every part
# matches few posts also shows those that match all parts but one.
RELAXED_PARTS = 8


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


def uses_thesaurus(node: Node) -> bool:
    """Whether the thesaurus has equivalents in other languages for some part of the search."""
    if isinstance(node, Term):
        return not node.prefix and bool(thesaurus.alternatives((node.word,), "other"))
    if isinstance(node, And) and any(
        isinstance(part, Concept) and thesaurus.alternatives(part.words, "other")
        for part in concepts(node, True)
    ):
        return True
    if isinstance(node, Or | And):
        return any(uses_thesaurus(child) for child in node.nodes if not isinstance(child, Not))
    return False


def together(node: Node) -> Node | None:
    """The words of a search of plain words (2 to RELAXED_PARTS, exclusions aside) as one phrase,
    exclusions kept; None for any other search."""
    if not isinstance(node, And):
        return None
    words = [child for child in node.nodes if not isinstance(child, Not)]
    if not 2 <= len(words) <= RELAXED_PARTS or not all(isinstance(w, Term) and not w.prefix for w in words):
        return None
    negatives = tuple(child for child in node.nodes if isinstance(child, Not))
    return And((Phrase(tuple(w.word for w in words)),) + negatives)


def relaxed(node: Node) -> Node | None:
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


def any_word(node: Node) -> Node:
    """Every word and phrase looked for (exclusions left out), any one of them: what a snippet
    highlights."""
    found: list[Node] = []

    def walk(part: Node) -> None:
        if isinstance(part, Term | Phrase):
            if part not in found:
                found.append(part)
        elif isinstance(part, And | Or):
            for child in part.nodes:
                if not isinstance(child, Not):
                    walk(child)

    walk(node)
    return found[0] if len(found) == 1 else Or(tuple(found))
