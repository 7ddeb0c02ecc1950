"""The results table: a marked block per tier and database in docs/benchmarks.md, rewritten by each run."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from benchmarks.data import Generated
from benchmarks.load import P95_LIMIT_MS, Step
from benchmarks.pages import Result

CAPACITY_TARGET = 100


def step_line(step: Step) -> str:
    return (
        f"{step.users:4} users  {step.rps:6.1f} req/s  p50 {step.p50:7.1f}  p95 {step.p95:7.1f}  p99 {step.p99:7.1f} ms"
        f"  {step.requests:6} requests  {step.failures} failed  {step.cpu_ms_per_request:5.1f} ms worker CPU/request"
        f"  locust {100 * step.locust_cpu_share:3.0f}% of a core  machine {100 * step.machine_busy:3.0f}% busy"
    )


def peak_line(steps: list[Step]) -> str:
    peak = max(steps, key=lambda step: step.rps)
    return (
        f"Most answered: {peak.rps:.1f} req/s at {peak.users} users, at p95 {_ms(peak.p95)} ms "
        f"({peak.cpu_ms_per_request:.1f} ms of worker CPU per request)."
    )


def _ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _met(met: bool | None) -> str:
    return "" if met is None else ("yes" if met else "**no**")


def block(
    tier: str,
    database: str,
    when: datetime,
    info: dict,
    data: Generated,
    generated: Generated | None,
    rows: list[Result],
    steps: list[Step],
    knee: Step | None,
    settings: dict,
) -> str:
    counts = data.counts
    out = [
        f"<!-- bench:{tier}:{database} -->",
        f"### Tier {tier}, {info['database']}",
        "",
        f"Measured {when:%d %B %Y %H:%M} UTC: {info['cores']} cores (shared with other work; load average "
        f"{info['load']} at the start), {info['ram']} RAM, Python {info['python']}, {info['database']}; gunicorn, "
        f"2 sync workers on 127.0.0.1. Data: {counts['learners']:,} learners, {counts['cohorts']:,} cohorts, "
        f"{counts['sessions']:,} sessions, {counts['marks']:,} attendance marks.",
    ]
    if generated is not None:
        out.append(
            f"Generated in this run in {generated.seconds:.0f} s with a peak RSS of {generated.peak_rss_mib:.0f} MiB "
            f"(marks at {generated.rates.get('attendance_mark', 0):,.0f} rows/s)."
        )
    out += [
        f"Each page: {settings['samples']} timed samples over HTTP after 3 warm-up requests (n says how many when "
        "a slow page ran out of its time budget); floors timed interleaved with their pair.",
        "",
        "| page | n | p50 | p95 | p99 | statements | target (issue #18) | met? |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        f = row.figures
        name = row.name.strip() if not row.name.startswith("  ") else "↳ " + row.name.strip()
        target = row.target + (f" ({row.note})" if row.note else "")
        statements = "" if row.statements is None else str(row.statements)
        out.append(
            f"| {name} | {len(row.samples)} | {_ms(f['p50'])} ms | {_ms(f['p95'])} ms | {_ms(f['p99'])} ms "
            f"| {statements} | {target} | {_met(row.met)} |"
        )
    if steps:
        out += [
            "",
            f"Load: the realistic mix stepped up, {settings['step_seconds']:g} s a step, the first "
            f"{settings['settle']:g} s of each not counted. CPU per request is the two workers' CPU time "
            "(from /proc) over the requests answered; locust runs on the same 2 cores.",
            "",
            "| users | req/s | p50 | p95 | p99 | failed | worker CPU / request | locust CPU | machine busy |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for step in steps:
            out.append(
                f"| {step.users} | {step.rps:.1f} | {_ms(step.p50)} ms | {_ms(step.p95)} ms | {_ms(step.p99)} ms "
                f"| {step.failures} | {step.cpu_ms_per_request:.1f} ms | {100 * step.locust_cpu_share:.0f}% "
                f"| {100 * step.machine_busy:.0f}% |"
            )
        if knee is None:
            out += ["", f"Knee: none; p95 was over {P95_LIMIT_MS} ms from the first step. Capacity target: **no**."]
        else:
            met = "yes" if knee.rps >= CAPACITY_TARGET else "**no**"
            if knee is steps[-1]:
                met += " (not yet at the knee: more users were not offered, so capacity is at least this)"
            out += [
                "",
                f"Knee: {knee.users} users, **{knee.rps:.1f} req/s** at p95 {_ms(knee.p95)} ms "
                f"({knee.cpu_ms_per_request:.1f} ms of worker CPU per request). "
                f"Target ≥ {CAPACITY_TARGET} req/s at p95 ≤ {P95_LIMIT_MS} ms: {met}.",
            ]
    if steps:
        out.append(peak_line(steps))
    out.append(f"<!-- /bench:{tier}:{database} -->")
    return "\n".join(out)


def write(path: Path, tier: str, database: str, text: str) -> None:
    """Replace the tier's block, or add it at the end of the results section (the end of the file)."""
    current = path.read_text()
    pattern = re.compile(rf"<!-- bench:{tier}:{database} -->.*?<!-- /bench:{tier}:{database} -->", re.DOTALL)
    if pattern.search(current):
        updated = pattern.sub(lambda _m: text, current)
    else:
        marker = "<!-- bench:results-end -->"
        if marker in current:
            updated = current.replace(marker, text + "\n\n" + marker)
        else:
            updated = current.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(updated)
