"""`contexten start` (requirements in, a Start Flow out) and `contexten work` (a flow's tree, followed live,
and a person's orders: pause, resume, cancel, retry, done)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from typing import Any

from contexten.cli.keyed import send_keyed
from contexten.cli.output import emit_json
from contexten.client.connection import DaemonClient
from contexten.client.feed import follow
from contexten.common.errors import CommandFailed, DaemonUnreachable
from contexten.common.event_kinds import EventKind
from contexten.common.models import Event
from contexten.common.protocol import Status
from contexten.common.protocol.delivery import ControlWork, GetAgentLog, GetWork, ListWork, PlanWork, StartWork
from contexten.common.requirements_file import read_requirements_file
from contexten.common.start_flow import FlowState, ItemState, Plan, WorkFlow, WorkItem, plan_items

# How long --wait keeps trying to reach a daemon that went away (a restart, an upgrade) before giving up.
REACH_AGAIN_SECONDS = 120.0
MARKS = {True: "✓", False: "✗"}


def read_requirements(source: str) -> str:
    return sys.stdin.read() if source == "-" else read_requirements_file(source)


def format_plan(plan: Plan) -> str:
    lines = [f"{plan.title}  (planner: {plan.planner})"]
    for item in plan_items(plan):
        blocked = "".join(f"  (after #{b})" for b in item.blocked_by)
        lines.append(f"  #{item.id:<3} {item.kind.value:<15} {item.title}{blocked}")
        lines += [f"       accept: {accept}" for accept in item.accept]
        if item.paths:
            lines.append(f"       paths: {', '.join(item.paths)}")
    lines += [f"  note: {note}" for note in plan.notes]
    return "\n".join(lines)


def _elapsed(item: WorkItem, now: float) -> str:
    seconds = item.elapsed(now)
    if seconds is None:
        return "-"
    return f"{seconds:.0f}s" if seconds < 120 else f"{seconds / 60:.0f}m"


def format_work(flow: WorkFlow, now: float | None = None) -> str:
    now = now if now is not None else time.time()
    paused = " paused" if flow.paused else ""
    lines = [f"flow {flow.id} [{flow.state.value}{paused}] {flow.title}  project {flow.project}  agent {flow.agent}  "
             f"main issue {flow.main_issue or '-'}"]  # fmt: skip
    for item in flow.items:
        issue = item.current_issue
        pr = f"  PR #{item.pull_request}" if item.pull_request else ""
        paused_item = " (paused)" if item.paused else ""
        lines.append(
            f"  {item.id:<3} {issue or '-':<10} {item.kind.value:<14} {item.state.value:<13}{paused_item} "
            f"{item.attempt}/{item.max_attempts}  {_elapsed(item, now):>5}  {item.branch or '-'}{pr}"
        )
        if item.gates:
            lines.append("        gates: " + "  ".join(f"{g.name} {MARKS[g.passed]}" for g in item.gates))
        if item.state is ItemState.WAITING and item.waiting_for:
            lines.append(f"        waiting for {item.waiting_for}")
        if item.error and not item.state.settled:
            lines.append(f"        {item.error.splitlines()[0][:160]}")
    if flow.final_gates:
        lines.append("  final: " + "  ".join(f"{g.name} {MARKS[g.passed]}" for g in flow.final_gates))
    if flow.error:
        lines.append(f"  {flow.error}")
    lines += [f"  note: {note}" for note in flow.notes]
    return "\n".join(lines)


def _shape(args: argparse.Namespace) -> dict[str, Any]:
    """The lifecycle flow asked for: --feature [--research], --bug ISSUE (or a bug report with --fix)."""
    if args.refactor:
        return {"flow": "autonomous_refactoring", "scope": args.scope, "hotspots": args.hotspots}
    if args.bug or args.fix:
        return {"flow": "bug_fix_workflow", "bug": args.bug}
    if args.feature:
        return {"flow": "feature_development", "research": args.research}
    if args.research:
        raise CommandFailed("invalid_request", "--research goes with --feature (a Start Flow researches each part)")
    return {}


async def start(args: argparse.Namespace, client: DaemonClient) -> int:
    if args.requirements is None and not (args.bug or args.refactor):
        raise CommandFailed(
            "invalid_request", "give the requirements (--requirements FILE|-), a bug (--bug ISSUE) or --refactor"
        )
    requirements = read_requirements(args.requirements) if args.requirements is not None else ""
    shape = _shape(args)
    if args.plan_only:
        plan = await client.call(
            PlanWork(project=args.project, requirements=requirements, planner=args.planner, agent=args.agent, **shape)
        )
        if args.json:
            emit_json(plan)
        else:
            print(format_plan(plan))
        return 0
    since = (await client.call(Status())).last_seq
    key = args.key or uuid.uuid4().hex
    request = StartWork(
        project=args.project, requirements=requirements, agent=args.agent, planner=args.planner, key=key, **shape
    )
    flow = await send_keyed(client, request, key, "flow")
    if not args.wait:
        if args.json:
            emit_json(flow)
        else:
            print(f"flow {flow.id} started for {flow.project} (agent {flow.agent}); follow it: contexten work "
                  f"{flow.id} --follow")  # fmt: skip
        return 0
    if not args.json:
        print(f"flow {flow.id} started; waiting for it to end", flush=True)
    final = await wait_for_end(client, flow.id, since, echo=not args.json)
    if args.json:
        emit_json(final)
    else:
        print(format_work(final))
    return 0 if final.state is FlowState.COMPLETED else 1


def _done(flow: WorkFlow) -> bool:
    return flow.state.ended or flow.state is FlowState.ESCALATED


async def wait_for_end(client: DaemonClient, flow_id: int, since: int, echo: bool) -> WorkFlow:
    """Follow the flow's events until it ends or needs a person, across daemon restarts."""
    last = since
    while True:
        flow = await _reach(client, flow_id)
        if _done(flow):
            return flow
        try:
            async for event in follow(client, last):
                last = event.seq
                if not _about(event, flow_id):
                    continue
                if echo:
                    _print_change(event, flow_id)
                if event.kind == EventKind.WORK_FLOW:
                    state = FlowState(event.data["flow"]["state"])
                    if state.ended or state is FlowState.ESCALATED:
                        return await client.call(GetWork(flow=flow_id))
        except DaemonUnreachable:
            continue


