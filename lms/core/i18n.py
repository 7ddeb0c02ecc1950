"""The one place that imports flask_babel: translation functions and locale selection."""

from __future__ import annotations

from typing import Any, TypeGuard

from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations
from flask import Flask, current_app, has_request_context, request, session
from flask.globals import _cv_app
from flask_babel import LazyString, force_locale, format_date, format_datetime, get_locale, get_translations
from flask_login import current_user
from markupsafe import Markup

__all__ = [
    "_",
    "_l",
    "ngettext",
    "force_locale",
    "format_date",
    "format_datetime",
    "get_locale",
    "SUPPORTED_LOCALES",
    "select_locale",
    "text_direction",
    "is_supported",
]


def current_translations() -> NullTranslations:
    """Flask-Babel's translations for the current locale, remembered in the request beside the locale
    they are for. Flask-Babel looks the context up three times per message (about 15-50 µs), and a
    page translates hundreds: a learner's timetable spent half its time there. `force_locale` puts
    a new locale in place, so a forced language is looked up again, and so is the one restored after."""
    context = _cv_app.get(None)
    if context is None:
        return get_translations()
    state = context.g.__dict__.get("_flask_babel")
    if state is not None:
        remembered = state.__dict__.get("lms_translations")
        if remembered is not None and remembered[0] is state.__dict__.get("babel_locale"):
            return remembered[1]
    translations = get_translations()  # sets the locale on the context if it was not chosen yet
    state = context.g._flask_babel
    state.lms_translations = (state.babel_locale, translations)
    return translations


def _(string: str, **variables: Any) -> str:
    translated = current_translations().ugettext(string)
    return translated % variables if variables else translated


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    return current_translations().ungettext(singular, plural, num) % variables


def _l(string: str, **variables: Any) -> LazyString:
    return LazyString(_, string, **variables)


def install_template_gettext(app: Flask) -> None:
    """Templates translate through `current_translations` too, with plain functions: Jinja's own
    i18n callables go through its context three times a message (about 25 µs each). Every template
    is HTML and autoescaped, so a message is markup and its variables are escaped, as Jinja's
    new-style gettext does."""

    def gettext(string: str, **variables: Any) -> Markup:
        return Markup(current_translations().ugettext(string)) % variables  # noqa: S704 (catalogue text)

    def ngettext(singular: str, plural: str, num: int, **variables: Any) -> Markup:
        variables.setdefault("num", num)
        return Markup(current_translations().ungettext(singular, plural, num)) % variables  # noqa: S704

    app.jinja_env.globals.update(gettext=gettext, _=gettext, ngettext=ngettext)


#: Locales the interface is offered in, with their names written in their own language.
#: Only those with a compiled catalogue (or English, the source language) are offered.
SUPPORTED_LOCALES: dict[str, str] = {
    "en_GB": "English",
    "ar": "العربية",
    "fa": "فارسی",
    "fa_AF": "دری",
    "ps": "پښتو",
    "ckb": "کوردیی ناوەندی",
    "ur": "اردو",
    "ti": "ትግርኛ",
    "uk": "Українська",
}

SESSION_KEY = "locale"


def is_supported(code: str | None) -> TypeGuard[str]:
    return bool(code) and code in SUPPORTED_LOCALES


def select_locale() -> str:
    """Explicit choice in this browser, then the user's saved language, then their organisation's
    default language, then Accept-Language."""
    if not has_request_context():  # CLI and jobs choose with force_locale()
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get(SESSION_KEY)
    if is_supported(chosen):
        return chosen
    if current_user and current_user.is_authenticated:
        if is_supported(current_user.locale):
            return current_user.locale
        if is_supported(current_user.organisation.default_locale):  # chosen in the organisation's settings
            return current_user.organisation.default_locale
    best = request.accept_languages.best_match(list(SUPPORTED_LOCALES))
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


def text_direction(locale: Locale | str | None = None) -> str:
    locale = locale or get_locale()
    if isinstance(locale, str):
        locale = Locale.parse(locale)
    return locale.text_direction if locale else "ltr"


def compile_catalogues(directory: str | None = None) -> list[str]:
    """Compile every translations/<locale>/LC_MESSAGES/messages.po whose .mo is missing or older.

    Used by `lms demo`, `lms translations` and the test suite, so a fresh checkout needs no extra step.
    """
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    root = Path(directory or current_app.config["BABEL_TRANSLATION_DIRECTORIES"])
    compiled = []
    for po_path in sorted(root.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalogue = read_po(po_file)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalogue)
        compiled.append(str(po_path.parent.parent.name))
    return compiled


def _reader_locale() -> Locale:
    return get_locale() or Locale.parse("en_GB")


def territory_name(code: str) -> str:
    """A nationality or country code (ISO 3166, as stored) as the reader's language names it."""
    return _reader_locale().territories.get(code.upper(), code) if code else ""


def language_name(tag: str) -> str:
    """A language tag (BCP 47, as stored: `ar`, `fa-AF`, `ckb`) as the reader's language names it."""
    if not tag:
        return ""
    reader = _reader_locale()
    named = reader.languages.get(tag.replace("-", "_"))  # CLDR names some variants: fa-AF is "Dari"
    if named:
        return named
    try:
        return Locale.parse(tag, sep="-").get_display_name(reader) or tag
    except (ValueError, TypeError, UnknownLocaleError):
        return tag
