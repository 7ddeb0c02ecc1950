"""Timetable rules, sessions, closures, clashes and the educators who teach them."""
