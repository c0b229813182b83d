"""`system_recovery`: resume crashed runs, probe breakers that may close, and verify the store."""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import sqlite3
from typing import Any

from contexten.common.models import RunState
from contexten.daemon.flows.health_check import check_store, http_reachable
from contexten.daemon.platform.handle import DaemonHandle
from contexten.daemon.slices.resilience.breakers import BreakerRegistry
from contexten.daemon.slices.runs.flow import FlowSpec, NoParams, StepContext, StepSpec
from contexten.daemon.slices.runs.ports import RunControl


class StoreDamaged(Exception):
    pass


async def resume_crashed(ctx: StepContext) -> dict[str, Any]:
    control = ctx.use(RunControl)
    active = set(control.active_runs)
    crashed = [r for r in await ctx.use(RunControl).recent(1000) if r.state == RunState.CRASHED and r.id not in active]
    resumed, skipped = [], []
    for run in crashed:
        try:
            await control.resume_crashed(run.id)
            resumed.append(run.id)
        except Exception as exc:  # an unknown or no-longer-resumable flow: report, do not stop
            skipped.append({"run": run.id, "why": str(exc)})
    ctx.progress(1.0, f"resumed {len(resumed)}, skipped {len(skipped)}")
    return {"resumed": resumed, "skipped": skipped}


async def probe_breakers(ctx: StepContext) -> dict[str, Any]:
    config, now, report = ctx.config(), ctx.clock.now(), {}
    sections = {"github": config.github, "linear": config.linear}
    for info in ctx.use(BreakerRegistry).infos():
        section = sections.get(info.name)
        if info.state == "CLOSED":
            report[info.name] = "closed"
        elif info.reopen_at is not None and info.reopen_at > now:
            report[info.name] = f"open; may close in {info.reopen_at - now:.0f}s"
        elif section is None:
            report[info.name] = f"{info.state.lower()}; no probe known for this dependency"
        else:
            probe = functools.partial(http_reachable, info.name, str(section.api_url), section.timeout_seconds)
            try:
                await ctx.use(BreakerRegistry).get(info.name).call(probe)
                report[info.name] = f"probe ok; now {ctx.use(BreakerRegistry).get(info.name).state.lower()}"
            except Exception as exc:
                report[info.name] = (
                    f"probe failed ({type(exc).__name__}); now {ctx.use(BreakerRegistry).get(info.name).state.lower()}"
                )
    ctx.progress(1.0, ", ".join(f"{k}: {v}" for k, v in report.items()) or "no breakers in use")
    return report


def _seq_gaps(path: str) -> int:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT seq, kind FROM events ORDER BY seq").fetchall()
    finally:
        con.close()
    # A restore continues numbering above the old store; its marker event is not a gap.
    return sum(1 for (a, _), (b, kind) in itertools.pairwise(rows) if b != a + 1 and kind != "store.restored")


async def verify_store(ctx: StepContext) -> dict[str, Any]:
    path = str(ctx.use(DaemonHandle).database)
    result = await asyncio.to_thread(check_store, path)
    gaps = await asyncio.to_thread(_seq_gaps, path)
    if result["quick_check"] != "ok" or gaps:
        raise StoreDamaged(json.dumps({"quick_check": result["quick_check"], "seq_gaps": gaps}))
    ctx.progress(1.0, f"quick_check ok, {result['events']} events, no gaps")
    return {**result, "seq_gaps": gaps}


FLOW = FlowSpec(
    needs=(
        RunControl,
        BreakerRegistry,
        DaemonHandle,
    ),
    name="system_recovery",
    description="Resume crashed runs, probe circuit breakers that may close, verify the store.",
    params=NoParams,
    plan=lambda _p: [
        StepSpec("resume_crashed", resume_crashed),
        StepSpec("probe_breakers", probe_breakers),
        StepSpec("verify_store", verify_store),
    ],
    resumable=False,
    category="recovery",
)
