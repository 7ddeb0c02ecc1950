"""Disclosure control: the one rule for what a funder may see of a return.

Everything a funder viewer is shown (the page's tables, charts, chart labels and their `aria-label`s,
totals, CSV, Excel, PDF and the API) is built from a `PublishedReturn`, never from the raw figures.

- **Primary suppression**: a count of people from 1 to 4 is hidden.
- **Secondary (complementary) suppression**: where figures add up (each participant breakdown adds up
  to the participants figure; referrals by source add up to referrals in; into work is those with 16
  hours or more plus an unpublished rest), a hidden cell must not be recoverable by subtraction, so
  more cells are hidden until no hidden or unpublished cell can be pinned to one value.
- Averages of fewer than `SUPPRESS_BELOW` plans are hidden.
- Zero is shown: hidden cells are known to be at least 1, which the recovery check accounts for.

Every hidden cell is shown the same way (`[c]`, as in GSS guidance on symbols in tables), so that a
reader cannot tell a small number from one hidden to protect it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from dateutil.relativedelta import relativedelta

from lms.core.i18n import _
from lms.courses.models import TargetMeasure
from lms.reports.measures import MEASURES, PARTICIPANT_BREAKDOWNS
from lms.reports.queries import FunderReturn

#: Counts from 1 to this minus one are hidden from funders.
SUPPRESS_BELOW = 5
#: How every hidden cell is written, in every format.
HIDDEN = "[c]"
#: Breakdowns in an order of their own (the skills'), not by size.
KEEP_ORDER = ("esol_gains",)


@dataclass
class Cell:
    value: float
    hidden: bool = False

    @property
    def shown(self) -> str:
        if self.hidden:
            return HIDDEN
        return str(int(self.value)) if float(self.value).is_integer() else f"{self.value:.1f}"

    @property
    def number(self) -> float | None:
        """The value to draw or export as a number, or None when hidden."""
        return None if self.hidden else self.value


@dataclass
class Relation:
    """`total` = the sum of `parts`; `implicit` parts are never published but follow from the rest."""

    total: Cell
    parts: list[Cell]
    implicit: list[Cell] = field(default_factory=list)


@dataclass
class PublishedReturn:
    report: FunderReturn
    protected: bool
    figures: dict[str, Cell]
    breakdowns: dict[str, list[tuple[str, Cell]]]
    targets: list[tuple[TargetMeasure, int, Cell]]
    ratings: list[tuple[str, Cell | None, Cell | None]]
    relations: list[Relation]
    #: (Monday, attendance rate that week in per cent): a rate, but of few marks it tells what one
    #: person did, so for funders a week of fewer than SUPPRESS_BELOW marks is hidden.
    weekly: list[tuple[date, Cell]] = field(default_factory=list)

    @property
    def start(self) -> date:
        return self.report.start

    @property
    def end(self) -> date:
        return self.report.end


def is_sensitive(value: float) -> bool:
    return 0 < value < SUPPRESS_BELOW


def shortest_funder_period(start: date) -> date:
    """The earliest last day a funder may ask for: a period shorter than a month is refused, since
    the difference between two long periods a day apart would show one day's learners."""
    return start + relativedelta(months=1) - relativedelta(days=1)


def publish(report: FunderReturn, protect: bool) -> PublishedReturn:
    """The return as a reader may see it: everything for a coordinator, protected for a funder."""
    figures = {key: Cell(report.figures[key]) for key in MEASURES if key in report.figures}
    breakdowns = {key: [(name, Cell(value)) for name, value in rows] for key, rows in report.breakdowns.items()}
    ratings = [(key, _average(before, count), _average(after, count)) for key, before, after, count in report.ratings]
    relations = _relations(figures, breakdowns, report)
    published = PublishedReturn(report, protect, figures, breakdowns, [], ratings, relations)
    if protect:
        _suppress(published)
    published.targets = [(measure, target, figures[measure.value]) for measure, target, _actual in report.targets]
    published.breakdowns = {
        key: rows if key in KEEP_ORDER else by_size(rows) for key, rows in published.breakdowns.items()
    }
    published.weekly = [
        (monday, Cell(round(attended / counted * 100, 1), hidden=protect and counted < SUPPRESS_BELOW))
        for monday, attended, counted in report.weekly_attendance
        if counted
    ]
    return published


