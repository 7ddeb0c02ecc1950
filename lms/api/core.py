"""The API's plumbing: bearer tokens, rate limits, problem details, idempotency, cursors, and the
registry that the OpenAPI description is generated from."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, g, request
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, Map

from lms.api.models import ApiRateWindow, ApiToken, IdempotentRequest, TokenScope
from lms.core.access import ACCESS_ATTR
from lms.core.db import rowcount
from lms.core.errors import ServiceError
from lms.core.i18n import _
from lms.core.time import now_utc
from lms.core.tokens import token_hash
from lms.core.web import commit_despite_refusal
from lms.extensions import csrf, db

#: Ids are 32-bit on every database we run on; anything larger cannot exist.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<id:...>`: any whole number; one that cannot be an id becomes 0, which finds nothing (404),
    rather than overflowing the database's integer or confusing the router into a 405."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, signed=True)

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if 1 <= number <= MAX_ID else 0


class Problem(Exception):
    """An RFC 9457 problem: status, a translated title and detail, and errors per field."""

    def __init__(self, status: int, title: str, detail: str = "", errors: list[dict] | None = None):
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.errors = status, title, detail, errors or []

    def response(self) -> Response:
        body = {"type": "about:blank", "title": self.title, "status": self.status, "detail": self.detail}
        if self.errors:
            body["errors"] = self.errors
        return Response(json.dumps(body, ensure_ascii=False), status=self.status, mimetype="application/problem+json")


def field_problem(field_name: str, message: str, status: int = 422) -> Problem:
    """A problem about one field: the message is both the detail and the field's error."""
    title = _("Not accepted") if status == 422 else _("Bad request")
    return Problem(status, title, message, [{"field": field_name, "message": message}])


def not_allowed(message: str) -> Problem:
    return Problem(403, _("Not allowed"), message)


def not_found() -> Problem:
    return Problem(404, _("Not found"), _("There is nothing here, or your token may not see it."))


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    scope: TokenScope | None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    many: bool = False
    query: list[tuple[str, str, str]] = field(default_factory=list)
    idempotent: bool = False


REGISTRY: list[Operation] = []


def _token() -> ApiToken:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise Problem(401, _("Not authenticated"), _("Send a personal API token: Authorization: Bearer <token>."))
    token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == token_hash(header[7:].strip()), ApiToken.revoked_dt.is_(None))
    )
    if token is None or not token.user.is_active:
        raise Problem(401, _("Not authenticated"), _("This token is not valid or was revoked."))
    return token


def _rate_limit(token: ApiToken) -> None:
    minute = now_utc().strftime("%Y%m%d%H%M")
    limit = current_app.config["API_RATE_LIMIT_PER_MINUTE"]
    updated = rowcount(
        db.session.execute(
            sa.update(ApiRateWindow)
            .where(ApiRateWindow.token_id == token.id, ApiRateWindow.minute == minute, ApiRateWindow.count < limit)
            .values(count=ApiRateWindow.count + 1)
            .execution_options(synchronize_session=False)
        )
    )
    if updated:
        return
    exists = db.session.get(ApiRateWindow, (token.id, minute))
    if exists is not None:
        raise Problem(429, _("Too many requests"), _("Wait a minute and try again."))
    try:
        with db.session.begin_nested():
            db.session.add(ApiRateWindow(token_id=token.id, minute=minute, count=1))
            db.session.flush()
    except sa.exc.IntegrityError:
        _rate_limit(token)


#: Every API operation hangs off this blueprint; `operation` registers the route and its description.
v1 = Blueprint("api_v1", __name__, url_prefix="/api/v1")
csrf.exempt(v1)  # bearer tokens, not cookies: there is no cross-site request to forge


