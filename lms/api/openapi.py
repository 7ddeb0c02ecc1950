"""The OpenAPI 3.1 description, generated from the operations the views declare and their models."""

from __future__ import annotations

import re

from pydantic.json_schema import models_json_schema

from lms.api.core import MAX_ID, Operation

PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {"type": "object", "properties": {"field": {"type": "string"}, "message": {"type": "string"}}},
        },
    },
}
_TYPES = {
    "date": {"type": "string", "format": "date"},
    "integer": {"type": "integer", "minimum": 1, "maximum": 200},
    "id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    "string": {"type": "string", "maxLength": 40},
}


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer"}}}


def _problem(description: str, *, retry: bool = False) -> dict:
    problem = {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    return problem | {"headers": RETRY_AFTER} if retry else problem


def _parameters(op: Operation) -> list[dict]:
    """Path ids, then query parameters, then the Idempotency-Key header of a create that takes one."""
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}
            if name.endswith("_id")
            else {"type": "string", "maxLength": 40},
        }
        for name in re.findall(r"{(\w+)}", op.path)
    ]
    parameters += [
        {"name": name, "in": "query", "required": False, "schema": _TYPES[kind], "description": text}
        for name, kind, text in op.query
    ]
    if op.idempotent:
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": 100},
                "description": (
                    "Send the same key, with the same body, when retrying: the create happens once and the "
                    "retry gets its answer again (header Idempotent-Replayed: true). The same key for a "
                    "different request is 422; while the first request with it is still running, 409."
                ),
            }
        )
    return parameters


def _ok(op: Operation, refs: dict) -> dict:
    """The success response: the model, a page of them, or the OpenAPI document itself."""
    ok: dict = {"description": "OK"}
    if op.response is not None:
        item = refs[(op.response, "serialization")]
        schema = (
            {
                "type": "object",
                "required": ["items", "next_cursor"],
                "properties": {
                    "items": {"type": "array", "items": item},
                    "next_cursor": {"type": ["string", "null"]},
                },
            }
            if op.many
            else item
        )
        ok["content"] = {"application/json": {"schema": schema}}
    elif op.path == "/openapi.json":
        ok["content"] = {"application/json": {"schema": {"type": "object"}}}
    return ok


def _responses(op: Operation, refs: dict) -> dict:
    status = "201" if op.method == "post" else "200"
    responses = {status: _ok(op, refs), "400": _problem("Bad request"), "404": _problem("Not found")}
    if op.scope is not None:
        responses |= {
            "401": _problem("No valid token"),
            "403": _problem("Not allowed"),
            "429": _problem("Too many requests: over the token's limit for this minute", retry=True),
        }
    if op.idempotent:
        responses["409"] = _problem("A request with this Idempotency-Key is still running", retry=True)
    if op.conflict:
        responses["409"] = _problem(op.conflict)
    unaccepted = "Not accepted, with the fields that are wrong"
    if op.idempotent:
        unaccepted += ", or an Idempotency-Key already used for a different request"
    responses["422"] = _problem(unaccepted)
    if op.scope is not None and op.method != "get":
        responses["503"] = _problem("Busy: the request could not be counted against the rate limit", retry=True)
    if op.method == "get":
        responses["304"] = {"description": "Not modified (If-None-Match)"}
    return responses


def openapi_document(operations: list[Operation]) -> dict:
    models = {m for op in operations for m in (op.body, op.response) if m is not None}
    refs, defs = models_json_schema(
        [(m, "serialization") for m in models] + [(m, "validation") for m in models],
        ref_template="#/components/schemas/{model}",
    )
    schemas = dict(defs.get("$defs", {}))
    schemas["Problem"] = PROBLEM
    paths: dict[str, dict] = {}
    for op in operations:
        entry = {
            "summary": op.summary,
            "operationId": op.method + re.sub(r"\W+", "_", op.path).rstrip("_"),
            "parameters": _parameters(op),
            "responses": _responses(op, refs),
            "security": [] if op.scope is None else [{"bearer": []}],
        }
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
            }
        paths.setdefault(op.path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Pathways API",
            "version": "1.0.0",
            "description": "Personal tokens act with their owner's permissions. Errors are problem details.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
