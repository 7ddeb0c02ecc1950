"""The API's plumbing: bearer tokens, rate limits, problem details, idempotency, cursors, and the
registry that the OpenAPI description is generated from.

The rate-limit count is written before the request's own transaction opens, in a short transaction
of its own (`transaction_apart`), so a read stays a read: on SQLite a GET's transaction is DEFERRED
and writing into it can fail at once with "database is locked", whatever the busy timeout. The
count is one `INSERT ... ON CONFLICT DO UPDATE ... WHERE count < limit`, atomic on both databases,
so the limit is exact under concurrency. If the count cannot be written at all (the write lock not
free within the busy timeout), a read goes through uncounted with a logged warning, and a write is
refused with 503: letting a read through costs at most a few uncounted reads while the database is
already saturated, but failing it would turn a busy moment into errors for every reader.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, g, request
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy.dialects import postgresql, sqlite
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, Map

from lms.api.models import ApiRateWindow, ApiToken, IdempotentRequest, TokenScope
from lms.core.access import ACCESS_ATTR
from lms.core.db import transaction_apart
from lms.core.errors import ServiceError
from lms.core.i18n import _
from lms.core.inputs import MAX_ID
from lms.core.time import now_utc
from lms.core.tokens import token_hash
from lms.core.web import READ_METHODS
from lms.extensions import csrf, db

log = logging.getLogger(__name__)

#: PostgreSQL's SQLSTATE when a lock was not granted within lock_timeout.
LOCK_NOT_AVAILABLE = "55P03"


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

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        errors: list[dict] | None = None,
        *,
        retry_after: int | None = None,
    ):
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.errors = status, title, detail, errors or []
        self.retry_after = retry_after

    def response(self) -> Response:
        body = {"type": "about:blank", "title": self.title, "status": self.status, "detail": self.detail}
        if self.errors:
            body["errors"] = self.errors
        text = json.dumps(body, ensure_ascii=False)
        response = Response(text, status=self.status, mimetype="application/problem+json")
        if self.retry_after is not None:
            response.headers["Retry-After"] = str(self.retry_after)
        return response


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
    #: When the operation can answer 409 itself (a clash), what that means, for the OpenAPI document.
    conflict: str | None = None


REGISTRY: list[Operation] = []


def _authenticate(scope: TokenScope) -> ApiToken:
    """The request's token, counted against its rate limit first (see the module's docstring).
    Every request with a real token counts, whatever it is then answered."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise Problem(401, _("Not authenticated"), _("Send a personal API token: Authorization: Bearer <token>."))
    hashed = token_hash(header[7:].strip())
    within_limit = _count_request(hashed)
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hashed, ApiToken.revoked_dt.is_(None)))
    if token is None or not token.user.is_active:
        raise Problem(401, _("Not authenticated"), _("This token is not valid or was revoked."))
    if scope is TokenScope.WRITE and token.scope is not TokenScope.WRITE:
        raise not_allowed(_("This token can only read."))
    if not within_limit:
        raise Problem(429, _("Too many requests"), _("Wait a minute and try again."), retry_after=60 - now_utc().second)
    return token


def _count_request(hashed: str) -> bool:
    """Count one request of the token with this hash in this minute's window, in a transaction of its
    own that commits before the request's opens. False when the window was already full."""
    try:
        with transaction_apart(db.engine) as connection:
            token_id = connection.scalar(
                sa.select(ApiToken.id).where(ApiToken.token_hash == hashed, ApiToken.revoked_dt.is_(None))
            )
            if token_id is None:
                return True  # nothing to count: the token check answers 401
            counted = connection.execute(_count_statement(connection.dialect.name, token_id))
            return counted.first() is not None
    except sa.exc.OperationalError:
        if request.method in READ_METHODS:
            log.warning("API rate count not written (database busy): %s %s let through", request.method, request.path)
            return True
        raise Problem(503, _("Busy"), _("The service is busy. Try again in a moment."), retry_after=5)


