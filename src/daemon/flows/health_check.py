"""`health_check`: system metrics, store integrity, event-bus lag, and reachability of what is configured.

Each step reports progress; metrics over the configured thresholds raise `alert` events; the verdict
becomes the project's health badge (ok / warning / failing).
"""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
import statistics
import time
import uuid
from typing import Any

import httpx
import zmq
import zmq.asyncio

from contexten.common.event_kinds import EventKind
from contexten.common.models import Event, RunState
from contexten.common.protocol import EVENT_TOPIC
from contexten.daemon.platform.failures import Failure, FailureClass
from contexten.daemon.platform.git import git
from contexten.daemon.platform.handle import DaemonHandle
from contexten.daemon.platform.projects import set_project_health
from contexten.daemon.slices.health.sampler import over_thresholds, sample_system
from contexten.daemon.slices.resilience.breakers import BreakerRegistry
from contexten.daemon.slices.runs.flow import FinishContext, FlowSpec, NoParams, StepContext, StepSpec

PROBES = 5
PROBE_TIMEOUT_SECONDS = 5.0


class HealthCheckFailed(Failure):
    """A probe found something wrong; its class says whether waiting and retrying can help."""


class Unreachable(HealthCheckFailed):
    def __init__(self, message: str) -> None:
        super().__init__(message, FailureClass.TRANSIENT_NETWORK)  # counts against the dependency's breaker


async def system_metrics(ctx: StepContext) -> dict[str, Any]:
    ctx.progress(0.1, "sampling CPU for 0.5 s")
    sample = await asyncio.to_thread(
        sample_system, ctx.clock.now(), ctx.use(DaemonHandle).database.parent, cpu_interval=0.5
    )
    ctx.emit(EventKind.HEALTH_METRICS, sample.model_dump())
    alerts = over_thresholds(sample, ctx.config().health)
    for alert in alerts:
        ctx.emit(EventKind.ALERT, {**alert, "source": "health_check", "resolved": False})
    ctx.progress(1.0, f"cpu {sample.cpu:.0f}%  mem {sample.memory:.0f}%  disk {sample.disk:.0f}%")
    return {**sample.model_dump(), "alerts": len(alerts)}


def check_store(path: str) -> dict[str, Any]:
    # A separate read-only connection: the check must not stall the writer's connection.
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        verdict = [r[0] for r in con.execute("PRAGMA quick_check")]
        events = con.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        runs = con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    finally:
        con.close()
    wal = path + "-wal"
    return {
        "quick_check": "ok" if verdict == ["ok"] else "; ".join(map(str, verdict[:5])),
        "size_bytes": os.path.getsize(path),
        "wal_bytes": os.path.getsize(wal) if os.path.exists(wal) else 0,
        "events": events,
        "runs": runs,
    }


async def store_integrity(ctx: StepContext) -> dict[str, Any]:
    ctx.progress(0.2, "PRAGMA quick_check")
    result = await asyncio.to_thread(check_store, str(ctx.use(DaemonHandle).database))
    if result["quick_check"] != "ok":
        raise HealthCheckFailed(f"store integrity check failed: {result['quick_check']}", FailureClass.INTERNAL_BUG)
    ctx.progress(1.0, f"ok, {result['size_bytes'] / 1e6:.1f} MB, {result['events']} events")
    return result


