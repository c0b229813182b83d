"""`contexten notify outbox | route | test`."""

from __future__ import annotations

import argparse

from contexten.cli.output import clock, emit_json
from contexten.client.connection import DaemonClient
from contexten.common.protocol.notify import ExplainRoute, ListOutbox, RetryNotice, TryReceiver


async def notify(args: argparse.Namespace, client: DaemonClient) -> int:
    if args.notify_command == "outbox":
        rows = await client.call(ListOutbox(state=args.state, limit=args.limit))
        if args.json:
            emit_json(rows)
            return 0
        if not rows:
            print("the outbox is empty")
        for r in rows:
            how = f"  -> {r.remote}" if r.remote else ""
            why = f"  ({r.last_error})" if r.last_error and r.state != "sent" else ""
            where = f"{r.state:<9} {r.receiver:<12} {r.severity:<8}"
            print(f"#{r.id:<5} {clock(r.created_at)}  {where} {r.title}{how}{why}")
        return 0
    if args.notify_command == "route":
        steps = await client.call(
            ExplainRoute(kind=args.kind, project=args.project, flow=args.flow, severity=args.severity)
        )
        if args.json:
            emit_json(steps)
            return 0
        if not steps:
            print("no route takes it: it goes nowhere (the daemon log has every alert)")
        for step in steps:
            print(f"{step.receiver:<16} via {step.route}")
        return 0
    if args.notify_command == "retry":
        again = await client.call(RetryNotice(id=args.id))
        if args.json:
            emit_json(again)
        else:
            print(f"queued again: {', '.join(f'#{i}' for i in again.ids)}")
        return 0
    tried = await client.call(TryReceiver(receiver=args.receiver))
    if args.json:
        emit_json(tried)
    else:
        print(f"{tried.receiver}: {'delivered' if tried.delivered else 'not delivered'}: {tried.answer}")
    return 0 if tried.delivered else 1
