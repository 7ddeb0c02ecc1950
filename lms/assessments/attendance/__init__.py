"""Attendance: registers, notices of absence, self check-in, paper registers, alerts and rates."""
