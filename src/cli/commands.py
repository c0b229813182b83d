"""One function per CLI command."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from contexten.cli.keyed import send_keyed
from contexten.cli.output import clock, emit_json, error, format_run
from contexten.cli.restore_wait import RESTORE_FLOW, wait_for_restore
from contexten.cli.spawn import ensure_daemon
from contexten.client.connection import DaemonClient
from contexten.client.feed import follow
from contexten.common.errors import CommandFailed, DaemonUnreachable
from contexten.common.event_filter import EventFilter
from contexten.common.event_kinds import EventKind
from contexten.common.models import Event, Run, RunState
from contexten.common.paths import Paths
from contexten.common.protocol import (
    AckAlert,
    CancelRun,
    EventsSince,
    GetRun,
    ListAlerts,
    ListFlows,
    PauseRun,
    Ping,
    PinProject,
    RecoveryTable,
    ResumeRun,
    RetryRun,
    StartRun,
    Status,
    StatusInfo,
    StopDaemon,
    UnpinProject,
)

STOP_TIMEOUT = 30.0


def daemon(paths: Paths) -> int:
    from contexten.daemon.app import run_daemon

    return run_daemon(paths)


def tui(paths: Paths) -> int:
    from contexten.tui.app import ContextenApp
    from contexten.tui.console_log import open_console_log

    app = ContextenApp(paths, remember=True)
    app.log_path = open_console_log(paths.state_dir)
    app.run()
    return app.return_code or 0  # 1: the terminal went away under it


async def dispatch(args: argparse.Namespace, paths: Paths) -> int:
    client = DaemonClient(paths)
    try:
        handler = _HANDLERS[args.command]
        return await handler(args, client)
    finally:
        await client.aclose()


async def _pin(args: argparse.Namespace, client: DaemonClient) -> int:
    target = args.target
    if os.path.exists(target):
        target = str(Path(target).resolve())
    # A key, so a pin sent again after a timeout (the client retries a `busy`) is the same pin.
    project = await client.call(PinProject(target=target, key=uuid.uuid4().hex))
    if args.json:
        emit_json(project)
    else:
        print(f"pinned {project.id} ({project.kind}: {project.location})")
    return 0


async def _unpin(args: argparse.Namespace, client: DaemonClient) -> int:
    project = await client.call(UnpinProject(id=args.id))
    if args.json:
        emit_json(project)
    else:
        print(f"unpinned {project.id}")
    return 0


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """KEY=VALUE pairs; a value that reads as JSON (3, true, null, [1]) is taken as that, else as text."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CommandFailed("invalid_params", f"--param {pair!r}: expected KEY=VALUE")
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params


async def _start(client: DaemonClient, request: StartRun) -> Run:
    return await send_keyed(client, request, request.key, "run")


async def _run(args: argparse.Namespace, client: DaemonClient) -> int:
    params = parse_params(args.param)
    request = StartRun(
        flow=args.flow, project=args.project, params=params, template=args.template, key=args.key or uuid.uuid4().hex
    )
    if not args.wait:
        run = await _start(client, request)
        if args.json:
            emit_json(run)
        else:
            print(run.id)
        return 0
    before = await client.call(Status())
    run = await _start(client, request)
    if not args.json:
        print(f"run {run.id} started: {run.flow}", flush=True)
    state: RunState | None = None
    names = {step.index: step.name for step in run.steps}
    try:
        async for event in follow(client, before.last_seq, run=run.id):
            if not args.json:
                _print_progress(event, names)
            if event.kind == EventKind.RUN_STATE and RunState(event.data["state"]).terminal:
                state = RunState(event.data["state"])
                break
    except DaemonUnreachable:
        if run.flow != RESTORE_FLOW:
            raise  # only a restore takes the daemon away on purpose
    if run.flow == RESTORE_FLOW and state in (None, RunState.COMPLETED):
        return await _restored(args, client, before, run)
    final = await client.call(GetRun(id=run.id))
    if args.json:
        emit_json(final)
    else:
        print(format_run(final))
    return 0 if final.state == RunState.COMPLETED else 1


