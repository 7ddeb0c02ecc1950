"""The files people take away from a funder return: an Excel workbook with native charts, and a PDF.

Both are built from a `PublishedReturn` only, never from the raw figures, so a funder's copy holds
exactly what the page shows them: a hidden cell is `[c]` in a table, no bar in a chart, nothing in a
chart's data, and its place in a sorted list says nothing about its size (see `disclosure.by_size`).
"""

from __future__ import annotations

import io
from typing import Any, cast

from fpdf import FPDF

from lms.assessments.progression.certificate_pdf import add_script_fonts, font_for
from lms.core.i18n import _, _l, format_date
from lms.core.spreadsheets import Chart, Sheet, sheet_name, xlsx_workbook
from lms.core.time import today_local
from lms.courses.models import Programme
from lms.extensions import db
from lms.people.models import Organisation
from lms.reports.disclosure import HIDDEN, Cell, PublishedReturn, legend
from lms.reports.measures import (
    BREAKDOWN_DEFINITIONS,
    BREAKDOWNS,
    MEASURES,
    OUTCOME_RULE,
    PARTICIPANT_BREAKDOWNS,
)

#: Okabe and Ito's palette, told apart by readers with any colour vision: blue, orange, bluish green.
BLUE, ORANGE, GREEN = "0072B2", "E69F00", "009E73"
RATING_TITLES = {
    "confidence": _l("Confidence"),
    "wellbeing": _l("Wellbeing"),
    "english": _l("English"),
    "skills": _l("Skills for work"),
}
#: Breakdowns drawn as charts: they keep their own order (the skills'), the others are sorted by size.
CHARTED = (*PARTICIPANT_BREAKDOWNS, "esol_gains")


def _value(cell: Cell) -> float | str:
    """A cell as a spreadsheet holds it: the number where shown, `[c]` where hidden."""
    return cell.shown if cell.number is None else cell.number


def period_text(published: PublishedReturn) -> str:
    return _(
        "%(start)s to %(end)s",
        start=format_date(published.start, "long"),
        end=format_date(published.end, "long"),
    )


# --- Excel ---------------------------------------------------------------------------------------


def return_xlsx(published: PublishedReturn, title: str) -> bytes:
    """The return as a workbook: a "Return" sheet, one sheet per breakdown, attendance per week."""
    sheets = [_return_sheet(published, title)]
    for key, rows in published.breakdowns.items():
        if rows:
            name = sheet_name(str(BREAKDOWNS.get(key, key)), [sheet.title for sheet in sheets])
            sheets.append(_breakdown_sheet(key, rows, name))
    if published.weekly:
        sheets.append(_weekly_sheet(published, sheet_name(_("Attendance per week"), [s.title for s in sheets])))
    return xlsx_workbook(sheets)


def _return_sheet(published: PublishedReturn, title: str) -> Sheet:
    programme = published.report.programme
    rows: list[list[Any]] = [
        [title],
        [_("Programme"), programme.name],
        [_("Funder"), programme.funder.name if programme.funder else ""],
        [_("Period"), period_text(published)],
        [_("Generated"), today_local()],
        [_("Symbols"), legend()],
        [_("Outcomes"), str(OUTCOME_RULE)],
        [],
        [_("Measure"), _("Value"), _("Definition")],
    ]
    rows += [
        [str(MEASURES[key].title), _value(cell), str(MEASURES[key].definition)]
        for key, cell in published.figures.items()
    ]
    charts = []
    if published.targets:
        rows += [[], [_("Results against targets")]]
        rows.append([_("Measure"), _("Result"), _("Target"), _("Result as charted (hidden results left out)")])
        first = len(rows) + 1
        rows += [[str(measure.title), _value(cell), target, cell.number] for measure, target, cell in published.targets]
        charts.append(
            Chart(
                _("Results against targets"),
                first,
                len(rows),
                categories=1,
                series=[(4, _("Result")), (3, _("Target"))],
                anchor=f"F{first - 1}",
                colours=[BLUE, ORANGE],
            )
        )
    if published.ratings:
        rows += [[], [_("Self-reported change (average, 1 to 5)")]]
        rows.append([_("Measure"), _("At the start"), _("At the end")])
        rows += [
            [str(RATING_TITLES.get(key, key)), *(_value(cell) if cell else None for cell in (before, after))]
            for key, before, after in published.ratings
        ]
    return Sheet(_("Return"), rows, charts, widths={1: 34, 2: 18, 3: 80})