def operation(
    method: str,
    rule: str,
    summary: str,
    *,
    scope: TokenScope | None = TokenScope.READ,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    many: bool = False,
    query: list[tuple[str, str, str]] | None = None,
    idempotent: bool = False,
) -> Callable:
    """Declare an API operation: who may call it, what it takes and returns (for OpenAPI), and run it
    with the token's user as the current user. `scope=None` makes it public. `rule` is the Flask rule;
    the OpenAPI path is derived from it, so the two cannot disagree.

    Problems and refusals are answered here as problem details, all with a status of 400 or more, so
    the request boundary (core/web.py) rolls them back; an answer below 400 is committed there."""
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)
    op = Operation(method, path, summary, scope, body, response, many, query or [], idempotent)
    REGISTRY.append(op)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            try:
                if scope is not None:
                    token = _token()
                    if scope is TokenScope.WRITE and token.scope is not TokenScope.WRITE:
                        raise not_allowed(_("This token can only read."))
                    _rate_limit(token)
                    commit_despite_refusal()  # the request counts against the limit whatever it answers
                    g.api_token = token
                    g._login_user = token.user  # the pages' permission checks apply unchanged
                unknown = sorted(set(request.args) - {name for name, _kind, _text in op.query})
                if unknown:  # a misspelt filter silently ignored would return the wrong data
                    raise Problem(
                        400,
                        _("Bad request"),
                        _("Unknown query parameter."),
                        [{"field": name, "message": _("Unknown query parameter.")} for name in unknown],
                    )
                if body is not None:
                    kwargs["payload"] = _parse(body)
                if idempotent and request.headers.get("Idempotency-Key"):
                    return _idempotent(lambda: view(*args, **kwargs))
                return view(*args, **kwargs)
            except Problem as problem:
                return problem.response()
            except NotFound:  # the areas' loaders (`get_or_404`): the same problem as any id not found
                return not_found().response()
            except ServiceError as error:
                field_errors = [{"field": error.field, "message": error.message}] if error.field else []
                return Problem(422, _("Not accepted"), error.message, field_errors).response()

        setattr(wrapped, ACCESS_ATTR, "public" if scope is None else "api")
        v1.add_url_rule(rule, view.__name__, wrapped, methods=[method.upper()])
        return wrapped

    return decorator


def _field_message(error: ErrorDetails) -> str:
    """Pydantic's messages are English only: say the same thing, translated."""
    kind = error["type"]
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("This field is not accepted here.")
    if kind.startswith(("string_too", "too_")):
        return _("Too short or too long.")
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return _("This number is out of range.")
    return _("This is not the right type or format.")


def _parse(model: type[BaseModel]) -> BaseModel:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Problem(400, _("Bad request"), _("Send a JSON object."))
    try:
        # Strict: 0 is not false and "12" is not 12; JSON's own date strings are still accepted.
        return model.model_validate_json(request.get_data(), strict=True)
    except ValidationError as error:
        errors = [
            {"field": ".".join(str(part) for part in e["loc"]), "message": _field_message(e)} for e in error.errors()
        ]
        raise Problem(422, _("Not accepted"), _("Some fields are not right."), errors)


def _idempotent(run: Callable[[], Response]) -> Response:
    key = request.headers["Idempotency-Key"]
    if len(key) > 100:
        raise field_problem("Idempotency-Key", _("The Idempotency-Key is longer than 100 characters."), 400)
    token = g.api_token
    done = db.session.scalar(
        sa.select(IdempotentRequest).where(IdempotentRequest.token_id == token.id, IdempotentRequest.key == key)
    )
    if done is not None:
        if done.endpoint != request.path:  # the same key for another cohort, say, is a client bug
            raise Problem(409, _("Key already used"), _("This Idempotency-Key was used for another request."))
        return json_response(done.body, done.status, replayed=True)
    response = run()
    if response.status_code < 300:  # saved with the work it answers for, in the request's one commit
        db.session.add(
            IdempotentRequest(
                token_id=token.id,
                key=key,
                endpoint=request.path[:100],
                status=response.status_code,
                body=response.get_json(),
            )
        )
        db.session.flush()
    return response


def json_response(body: Any, status: int = 200, *, replayed: bool = False) -> Response:
    """JSON with an ETag; a matching If-None-Match on a read gets 304."""
    text = json.dumps(body, ensure_ascii=False, default=str)
    response = Response(text, status=status, mimetype="application/json")
    etag = hashlib.sha256(text.encode()).hexdigest()[:32]
    response.set_etag(etag)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    if request.method == "GET" and request.if_none_match.contains(etag):
        return Response(status=304, headers={"ETag": response.headers["ETag"]})
    return response


def dump(model: type[BaseModel], obj: Any) -> dict:
    return model.model_validate(obj, from_attributes=True).model_dump(mode="json")


def page(query: sa.Select, id_column, model: type[BaseModel], limit_default: int = 50) -> dict:  # noqa: ANN001
    """Cursor pagination by id: the cursor is opaque, stable under inserts, and one query per page."""
    try:
        limit = int(request.args.get("limit", limit_default))
        if not 1 <= limit <= 200:
            raise ValueError(limit)
        cursor = request.args.get("cursor")
        after = int(base64.urlsafe_b64decode(cursor.encode()).decode()) if cursor else 0
        if not 0 <= after <= MAX_ID:
            raise ValueError(after)
    except (ValueError, UnicodeDecodeError):
        raise Problem(400, _("Bad request"), _("The cursor or limit is not valid."))
    rows = list(db.session.scalars(query.where(id_column > after).order_by(id_column).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = base64.urlsafe_b64encode(str(rows[-1].id).encode()).decode() if more and rows else None
    return {"items": [dump(model, row) for row in rows], "next_cursor": next_cursor}
