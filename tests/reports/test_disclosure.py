"""Disclosure control: no hidden cell of a funder's return can be recovered from what is shown.

The check is brute force and knows nothing of how `publish` chooses what to hide: it takes only what a
funder sees (shown numbers, `[c]` for hidden ones, the fact that hidden cells are at least 1 since
zeros are shown) and the sums a reader knows hold (each participant breakdown adds up to the
participants figure, referrals by source to referrals in, into work to those working 16 hours or more
plus the rest), enumerates every assignment of the unknowns that fits, and fails if any hidden or
unpublished count from 1 to 4 takes only one value.
"""

from __future__ import annotations

import itertools
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from lms.reports.disclosure import HIDDEN, publish
from lms.reports.queries import FunderReturn

PARTICIPANT_BREAKDOWNS = ("eligibility", "age", "sex", "nationality", "language", "referral_source")


def a_return(participants: list[dict[str, str]], referrals: list[int], work: tuple[int, int]) -> FunderReturn:
    """A return with the given participants (each a dict of breakdown -> label), referral counts per
    source, and (into work, of whom 16 hours or more)."""
    report = FunderReturn(programme=None, start=date(2026, 4, 1), end=date(2027, 3, 31))  # type: ignore[arg-type]
    report.figures = {
        "participants": len(participants),
        "starts": len(participants),
        "sessions": 12,
        "contact_hours": 30.5,
        "attendance_rate": 80.0,
        "into_work": work[0],
        "into_work_16_hours": work[1],
        "referrals_in": sum(referrals),
        "drop_in_unlinked": 0,
    }
    for key in PARTICIPANT_BREAKDOWNS:
        counts: dict[str, int] = {}
        for person in participants:
            counts[person[key]] = counts.get(person[key], 0) + 1
        report.breakdowns[key] = sorted(counts.items(), key=lambda item: -item[1])
    report.breakdowns["referrals"] = [(f"source {i}", n) for i, n in enumerate(referrals) if n]
    report.breakdowns["esol_gains"] = [("Reading", 3), ("Writing", 0)]
    return report


def what_a_funder_knows(published):  # noqa: ANN001, ANN201
    """Cells as a funder sees them (None when hidden) and the sums that hold between them."""
    cells: dict[str, float | None] = {}

    def name(key: str, cell) -> str:  # noqa: ANN001
        cells[key] = None if cell.shown == HIDDEN else float(cell.shown)
        return key

    sums = []
    total = name("participants", published.figures["participants"])
    for key in PARTICIPANT_BREAKDOWNS:
        parts = [name(f"{key}:{label}", cell) for label, cell in published.breakdowns[key]]
        sums.append((total, parts))
    referrals = name("referrals_in", published.figures["referrals_in"])
    sums.append((referrals, [name(f"referrals:{label}", cell) for label, cell in published.breakdowns["referrals"]]))
    work = name("into_work", published.figures["into_work"])
    sixteen = name("into_work_16_hours", published.figures["into_work_16_hours"])
    cells["into_work:rest"] = None  # never published, but follows from the other two
    sums.append((work, [sixteen, "into_work:rest"]))
    return cells, sums


def recoverable(published, true_values: dict[str, int]) -> list[str]:  # noqa: ANN001
    """Unknown cells whose true value is 1 to 4 and which only one consistent assignment allows.

    The sums share nothing but their totals, so each total's possible values are tried in turn and,
    for each, every assignment of each sum's unknown parts is enumerated."""
    cells, sums = what_a_funder_knows(published)
    ceiling = max(true_values.values()) + 3

    def values_of(key: str) -> range:
        if cells[key] is not None:
            return range(int(cells[key]), int(cells[key]) + 1)
        return range(0 if key.endswith(":rest") else 1, ceiling + 1)

    possible: dict[str, set[int]] = {key: set() for key, value in cells.items() if value is None}
    for total in {total for total, _parts in sums}:
        family = [parts for t, parts in sums if t == total]
        for value in values_of(total):
            found: dict[str, set[int]] = {}
            for parts in family:
                fits = [
                    guess for guess in itertools.product(*[values_of(part) for part in parts]) if sum(guess) == value
                ]
                if not fits:
                    break
                for index, part in enumerate(parts):
                    found.setdefault(part, set()).update(guess[index] for guess in fits)
            else:  # every sum of this total can hold `value`
                found[total] = {value}
                for key, seen in found.items():
                    if key in possible:
                        possible[key] |= seen
    return [key for key in possible if 0 < true_values[key] < 5 and len(possible[key]) == 1]


