"""Whose bank holidays apply: the organisation's region, or a venue's own (a Glasgow venue of an English
charity), the same for generating, previews and the closures page."""

from __future__ import annotations

from datetime import date, time

import pytest
import sqlalchemy as sa

from lms.core.roles import Role
from lms.scheduling.models import Session, SessionStatus, Venue
from lms.scheduling.timetable import services as timetable
from lms.scheduling.timetable.inputs import TimetableRuleInput
from tests.conftest import log_in
from tests.factories import make_cohort, make_user, make_venue


@pytest.fixture()
def coordinator(db):
    user = make_user()  # an English organisation: holiday region ENG by default
    db.commit()
    return user


def _days(db, cohort) -> list[date]:
    rows = db.scalars(
        sa.select(Session).where(Session.cohort_id == cohort.id, Session.status == SessionStatus.SCHEDULED)
    )
    return sorted(s.occurrence_date for s in rows)


def _mondays_rule(client, cohort, start: str, end: str) -> int:
    saved = client.post(
        f"/cohorts/{cohort.id}/timetable",
        data={
            "action": "add_rule",
            "rule-weekdays": ["0"],
            "rule-start_time": "10:00",
            "rule-end_time": "12:00",
            "rule-start_date": start,
            "rule-end_date": end,
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    return cohort.timetable_rules[-1].id


MONDAYS = ["2027-01-04", "2027-03-29", "2027-08-02", "2027-08-30"]  # Scotland; England; Scotland; England


def test_a_glasgow_venue_of_an_english_organisation_keeps_scottish_bank_holidays(client, db, coordinator):
    log_in(client, coordinator)
    created = client.post(
        "/venues/new", data={"name": "Glasgow Southside Hub", "postcode": "G42 7AA", "holiday_region": "SCT"}
    )
    assert created.status_code == 302
    glasgow = db.scalar(sa.select(Venue).where(Venue.name == "Glasgow Southside Hub"))
    assert glasgow.holiday_region == "SCT"
    cohort = make_cohort(coordinator, venue_id=glasgow.id, start_date=date(2027, 1, 1), end_date=date(2027, 9, 30))
    db.commit()
    for day in MONDAYS:  # one rule per Monday, generated from the page
        rule_id = _mondays_rule(client, cohort, day, day)
        preview = client.post(f"/cohorts/{cohort.id}/timetable", data={"action": "preview", "rule_id": rule_id})
        assert preview.status_code == 200
        generated = client.post(
            f"/cohorts/{cohort.id}/timetable", data={"action": "generate", "rule_id": rule_id}, follow_redirects=True
        )
        assert generated.status_code == 200
    # New Year Holiday (observed) and the Summer Bank Holiday are Scotland's; Easter Monday and the Late
    # Summer Bank Holiday are England's and Wales', so classes run in Glasgow.
    assert _days(db, cohort) == [date(2027, 3, 29), date(2027, 8, 30)]
    page = client.get("/closures").get_data(as_text=True)
    assert "Bank holidays in the next year (England and Wales)" in page
    assert "Bank holidays in the next year (Scotland)" in page and "Glasgow Southside Hub" in page


def test_the_page_says_why_a_day_is_skipped_at_a_scottish_venue(client, db, coordinator):
    glasgow = make_venue(coordinator.organisation, coordinator, name="Govanhill Baths", holiday_region="SCT")
    cohort = make_cohort(coordinator, venue_id=glasgow.id, start_date=date(2027, 1, 1), end_date=date(2027, 9, 30))
    db.commit()
    log_in(client, coordinator)
    rule_id = _mondays_rule(client, cohort, "2027-08-02", "2027-08-09")
    generated = client.post(
        f"/cohorts/{cohort.id}/timetable", data={"action": "generate", "rule_id": rule_id}, follow_redirects=True
    ).get_data(as_text=True)
    assert "No session on 2027-08-02: Bank holiday: Summer Bank Holiday" in generated
    assert _days(db, cohort) == [date(2027, 8, 9)]


def test_a_venue_without_its_own_region_follows_the_organisation(client, db, coordinator):
    leicester = make_venue(coordinator.organisation, coordinator, name="Highfields Centre")
    cohort = make_cohort(coordinator, venue_id=leicester.id, start_date=date(2027, 1, 1), end_date=date(2027, 9, 30))
    db.commit()
    assert cohort.holiday_region == "ENG"
    log_in(client, coordinator)
    for day in MONDAYS:
        rule_id = _mondays_rule(client, cohort, day, day)
        client.post(f"/cohorts/{cohort.id}/timetable", data={"action": "generate", "rule_id": rule_id})
    assert _days(db, cohort) == [date(2027, 1, 4), date(2027, 8, 2)]


def test_a_rule_at_another_venue_uses_that_venues_region(db, coordinator):
    """A cohort based in England with one timetable rule in Glasgow: the rule's place decides."""
    glasgow = make_venue(coordinator.organisation, coordinator, name="Glasgow annexe", holiday_region="SCT")
    cohort = make_cohort(coordinator, start_date=date(2027, 1, 1), end_date=date(2027, 9, 30))
    rule = timetable.save_rule(
        cohort,
        TimetableRuleInput(
            weekdays=[0],
            start_time=time(10),
            end_time=time(12),
            start_date=date(2027, 8, 2),
            end_date=date(2027, 8, 30),
            venue_id=glasgow.id,
        ),
        coordinator,
    )
    plan = timetable.generate(rule, coordinator)
    assert [day for day, _reason in plan.skipped] == [date(2027, 8, 2)]


def test_an_organisation_in_scotland_and_a_venue_back_in_england(db, coordinator):
    coordinator.organisation.holiday_region = "SCT"
    carlisle = make_venue(coordinator.organisation, coordinator, name="Carlisle", holiday_region="ENG")
    cohort = make_cohort(coordinator, venue_id=carlisle.id)
    assert cohort.holiday_region == "ENG"
    assert make_cohort(coordinator).holiday_region == "SCT"  # no venue: the organisation's


def test_a_venue_region_off_the_list_is_refused_and_nothing_saved(client, db, coordinator):
    log_in(client, coordinator)
    refused = client.post("/venues/new", data={"name": "Somewhere", "holiday_region": "XYZ"})
    assert refused.status_code in (200, 400)
    assert "Not a valid choice" in refused.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(Venue)) == 0


def test_editing_a_venue_keeps_and_clears_its_region(client, db, coordinator):
    venue = make_venue(coordinator.organisation, coordinator, name="Hub", holiday_region="SCT")
    db.commit()
    log_in(client, coordinator)
    form = client.get(f"/venues/{venue.id}/edit").get_data(as_text=True)
    assert '<option selected value="SCT">' in form or '<option value="SCT" selected>' in form
    client.post(f"/venues/{venue.id}/edit", data={"name": "Hub", "holiday_region": ""})
    db.refresh(venue)
    assert venue.holiday_region is None


def test_educators_cannot_change_a_venues_region(client, db, coordinator):
    venue = make_venue(coordinator.organisation, coordinator, name="Hub")
    educator = make_user(roles=(Role.EDUCATOR,), organisation=coordinator.organisation)
    db.commit()
    log_in(client, educator)
    assert client.post(f"/venues/{venue.id}/edit", data={"name": "Hub", "holiday_region": "SCT"}).status_code == 403
    db.refresh(venue)
    assert venue.holiday_region is None
