"""Scheduled work: the scheduler process, job runs, retention and the coordinator digest."""