async def _restored(args: argparse.Namespace, client: DaemonClient, before: StatusInfo, run: Run) -> int:
    if not args.json:
        print("  the daemon restarts to apply the restore", flush=True)
    restored = await wait_for_restore(client, before.last_seq, run.id, before.instance)
    if args.json:
        emit_json({"run": run.id, "flow": run.flow, "restored": bool(restored), **restored})
    elif restored:
        print(f"restored from {restored.get('backup', 'the staged backup')}; the previous store is kept at "
              f"{restored['kept']}")  # fmt: skip
    else:
        error("the daemon restarted without applying the restore (see its log)")
    return 0 if restored else 1


def _print_progress(event: Event, names: dict[int, str]) -> None:
    if event.kind == EventKind.STEP_STATE:
        detail = f"  {event.data.get('error')}" if event.data.get("error") else ""
        index = event.data["index"]
        print(f"  {names.get(index, f'step {index + 1}')}: {event.data['state']}{detail}", flush=True)
    elif event.kind == EventKind.RUN_STATE:
        print(f"  run: {event.data['state']}", flush=True)


async def _show(args: argparse.Namespace, client: DaemonClient) -> int:
    run = await client.call(GetRun(id=args.run))
    if args.json:
        emit_json(run)
    else:
        print(format_run(run))
    return 0


async def _control(args: argparse.Namespace, client: DaemonClient) -> int:
    """cancel / pause / resume / retry: one request each, then say what happened."""
    if args.command == "retry":
        run = await client.call(RetryRun(id=args.run))
        if args.json:
            emit_json(run)
        else:
            print(f"retrying run {run.id} (attempt {run.attempt})")
        return 0
    request = {"cancel": CancelRun, "pause": PauseRun, "resume": ResumeRun}[args.command](id=args.run)
    await client.call(request)
    word = {"cancel": "cancelling", "pause": "pausing", "resume": "resuming"}[args.command]
    if args.json:
        emit_json({"id": args.run, word: True})
    else:
        print(f"{word} run {args.run}")
    return 0


async def _flows(args: argparse.Namespace, client: DaemonClient) -> int:
    flows = await client.call(ListFlows())
    if args.json:
        emit_json(flows)
        return 0
    for flow in flows:
        print(f"{flow.name:<16} {flow.description}")
        for name, prop in flow.params_schema.get("properties", {}).items():
            print(f"    --param {name}=...  {prop.get('description', '')}")
        for template in flow.templates:
            print(f"    --template {template.name}  {template.description} {json.dumps(template.params)}")
    return 0


async def _recovery(args: argparse.Namespace, client: DaemonClient) -> int:
    rows = await client.call(RecoveryTable())
    if args.json:
        emit_json(rows)
        return 0
    print(f"{'failure class':<20} {'#':>2}  {'strategy':<15} {'tried':>6} {'worked':>7} {'rate':>6} {'escalated':>9}"
          f" {'n/a':>4}")  # fmt: skip
    for r in rows:
        rate = f"{r.success_rate * 100:.0f}%" if r.attempts - r.escalated - r.not_applicable else "-"
        print(f"{r.failure_class:<20} {r.rank:>2}  {r.strategy:<15} {r.attempts:>6} {r.successes:>7} {rate:>6}"
              f" {r.escalated:>9} {r.not_applicable:>4}")  # fmt: skip
    return 0


async def _alerts(args: argparse.Namespace, client: DaemonClient) -> int:
    if args.ack:
        done = await client.call(AckAlert(key=args.ack))
        if args.json:
            emit_json(done)
        else:
            print(f"acknowledged {done.key}: {done.message}")
        return 0
    alerts = await client.call(ListAlerts())
    if args.json:
        emit_json(alerts)
        return 0
    if not alerts:
        print("no active alerts")
    for a in alerts:
        where = " ".join(x for x in (a.project or "", f"run {a.run}" if a.run is not None else "") if x)
        print(f"{a.severity:<8} {clock(a.ts)}  {a.key}" + (f"  ({where})" if where else "")
              + (f"  x{a.count}" if a.count > 1 else ""))  # fmt: skip
        print(f"         {a.message}")
    return 0


