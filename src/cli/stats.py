"""`contexten stats [PROJECT] [--window 7d]`: how the work has gone: per flow and per project, runs,
success rate, p50/p95 durations, queue time and retries (with the change since the window before), the
slowest steps, failures by class, breakers' open time, and runs per day."""

from __future__ import annotations

import argparse

from contexten.cli.output import emit_json
from contexten.client.connection import DaemonClient
from contexten.common.ci_text import spark
from contexten.common.protocol.analytics import GetAnalytics, GroupLine, parse_window


def _s(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:.1f}s" if seconds < 120 else f"{seconds / 60:.1f}m"


def _rate(g: GroupLine) -> str:
    return f"{g.success_rate:.0%}" if g.success_rate is not None else "-"


async def stats(args: argparse.Namespace, client: DaemonClient) -> int:
    try:
        window = parse_window(args.window)
    except ValueError as exc:
        print(f"contexten stats: {exc}")
        return 2
    view = await client.call(GetAnalytics(project=args.project, window_seconds=window))
    if args.json:
        emit_json(view)
        return 0
    before = {g.key: g for g in view.previous}
    print(f"{'flow':<24} {'runs':>6} {'success':>8} {'was':>6} {'p50':>8} {'p95':>8} {'queue p95':>10} {'retried':>8}")
    for g in view.flows:
        was = before.get(g.key)
        print(f"{g.key[:24]:<24} {g.runs:>6} {_rate(g):>8} {_rate(was) if was else '-':>6} {_s(g.p50_seconds):>8} "
              f"{_s(g.p95_seconds):>8} {_s(g.queue_p95_seconds):>10} {g.retried:>8}")  # fmt: skip
    if not view.flows:
        print(f"no run in the last {args.window}")
    if len(view.projects) > 1 or (view.projects and view.projects[0].key):
        print(f"\n{'project':<24} {'runs':>6} {'success':>8} {'p95':>8}")
        for g in view.projects:
            print(f"{(g.key or '(none)')[:24]:<24} {g.runs:>6} {_rate(g):>8} {_s(g.p95_seconds):>8}")
    if view.steps:
        print("\nslowest steps (mean, max):")
        for st in view.steps:
            print(f"  {_s(st.mean_seconds):>8} {_s(st.max_seconds):>8}  {st.flow}.{st.step}  ×{st.runs}")
    if view.days:
        runs, failed = [d.runs for d in view.days], [d.failed for d in view.days]
        print(f"\nruns per day {spark([float(n) for n in runs])} (last {runs[-1]}); "
              f"failed {spark([float(n) for n in failed], max(max(runs), 1))} (last {failed[-1]})")  # fmt: skip
    if view.failures:
        print(
            "failures by class: " + ", ".join(f"{k} {v}" for k, v in sorted(view.failures.items(), key=lambda x: -x[1]))
        )
    if view.connector_errors:
        print("connector errors: " + ", ".join(f"{k} {v}" for k, v in sorted(view.connector_errors.items())))
    for b in view.budgets:
        used = 1 - b.remaining / b.limit if b.limit else 0.0
        print(f"budget {b.connector} {b.resource}: {b.remaining} of {b.limit} left ({used:.0%} used)")
    if view.event_backlog:
        print(f"events waiting for the store: {view.event_backlog}")
    if view.breaker_open_seconds:
        print("breakers open: " + ", ".join(f"{k} {_s(v)}" for k, v in view.breaker_open_seconds.items()))
    return 0
