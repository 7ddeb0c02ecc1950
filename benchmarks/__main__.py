"""The benchmarks. One command measures a tier and rewrites its block of results in docs/benchmarks.md:

    python -m benchmarks report --tier M --database sqlite
    python -m benchmarks report --tier L --database-url postgresql://postgres@127.0.0.1:5432/lms_bench_l

`report` uses the database named (a new SQLite file under /tmp/bench-*/ for `--database sqlite`): an
empty one is migrated and filled with the tier's data (streamed, bounded memory, ANALYZEd); one that
already holds the tier (from an earlier run or `lms bench-data`) is used as it is. It then starts
gunicorn (2 workers, 127.0.0.1), times every page over HTTP, steps the realistic mix with locust until
the knee, and writes the table. `generate` only fills the database; `scheduling` times term generation.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
DEFAULT_STEPS = "10,20,40,60,80,100,140,180,240"


def _url(args: argparse.Namespace, work: Path) -> str:
    if args.database_url:
        url = args.database_url
    elif args.database == "sqlite":
        url = "sqlite:///" + str(work / "bench.sqlite3")
    else:
        raise SystemExit("--database postgresql needs --database-url postgresql://.../lms_bench_...")
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _app(url: str):  # noqa: ANN202
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "benchmarks")
    from benchmarks.server import create

    return create({"SQLALCHEMY_DATABASE_URI": url})


def _load_data(app, tier: str, seed: int, say) -> tuple:  # noqa: ANN001
    from flask_migrate import upgrade

    from benchmarks import data

    with app.app_context():
        upgrade()
        found = data.find(tier, seed)
        if found is not None:
            say(f"tier {tier} already in the database: {found.counts}")
            return found, None
        say(f"generating tier {tier} (seed {seed}) ...")
        generated = data.generate(tier, seed, progress=True)
        rates = ", ".join(f"{name} {rate:,.0f}/s" for name, rate in generated.rates.items())
        say(f"generated {generated.counts} in {generated.seconds:.1f} s, peak RSS {generated.peak_rss_mib:.0f} MiB")
        say(f"  rows per second: {rates}")
        return generated, generated


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _gunicorn(url: str, port: int, static_dir: Path, work: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "BENCH_STATIC_DIR": str(static_dir), "SECRET_KEY": "benchmarks"}
    server = subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "900",
            "--log-level",
            "warning",
            "benchmarks.server:create()",
        ],
        cwd=ROOT,
        env=env,
        stderr=open(work / "gunicorn.log", "w"),  # noqa: SIM115
    )
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"gunicorn did not start: see {work / 'gunicorn.log'}")


def machine(app) -> dict:  # noqa: ANN001
    from lms.extensions import db

    with open("/proc/meminfo") as meminfo:
        total_kib = int(meminfo.readline().split()[1])
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            database = "PostgreSQL " + db.session.scalar(sa.text("SHOW server_version")).split()[0]
        else:
            database = f"SQLite {sqlite3.sqlite_version} (WAL)"
    return {
        "cores": os.cpu_count(),
        "ram": f"{total_kib / 1_048_576:.0f} GiB",
        "python": platform.python_version(),
        "database": database,
        "load": " ".join(f"{v:.2f}" for v in os.getloadavg()),
    }


def report(args: argparse.Namespace) -> None:
    from benchmarks import load, pages, results

    work = Path(tempfile.mkdtemp(prefix=f"bench-{args.tier.lower()}-", dir="/tmp"))
    url = _url(args, work)
    database = "postgresql" if url.startswith("postgresql") else "sqlite"
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)

    app = _app(url)
    data, generated = _load_data(app, args.tier, args.seed, say)
    setup = pages.prepare(app, data)
    the_plan = load.plan(app, data) if args.steps else None
    info = machine(app)
    say(f"machine: {info}; work folder {work}")
    static_dir = work / "static"
    static_dir.mkdir()
    port = _free_port()
    server = _gunicorn(url, port, static_dir, work)
    try:
        bench = pages.Bench(app, port, setup, static_dir, args.samples, args.budget)
        rows = pages.run(bench, data, say)
        steps = []
        if the_plan is not None:
            step_list = [int(n) for n in args.steps.split(",")]
            say(f"load: {step_list} users, {args.step_seconds:g} s a step ...")
            steps = load.run(the_plan, port, server.pid, work, step_list, args.step_seconds, args.settle)
            for step in steps:
                say(results.step_line(step))
    finally:
        server.terminate()
        server.wait(timeout=30)
    block = results.block(
        args.tier,
        database,
        datetime.now(UTC),
        info,
        data,
        generated,
        rows,
        steps,
        load.knee(steps) if steps else None,
        {"samples": args.samples, "step_seconds": args.step_seconds, "settle": args.settle},
    )
    lines.append(block)
    if args.write:
        results.write(DOCS, args.tier, database, block)
        say(f"wrote the tier {args.tier} / {database} block of {DOCS.relative_to(ROOT)}")
    print(block)


def generate(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"bench-{args.tier.lower()}-", dir="/tmp"))
    url = _url(args, work)
    print(f"database: {url}")
    _load_data(_app(url), args.tier, args.seed, print)


def scheduling(args: argparse.Namespace) -> None:
    from flask_migrate import upgrade

    from benchmarks import scheduling as term

    work = Path(tempfile.mkdtemp(prefix="bench-scheduling-", dir="/tmp"))
    app = _app(_url(args, work))
    with app.app_context():
        upgrade()
        for line in term.run(repeat=args.samples):
            print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, run in (("report", report), ("generate", generate), ("scheduling", scheduling)):
        command = commands.add_parser(name)
        command.set_defaults(run=run)
        command.add_argument("--tier", default="S", choices=["S", "M", "L"])
        command.add_argument("--seed", type=int, default=1)
        command.add_argument("--database", default="sqlite", choices=["sqlite", "postgresql"])
        command.add_argument("--database-url", default=os.environ.get("LMS_BENCH_DATABASE_URL"))
        command.add_argument("--samples", type=int, default=40, help="timed samples per page (after warm-up)")
    report_command = commands.choices["report"]
    report_command.add_argument(
        "--budget", type=float, default=300, help="seconds per page before stopping early (at least 10 samples)"
    )
    report_command.add_argument("--steps", default=DEFAULT_STEPS, help="users per load step; empty: no load test")
    report_command.add_argument("--step-seconds", type=float, default=30)
    report_command.add_argument("--settle", type=float, default=5, help="seconds of each step not counted")
    report_command.add_argument("--no-write", dest="write", action="store_false", help="print, do not edit the docs")
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
