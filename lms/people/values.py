"""Reading the values people write for a learner's sex, nationality and languages.

Spreadsheets from partners say "F", "Female" or "woman"; "Iraqi", "Iraq", "IQ" or "IRQ"; "Arabic,
English" or "ar en". Each is matched here, case-insensitively, to what Pathways stores (a `Sex`, an
ISO 3166 alpha-2 code, space-separated BCP 47 tags), and the import and the learner form share it.
Country and language names come from Babel's CLDR data in English (and in the reader's language);
CLDR has no demonyms, so a small table gives the nationalities partners write most.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from babel import Locale
from babel.core import get_global

from lms.core.errors import ServiceError
from lms.core.i18n import _, get_locale
from lms.people.models import Sex

SEX_WORDS = {
    Sex.FEMALE: ("f", "female", "woman", "w", "girl", "femme", "feminine"),
    Sex.MALE: ("m", "male", "man", "boy", "masculine"),
    Sex.OTHER: ("other", "o", "x", "non-binary", "nonbinary", "non binary"),
    Sex.NOT_SAID: ("", "prefer not to say", "not said", "not_said", "not known", "unknown", "n/a", "-"),
}

#: Nationalities as adjectives (CLDR has none), for the countries most learners come from.
DEMONYMS = {
    "afghan": "AF", "albanian": "AL", "algerian": "DZ", "angolan": "AO", "bangladeshi": "BD",
    "belarusian": "BY", "bosnian": "BA", "brazilian": "BR", "british": "GB", "burmese": "MM",
    "burundian": "BI", "cameroonian": "CM", "chadian": "TD", "chinese": "CN", "colombian": "CO",
    "congolese": "CD", "egyptian": "EG", "emirati": "AE", "eritrean": "ER", "ethiopian": "ET",
    "gambian": "GM", "georgian": "GE", "ghanaian": "GH", "guinean": "GN", "hong konger": "HK",
    "indian": "IN", "iranian": "IR", "iraqi": "IQ", "ivorian": "CI", "jordanian": "JO",
    "kenyan": "KE", "kosovan": "XK", "kosovar": "XK", "kuwaiti": "KW", "lebanese": "LB",
    "libyan": "LY", "malian": "ML", "moldovan": "MD", "moroccan": "MA", "nepalese": "NP",
    "nepali": "NP", "nigerian": "NG", "pakistani": "PK", "palestinian": "PS", "polish": "PL",
    "romanian": "RO", "russian": "RU", "rwandan": "RW", "saudi": "SA", "senegalese": "SN",
    "serbian": "RS", "sierra leonean": "SL", "somali": "SO", "south sudanese": "SS",
    "sri lankan": "LK", "sudanese": "SD", "syrian": "SY", "tunisian": "TN", "turkish": "TR",
    "ugandan": "UG", "ukrainian": "UA", "venezuelan": "VE", "vietnamese": "VN", "yemeni": "YE",
    "zimbabwean": "ZW",
}  # fmt: skip

#: Names partners use for languages that CLDR names otherwise (Dari is fa-AF; CLDR has no `prs`).
LANGUAGE_ALIASES = {
    "dari": "fa-AF", "farsi": "fa", "sorani": "ckb", "kurdish sorani": "ckb", "kurmanji": "ku",
    "kurdish kurmanji": "ku", "kurdish": "ku", "pashto": "ps", "pushto": "ps", "tigrinya": "ti",
    "amharic": "am", "bengali": "bn", "bangla": "bn", "mandarin": "zh", "cantonese": "yue",
}  # fmt: skip

#: Region codes that are not countries: nobody holds their nationality.
NOT_COUNTRIES = {"EU", "EZ", "UN", "ZZ", "QO"}


def _key(text: str) -> str:
    """Case, accents, punctuation and spacing do not matter: "Côte d’Ivoire" is "cote divoire"."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("&", " and "))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[.'’()]", "", text)
    return " ".join(re.sub(r"[\s_,-]+", " ", text).split())


def sex_from_text(text: str) -> Sex:
    key = _key(text)
    for sex, words in SEX_WORDS.items():
        if key in words or key == _key(str(sex.title)):
            return sex
    raise ServiceError(
        _(
            "%(value)s is not a sex we know. Write female, male, other or leave it empty (F and M work too).",
            value=text,
        ),
        field="sex",
    )


def countries() -> list[tuple[str, str]]:
    """Every country code with its English name, as Babel's CLDR data has them, sorted by name."""
    return sorted(_english_countries().items(), key=lambda item: item[1])


@cache
def _english_countries() -> dict[str, str]:
    return {
        code: name
        for code, name in Locale("en").territories.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    }


@cache
def _country_keys(locale: str) -> dict[str, str]:
    codes = _english_countries()
    keys = {_key(code): code for code in codes}
    for alias, targets in get_global("territory_aliases").items():
        if len(alias) == 3 and alias.isalpha() and len(targets) == 1 and targets[0] in codes:
            keys.setdefault(_key(alias), targets[0])
    keys.update(DEMONYMS)
    for language in dict.fromkeys(("en", locale)):
        for code, name in Locale.parse(language).territories.items():
            if code in codes:
                keys.setdefault(_key(name), code)
    return keys


def nationality_from_text(text: str) -> str:
    """An ISO 3166 alpha-2 code from a country's name (English or the reader's language), its
    nationality ("Iraqi"), or its alpha-2 or alpha-3 code; empty text is no nationality."""
    if not text.strip():
        return ""
    code = _country_keys(str(get_locale() or "en")).get(_key(text))
    if code is None:
        raise ServiceError(
            _(
                "%(value)s is not a country we know. Write its name in English or its code (IQ or IRQ for Iraq).",
                value=text,
            ),
            field="nationality",
        )
    return code


def languages() -> list[tuple[str, str]]:
    """Language codes with their English names (CLDR), for the list shown beside the import."""
    names = Locale("en").languages
    return sorted(
        ((code.replace("_", "-"), name) for code, name in names.items() if len(code) <= 3 or "_" in code),
        key=lambda item: item[1],
    )


@cache
def _language_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for code, name in Locale("en").languages.items():
        tag = code.replace("_", "-")
        keys.setdefault(_key(name), tag)
        keys.setdefault(_key(tag), tag)
    for alias, target in get_global("language_aliases").items():
        if len(alias) == 3 and alias.isalpha() and target.replace("_", "").isalpha():
            keys.setdefault(alias, target.replace("_", "-"))
    keys.update(LANGUAGE_ALIASES)
    return keys


def _one_language(part: str) -> list[str]:
    """One item of a language list: a name ("Kurdish Sorani") or codes ("ar fa-AF")."""
    keys = _language_keys()
    if _key(part) in keys:
        return [keys[_key(part)]]
    tags = []
    for word in part.split():
        tag = keys.get(_key(word))
        if tag is None:
            raise ServiceError(
                _(
                    "%(value)s is not a language we know. Write its name in English or its code (ar, fa-AF, ckb, ti).",
                    value=word,
                ),
                field="preferred_languages",
            )
        tags.append(tag)
    return tags


def languages_from_text(text: str) -> str:
    """Space-separated language tags from names or codes, separated by commas, semicolons or slashes."""
    tags: list[str] = []
    for part in re.split(r"[,;/|]+", text):
        if part.strip():
            tags.extend(tag for tag in _one_language(part) if tag not in tags)
    return " ".join(tags)
