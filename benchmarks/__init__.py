"""Benchmarks: realistic data in bulk, then timings of what users wait for. Run `python -m benchmarks`."""