def _about(event: Event, flow_id: int) -> bool:
    flow = event.data.get("flow")
    return flow == flow_id or (isinstance(flow, dict) and flow.get("id") == flow_id)


async def _reach(client: DaemonClient, flow_id: int) -> WorkFlow:
    deadline = time.monotonic() + REACH_AGAIN_SECONDS
    while True:
        try:
            return await client.call(GetWork(flow=flow_id))
        except DaemonUnreachable:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(1.0)


def _print_change(event: Event, flow_id: int) -> None:
    data = event.data
    if event.kind == EventKind.WORK_ITEM and data.get("flow") == flow_id:
        item = data["item"]
        issue = (item.get("restructuring") or [None])[-1] or item.get("issue") or "-"
        extra = f"  {item['error'].splitlines()[0][:120]}" if item.get("error") else ""
        print(f"  {issue:<10} {item['kind']:<14} {item['state']:<13} attempt {item['attempt']}{extra}", flush=True)
    elif event.kind == EventKind.WORK_GATE and data.get("flow") == flow_id:
        gate = data["gate"]
        print(f"    gate {gate['name']}: {'passed' if gate['passed'] else 'failed'}", flush=True)
    elif event.kind == EventKind.WORK_ESCALATED and data.get("flow") == flow_id:
        print(f"  ESCALATED {data.get('issue')}: {data.get('reason')}", flush=True)
    elif event.kind == EventKind.WORK_FLOW and (data.get("flow") or {}).get("id") == flow_id:
        print(f"  flow: {data['flow']['state']}", flush=True)


ITEM_ORDERS = ("retry", "done", "cancel_item", "pause_item", "resume_item")


async def work(args: argparse.Namespace, client: DaemonClient) -> int:
    if args.flow is None:
        flows = await client.call(ListWork(project=args.project))
        if args.json:
            emit_json(flows)
            return 0
        if not flows:
            print("no Start Flows yet: contexten start PROJECT --requirements FILE")
        for flow in flows:
            merged, code = flow.progress
            print(f"{flow.id:<4} {flow.state.value:<11} {flow.project:<16} {merged}/{code} merged  {flow.title}")
        return 0
    orders = [(a, None) for a in ("pause", "resume", "cancel") if getattr(args, a)]
    orders += [(a.removesuffix("_item"), getattr(args, a)) for a in ITEM_ORDERS if getattr(args, a) is not None]
    if len(orders) > 1:
        raise CommandFailed("invalid_request", "give one order at a time")
    order = orders[0] if orders else None
    if order is not None:
        action, item = order
        flow = await client.call(ControlWork(flow=args.flow, item=item, action=action))
    elif args.log is not None:
        log = await client.call(GetAgentLog(flow=args.flow, item=args.log))
        if args.json:
            emit_json(log)
        else:
            sys.stdout.write(log.text)
        return 0
    else:
        flow = await client.call(GetWork(flow=args.flow))
    if args.json and not args.follow:
        emit_json(flow)
        return 0
    print(format_work(flow), flush=True)
    if not args.follow or _done(flow):
        return 0
    since = (await client.call(Status())).last_seq
    final = await wait_for_end(client, flow.id, since, echo=True)
    print(format_work(final))
    return 0 if final.state is FlowState.COMPLETED else 1
