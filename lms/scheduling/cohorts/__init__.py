"""Venues, cohorts and the people in them: referrals, enrolment, waitlists and drop-ins."""
