"""People: organisations, users and roles, logins, learners, educators and sensitive data."""
