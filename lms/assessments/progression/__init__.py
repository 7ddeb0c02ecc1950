"""Progression: RARPA learning plans, ESOL levels, results, outcomes, placements, completion and certificates."""