async def bus_lag(ctx: StepContext) -> dict[str, Any]:
    """Time from emitting an event to receiving it on a real subscriber: store, publish and delivery."""
    zctx = zmq.asyncio.Context.instance()
    sub = zctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, EVENT_TOPIC)
    sub.connect(ctx.use(DaemonHandle).events_endpoint)
    try:
        nonce = uuid.uuid4().hex
        latencies: list[float] = []
        deadline = time.monotonic() + PROBE_TIMEOUT_SECONDS
        # Until the subscription has reached the publisher, probes are dropped (ZeroMQ's slow joiner);
        # keep probing until PROBES of them arrive.
        sent: dict[int, float] = {}
        while len(latencies) < PROBES:
            if time.monotonic() > deadline:
                raise HealthCheckFailed(
                    f"only {len(latencies)} of {PROBES} probe events arrived within 5 s", FailureClass.TIMEOUT
                )
            sent[len(sent)] = time.monotonic()
            ctx.emit(EventKind.HEALTH_PROBE, {"nonce": nonce, "probe": len(sent) - 1})
            while True:
                if not await sub.poll(timeout=100):
                    break
                _, payload = await sub.recv_multipart()
                event = Event.model_validate_json(payload)
                if event.kind == EventKind.HEALTH_PROBE and event.data.get("nonce") == nonce:
                    latencies.append((time.monotonic() - sent[event.data["probe"]]) * 1000)
                    ctx.progress(len(latencies) / PROBES, f"{len(latencies)}/{PROBES} probes")
                    break
    finally:
        sub.close()
    p50, worst = statistics.median(latencies), max(latencies)
    limit = ctx.config().health.bus_lag_alert_ms
    if worst > limit:
        ctx.emit(
            EventKind.ALERT,
            {"metric": "bus_lag", "value": worst, "threshold": limit, "source": "health_check",
             "message": f"event bus lag {worst:.1f} ms (limit {limit:.0f} ms)", "resolved": False},
        )  # fmt: skip
    ctx.progress(1.0, f"p50 {p50:.2f} ms, max {worst:.2f} ms")
    return {"p50_ms": p50, "max_ms": worst, "backlog": ctx.use(DaemonHandle).backlog()}


async def http_reachable(name: str, url: str, timeout: float) -> dict[str, Any]:
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            response = await client.get(url)
    except httpx.HTTPError as exc:
        # Only the exception class: messages can echo request details we do not want in events.
        raise Unreachable(f"{name} at {url} is unreachable ({type(exc).__name__})") from None
    return {"url": url, "status": response.status_code, "ms": round((time.monotonic() - started) * 1000, 1)}


async def connectors(ctx: StepContext) -> dict[str, Any]:
    config = ctx.config()
    checks: dict[str, Any] = {}
    project = ctx.project
    if project is not None and project.kind == "local":
        ctx.progress(0.1, f"git repository {project.location}")
        if not os.path.isdir(project.location):
            raise HealthCheckFailed(f"project folder {project.location} no longer exists", FailureClass.NOT_FOUND)
        head = await git(project.location, "rev-parse", "--verify", "--quiet", "HEAD")
        status = await git(project.location, "status", "--porcelain")
        if head.code not in (0, 1) or not status.ok:
            raise HealthCheckFailed(
                f"git cannot read {project.location}: {head.err or status.err}", FailureClass.VALIDATION
            )
        checks["git"] = {"head": head.out if head.ok else None, "changed_files": len(status.out.splitlines())}
    for name, section in (("github", config.github), ("linear", config.linear)):
        if section is not None:
            ctx.progress(0.5, f"{name} at {section.api_url}")
            probe = functools.partial(http_reachable, name, str(section.api_url), section.timeout_seconds)
            # Through the dependency's breaker: a service that is down is not probed again until it may be up.
            checks[name] = await ctx.use(BreakerRegistry).get(name).call(probe)
    ctx.progress(1.0, ", ".join(sorted(checks)) or "no connectors configured")
    return checks


async def record_verdict(fin: FinishContext) -> None:
    if fin.project is None or fin.state == RunState.CANCELLED:
        return
    alerts = fin.results.get("system_metrics", {}).get("alerts", 0)
    health = "failing" if fin.state != RunState.COMPLETED else ("warning" if alerts else "ok")
    await fin.commit(
        EventKind.PROJECT_HEALTH,
        {"health": health, "run": fin.run.id},
        writes=[set_project_health(fin.project.id, health)],
    )


FLOW = FlowSpec(
    needs=(
        BreakerRegistry,
        DaemonHandle,
    ),
    name="health_check",
    description="System metrics, store integrity, event-bus lag and connector reachability, with alerts.",
    params=NoParams,
    plan=lambda _params: [
        StepSpec("system_metrics", system_metrics),
        StepSpec("store_integrity", store_integrity),
        StepSpec("bus_lag", bus_lag),
        StepSpec("connectors", connectors),
    ],
    on_finish=record_verdict,
    resumable=False,  # a health check interrupted by a crash is stale; the next one starts fresh
    category="health",
)
