"""Writing CSV and Excel files that a spreadsheet cannot be tricked by: one helper for every export.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel, LibreOffice
and Google Sheets as a formula, so a learner "named" `=HYPERLINK("http://…","Click")` would become a
live link in a coordinator's spreadsheet (OWASP: CSV injection). Such text is written with a leading
apostrophe, which spreadsheets show as plain text. A phone number in international form
(`+447700900001`) is not a formula that does harm and stays as it is, so people can still read it.
Excel files also store every text cell as text, never as a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PHONE_NUMBER = re.compile(r"\+[0-9][0-9 ]{5,19}")


def safe_cell(value: Any) -> Any:
    """The value to write in a cell: text that a spreadsheet would run as a formula is made plain."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not PHONE_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """Rows as CSV text (for a small file held in memory)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(safe_row(row) for row in rows)
    return buffer.getvalue()


def csv_stream(header: Iterable[Any], batches: Iterable[Iterable[Iterable[Any]]]) -> Iterator[str]:
    """A CSV file in pieces, one per batch of rows, beginning with a byte-order mark for Excel."""
    yield "\ufeff" + csv_text([header])
    for batch in batches:
        yield csv_text(batch)


def xlsx_bytes(sheet_title: str, rows: Iterable[Iterable[Any]]) -> bytes:
    """One sheet of rows as an Excel workbook; text is stored as text, never as a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=safe_cell(value))
            if isinstance(value, str):
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
