"""The cohort list comes in pages of 50, in the same statements however many cohorts there are."""

from __future__ import annotations

from datetime import date

from tests.conftest import log_in
from tests.factories import make_cohort, make_course, make_user


def test_the_cohort_list_is_paged_and_its_cost_does_not_grow(client, db, count_queries):
    coordinator = make_user()
    course = make_course(coordinator.organisation, coordinator)
    for n in range(3):
        make_cohort(coordinator, course=course, name=f"Cohort {n:03d}", start_date=date(2026, 1, 1 + n))
    db.commit()
    log_in(client, coordinator)
    with count_queries() as few:
        page = client.get("/cohorts").get_data(as_text=True)
    assert page.count('href="/cohorts/') >= 3 and "Next" not in page

    for n in range(3, 55):
        make_cohort(coordinator, course=course, name=f"Cohort {n:03d}", start_date=date(2026, 1, 1))
    db.commit()
    with count_queries() as many:
        first = client.get("/cohorts").get_data(as_text=True)
    assert first.count("<tr>") == 1 + 50 and "page=2" in first
    assert len(many.statements) == len(few.statements)
    second = client.get("/cohorts?page=2").get_data(as_text=True)
    assert second.count("<tr>") == 1 + 5 and "Previous" in second and "page=3" not in second
    assert client.get("/cohorts?page=banana").status_code == 200  # read as the first page
