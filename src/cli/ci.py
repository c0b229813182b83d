"""`contexten ci`: a project's CI as contexten knows it.

- `ci PROJECT`: the newest CI runs, one of them (`--run`) down to its jobs and steps with states and
  durations, the failing step's log tail, and the test trend (pass rate and duration per recorded run);
- `ci failures [PROJECT]`: the distinct failures failure_analysis classified;
- `ci tests PROJECT`: per test over the recorded runs (test_optimization): outcomes, flips, durations.
"""

from __future__ import annotations

import argparse

from contexten.cli.output import clock, emit_json
from contexten.client.connection import DaemonClient
from contexten.common.protocol.ci import ListCiFailures, ListTestStats


async def ci(args: argparse.Namespace, client: DaemonClient) -> int:
    if args.what == "failures":
        return await failures(args, client)
    if args.what == "tests":
        return await tests(args, client)
    from contexten.cli.pipeline import pipeline

    if args.project is not None:
        print(f"contexten ci: unknown verb {args.what!r} (ci PROJECT, ci failures [PROJECT], ci tests PROJECT)")
        return 2
    return await pipeline(args.what, args, client)


async def failures(args: argparse.Namespace, client: DaemonClient) -> int:
    rows = await client.call(ListCiFailures(project=args.project, limit=args.limit))
    if args.json:
        emit_json(rows)
        return 0
    if not rows:
        print("no CI failure classified yet (the failure_analysis flow does it)")
    for r in rows:
        where = f"{r.issue}" if r.issue else ("flaky" if r.flaky else "-")
        print(f"{r.project:<12} {r.signature}  {r.kind:<14} ×{r.seen:<3} {clock(r.last_seen)}  {where:<10} {r.title}")
    return 0


async def tests(args: argparse.Namespace, client: DaemonClient) -> int:
    if args.project is None:
        print("contexten ci tests: name the project")
        return 2
    rows = await client.call(ListTestStats(project=args.project, runs=max(args.limit, 1)))
    if args.json:
        emit_json(rows)
        return 0
    if not rows:
        print(f"no test run recorded for {args.project} (the test_optimization flow records them)")
    for r in sorted(rows, key=lambda r: -r.mean_seconds):
        marks = f"flaky×{r.flaky_reruns}" if r.flaky_reruns else f"{r.flips} flips" if r.flips else ""
        print(f"{r.mean_seconds:8.3f}s  {r.outcomes[-20:]:>20}  {marks:<9} {r.test}")
    return 0
