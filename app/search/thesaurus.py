"""A small multilingual thesaurus of the domain's core terms: a query for "counterfeit" also finds
"contrefaçon" and "falsificación", ranked below posts with the words typed (service.py).

Our groups are in data/thesaurus.json; FORUM_SEARCH_THESAURUS names a file of the same shape whose
groups are added (an administrator's own terms). Terms are compared folded (case, accents, Arabic
forms), as the index compares words."""

import json
from functools import cache
from pathlib import Path

from app.config import get_settings
from app.search.language import WORD, fold

OURS = Path(__file__).resolve().parent / "data" / "thesaurus.json"


def _groups(path: Path) -> list[dict[str, list[str]]]:
    return json.loads(path.read_text(encoding="utf-8"))["groups"]


@cache
def _entries(extra: Path | None) -> dict[tuple[str, ...], list[tuple[str, str]]]:
    """Each term (as folded words) → every (language, term) of its groups but itself."""
    groups = _groups(OURS) + (_groups(extra) if extra else [])
    entries: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for group in groups:
        members = [(language, term) for language, terms in group.items() for term in terms]
        for _language, term in members:
            key = tuple(WORD.findall(fold(term)))
            others = entries.setdefault(key, [])
            for member in members:
                if tuple(WORD.findall(fold(member[1]))) != key and member not in others:
                    others.append(member)
    return entries


def alternatives(words: tuple[str, ...]) -> list[tuple[str, str]]:
    """The (language, term) equivalents of a query word or phrase; none when it is no entry."""
    key = tuple(WORD.findall(fold(" ".join(words))))
    return _entries(get_settings().search_thesaurus).get(key, [])
