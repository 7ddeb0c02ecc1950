"""Run the benchmarks: `python -m benchmarks [--database-url URL] [--repeat N]`.

Each run builds its own database (a new SQLite file, or the empty PostgreSQL database you name),
fills it in bulk, measures, and prints p50/p95/p99 and query counts.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile

from flask_migrate import upgrade

from lms import create_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("LMS_BENCH_DATABASE_URL"))
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    url = args.database_url or "sqlite:///" + os.path.join(tempfile.mkdtemp(), "bench.sqlite3")
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmarks", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}
    )
    with app.app_context():
        upgrade()
        from benchmarks import scheduling

        print(f"Pathways benchmarks on {url.split('://')[0]}, Python {platform.python_version()}, {platform.machine()}")
        for line in scheduling.run(repeat=args.repeat):
            print(line)


if __name__ == "__main__":
    main()