def true_values(report: FunderReturn) -> dict[str, int]:
    values = {"participants": report.figures["participants"], "referrals_in": report.figures["referrals_in"]}
    for key in PARTICIPANT_BREAKDOWNS:
        values |= {f"{key}:{label}": n for label, n in report.breakdowns[key]}
    values |= {f"referrals:{label}": n for label, n in report.breakdowns["referrals"]}
    values["into_work"] = int(report.figures["into_work"])
    values["into_work_16_hours"] = int(report.figures["into_work_16_hours"])
    values["into_work:rest"] = values["into_work"] - values["into_work_16_hours"]
    return values


person = st.fixed_dictionaries({key: st.sampled_from(["a", "b", "c"]) for key in PARTICIPANT_BREAKDOWNS})


@settings(max_examples=500, deadline=None)
@given(
    participants=st.lists(person, min_size=0, max_size=14),
    referrals=st.lists(st.integers(0, 7), min_size=1, max_size=3),
    work=st.integers(0, 8).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
)
def test_no_hidden_cell_can_be_recovered(participants, referrals, work):
    report = a_return(participants, referrals, work)
    published = publish(report, protect=True)
    assert recoverable(published, true_values(report)) == []


def test_a_lone_small_cell_takes_a_neighbour_with_it():
    people = [dict.fromkeys(PARTICIPANT_BREAKDOWNS, "a") for _ in range(7)]
    people[0]["nationality"] = "b"  # 6 and 1: the 1 is hidden, and the 6 too, or 7 - 6 gives it away
    published = publish(a_return(people, [6], (0, 0)), protect=True)
    assert [cell.shown for _label, cell in published.breakdowns["nationality"]] == [HIDDEN, HIDDEN]
    assert published.figures["participants"].shown == "7"
    assert [cell.shown for _label, cell in published.breakdowns["sex"]] == ["7"]


def test_an_unpublished_remainder_is_protected_too():
    # 6 into work, 5 of them 16 hours or more: showing both would tell that 1 works fewer hours.
    published = publish(a_return([], [0], (6, 5)), protect=True)
    assert published.figures["into_work_16_hours"].shown == HIDDEN
    assert published.figures["into_work"].shown == "6"


def test_hours_rates_and_sessions_are_not_people_and_coordinators_see_everything():
    report = a_return([dict.fromkeys(PARTICIPANT_BREAKDOWNS, "a")], [2], (1, 1))
    funder = publish(report, protect=True)
    assert [funder.figures[key].shown for key in ("sessions", "contact_hours", "attendance_rate")] == [
        "12",
        "30.5",
        "80",
    ]
    assert funder.figures["participants"].shown == HIDDEN
    coordinator = publish(report, protect=False)
    assert coordinator.figures["participants"].shown == "1"
    assert not any(cell.hidden for cell in coordinator.figures.values())


def test_rows_are_ordered_by_what_is_shown_and_thin_weeks_are_hidden():
    people = [dict.fromkeys(PARTICIPANT_BREAKDOWNS, "a") for _ in range(12)]
    for person in people[:3]:
        person["nationality"] = "c"
    people[0]["nationality"] = "b"  # a: 9, b: 1 and c: 2, both hidden: their order must not tell which is larger
    report = a_return(people, [0], (0, 0))
    report.weekly_attendance = [(date(2026, 11, 2), 3, 4), (date(2026, 11, 9), 5, 6)]
    funder = publish(report, protect=True)
    rows = funder.breakdowns["nationality"]
    assert [(label, cell.shown) for label, cell in rows] == [("a", "9"), ("b", HIDDEN), ("c", HIDDEN)]
    assert [cell.shown for _week, cell in funder.weekly] == [HIDDEN, "83.3"]
    assert [cell.shown for _week, cell in publish(report, protect=False).weekly] == ["75", "83.3"]