def by_size(rows: list[tuple[str, Cell]]) -> list[tuple[str, Cell]]:
    """Largest first by what is shown: hidden rows after the shown ones (by name), zeros last.

    Rows sorted by their true counts would tell a reader which of two hidden cells is the larger, or
    where a hidden cell (which may be large, when hidden to protect another) sits among the shown."""

    def key(row: tuple[str, Cell]) -> tuple[int, float, str]:
        name, cell = row
        number = cell.number
        if number is None:
            return (1, 0, name)
        return (0 if number else 2, -number, name)

    return sorted(rows, key=key)


def _average(value: float | None, count: int) -> Cell | None:
    return None if value is None or not count else Cell(value)


def _relations(figures: dict[str, Cell], breakdowns: dict[str, list[tuple[str, Cell]]], report: FunderReturn):  # noqa: ANN202
    relations = [
        Relation(figures["participants"], [cell for _name, cell in breakdowns[key]])
        for key in PARTICIPANT_BREAKDOWNS
        if key in breakdowns
    ]
    relations.append(Relation(figures["referrals_in"], [cell for _name, cell in breakdowns.get("referrals", [])]))
    rest = figures["into_work"].value - figures["into_work_16_hours"].value
    relations.append(Relation(figures["into_work"], [figures["into_work_16_hours"]], implicit=[Cell(rest)]))
    return relations


def _suppress(published: PublishedReturn) -> None:
    people = [cell for key, cell in published.figures.items() if MEASURES[key].counts_people]
    people += [cell for rows in published.breakdowns.values() for _name, cell in rows]
    for cell in people:
        cell.hidden = is_sensitive(cell.value)
    counts = {key: count for key, _before, _after, count in published.report.ratings}
    for key, before, after in published.ratings:
        for average in (before, after):
            if average is not None:
                average.hidden = counts[key] < SUPPRESS_BELOW
    relations = published.relations
    while any(_protect(relation, relations) for relation in relations):
        pass


def _protect(relation: Relation, relations: list[Relation]) -> bool:
    """Hide one more cell if a hidden or unpublished part of this relation could be pinned; True if it did."""
    if not _total_known(relation.total, relations) or not pinned(relation):
        return False
    candidates = [cell for cell in relation.parts if not cell.hidden and cell.value > 0]
    if candidates:
        min(candidates, key=lambda cell: cell.value).hidden = True
        return True
    _hide_total(relation, relations)
    return True


def _hide_total(relation: Relation, relations: list[Relation]) -> None:
    """Every part is hidden and each must be 1: hide the total, and wherever another relation would
    give the total back (all its parts shown), hide one of its parts too."""
    relation.total.hidden = True
    for other in relations:
        if other.total is relation.total and other is not relation:
            shown = [cell for cell in other.parts if not cell.hidden and cell.value > 0]
            if shown and not other.implicit and len(shown) == len(other.parts):
                min(shown, key=lambda cell: cell.value).hidden = True


def _total_known(total: Cell, relations: list[Relation]) -> bool:
    """A total is known if shown, or if another relation adds up to it from parts that are all shown."""
    if not total.hidden:
        return True
    return any(r.total is total and not r.implicit and all(not cell.hidden for cell in r.parts) for r in relations)


def pinned(relation: Relation) -> bool:
    """Whether a reader who sees the published cells of this one relation can pin a hidden or
    unpublished part that is sensitive to a single value.

    The unknown parts add up to the total less the published parts. Each hidden part is at least 1
    (zeros are shown) and each implicit part at least 0; with no upper bounds, a part is pinned when
    it is the only unknown, or when the unknowns' sum equals the sum of their least values."""
    hidden = [cell for cell in relation.parts if cell.hidden]
    unknown = hidden + relation.implicit
    if not any(is_sensitive(cell.value) for cell in unknown):
        return False
    if len(unknown) == 1:
        return True
    remainder = relation.total.value - sum(cell.value for cell in relation.parts if not cell.hidden)
    return remainder == len(hidden)


def legend() -> str:
    return _(
        "%(mark)s: hidden so that nobody can be identified. Numbers from 1 to 4 are hidden, and so are "
        "numbers that would let someone work them out.",
        mark=HIDDEN,
    )
