"""The language of the full-text search: which stemmer makes ``printers`` find ``printer``
(PostgreSQL's Snowball dictionaries, which also drop the language's stop words; SQLite's FTS5
has English only, its porter tokenizer). Pure: no ORM, no database.

``SEARCH_LANGUAGE`` names it (``english``, ``german``... or an ISO code such as ``de``); unset,
it is the instance's ``LANGUAGE_CODE``. ``simple`` stems nothing. A language the database has no
stemmer for falls back to ``simple`` (each backend checks what it has)."""

from __future__ import annotations

import re

SIMPLE = "simple"

# ISO 639-1 codes of the languages PostgreSQL's Snowball stemmers cover, to their names.
LANGUAGES = {
    "ar": "arabic",
    "ca": "catalan",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "ne": "nepali",
    "nl": "dutch",
    "nn": "norwegian",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
_NAME = re.compile(r"[a-z]+")


def search_language(setting: str, language_code: str) -> str:
    """The language name to stem by: ``setting`` (a name or an ISO code) if given, else the
    instance's ``language_code`` (``en``, ``pt-br``...); ``simple`` for anything else, so
    the result is always a plain lowercase word, safe to name a dictionary with."""
    chosen = (setting or language_code).strip().lower()
    code = chosen.replace("_", "-").split("-")[0]
    if code in LANGUAGES:
        return LANGUAGES[code]
    return chosen if _NAME.fullmatch(chosen) else SIMPLE


def dictionary(language: str) -> str:
    """The stemming dictionary of ``language`` (``english_stem``), ``simple`` for none."""
    return SIMPLE if language == SIMPLE else f"{language}_stem"
