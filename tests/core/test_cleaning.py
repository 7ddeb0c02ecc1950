"""Hidden control characters are refused with a clear message everywhere text comes in, and change nothing.

PostgreSQL cannot store a NUL byte (SQLite keeps it silently), so each of these was a 500 there.
"""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from lms.api.models import TokenScope
from lms.api.tokens import create_token
from lms.core.roles import Role
from lms.people.models import Learner

MESSAGE = b"hidden control characters"


def _learners(db) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(Learner))


@pytest.mark.parametrize("query", ["a%00b", "a%01b", "%1Bx"])
def test_a_search_with_a_control_character_is_a_clear_400(client, db, login_as, query):
    login_as(Role.COORDINATOR)
    response = client.get(f"/learners?q={query}")
    assert response.status_code == 400
    assert MESSAGE in response.data


def test_a_form_with_a_nul_byte_saves_nothing(client, db, login_as):
    login_as(Role.COORDINATOR)
    response = client.post("/learners/new", data={"given_name": "Am\x00al", "sex": "not_said"})
    assert response.status_code == 400
    assert MESSAGE in response.data
    assert _learners(db) == 0


def test_line_breaks_and_tabs_are_ordinary_text(client, db, login_as):
    login_as(Role.COORDINATOR)
    response = client.post(
        "/learners/new",
        data={"given_name": "Amal", "sex": "not_said", "childcare_needs": "Two children:\r\n\tages 2 and 4"},
    )
    assert response.status_code == 302
    assert db.scalar(sa.select(Learner.childcare_needs)) == "Two children:\r\n\tages 2 and 4"


def test_the_api_refuses_control_characters_in_json_as_a_problem(client, db, login_as):
    coordinator = login_as(Role.COORDINATOR)
    token = create_token(coordinator, "partner system", TokenScope.WRITE)
    db.commit()
    response = client.post(
        "/api/v1/learners",
        json={"given_name": "Am\u0000al", "family_name": "Haddad"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "control characters" in response.get_json()["detail"]
    assert _learners(db) == 0


def test_an_import_with_a_nul_byte_names_the_line_and_imports_nothing(client, db, login_as):
    login_as(Role.COORDINATOR)
    content = "given_name,family_name\nFatima,Hassan\nAm\x00al,Haddad\n"
    response = client.post(
        "/learners/import",
        data={"file": (io.BytesIO(content.encode("utf-8")), "learners.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert b"Row 3: What you sent contains hidden control characters" in response.data
    assert _learners(db) == 0
