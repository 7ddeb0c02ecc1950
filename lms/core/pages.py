"""Lists in pages, so that no page's cost grows with the organisation's history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from lms.extensions import db

#: Past this page nobody is reading; a deeper OFFSET only costs the database.
LAST_PAGE = 10_000


@dataclass
class RowsPage:
    """One page of a list of rows (tuples, not only objects), found with one statement: a page's
    worth and one more row, so the list knows whether another page follows without counting."""

    items: list[Any]
    page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    @property
    def prev_num(self) -> int:
        return self.page - 1


def rows_page(query: sa.Select[Any], page: int | None, per_page: int = 50) -> RowsPage:
    page = max(1, min(page or 1, LAST_PAGE))
    rows = db.session.execute(query.limit(per_page + 1).offset((page - 1) * per_page)).all()
    return RowsPage(list(rows[:per_page]), page, len(rows) > per_page)
