"""An organisation's logo: uploaded by a coordinator, judged by its content, stored as PNG, audited."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from lms import create_app
from lms.core.audit import AuditEvent
from lms.core.roles import Role
from lms.extensions import db as _db
from lms.people.models import Organisation
from tests.conftest import TEST_CONFIG, IsolatedClient, log_in
from tests.factories import make_user


def _image(format_: str, size: tuple[int, int] = (240, 80), mode: str = "RGB") -> bytes:
    output = io.BytesIO()
    Image.new(mode, size, (0, 114, 178)).save(output, format=format_)
    return output.getvalue()


def _upload(client, data: bytes, filename: str, **fields: str):  # noqa: ANN001, ANN202
    """Post the file as a browser would. The body is built in memory: the test client spools a body
    over 500 KB to a temporary file that it never closes."""
    boundary, body = encode_multipart(MultiDict({"logo": FileStorage(io.BytesIO(data), filename), **fields}))
    return client.post("/organisation/logo", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _stored(organisation_id: int) -> bytes | None:
    _db.session.expire_all()
    return _db.session.scalar(sa.select(Organisation.logo_png).where(Organisation.id == organisation_id))


def _audit(action: str) -> int:
    return _db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == action))


@pytest.fixture()
def coordinator(db):
    user = make_user()
    db.commit()
    return user


@pytest.mark.parametrize(("format_", "filename"), [("PNG", "logo.png"), ("JPEG", "logo.jpg")])
def test_a_png_or_jpeg_is_stored_as_png_and_audited(client, db, coordinator, format_, filename):
    log_in(client, coordinator)
    response = _upload(client, _image(format_), filename)
    assert response.status_code == 302
    stored = _stored(coordinator.organisation_id)
    with Image.open(io.BytesIO(stored)) as image:
        assert (image.format, image.size) == ("PNG", (240, 80))
    assert _audit("organisation.logo.set") == 1
    page = client.get("/organisation/logo").get_data(as_text=True)
    assert 'src="data:image/png;base64,' in page


def test_a_transparent_png_keeps_its_transparency(client, db, coordinator):
    log_in(client, coordinator)
    assert _upload(client, _image("PNG", mode="RGBA"), "logo.png").status_code == 302
    with Image.open(io.BytesIO(_stored(coordinator.organisation_id))) as image:
        assert image.mode == "RGBA"


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"This is not an image at all, only text.\n" * 20, "logo.png", "Choose a PNG or JPEG image."),
        (_image("GIF"), "logo.png", "Choose a PNG or JPEG image."),
        (_image("PNG", size=(2001, 10)), "logo.png", "at most 2000 by 2000 pixels"),
        (_image("PNG") + b"\0" * (1024 * 1024), "logo.png", "1 MB or smaller"),
        (_image("PNG"), "logo.svg", "Choose a PNG or JPEG image."),
    ],
    ids=["text-renamed-png", "gif", "too-wide", "too-heavy", "wrong-name"],
)
def test_anything_else_is_refused_and_nothing_changes(client, db, coordinator, data, filename, message):
    log_in(client, coordinator)
    assert _upload(client, _image("PNG"), "first.png").status_code == 302
    before = _stored(coordinator.organisation_id)
    response = _upload(client, data, filename)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _stored(coordinator.organisation_id) == before
    assert _audit("organisation.logo.set") == 1


def test_the_logo_can_be_removed(client, db, coordinator):
    log_in(client, coordinator)
    _upload(client, _image("PNG"), "logo.png")
    assert client.post("/organisation/logo/remove").status_code == 302
    assert _stored(coordinator.organisation_id) is None
    assert _audit("organisation.logo.remove") == 1
    assert "No logo yet." in client.get("/organisation/logo").get_data(as_text=True)


def test_the_staff_page_links_to_the_logo(client, db, coordinator):
    log_in(client, coordinator)
    assert 'href="/organisation/logo"' in client.get("/users").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.EDUCATOR, Role.FUNDER_VIEWER, Role.LEARNER])
def test_only_a_coordinator_may_change_the_logo(client, db, coordinator, role):
    other = make_user(roles=(role,), organisation=coordinator.organisation)
    db.commit()
    log_in(client, other)
    assert client.get("/organisation/logo").status_code == 403
    assert _upload(client, _image("PNG"), "logo.png").status_code == 403
    assert client.post("/organisation/logo/remove").status_code == 403
    assert _stored(coordinator.organisation_id) is None


def test_a_forged_upload_is_refused(app, db):
    """With CSRF on, as in production: an upload without the page's token changes nothing."""
    strict = create_app(
        {**TEST_CONFIG, "WTF_CSRF_ENABLED": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
    )
    strict.test_client_class = IsolatedClient
    with strict.app_context():
        client = strict.test_client()
        coordinator = make_user()
        _db.session.commit()
        log_in(client, coordinator)
        assert _upload(client, _image("PNG"), "logo.png").status_code == 400
        assert _stored(coordinator.organisation_id) is None
        page = client.get("/organisation/logo").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert _upload(client, _image("PNG"), "logo.png", csrf_token=token).status_code == 302
        assert _stored(coordinator.organisation_id) is not None
        _db.session.remove()
        _db.engine.dispose()
