"""JSON API v1 for partner systems: personal tokens, the same permission checks as the pages, OpenAPI."""
