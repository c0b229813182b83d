"""`contexten ci PROJECT`: recent CI runs, the newest (or `--run`) down to its jobs and steps, the failing
job's log tail, and the test trend."""

from __future__ import annotations

import argparse

from contexten.cli.output import clock, emit_json
from contexten.client.connection import DaemonClient
from contexten.common.ci_text import duration, spark, state_of
from contexten.common.protocol.ci import GetPipeline


async def pipeline(project: str, args: argparse.Namespace, client: DaemonClient) -> int:
    view = await client.call(GetPipeline(project=project, run=args.run, log_lines=args.log_lines))
    if args.json:
        emit_json(view)
        return 0
    if view.unavailable:
        print(f"{project}: CI cannot be read: {view.unavailable}")
    for r in view.runs[: args.limit]:
        mark = ">" if view.run is not None and r.id == view.run.id else " "
        print(f"{mark} {r.id:<12} {state_of(r.status, r.conclusion):<10} {r.head_branch[:24]:<24} "
              f"{r.head_sha[:10]:<10} {clock(r.updated_at) if r.updated_at else '-':<8} {r.name}")  # fmt: skip
    if view.run is not None:
        print(f"\nrun {view.run.id} ({view.run.name}) {view.run.url}".rstrip())
        for job in view.jobs:
            took = duration(job.started_at, job.completed_at)
            print(f"  {state_of(job.status, job.conclusion):<10} {took:>7}  {job.name}")
            for s in job.steps:
                print(f"    {state_of(s.status, s.conclusion):<10} {duration(s.started_at, s.completed_at):>7}  "
                      f"{s.number:>2}. {s.name}")  # fmt: skip
    if view.failing_job:
        where = f"{view.failing_job}" + (f" / {view.failing_step}" if view.failing_step else "")
        print(f"\nlog of {where} (last {len(view.log)} lines):")
        for line in view.log:
            print(f"  {line}")
    if view.tests:
        rates = [1 - t.failed / t.total if t.total else 1.0 for t in view.tests]
        seconds = [t.seconds for t in view.tests]
        print(f"\ntests over {len(view.tests)} runs: pass rate {spark(rates, 1.0)} {rates[-1]:.0%} now; "
              f"duration {spark(seconds)} {seconds[-1]:.1f}s now")  # fmt: skip
    elif not view.runs:
        print(f"{project}: no CI run and no recorded test run yet")
    return 0
