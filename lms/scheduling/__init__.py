"""Venues, cohorts and the people in them (referrals, enrolments, waitlists), and their sessions."""