def _count_statement(dialect: str, token_id: int) -> sa.Executable:
    """Open this minute's window at 1, or add 1 while it is under the limit; returns a row only when
    the request was counted. One statement, so concurrent requests cannot pass the limit."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    minute = now_utc().strftime("%Y%m%d%H%M")
    return (
        insert(ApiRateWindow)
        .values(token_id=token_id, minute=minute, count=1)
        .on_conflict_do_update(
            index_elements=["token_id", "minute"],
            set_={"count": ApiRateWindow.count + 1},
            where=ApiRateWindow.count < current_app.config["API_RATE_LIMIT_PER_MINUTE"],
        )
        .returning(ApiRateWindow.count)
    )


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
    conflict: str | None = None,
) -> Callable:
    """Declare an API operation: who may call it, what it takes and returns (for OpenAPI), and run it
    with the token's user as the current user. `scope=None` makes it public. `rule` is the Flask rule;
    the OpenAPI path is derived from it, so the two cannot disagree.

    Problems and refusals are answered here as problem details, all with a status of 400 or more, so
    the request boundary (core/web.py) rolls them back; an answer below 400 is committed there."""
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)
    op = Operation(method, path, summary, scope, body, response, many, query or [], idempotent, conflict)
    REGISTRY.append(op)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            try:
                if scope is not None:
                    token = _authenticate(scope)
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
    """Run a create once per Idempotency-Key: claim the key with a row first, then run, then store the
    answer on the row, all in the request's one transaction.

    The unique (token, key) makes the claim atomic. A second request with the key while the first is
    running waits on the claim: when the first commits it replays the stored answer; when the first
    fails (and so rolls its claim back with its work) it runs itself. On PostgreSQL the wait is
    bounded by API_IDEMPOTENCY_WAIT_SECONDS and then answered 409; on SQLite writes take turns anyway
    (IMMEDIATE transactions, within the busy timeout). A reused key for another method, path or body
    is a client bug, 422."""
    key = request.headers["Idempotency-Key"]
    if len(key) > 100:
        raise field_problem("Idempotency-Key", _("The Idempotency-Key is longer than 100 characters."), 400)
    token = g.api_token
    fingerprint = _fingerprint()
    claim = IdempotentRequest(token_id=token.id, key=key, endpoint=request.path[:100], request_hash=fingerprint)
    try:
        with db.session.begin_nested():
            _bound_lock_wait(current_app.config["API_IDEMPOTENCY_WAIT_SECONDS"])
            db.session.add(claim)
            db.session.flush()
            _bound_lock_wait(None)
    except sa.exc.IntegrityError:  # claimed by a request that has committed: its answer, if it was this one
        return _replay(token.id, key, fingerprint)
    except sa.exc.OperationalError as error:
        if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        raise _in_progress()  # PostgreSQL's lock_timeout: the first is still running
    response = run()
    if response.status_code < 400:  # stored with the work it answers for, in the request's one commit
        claim.status, claim.body = response.status_code, response.get_json()
        db.session.flush()
    return response


def _fingerprint() -> str:
    """The request a key was first used for: method, path, and the body as JSON with sorted keys (a
    retry that serialises the same object differently is still the same request)."""
    body = json.dumps(request.get_json(silent=True), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _bound_lock_wait(seconds: float | None) -> None:
    """PostgreSQL: wait at most `seconds` for a lock in what follows (None: back to the default)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    if seconds is None:
        db.session.execute(sa.text("SET LOCAL lock_timeout = DEFAULT"))
    else:
        # At least 1 ms: a lock_timeout of 0 would mean waiting for ever.
        db.session.execute(sa.text(f"SET LOCAL lock_timeout = {max(1, int(seconds * 1000))}"))


def _replay(token_id: int, key: str, fingerprint: str) -> Response:
    done = db.session.scalar(
        sa.select(IdempotentRequest).where(IdempotentRequest.token_id == token_id, IdempotentRequest.key == key)
    )
    if done is None or done.status is None:
        raise _in_progress()
    if done.request_hash != fingerprint:
        raise field_problem("Idempotency-Key", _("This Idempotency-Key was used for a different request."))
    return json_response(done.body, done.status, replayed=True)


def _in_progress() -> Problem:
    return Problem(
        409,
        _("Request in progress"),
        _("A request with this Idempotency-Key is still running. Try again in a moment."),
        retry_after=1,
    )


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
