"""What learners achieve: ESOL levels, course completions, certificates (attendance and RARPA to come)."""
