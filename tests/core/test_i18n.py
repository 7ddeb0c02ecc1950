"""Locale choice, right-to-left rendering, and complete catalogues."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from lms.core.i18n import SUPPORTED_LOCALES
from lms.core.roles import Role

ROOT = Path(__file__).resolve().parents[2]


def test_arabic_from_accept_language_renders_right_to_left(client, db):
    page = client.get("/login", headers={"Accept-Language": "ar,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert "تسجيل الدخول" in page


def test_english_is_the_default_left_to_right(client, db):
    page = client.get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="en-GB" dir="ltr">' in page
    assert "Log in" in page


def test_profile_language_beats_accept_language(client, db, login_as):
    login_as(Role.LEARNER, locale="ar", phone="07700 900777")
    page = client.get("/home", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'dir="rtl"' in page


def test_choice_in_this_browser_beats_profile_and_is_saved_to_it(client, db, login_as):
    user = login_as(Role.COORDINATOR, locale="ar")
    response = client.post("/language", data={"locale": "en_GB", "next": "/home"})
    assert response.headers["Location"].endswith("/home")
    assert 'dir="ltr"' in client.get("/home").get_data(as_text=True)
    db.refresh(user)
    assert user.locale == "en_GB"


def test_unknown_language_and_foreign_redirect_are_ignored(client, db):
    response = client.post("/language", data={"locale": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"]
    assert 'dir="ltr"' in client.get("/login").get_data(as_text=True)


def test_error_pages_are_translated(client, db):
    page = client.get("/no-such-page", headers={"Accept-Language": "ar"})
    assert page.status_code == 404
    text = page.get_data(as_text=True)
    assert 'dir="rtl"' in text and "Page not found" not in text


def _source_messages() -> set[str]:
    method_map = [("lms/**.py", "python"), ("lms/**/templates/**.html", "jinja2")]
    options = {"lms/**/templates/**.html": {"trimmed": "true"}}
    messages = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map,
        options,
        keywords={"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)},
    ):
        messages.add(message if isinstance(message, str) else message[0])
    return messages


OFFERED = [code for code in SUPPORTED_LOCALES if code != "en_GB"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _catalogue(code: str):  # noqa: ANN202
    with (ROOT / f"translations/{code}/LC_MESSAGES/messages.po").open("rb") as po_file:
        return read_po(po_file)


@pytest.mark.parametrize("code", OFFERED)
def test_every_offered_catalogue_translates_every_message_in_the_source(code):
    translated = {
        message.id if isinstance(message.id, str) else message.id[0]
        for message in _catalogue(code)
        if message.id
        and (all(message.string) if isinstance(message.string, tuple) else message.string)
        and not message.fuzzy
    }
    missing = sorted(_source_messages() - translated)
    assert missing == [], f"{len(missing)} messages lack a {code} translation: {missing[:10]}"


@pytest.mark.parametrize("code", OFFERED)
def test_every_translation_keeps_the_placeholders_of_its_message(code):
    wrong = []
    for message in _catalogue(code):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        for string in strings:
            # A plural form may leave out %(num)d ("one learner"), never add or rename a placeholder.
            found = set(PLACEHOLDER.findall(string))
            if not found <= wanted or (wanted - found) - {"num", "count"}:
                wrong.append((ids[0], string))
    assert wrong == [], wrong[:5]


@pytest.mark.parametrize("code", OFFERED)
def test_each_language_is_offered_by_its_own_name_with_its_direction(client, db, code):
    page = client.get("/login", headers={"Accept-Language": code.replace("_", "-")}).get_data(as_text=True)
    direction = "rtl" if Locale.parse(code).character_order == "right-to-left" else "ltr"
    assert f'<html lang="{code.replace("_", "-")}" dir="{direction}">' in page
    assert f'lang="{code.replace("_", "-")}"' in page and SUPPORTED_LOCALES[code] in page
    assert "Log in" not in page.split("<main", 1)[1]  # the page itself is translated