def _breakdown_sheet(key: str, items: list[tuple[str, Cell]], name: str) -> Sheet:
    charted = key in CHARTED
    rows: list[list[Any]] = [[str(BREAKDOWNS.get(key, key))]]
    if key in BREAKDOWN_DEFINITIONS:
        rows.append([str(BREAKDOWN_DEFINITIONS[key])])
    rows.append([])
    header = [_("Group"), _("Count")]
    rows.append([*header, _("Count as charted (hidden counts left out)")] if charted else header)
    first = len(rows) + 1
    ordered = items
    rows += [[label, _value(cell), cell.number] if charted else [label, _value(cell)] for label, cell in ordered]
    charts = []
    if charted:
        charts.append(
            Chart(
                str(BREAKDOWNS.get(key, key)),
                first,
                len(rows),
                categories=1,
                series=[(3, _("Count"))],
                anchor="E2",
                colours=[GREEN if key == "esol_gains" else BLUE],
            )
        )
    return Sheet(name, rows, charts, widths={1: 40, 2: 12, 3: 18})


def _weekly_sheet(published: PublishedReturn, name: str) -> Sheet:
    """Rates, not counts of people; for funders a week of few marks is hidden (`PublishedReturn.weekly`)."""
    rows: list[list[Any]] = [
        [_("Attendance rate per week")],
        [str(MEASURES["attendance_rate"].definition)],
        [],
        [_("Week of"), _("Attendance rate, per cent")],
    ]
    first = len(rows) + 1
    weeks = published.weekly
    rows += [[monday, _value(cell)] for monday, cell in weeks]
    chart = Chart(
        _("Attendance rate per week"),
        first,
        len(rows),
        categories=1,
        series=[(2, _("Attendance rate, per cent"))],
        anchor="D2",
        kind="col",
        axis_title=_("Per cent"),
        labels=len(weeks) <= 16,
        colours=[BLUE],
    )
    return Sheet(name, rows, [chart], widths={1: 14, 2: 18})


# --- PDF -----------------------------------------------------------------------------------------

INK, MUTED, RULE = (11, 12, 12), (80, 90, 95), (190, 195, 198)


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


