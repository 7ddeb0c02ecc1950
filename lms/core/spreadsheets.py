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
from datetime import date, datetime, time
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


# --- reading uploaded tables ---------------------------------------------------------------------

#: What an uploaded spreadsheet may unpack to: an XLSX is a zip, and a small one can hold a huge sheet.
MAX_UNPACKED_BYTES = 40 * 1024 * 1024
#: Longer cells are cut to this (one character more than any field takes, so the check still refuses them).
MAX_CELL_CHARS = 2001
XLSX_MAGIC = b"PK\x03\x04"
OLD_EXCEL_MAGIC = b"\xd0\xcf\x11\xe0"


def read_table(raw: bytes, max_rows: int) -> list[list[str]]:
    """The rows of an uploaded CSV or Excel (XLSX) file as text, told apart by their content, not their
    name. Refused with a translated message for anything else, an unreadable file, or more than `max_rows`
    rows after the first. Excel's formulas are never run: a cell gives the value Excel last saved for it."""
    from lms.core.errors import ServiceError
    from lms.core.i18n import _

    if raw.startswith(OLD_EXCEL_MAGIC):
        raise ServiceError(_("This is an old Excel file (.xls). Save it as .xlsx or CSV and upload it again."))
    rows = _xlsx_rows(raw, max_rows) if raw.startswith(XLSX_MAGIC) else _csv_rows(raw, max_rows)
    if len(rows) > max_rows + 1:
        raise ServiceError(
            _("The file has more than %(count)d rows of learners. Split it into smaller files.", count=max_rows)
        )
    return rows


def _decode(raw: bytes) -> str:
    from lms.core.errors import ServiceError
    from lms.core.i18n import _

    try:
        return raw.decode("utf-8-sig")  # control characters in it are refused by the caller, naming the row
    except UnicodeDecodeError:
        pass
    if b"\x00" in raw:  # UTF-16, or a binary file: neither is a CSV we can read
        raise ServiceError(_("This file is not a CSV or Excel (.xlsx) file. Save it as CSV UTF-8 or .xlsx."))
    try:
        return raw.decode("cp1252")  # Excel's "CSV" on Windows in the UK
    except UnicodeDecodeError:
        raise ServiceError(_("This file's text could not be read. Save it as CSV UTF-8 and upload it again."))


def _cut(text: str) -> str:
    return text.strip()[:MAX_CELL_CHARS]


def _csv_rows(raw: bytes, max_rows: int) -> list[list[str]]:
    from lms.core.errors import ServiceError
    from lms.core.i18n import _

    text = _decode(raw)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            rows.append([_cut(cell) for cell in row])
            if len(rows) > max_rows + 1:
                break
    except csv.Error:  # a cell beyond the csv module's limit, or a broken quote
        raise ServiceError(_("Row %(row)d could not be read: check its quotes and its length.", row=len(rows) + 1))
    return rows


def _xlsx_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _cut(str(value))


def _xlsx_rows(raw: bytes, max_rows: int) -> list[list[str]]:
    import warnings
    import zipfile

    from openpyxl import load_workbook

    from lms.core.errors import ServiceError
    from lms.core.i18n import _

    unreadable = ServiceError(_("This Excel file could not be read. Save it again as .xlsx or CSV and upload it."))
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise ServiceError(_("This Excel file is too large. Split it into smaller files."))
            if "xl/workbook.xml" not in archive.namelist():
                raise unreadable
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns of styles and extensions it does not read
            workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
            try:
                rows = []
                for values in workbook.worksheets[0].iter_rows(values_only=True):
                    rows.append([_xlsx_cell(value) for value in values])
                    if len(rows) > max_rows + 1:
                        break
            finally:
                workbook.close()
    except ServiceError:
        raise
    except Exception:  # noqa: BLE001 - whatever a broken or hostile file makes openpyxl raise, it is unreadable
        raise unreadable from None
    while rows and not any(rows[-1]):
        rows.pop()  # Excel keeps formatted empty rows at the end
    return [row[: _last_filled(rows[0])] if index == 0 else row for index, row in enumerate(rows)] if rows else []


def _last_filled(row: list[str]) -> int:
    return max((index + 1 for index, cell in enumerate(row) if cell), default=0)


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
