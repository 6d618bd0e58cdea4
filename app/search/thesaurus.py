"""A small multilingual thesaurus of the domain's core terms: a query for "counterfeit" also finds
"contrefaçon" and "falsificación", ranked below posts with the words typed (service.py).

Our groups are in data/thesaurus.json; FORUM_SEARCH_THESAURUS names a file of the same shape whose
groups are added (an administrator's own terms). Terms are compared folded (case, accents, Arabic
forms), as the index compares words."""

import json
import os
from functools import cache, lru_cache
from pathlib import Path

from app.config import get_settings
from app.search.language import LANGUAGES, WORD, fold, stem_words

OURS = Path(__file__).resolve().parent / "data" / "thesaurus.json"


def _groups(path: Path) -> list[dict[str, list[str]]]:
    return json.loads(path.read_text(encoding="utf-8"))["groups"]


def _keys(term: str) -> set[tuple[str, ...]]:
    """A term as folded words, and as their stems in each language: "seizures" meets "seizure"."""
    words = tuple(WORD.findall(fold(term)))
    return {words} | {tuple(stem_words(words, language)) for language in LANGUAGES}


@cache
def _entries(extra: Path | None) -> dict[tuple[str, ...], list[tuple[str, str]]]:
    """Each form of each term → every (language, term) of its groups."""
    groups = _groups(OURS) + (_groups(extra) if extra else [])
    entries: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for group in groups:
        members = [(language, term) for language, terms in group.items() for term in terms]
        for _language, term in members:
            for key in _keys(term):
                known = entries.setdefault(key, [])
                known += [member for member in members if member not in known]
    return entries


def alternatives(words: tuple[str, ...], languages: str = "all") -> list[tuple[str, str]]:
    """See _alternatives; kept per words, languages and thesaurus file (every search asks several
    times per word, and the answer needs the stemmers)."""
    return list(_alternatives(tuple(words), languages, get_settings().search_thesaurus))  # a copy


@lru_cache(maxsize=4096)  # bounded: the words come from anyone's queries
def _alternatives(words: tuple[str, ...], languages: str, extra: Path | None) -> list[tuple[str, str]]:
    """The (language, term) equivalents of a query word or phrase (the words themselves left
    out); none when it is no entry. languages="variants": other forms of the words typed in their
    language ("contrefaçon" → "contrefait", "seizure" → "seized"), which count as the words typed;
    "same": every term in the language typed (with synonyms: "smuggling" → "contraband");
    "other": only those in other languages, which rank below them; "all": every one."""
    entries = _entries(extra)
    typed = tuple(WORD.findall(fold(" ".join(words))))
    keys = _keys(" ".join(words))
    found: list[tuple[str, str]] = []
    for key in keys:
        for member in entries.get(key, []):
            if member not in found and tuple(WORD.findall(fold(member[1]))) != typed:
                found.append(member)
    if languages == "all" or not found:
        return found
    # The languages of the entry typed: those of the members that are the words typed.
    own = {
        language
        for key in keys
        for language, term in entries.get(key, [])
        if key in _keys(term) or tuple(WORD.findall(fold(term))) == typed
    }
    if languages == "variants":
        return [member for member in found if member[0] in own and _variant(" ".join(typed), member[1])]
    return [member for member in found if (member[0] in own) == (languages == "same")]


def _variant(typed: str, term: str) -> bool:
    """Another form of the same word ("contrefaçon", "contrefait"; "seizure", "seized"), not a
    synonym ("smuggling", "contraband") nor a broader term ("cigarettes", "tobacco"): the two
    share their first letters, at least 4 and most of the shorter."""
    a, b = fold(typed), fold(term)
    common = len(os.path.commonprefix([a, b]))
    return common >= 4 and common >= 0.6 * min(len(a), len(b))
