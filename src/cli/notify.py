"""`contexten notify inbox | outbox | route | test | retry`, `contexten ack ID`, `contexten resolve ID`."""

from __future__ import annotations

import argparse
import sys

from contexten.cli.output import clock, emit_json
from contexten.client.connection import DaemonClient
from contexten.common.person import login_name
from contexten.common.protocol.notify import (
    AckNotice,
    ExplainRoute,
    InboxEntry,
    ListInbox,
    ListOutbox,
    ResolveNotice,
    RetryNotice,
    TryReceiver,
)


def _print_entry(entry: InboxEntry, history: bool) -> None:
    step = f"  step {entry.step}/{entry.of} of {entry.chain}" if entry.chain else ""
    count = f" ×{entry.count}" if entry.count > 1 else ""
    print(f"#{entry.id:<5} {clock(entry.created_at)}  {entry.state:<12} {entry.severity:<8} {entry.title}{count}{step}")
    if not history:
        return
    if entry.body:
        print(f"       {entry.body}")
    for line in entry.history:
        who = f" by {line.by}" if line.by else ""
        where = f" step {line.step} -> {', '.join(line.receivers)}" if line.step else ""
        print(f"       {clock(line.at)}  {line.what}{who}{where}")
    if entry.next_at is not None and entry.state == "new":
        print(f"       next step at {clock(entry.next_at)} unless acknowledged (contexten ack {entry.id})")


async def ack_or_resolve(args: argparse.Namespace, client: DaemonClient) -> int:
    request = AckNotice if args.command == "ack" else ResolveNotice
    entry = await client.call(request(id=args.id, by=login_name()))
    if args.json:
        emit_json(entry)
    else:
        _print_entry(entry, history=True)
    return 0


async def _inbox(args: argparse.Namespace, client: DaemonClient) -> int:
    rows = await client.call(ListInbox(state=args.state, limit=args.limit, id=args.id))
    if args.id is not None and not rows:
        print(f"no notice #{args.id} in the inbox", file=sys.stderr)
        return 1
    if args.json:
        emit_json(rows)
        return 0
    if not rows:
        print("the inbox is empty: nothing needs a person")
    for r in rows:
        _print_entry(r, history=args.id is not None)
    return 0


async def notify(args: argparse.Namespace, client: DaemonClient) -> int:
    if args.notify_command == "inbox":
        return await _inbox(args, client)
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
        labels = dict(label.partition("=")[::2] for label in args.label)
        if any(not name or not value for name, value in labels.items()):
            print("a --label is NAME=VALUE, like source=sampler", file=sys.stderr)
            return 2
        steps = await client.call(
            ExplainRoute(kind=args.kind, project=args.project, flow=args.flow, severity=args.severity, labels=labels)
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
