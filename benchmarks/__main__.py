"""Run the benchmarks: `python -m benchmarks [--tier S|M] [--database-url URL] [--repeat N]`.

Each run builds its own database (a new SQLite file, or the empty PostgreSQL database you name),
fills it with the tier's data in bulk, measures, and prints p50/p95/p99 and query counts.
"""

from __future__ import annotations

import argparse
import contextvars
import os
import platform
import tempfile
import time

from flask.testing import FlaskClient
from flask_migrate import upgrade

from lms import create_app


class FreshContextClient(FlaskClient):
    """Each request in its own context, as under a real server (the benchmark holds an app context)."""

    def open(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        from lms.extensions import db

        db.session.commit()
        context = contextvars.Context()
        response = context.run(super().open, *args, **kwargs)
        if response.is_streamed:  # read a streamed body in the request's own context
            iterator = iter(response.response)
            response.response = iter(lambda: context.run(next, iterator, None), None)
        return response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("LMS_BENCH_DATABASE_URL"))
    parser.add_argument("--tier", default="S", choices=["S", "M", "L"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    url = args.database_url or "sqlite:///" + os.path.join(tempfile.mkdtemp(), "bench.sqlite3")
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "benchmarks",
            "SERVER_NAME": "bench.local",
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "ATTENDANCE_EDIT_HOURS": 24 * 365,
        }
    )
    app.test_client_class = FreshContextClient
    with app.app_context():
        upgrade()
        from benchmarks import data, scheduling, suite

        print(
            f"Pathways benchmarks on {url.split('://')[0]}, tier {args.tier}, Python {platform.python_version()}, "
            f"{platform.machine()}, {os.cpu_count()} cores"
        )
        started = time.perf_counter()
        generated = data.generate(args.tier, args.seed)
        print(f"generated {generated.counts} in {time.perf_counter() - started:.1f} s")
        for line in suite.run(app, generated, args.repeat):
            print(line)
        for line in scheduling.run(repeat=args.repeat):
            print(line)


if __name__ == "__main__":
    main()
