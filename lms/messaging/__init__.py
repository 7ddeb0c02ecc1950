"""Messages to people (an outbox with retries and pluggable transports) and the record of job runs."""
