"""The languages experts write in: each post's language detected when it is written, text folded
the same way for documents and queries, and words reduced to their Snowball stems.

Both engines are given the same analysis, made here in Python: the index keeps, beside the words
as written, a `stems` column of the post's words stemmed in the post's own language; a query word
is stemmed in every language the forum indexes, so `saisies douanières` finds "saisie douanière"
and `contrabando de cigarrillos` finds "cigarrillo de contrabando", on SQLite as on PostgreSQL.
Arabic is folded before anything else (tatweel and diacritics removed, hamza and alef forms
unified), so that a word with its vowel marks and the same word without are one token."""

import re
import threading
import unicodedata
from functools import cache

import Stemmer

LANGUAGES = ("en", "fr", "es", "ar")
_SNOWBALL = {"en": "english", "fr": "french", "es": "spanish", "ar": "arabic"}
DEFAULT = "en"
# Enough text to tell the language; detection costs grow with length.
SAMPLE = 600

_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")  # harakat, tatweel
# Hamza and alef forms to the bare letter, alef maqsura to ya, ta marbuta to ha.
_ARABIC_LETTERS = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ؤ": "و", "ئ": "ي", "ة": "ه"}
)
_ARABIC = re.compile("[\u0600-\u06ff]")
WORD = re.compile(r"\w+")

_detector_lock = threading.Lock()
_detector = None


def fold_arabic(text: str) -> str:
    if not _ARABIC.search(text):
        return text
    return _ARABIC_MARKS.sub("", text).translate(_ARABIC_LETTERS)


def unaccent(text: str) -> str:
    """No accents, Arabic folded, case kept: the text PostgreSQL indexes and shows in snippets
    (no `unaccent` extension to install, and the same answers as SQLite's remove_diacritics)."""
    decomposed = unicodedata.normalize("NFKD", fold_arabic(text or ""))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


def fold(text: str) -> str:
    """Lower case, no accents, Arabic folded: what stems, names and thesaurus entries compare."""
    return unaccent(text).casefold()


def _language_detector():
    global _detector
    with _detector_lock:
        if _detector is None:
            # imported on first use: lingua's models take memory and a moment to load
            from lingua import Language, LanguageDetectorBuilder

            _detector = LanguageDetectorBuilder.from_languages(
                Language.ENGLISH, Language.FRENCH, Language.SPANISH, Language.ARABIC
            ).build()
        return _detector


def detect(text: str) -> str:
    """The language of a post ("en", "fr", "es" or "ar"), from its first words; English when the
    text is too short or mixed to tell."""
    sample = (text or "")[:SAMPLE]
    if len(WORD.findall(sample)) < 3:
        return DEFAULT
    if _ARABIC.search(sample) and len(_ARABIC.findall(sample)) * 2 > sum(ch.isalpha() for ch in sample):
        return "ar"
    language = _language_detector().detect_language_of(sample)
    if language is None:
        return DEFAULT
    return language.iso_code_639_1.name.lower()


@cache
def _stemmer(language: str):
    return Stemmer.Stemmer(_SNOWBALL.get(language, _SNOWBALL[DEFAULT]))


def stem_words(words, language: str) -> list[str]:
    return _stemmer(language).stemWords(list(words))


def _marked(stem: str) -> str:
    """A stem as indexed: "x" + stem + "0". SQLite's porter tokenizer, which reduces every token it
    indexes, leaves a token ending in a digit as it is: without the mark, Spanish "falsific" and
    French "falsif" would meet as one word; with it, a stem is matched exactly, on SQLite as on
    PostgreSQL. The leading letter keeps stems out of prefix searches (`counterf*`)."""
    return f"x{stem}0"


def stems(text: str, language: str) -> str:
    """The text's words, folded, stemmed in the given language and marked, as one string to index."""
    words = WORD.findall(fold(text))
    if not words:
        return ""
    return " ".join(_marked(stem) for stem in _stemmer(language).stemWords(words))


def _languages_of(text: str) -> tuple[str, ...]:
    if _ARABIC.search(text):
        return LANGUAGES if re.search("[a-z]", text) else ("ar",)
    return tuple(language for language in LANGUAGES if language != "ar")


def all_stems(text: str) -> str:
    """The text stemmed in every indexed language: for a thread's title in its replies' context,
    whatever language the title is in."""
    found = dict.fromkeys(
        token for language in _languages_of(fold(text or "")) for token in stems(text, language).split()
    )
    return " ".join(found)


def query_stems(word: str) -> list[str]:
    """One query word stemmed in every indexed language (each form once): the forms to look for
    among the stems of posts and of their threads' titles."""
    folded = fold(word)
    found: list[str] = []
    # An Arabic word is stemmed as Arabic only, a word in Latin script in the other languages only:
    # the other stemmers leave it as it is, and the words as written are looked for anyway.
    for language in _languages_of(folded):
        for stem in WORD.findall(_stemmer(language).stemWord(folded)):
            if _marked(stem) not in found:
                found.append(_marked(stem))
    return found
