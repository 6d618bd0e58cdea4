"""The demo corpus's words, loaded from `vocabulary.json` (data, not code)."""

import json
from dataclasses import dataclass
from pathlib import Path

# The words the corpus is made of are data (vocabulary.json): names per naming tradition and the
# countries that use each, organisations, each sector's goods, offences and agencies, and the
# sentence templates. Their order matters: the same seed draws the same words.


@dataclass(frozen=True)
class SectorWords:
    goods: list[str]
    offences: list[str]
    units: list[str]
    acts: list[str]
    agencies: list[str]
    instruments: list[str]  # slugs, most relevant first
    tags: list[str]


_VOCABULARY = json.loads((Path(__file__).parent / "vocabulary.json").read_text(encoding="utf-8"))


# (first names, family names) per naming tradition; COUNTRY_NAMES says which countries use which.
NAMES: dict[str, tuple[list[str], list[str]]] = {
    pool: (firsts, lasts) for pool, (firsts, lasts) in _VOCABULARY["NAMES"].items()
}


COUNTRY_NAMES: dict[str, str] = _VOCABULARY["COUNTRY_NAMES"]


# Country names that read better with an article in running text ("in the Netherlands").
WITH_ARTICLE = set(_VOCABULARY["WITH_ARTICLE"])


ORGANISATIONS = [tuple(entry) for entry in _VOCABULARY["ORGANISATIONS"]]


INTERNATIONAL_ORGANISATIONS = [tuple(entry) for entry in _VOCABULARY["INTERNATIONAL_ORGANISATIONS"]]


SECTOR_WORDS = {slug: SectorWords(**words) for slug, words in _VOCABULARY["SECTOR_WORDS"].items()}


GENERIC_WORDS = SectorWords(**_VOCABULARY["GENERIC_WORDS"])


REGION_COURTS = _VOCABULARY["REGION_COURTS"]


TAG_VOCABULARY = _VOCABULARY["TAG_VOCABULARY"]


TITLES = _VOCABULARY["TITLES"]


OPENING_LEADS = _VOCABULARY["OPENING_LEADS"]


ANALYSIS = _VOCABULARY["ANALYSIS"]


REPLY_LEADS = _VOCABULARY["REPLY_LEADS"]


REPLY_BODY = _VOCABULARY["REPLY_BODY"]


CLOSINGS = _VOCABULARY["CLOSINGS"]


LIST_INTROS = _VOCABULARY["LIST_INTROS"]


LIST_ITEMS = _VOCABULARY["LIST_ITEMS"]


PROVISIONS = _VOCABULARY["PROVISIONS"]


EDIT_NOTES = _VOCABULARY["EDIT_NOTES"]


EDIT_REASONS = _VOCABULARY["EDIT_REASONS"]


HIDDEN_REASONS = _VOCABULARY["HIDDEN_REASONS"]


HOLDINGS = _VOCABULARY["HOLDINGS"]


QUESTIONS = _VOCABULARY["QUESTIONS"]


OBLIGATIONS = _VOCABULARY["OBLIGATIONS"]


MENTAL = _VOCABULARY["MENTAL"]


ACTORS = _VOCABULARY["ACTORS"]


EVIDENCE = _VOCABULARY["EVIDENCE"]


DEFENCES = _VOCABULARY["DEFENCES"]


CONDITIONS = _VOCABULARY["CONDITIONS"]


COOPERATION = _VOCABULARY["COOPERATION"]


AGGRAVATING = _VOCABULARY["AGGRAVATING"]


TERMS = _VOCABULARY["TERMS"]


ISSUES = _VOCABULARY["ISSUES"]


COURTS = _VOCABULARY["COURTS"]


PLACES = _VOCABULARY["PLACES"]


PORTS = _VOCABULARY["PORTS"]


LABS = _VOCABULARY["LABS"]


FINDINGS = _VOCABULARY["FINDINGS"]


COVERS = _VOCABULARY["COVERS"]


PERMISSIONS = _VOCABULARY["PERMISSIONS"]


MONTHS = _VOCABULARY["MONTHS"]
