"""Demo data drawn from the programmes in shared/seeds: `lms demo` fills an empty database."""