def _print_event(event: Event, as_json: bool) -> None:
    if as_json:
        emit_json(event)
    else:
        where = f" run {event.run}" if event.run is not None else ""
        stamp = time.strftime("%H:%M:%S", time.localtime(event.ts))
        print(f"{event.seq:>8} {stamp} {event.kind:<16}{where} {json.dumps(event.data)}", flush=True)


async def _events(args: argparse.Namespace, client: DaemonClient) -> int:
    # --json prints one object per line: a stream, which `events` is, rather than one document.
    wanted = EventFilter.parse(args.filter)  # the console's `/` in the events view, the same words
    if args.follow:
        async for event in follow(client, args.since, run=args.run):
            if wanted.admits(event):
                _print_event(event, args.json)
        return 0
    last = args.since
    while True:
        page = await client.call(EventsSince(since=last, limit=5000, run=args.run))
        for event in page.events:
            if wanted.admits(event):
                _print_event(event, args.json)
        if len(page.events) < 5000:
            return 0
        last = page.events[-1].seq


async def _stop(args: argparse.Namespace, client: DaemonClient) -> int:
    from contexten.daemon.platform.lock import lock_holder

    info = await client.call(Ping())
    await client.call(StopDaemon())
    deadline = time.monotonic() + STOP_TIMEOUT
    while lock_holder(client.paths.lock_file) is not None:
        if time.monotonic() > deadline:
            raise DaemonUnreachable(f"the daemon (pid {info.pid}) did not stop within {STOP_TIMEOUT:.0f}s")
        await asyncio.sleep(0.05)
    if args.json:
        emit_json({"stopped": True, "pid": info.pid})
    else:
        print(f"stopped (pid {info.pid})")
    return 0


async def up(args: argparse.Namespace, paths: Paths) -> bool:
    """Start the daemon if needed and give a newcomer something to look at; True to open the console."""
    info, started = await ensure_daemon(paths)
    client = DaemonClient(paths)
    try:
        return await _welcome(args, client, info, started)
    finally:
        await client.aclose()


async def _welcome(args: argparse.Namespace, client: DaemonClient, info: Any, started: bool) -> bool:
    pinned = None
    first_run = None
    if not (await client.call(Status())).projects:
        cwd = Path.cwd()
        try:
            pinned = await client.call(PinProject(target=str(cwd)))
        except CommandFailed:
            pinned = None  # not a git repository: nothing to pin for the newcomer
        if pinned is not None:
            first_run = await client.call(StartRun(flow="health_check", project=pinned.id))
    if args.json:
        emit_json({"daemon": info, "started": started, "pinned": pinned, "run": first_run})
        return False
    return True


Handler = Callable[[argparse.Namespace, DaemonClient], Awaitable[int]]


def _elsewhere(module: str, name: str) -> Handler:
    """A handler in another CLI module, imported when its command runs (each brings its own models)."""

    async def handler(args: argparse.Namespace, client: DaemonClient) -> int:
        found: Handler = getattr(importlib.import_module(f"contexten.cli.{module}"), name)
        return await found(args, client)

    return handler


_HANDLERS: dict[str, Handler] = {
    "start": _elsewhere("start_flow", "start"),
    "work": _elsewhere("start_flow", "work"),
    "analysis": _elsewhere("analyze", "show"),
    "issues": _elsewhere("work", "issues"),
    "prs": _elsewhere("work", "pull_requests"),
    "sync-log": _elsewhere("work", "sync_log"),
    "issue": _elsewhere("work", "issue"),
    "notify": _elsewhere("notify", "notify"),
    "ci": _elsewhere("ci", "ci"),
    "security": _elsewhere("security", "findings"),
    "stats": _elsewhere("stats", "stats"),
    "ack": _elsewhere("notify", "ack_or_resolve"),
    "resolve": _elsewhere("notify", "ack_or_resolve"),
    "propose": _elsewhere("work", "propose"),
    "pin": _pin,
    "unpin": _unpin,
    "run": _run,
    "show": _show,
    "cancel": _control,
    "pause": _control,
    "resume": _control,
    "retry": _control,
    "flows": _flows,
    "recovery": _recovery,
    "alerts": _alerts,
    "events": _events,
    "stop": _stop,
}
