"""gettext for Python code and templates. Catalogues live in translations/ (Babel)."""

from babel.support import NullTranslations, Translations

from app.config import ROOT

TRANSLATIONS_DIR = ROOT / "translations"
_translations: NullTranslations = Translations.load(str(TRANSLATIONS_DIR), ["en"])


def get_translations() -> NullTranslations:
    return _translations


def gettext(message: str, **variables) -> str:
    text = _translations.gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables) -> str:
    text = _translations.ngettext(singular, plural, n)
    return text % {"num": n, **variables}


_ = gettext
