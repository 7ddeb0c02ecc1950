"""Writing CSV and Excel files that a spreadsheet cannot be tricked by: one helper for every export.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel, LibreOffice
and Google Sheets as a formula, so a learner "named" `=HYPERLINK("http://…","Click")` would become a
live link in a coordinator's spreadsheet (OWASP: CSV injection). Such text is written with a leading
apostrophe, which spreadsheets show as plain text. A phone number in international form
(`+447700900001`) is not a formula that does harm and stays as it is, so people can still read it.
Excel files also store every text cell as text, never as a formula.

Workbooks of several sheets with native charts (`xlsx_workbook`) are written here too, so that
openpyxl is called in one place only.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

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


#: Characters Excel refuses in a sheet's name, and the longest name it takes.
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_MAX = 31


def sheet_name(text: str, taken: Iterable[str] = ()) -> str:
    """A name Excel accepts for a sheet, unique among `taken` (compared as Excel does, ignoring case)."""
    base = SHEET_NAME_FORBIDDEN.sub(" ", text).strip().strip("'").strip() or "Sheet"
    if base.lower() == "history":  # Excel keeps this name for itself
        base += " 1"
    used = {name.lower() for name in taken}
    name, number = base[:SHEET_NAME_MAX], 1
    while name.lower() in used:
        number += 1
        suffix = f" ({number})"
        name = base[: SHEET_NAME_MAX - len(suffix)].rstrip() + suffix
    return name


@dataclass
class Chart:
    """A native Excel chart of a block of a sheet's rows (numbered from 1, as Excel numbers them):
    categories from one column, one series per (column, title). Empty cells are drawn as gaps."""

    title: str
    first_row: int
    last_row: int
    categories: int
    series: list[tuple[int, str]]
    anchor: str
    #: "bar": horizontal bars; "col": vertical columns.
    kind: Literal["bar", "col"] = "bar"
    axis_title: str = ""
    #: Draw each point's value beside it.
    labels: bool = True
    #: A fill colour per series (hex, no #), in the order of `series`.
    colours: list[str] = field(default_factory=list)


@dataclass
class Sheet:
    title: str
    rows: list[list[Any]]
    charts: list[Chart] = field(default_factory=list)
    #: Column widths in characters, by column number (from 1); these columns wrap their text.
    widths: dict[int, float] = field(default_factory=dict)


def xlsx_workbook(sheets: Iterable[Sheet]) -> bytes:
    """Sheets of rows as an Excel workbook with their charts; text is stored as text, never as a formula.

    Charts refer to the sheet's cells and carry no copy of the values, so a chart shows exactly what
    its cells hold: nothing is hidden in a chart that the sheet does not show.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    workbook = Workbook()
    for empty in workbook.worksheets:
        workbook.remove(empty)
    for spec in sheets:
        sheet = workbook.create_sheet(spec.title)
        for row in spec.rows:
            sheet.append([safe_cell(value) for value in row])
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
                elif isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
        for column, width in spec.widths.items():
            letter = sheet.cell(row=1, column=column).column_letter
            sheet.column_dimensions[letter].width = width
            for (cell,) in sheet.iter_rows(min_col=column, max_col=column):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        for chart in spec.charts:
            sheet.add_chart(_native_chart(sheet, chart), chart.anchor)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _native_chart(sheet: Any, spec: Chart) -> Any:
    from openpyxl.chart import BarChart, Reference, Series
    from openpyxl.chart.label import DataLabelList

    chart = BarChart()
    chart.type = spec.kind
    chart.title = spec.title
    chart.display_blanks = "gap"
    chart.y_axis.title = spec.axis_title or None
    # openpyxl hides both axes unless told otherwise, which some readers honour.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    rows = spec.last_row - spec.first_row + 1
    chart.height = max(7.5, 1.2 + 0.8 * rows * max(1, len(spec.series))) if spec.kind == "bar" else 7.5
    chart.width = 18
    for index, (column, title) in enumerate(spec.series):
        values = Reference(sheet, min_col=column, min_row=spec.first_row, max_row=spec.last_row)
        series = Series(values, title=title)
        if index < len(spec.colours):
            series.graphicalProperties.solidFill = spec.colours[index]
            series.graphicalProperties.line.solidFill = spec.colours[index]
        chart.series.append(series)
    chart.set_categories(Reference(sheet, min_col=spec.categories, min_row=spec.first_row, max_row=spec.last_row))
    if spec.kind == "bar":
        chart.x_axis.scaling.orientation = "maxMin"  # the first row at the top, as in the table
    if spec.labels:
        chart.dataLabels = DataLabelList(showVal=True)
    return chart