class _ReturnPDF(FPDF):
    """A4 portrait for print: a running title on later pages, page numbers and the date in the footer."""

    def __init__(self, title: str, generated: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        add_script_fonts(self)
        self.document_title = title
        self.generated = generated
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, margin=20)
        self.set_title(title)
        self.set_creator("Pathways")
        self.set_lang("en")

    def header(self) -> None:
        if self.page_no() > 1:
            self.set_text_color(*MUTED)
            self.text_line(self.document_title, 8, h=5)
            self.ln(3)
            self.set_text_color(*INK)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_text_color(*MUTED)
        font_for(self, self.generated, 8)
        self.cell(0, 5, self.generated, align="L")
        self.set_x(self.l_margin)
        page = _("Page %(page)s of %(pages)s", page=self.page_no(), pages="{nb}")
        font_for(self, page, 8)
        self.cell(0, 5, page, align="R")
        self.set_text_color(*INK)

    @property
    def width(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def text_line(self, text: str, size: float, *, h: float | None = None, w: float = 0) -> None:
        """One line of text in its script's font."""
        font_for(self, text, size)
        self.cell(w, h or size * 0.5, text, new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, text: str, size: float, *, w: float = 0, colour: tuple[int, int, int] = INK) -> None:
        font_for(self, text, size)
        self.set_text_color(*colour)
        self.multi_cell(w, size * 0.45, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)

    def heading(self, text: str, room: float = 30) -> None:
        """A section heading, on a new page if less than `room` millimetres would follow it."""
        self.ensure(room + 12)
        self.ln(4)
        self.set_text_color(*INK)
        self.text_line(text, 13, h=8)
        self.set_draw_color(*RULE)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(2)

    def ensure(self, height: float) -> None:
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def pair(self, label: str, value: str) -> None:
        """A label and a value, each in its own script's font (a value may be Arabic, its label not)."""
        self.set_text_color(*MUTED)
        font_for(self, label, 10)
        self.cell(32, 6, label)
        self.set_text_color(*INK)
        font_for(self, value, 10)
        self.cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")


def return_pdf(published: PublishedReturn, programme: Programme, title: str, logo: bytes | None) -> bytes:
    """The return for print: figures with their definitions, charts, breakdowns, self-reported change."""
    organisation = db.session.get_one(Organisation, programme.organisation_id)
    pdf = _ReturnPDF(title, _("Generated on %(date)s", date=format_date(today_local(), "long")))
    pdf.alias_nb_pages()
    pdf.add_page()
    _masthead(pdf, organisation.name, logo)
    pdf.ln(2)
    pdf.paragraph(title, 16)
    pdf.ln(2)
    pdf.pair(_("Programme"), programme.name)
    if programme.funder is not None:
        pdf.pair(_("Funder"), programme.funder.name)
    pdf.pair(_("Period"), period_text(published))
    pdf.ln(2)
    pdf.paragraph(legend(), 9, colour=MUTED)
    pdf.paragraph(str(OUTCOME_RULE), 9, colour=MUTED)
    _figures(pdf, published)
    if published.targets:
        _targets_chart(pdf, published)
    if "esol_gains" in published.breakdowns:
        _bars(pdf, str(BREAKDOWNS["esol_gains"]), published.breakdowns["esol_gains"], GREEN)
        if "esol_gains" in BREAKDOWN_DEFINITIONS:
            pdf.paragraph(str(BREAKDOWN_DEFINITIONS["esol_gains"]), 8, colour=MUTED)
    for key, rows in published.breakdowns.items():
        if key != "esol_gains":
            _breakdown_table(pdf, key, rows)
    _ratings(pdf, published)
    pdf.heading(_("Symbols"), room=10)
    pdf.paragraph(legend(), 9)
    return bytes(pdf.output())


def _masthead(pdf: _ReturnPDF, name: str, logo: bytes | None) -> None:
    top = pdf.get_y()
    x = pdf.l_margin
    if logo:
        image = pdf.image(io.BytesIO(logo), x=x, y=top, h=18, keep_aspect_ratio=True)
        x += min(image.rendered_width, 60) + 6
    pdf.set_xy(x, top + 4)
    font_for(pdf, name, 15)
    pdf.cell(pdf.w - pdf.r_margin - x, 10, name)
    pdf.set_xy(pdf.l_margin, top + 22)


def _figures(pdf: _ReturnPDF, published: PublishedReturn) -> None:
    pdf.heading(_("Figures"))
    value_w = 28
    text_w = pdf.width - value_w
    for key, cell in published.figures.items():
        measure = MEASURES[key]
        font_for(pdf, str(measure.definition), 8)
        height = pdf.multi_cell(text_w - 4, 3.6, str(measure.definition), align="L", dry_run=True, output="HEIGHT")
        pdf.ensure(6 + float(cast(float, height)) + 3)
        y = pdf.get_y()
        pdf.text_line(str(measure.title), 10, h=6, w=text_w)
        pdf.set_xy(pdf.l_margin + text_w, y)
        font_for(pdf, cell.shown, 11)
        pdf.cell(value_w, 6, cell.shown, align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.paragraph(str(measure.definition), 8, w=text_w - 4, colour=MUTED)
        pdf.ln(1.2)
        pdf.set_draw_color(*RULE)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(1.2)


def _swatch(pdf: _ReturnPDF, colour: str, label: str) -> None:
    pdf.set_fill_color(*_rgb(colour))
    y = pdf.get_y()
    pdf.rect(pdf.get_x(), y + 1.2, 3.6, 3.6, style="F")
    pdf.set_x(pdf.get_x() + 5)
    font_for(pdf, label, 9)
    pdf.cell(pdf.get_string_width(label) + 8, 6, label)


def _bar(pdf: _ReturnPDF, x: float, y: float, length: float, cell_text: str, colour: str, h: float) -> None:
    """One bar with its number after it; no bar (only the number, or `[c]`) when `length` is 0."""
    if length > 0:
        pdf.set_fill_color(*_rgb(colour))
        pdf.rect(x, y, length, h, style="F")
    pdf.set_xy(x + length + 1.5, y)
    font_for(pdf, cell_text, 8.5)
    pdf.cell(20, h, cell_text)


def _targets_chart(pdf: _ReturnPDF, published: PublishedReturn) -> None:
    """Each measure to its own scale (hours and people differ), result above target."""
    pdf.heading(_("Results against targets"), room=14 + 13 * len(published.targets))
    _swatch(pdf, BLUE, _("Result"))
    _swatch(pdf, ORANGE, _("Target"))
    pdf.ln(7)
    label_w, bar_h = 58, 4.2
    span = pdf.width - label_w - 16
    for measure, target, cell in published.targets:
        pdf.ensure(2 * bar_h + 5)
        y = pdf.get_y()
        font_for(pdf, str(measure.title), 9)
        pdf.multi_cell(label_w - 3, 4.2, str(measure.title), align="L", new_x="LMARGIN", new_y="NEXT")
        x = pdf.l_margin + label_w
        largest = max(target, cell.number or 0) or 1
        shown = cell.number
        _bar(pdf, x, y, span * shown / largest if shown else 0, cell.shown, BLUE, bar_h)
        _bar(pdf, x, y + bar_h + 0.8, span * target / largest, str(target), ORANGE, bar_h)
        pdf.set_xy(pdf.l_margin, max(pdf.get_y(), y + 2 * bar_h + 4))
    pdf.paragraph(_("Each measure is drawn to its own scale. %(mark)s: no bar is drawn.", mark=HIDDEN), 8, colour=MUTED)


def _bars(pdf: _ReturnPDF, title: str, rows: list[tuple[str, Cell]], colour: str) -> None:
    pdf.heading(title, room=8 * len(rows) + 6)
    label_w, bar_h = 58, 5
    span = pdf.width - label_w - 16
    largest = max((cell.number or 0 for _label, cell in rows), default=0) or 1
    for label, cell in rows:
        pdf.ensure(bar_h + 3)
        y = pdf.get_y()
        pdf.text_line(label, 9, h=bar_h, w=label_w)
        shown = cell.number
        _bar(pdf, pdf.l_margin + label_w, y, span * shown / largest if shown else 0, cell.shown, colour, bar_h)
        pdf.set_xy(pdf.l_margin, y + bar_h + 2)


def _breakdown_table(pdf: _ReturnPDF, key: str, rows: list[tuple[str, Cell]]) -> None:
    pdf.heading(str(BREAKDOWNS.get(key, key)), room=24)
    if key in BREAKDOWN_DEFINITIONS:
        pdf.paragraph(str(BREAKDOWN_DEFINITIONS[key]), 8, colour=MUTED)
        pdf.ln(1)
    if not rows:
        pdf.paragraph(_("None in this period."), 9, colour=MUTED)
        return
    _table(pdf, [_("Group"), _("Count")], [[label, cell.shown] for label, cell in rows])


def _table(pdf: _ReturnPDF, header: list[str], rows: list[list[str]]) -> None:
    """A plain table: the first column wide, the others narrow and aligned to the end."""
    narrow = 32
    widths = [pdf.width - narrow * (len(header) - 1)] + [narrow] * (len(header) - 1)

    def line(values: list[str], size: float, colour: tuple[int, int, int]) -> None:
        pdf.ensure(6)
        pdf.set_text_color(*colour)
        for index, (value, width) in enumerate(zip(values, widths, strict=True)):
            font_for(pdf, value, size)
            pdf.cell(width, 6, value, align="L" if index == 0 else "R")
        pdf.ln(6)
        pdf.set_draw_color(*RULE)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())

    line(header, 8.5, MUTED)
    for row in rows:
        line(row, 9.5, INK)
    pdf.set_text_color(*INK)


def _ratings(pdf: _ReturnPDF, published: PublishedReturn) -> None:
    pdf.heading(_("Self-reported change (average, 1 to 5)"), room=30)
    rows = [
        [str(RATING_TITLES.get(key, key)), *(cell.shown if cell else "—" for cell in (before, after))]
        for key, before, after in published.ratings
    ]
    _table(pdf, [_("Measure"), _("At the start"), _("At the end")], rows)
